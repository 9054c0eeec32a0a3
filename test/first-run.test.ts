/** First-run friction (#12): a local server needs no key, a 404 from /responses explains itself, file errors in words. */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileErrorReason } from '../src/domain/index.js';
import { makeHome } from './support/cli.js';
import { runGpt } from './support/in-process.js';
import { useMockServer } from './support/fixture.js';

const server = useMockServer();
const NO_KEY = { OPENAI_API_KEY: undefined, OPENAI_BASE_URL: undefined };

describe('a loopback base URL needs no key', () => {
  it('--base-url to this machine, no OPENAI_API_KEY: answers, and sends no Authorization header', async () => {
    const r = await runGpt(['--base-url', server.url, '-m', 'my-model', 'chat', 'hi'], { env: NO_KEY });
    expect(r.stderr).not.toMatch(/API key/);
    expect([r.code, r.stdout]).toEqual([0, 'Hello from the mock.']);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]!.headers).not.toHaveProperty('authorization');
  });

  it('OPENAI_BASE_URL to this machine works the same', async () => {
    const r = await runGpt(['chat', 'hi'], { env: { ...NO_KEY, OPENAI_BASE_URL: server.url.replace('127.0.0.1', 'localhost') } });
    expect(r.code).toBe(0);
    expect(server.requests[0]!.headers).not.toHaveProperty('authorization');
  });

  it('a profile of the user config pointing at this machine, its key variable unset, works the same', async () => {
    const home = makeHome();
    mkdirSync(join(home, '.config', 'gpt'), { recursive: true });
    writeFileSync(join(home, '.config', 'gpt', 'config.json'), JSON.stringify({ profiles: { local: { baseUrl: server.url, apiKeyEnv: 'LOCAL_KEY', model: 'm' } } }));
    const r = await runGpt(['-p', 'local', 'chat', 'hi'], { home, env: NO_KEY });
    expect(r.code).toBe(0);
    expect(server.requests[0]!.headers).not.toHaveProperty('authorization');
  });

  it('a key that is set is still sent to a loopback server', async () => {
    const r = await runGpt(['--base-url', server.url, 'chat', 'hi'], { env: { OPENAI_API_KEY: 'sk-local-0123456789abcdef' } });
    expect(r.code).toBe(0);
    expect(server.requests[0]!.headers.authorization).toBe('Bearer sk-local-0123456789abcdef');
  });

  it('any other host without a key is still exit 3, before any request', async () => {
    const r = await runGpt(['--base-url', 'https://llm.example.invalid/v1', 'chat', 'hi'], { env: NO_KEY });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^gpt: no API key for profile 'openai': set OPENAI_API_KEY/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('a server without the Responses API', () => {
  it('a 404 from /responses names the URL and suggests --api chat (exit 7)', async () => {
    server.enqueue({ kind: 'error', status: 404, message: 'Not Found' });
    const r = await runGpt(['--base-url', server.url, 'chat', '--api', 'responses', 'hi'], { env: NO_KEY });
    expect(r.code).toBe(7);
    expect(r.stderr).toContain(`POST ${server.url}/responses`);
    expect(r.stderr).toContain('try --api chat');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a 404 from /chat/completions is left as it was', async () => {
    server.enqueue({ kind: 'error', status: 404, message: 'no such model' });
    const r = await runGpt(['--base-url', server.url, 'chat', 'hi'], { env: NO_KEY });
    expect(r.code).toBe(7);
    expect(r.stderr).not.toContain('--api chat');
  });
});

describe('file errors in words, with the path', () => {
  const gone = join('nowhere', 'missing.json');
  it.each([
    [['batch', gone], 2],
    [['chat', '--schema', gone, 'hi'], 2],
    [['run', 'summarize', '--vars', gone], 2],
    [['run', gone], 2],
    [['--config', gone, 'chat', 'hi'], 3],
    [['cost', '--template', 'summarize', gone + 'l'], 2],
  ])('gpt %j', async (argv, code) => {
    const r = await runGpt(argv as string[], { env: { OPENAI_API_KEY: 'sk-test-0123456789abcdef', OPENAI_BASE_URL: server.url } });
    expect(r.stderr).toMatch(/no such file/);
    expect(r.stderr).toContain('missing.json');
    expect(r.stderr).not.toMatch(/E[A-Z]{3,}/);
    expect(r.code).toBe(code);
    expect(server.requests).toHaveLength(0);
  });

  it.each([
    ['ENOENT', 'no such file'],
    ['EACCES', 'permission denied'],
    ['EISDIR', 'is a directory'],
    ['ENOTDIR', 'a part of the path is not a directory'],
    ['EPERM', 'operation not permitted'],
  ])('%s reads as "%s"', (code, words) => {
    const error = Object.assign(new Error(`${code}: something, open '/x/y'`), { code });
    expect(fileErrorReason(error)).toBe(words);
  });

  it('an unknown code keeps the words of the message, not the code', () => {
    const error = Object.assign(new Error("EWEIRD: the disk is haunted, open '/x/y'"), { code: 'EWEIRD' });
    expect(fileErrorReason(error)).toBe('the disk is haunted');
  });
});

describe('a malformed package.json', () => {
  it('with a "gpt" key is exit 3 naming the file', async () => {
    const home = makeHome();
    const project = join(home, 'proj');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), '{ "name": "x", "gpt": { "defaultProfile": "simulate" }, }');
    const r = await runGpt(['-p', 'simulate', 'chat', 'hi'], { home, cwd: project });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(join(project, 'package.json'));
    expect(r.stderr).toMatch(/cannot be read as config/);
  });

  it('without one is not ours: ignored', async () => {
    const home = makeHome();
    const project = join(home, 'proj');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), '{ "name": "x", }');
    const r = await runGpt(['-p', 'simulate', '--max-output-tokens', '5', 'chat', 'hi'], { home, cwd: project });
    expect(r.code).toBe(0);
  });
});

describe("cosmiconfig's meta config", () => {
  it("a cloned repository's .config/config.js is never run (nor package.json's cosmiconfig key read)", async () => {
    const home = makeHome();
    const project = join(home, 'proj');
    mkdirSync(join(project, '.config'), { recursive: true });
    const marker = join(home, 'ran');
    writeFileSync(join(project, '.gptrc.json'), '{}');
    writeFileSync(join(project, '.config', 'config.js'), `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'x'); module.exports = {};`);
    const r = await runGpt(['-p', 'simulate', '--max-output-tokens', '5', 'chat', 'hi'], { home, cwd: project });
    expect(r.code).toBe(0);
    expect(existsSync(marker)).toBe(false);
  });
});
