/** `gpt config` (effective values and their sources, trust) and `gpt completion`, run as a user would. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeHome } from './support/cli.js';
import { runGpt } from './support/in-process.js';

const KEY = 'sk-test-CONFIGSECRET0fQRS';

describe('gpt config', () => {
  it('shows each value with its source and the key masked', async () => {
    const home = makeHome();
    mkdirSync(join(home, '.config', 'gpt'), { recursive: true });
    writeFileSync(join(home, '.config', 'gpt', 'config.yaml'), 'defaults:\n  model: gpt-5.2\n  temperature: 0.3\n');
    const r = await runGpt(['config', '--json'], { home, env: { OPENAI_API_KEY: KEY, GPT_PROFILE: 'openai' } });
    expect(r.code).toBe(0);
    const view = JSON.parse(r.stdout);
    expect(view.profile).toEqual({ value: 'openai', source: 'env GPT_PROFILE' });
    expect(view.model).toEqual({ value: 'gpt-5.2', source: join(home, '.config', 'gpt', 'config.yaml') });
    expect(view.apiKey).toEqual({ value: 'sk-…fQRS', source: 'env OPENAI_API_KEY' });
    expect(view.defaults).toEqual({ temperature: 0.3 });
    expect(r.stdout + r.stderr).not.toContain(KEY);
    const text = await runGpt(['config'], { home, env: { OPENAI_API_KEY: KEY } });
    expect(text.stdout).toMatch(/model\s+gpt-5\.2\s+← .*config\.yaml/);
    expect(text.stdout + text.stderr).not.toContain(KEY);
  });

  it('an untrusted project config is reported and its key settings ignored until `gpt config trust`', async () => {
    const home = makeHome();
    const project = mkdtempSync(join(tmpdir(), 'gpt-project-'));
    writeFileSync(join(project, '.gptrc.json'), JSON.stringify({ profiles: { openai: { baseUrl: 'https://elsewhere.example/v1' } } }));
    let r = await runGpt(['config', '--json'], { home, cwd: project });
    expect(JSON.parse(r.stdout).baseUrl.value).toBe('https://elsewhere.example/v1');
    expect(r.stderr).toMatch(/comes from untrusted .*: gpt will not send your prompts there until you read the file and run: gpt config trust/);
    expect((await runGpt(['chat', 'hi'], { home, cwd: project, env: { OPENAI_API_KEY: 'sk-test-x0123456789' } })).code).toBe(3);
    r = await runGpt(['config', 'trust'], { home, cwd: project });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/trusted .*\.gptrc\.json/);
    r = await runGpt(['config', '--json'], { home, cwd: project });
    expect(JSON.parse(r.stdout).baseUrl.value).toBe('https://elsewhere.example/v1');
    expect(r.stderr).toBe('');
    r = await runGpt(['config', 'untrust'], { home, cwd: project });
    r = await runGpt(['config', '--json'], { home, cwd: project });
    expect(r.stderr).toMatch(/comes from untrusted/);
  });

  it('a malformed config exits 3 naming the file and key', async () => {
    const home = makeHome();
    const project = mkdtempSync(join(tmpdir(), 'gpt-project-'));
    writeFileSync(join(project, '.gptrc.yaml'), 'defaults:\n  maxOutputTokens: lots\n');
    const r = await runGpt(['chat', '--profile', 'simulate', 'hi'], { home, cwd: project });
    expect(r.code).toBe(3);
    expect(r.stderr.trim()).toBe(`gpt: ${join(project, '.gptrc.yaml')}: defaults.maxOutputTokens: expected a whole number from 1 to 10000000`);
  });
});

describe('gpt completion', () => {
  it.each(['bash', 'zsh', 'fish'])('%s prints a script naming every command', async (shell) => {
    const r = await runGpt(['completion', shell]);
    expect(r.code).toBe(0);
    for (const cmd of ['chat', 'run', 'batch', 'cost', 'models', 'templates', 'config', 'completion']) expect(r.stdout).toContain(cmd);
    if (shell === 'bash') {
      const file = join(mkdtempSync(join(tmpdir(), 'gpt-comp-')), 'gpt.bash');
      writeFileSync(file, r.stdout);
      execFileSync('bash', ['-n', file]); // throws on a syntax error
    }
  });

  it('an unknown shell is a usage error', async () => {
    const r = await runGpt(['completion', 'tcsh']);
    expect(r.code).toBe(2);
  });
});

describe('.gptrc.example', () => {
  it('is a valid config that documents every key', async () => {
    const { resolve } = await import('node:path');
    const example = resolve(import.meta.dirname, '../.gptrc.example');
    const r = await runGpt(['config', '--config', example, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).profile.value).toBe('openai');
    const text = (await import('node:fs')).readFileSync(example, 'utf8');
    for (const key of ['defaultProfile', 'baseUrl', 'apiKeyEnv', 'apiKeyCommand', 'model', 'api', 'headers', 'pricing', 'rpm', 'tpm', 'maxTokensField', 'tokensPerSecond', 'temperature', 'topP', 'maxOutputTokens', 'effort', 'stop', 'seed', 'presencePenalty', 'frequencyPenalty', 'timeout', 'retries', 'cachedInput', 'paths', 'maxCostPerRun']) {
      expect(text).toContain(`${key}:`);
    }
  });
});
