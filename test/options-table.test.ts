/**
 * One table of generation options (src/domain/options.ts): a value is valid on the command line exactly
 * when it is valid in config `defaults`, in template front matter and on a batch line. Each sample goes
 * through all four entry points and they must agree with each other and with the table.
 */
import { describe, expect, it } from 'vitest';
import { jsonLineToEntry } from '../src/batch/reader.js';
import { isLineError } from '../src/batch/types.js';
import { validateConfig } from '../src/config/validate.js';
import { OPTION_SPECS, checkOptionValue, type OptionName } from '../src/domain/index.js';
import { buildProgram } from '../src/program.js';
import { parseTemplate } from '../src/templates/parse.js';

const FLAGS: Partial<Record<OptionName, string>> = {
  temperature: '--temperature',
  topP: '--top-p',
  maxOutputTokens: '--max-output-tokens',
  seed: '--seed',
  presencePenalty: '--presence-penalty',
  frequencyPenalty: '--frequency-penalty',
  timeoutSeconds: '--timeout',
  retries: '--retries',
};
const FRONT_MATTER: Partial<Record<OptionName, string>> = { timeoutSeconds: 'timeout' };
const CONFIG: Partial<Record<OptionName, string>> = { timeoutSeconds: 'timeout' };
const BATCH: Partial<Record<OptionName, string>> = { temperature: 'temperature', topP: 'top_p', maxOutputTokens: 'max_output_tokens', seed: 'seed', presencePenalty: 'presence_penalty', frequencyPenalty: 'frequency_penalty' };

/** Edges of each numeric range: just inside, just outside, and a fraction where only whole numbers go. */
function samples(name: OptionName): number[] {
  const spec = OPTION_SPECS[name];
  if (spec.kind !== 'number' && spec.kind !== 'integer') return [];
  return [spec.min, spec.max, spec.min - 1, spec.max + 1, spec.min + 0.5, Number.NaN];
}

function flagAccepts(flag: string, value: number): boolean {
  const chat = buildProgram().commands.find((c) => c.name() === 'chat')!;
  chat.exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  try {
    chat.parseOptions([flag, String(value)]);
    return true;
  } catch {
    return false;
  }
}

function configAccepts(key: string, value: number): boolean {
  try {
    validateConfig({ defaults: { [key]: value } }, 'c.yaml');
    return true;
  } catch {
    return false;
  }
}

function frontMatterAccepts(key: string, value: number): boolean {
  try {
    parseTemplate(`---\n${key}: ${Number.isNaN(value) ? '.nan' : value}\n---\nhi\n`, 't.md');
    return true;
  } catch {
    return false;
  }
}

const batchAccepts = (key: string, value: number) => !isLineError(jsonLineToEntry({ id: 'a', prompt: 'p', [key]: Number.isNaN(value) ? 'NaN' : value }, 1, false));

describe('one option table for every entry point', () => {
  for (const name of Object.keys(FLAGS) as OptionName[]) {
    it(`${name}: flags, config defaults, front matter and batch lines agree with the table`, () => {
      for (const value of samples(name)) {
        const expected = checkOptionValue(name, value).ok;
        const key = name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
        expect(flagAccepts(FLAGS[name]!, value), `${FLAGS[name]} ${value}`).toBe(expected);
        expect(configAccepts(CONFIG[name] ?? name, value), `defaults.${name}: ${value}`).toBe(expected);
        expect(frontMatterAccepts(FRONT_MATTER[name] ?? key, value), `front matter ${key}: ${value}`).toBe(expected);
        if (BATCH[name]) expect(batchAccepts(BATCH[name]!, value), `batch ${BATCH[name]}: ${value}`).toBe(expected);
      }
    });
  }

  it('the words for what is expected are the same everywhere', () => {
    expect(() => validateConfig({ defaults: { temperature: 3 } }, 'c.yaml')).toThrow('c.yaml: defaults.temperature: expected a number from 0 to 2');
    expect(() => parseTemplate('---\ntemperature: 3\n---\nhi\n', 't.md')).toThrow('expected a number from 0 to 2, got 3');
    const line = jsonLineToEntry({ id: 'a', prompt: 'p', temperature: 3 }, 1, false);
    expect(isLineError(line) && line.error).toContain('`temperature` must be a number from 0 to 2');
  });
});
