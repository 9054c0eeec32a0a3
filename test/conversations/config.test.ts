/** config `conversations.*`: checked on entry, with defaults when absent. */
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/validate.js';
import { loadConfig } from '../../src/config/load.js';
import { makeHome } from '../support/cli.js';

describe('conversations config', () => {
  it('accepts its keys and names the file and key of a bad one', () => {
    expect(validateConfig({ conversations: { save: false, compactAt: 0.5, keepTurns: 2, compactModel: 'gpt-5-nano' } }, 'c.yaml')).toBeTruthy();
    expect(() => validateConfig({ conversations: { save: 'no' } }, 'c.yaml')).toThrow('c.yaml: conversations.save: expected true or false');
    expect(() => validateConfig({ conversations: { keepTurn: 2 } }, 'c.yaml')).toThrow(/c\.yaml: conversations\.keepTurn: unknown key \(known: save, compactAt, keepTurns, compactModel\)/);
    expect(() => validateConfig({ conversations: { compactAt: -1 } }, 'c.yaml')).toThrow(/conversations\.compactAt: expected a number from 0/);
  });

  it('defaults: saved, the last 4 turns kept verbatim', async () => {
    const home = makeHome();
    const config = await loadConfig({}, { HOME: home, XDG_CONFIG_HOME: `${home}/.config`, XDG_STATE_HOME: `${home}/.state` }, home);
    expect(config.conversations).toEqual({ save: true, keepTurns: 4 });
  });
});
