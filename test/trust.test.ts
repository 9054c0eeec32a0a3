/**
 * A cloned repository is hostile until trusted: its config and templates cannot read your files, send
 * prompts off this machine, run code or see your key. Each case is a hostile tree in a temp dir and the
 * loopback server, which must receive nothing it should not.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { readProjectConfig } from '../src/config/load.js';
import { trustFile } from '../src/config/trust.js';
import { sha256 } from '../src/domain/index.js';
import { makeHome, type CliOptions } from './support/cli.js';
import { runGpt } from './support/in-process.js';
import { type MockServer } from './support/mock-server.js';
import { useMockServer } from './support/fixture.js';

const KEY = 'sk-test-TRUSTCANARY0123456789';
/** Not loopback by our rule (name only, no DNS), yet nothing can leave the machine if a fix regresses. */
const OFF_MACHINE = 'http://0.0.0.0:9/v1';
const server = useMockServer();
const root = mkdtempSync(join(tmpdir(), 'gpt-trust-test-'));
let home: string;
let repo: string;
afterAll(async () => {
  rmSync(root, { recursive: true, force: true });
});
beforeEach(() => {
  home = makeHome();
  repo = mkdtempSync(join(root, 'repo-'));
  mkdirSync(join(repo, 'prompts'));
});

function write(path: string, text: string): string {
  const full = join(repo, path);
  writeFileSync(full, text);
  return full;
}

function gpt(args: string[], options: CliOptions = {}) {
  return runGpt(args, { cwd: repo, home, ...options, env: { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: server.url, ...options.env } });
}

const helperConfig = () => write('.gptrc.json', JSON.stringify({ profiles: { helper: { baseUrl: server.url } } }));

function expectClean(result: { stdout: string; stderr: string }) {
  expect(result.stdout + result.stderr).not.toContain(KEY);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

describe('untrusted templates cannot read files outside their folder', () => {
  const hostile: Array<[string, string]> = [
    ['an absolute path', '{{file:/proc/self/environ}}'],
    ['a .. escape', '{{file:../.gptrc.json}}'],
    ['a deep .. escape', '{{file:../../../../../../etc/hostname}}'],
  ];
  for (const [what, include] of hostile) {
    it(`refuses ${what} before any request and before --dry-run prints (exit 2)`, async () => {
      helperConfig();
      write('prompts/explain.md', `---\nprofile: helper\n---\nExplain this:\n${include}\n`);
      for (const extra of [[], ['--dry-run']]) {
        const result = await gpt(['run', 'explain', ...extra], { stdin: 'code' });
        expect(result.code).toBe(2);
        expect(result.stdout).toBe('');
        expect(result.stderr).toContain(`prompts/explain.md:5: cannot include ${include}: outside the template's folder`);
        expect(result.stderr).toContain(`gpt config trust ${repo}`);
        expectClean(result);
      }
      expect(server.requests).toHaveLength(0);
    });
  }

  it('refuses a symlink that leads out, a device and a FIFO; a file beside the template is fine', async () => {
    symlinkSync('/etc/hostname', join(repo, 'prompts', 'link.txt'));
    execFileSync('mkfifo', [join(repo, 'prompts', 'pipe.txt')]);
    write('prompts/near.txt', 'NEARBY TEXT');
    write('prompts/link.md', 'x {{file:link.txt}}\n');
    write('prompts/pipe.md', 'x {{file:pipe.txt}}\n');
    write('prompts/near.md', 'x {{file:near.txt}}\n');
    const link = await gpt(['run', 'link', '--dry-run']);
    expect([link.code, link.stderr]).toEqual([2, expect.stringContaining("cannot include {{file:link.txt}}: outside the template's folder")]);
    const fifo = await gpt(['run', 'pipe', '--dry-run'], { timeoutMs: 5000 });
    expect([fifo.code, fifo.stderr]).toEqual([2, expect.stringContaining('pipe.txt: not a regular file')]);
    const near = await gpt(['run', 'near', '--dry-run']);
    expect(near.code).toBe(0);
    expect(near.stdout).toContain('NEARBY TEXT');
  });

  it('refuses a schema file outside the folder, for gpt run, gpt batch and gpt cost alike', async () => {
    write('secret.json', '{"type":"object"}');
    write('prompts/s.md', '---\nschema: ../secret.json\n---\nhi\n');
    write('lines.jsonl', '{"id":"a","prompt":"x"}\n');
    for (const args of [['run', 's', '--dry-run'], ['batch', 'lines.jsonl', '--template', 's'], ['cost', 's']]) {
      const result = await gpt(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toContain("outside the template's folder");
    }
    expect(server.requests).toHaveLength(0);
  });

  it('a template named by path in an untrusted folder is confined too', async () => {
    write('prompts/p.md', 'x {{file:/etc/hostname}}\n');
    const result = await gpt(['run', 'prompts/p.md', '--dry-run']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("outside the template's folder");
  });

  it('after `gpt config trust`, the same template reads what it asks for', async () => {
    helperConfig();
    write('outside.txt', 'OUTSIDE TEXT');
    write('prompts/explain.md', '---\nprofile: helper\n---\nExplain:\n{{file:../outside.txt}}\n');
    const trust = await gpt(['config', 'trust']);
    expect(trust.code).toBe(0);
    expect(trust.stderr).toContain(`trusted directory ${repo}`);
    expect(trust.stderr).toContain(`trusted ${join(repo, '.gptrc.json')}`);
    const result = await gpt(['run', 'explain'], { stdin: 'code' });
    expect(result.code).toBe(0);
    expect(JSON.stringify(server.lastRequest()?.body)).toContain('OUTSIDE TEXT');
    const untrust = await gpt(['config', 'untrust']);
    expect(untrust.code).toBe(0);
    expect((await gpt(['run', 'explain'], { stdin: 'code' })).code).toBe(2);
  });
});

describe('untrusted project content cannot choose where prompts go', () => {
  it('a project profile pointing off this machine is refused (exit 3), keyless or not, however it is chosen', async () => {
    write('.gptrc.json', JSON.stringify({ defaultProfile: 'far', profiles: { far: { baseUrl: OFF_MACHINE } } }));
    write('prompts/t.md', '---\nprofile: far\n---\nhi\n');
    for (const args of [['chat', 'hi'], ['-p', 'far', 'chat', 'hi'], ['run', 't'], ['run', 't', '--dry-run']]) {
      const result = await gpt(args);
      expect(result.code, args.join(' ')).toBe(3);
      expect(result.stderr).toContain(`profiles.far.baseUrl ${OFF_MACHINE} comes from untrusted ${join(repo, '.gptrc.json')}`);
      expect(result.stderr).toContain(`gpt config trust ${join(repo, '.gptrc.json')}`);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expectClean(result);
    }
  });

  it('redirecting the openai profile off this machine is refused; gpt cost still estimates (it sends nothing)', async () => {
    write('.gptrc.json', JSON.stringify({ profiles: { openai: { baseUrl: OFF_MACHINE } } }));
    const chat = await gpt(['chat', 'hi'], { env: { OPENAI_BASE_URL: undefined } });
    expect(chat.code).toBe(3);
    const cost = await gpt(['cost', 'hello'], { env: { OPENAI_BASE_URL: undefined } });
    expect(cost.code).toBe(0);
  });

  it('an untrusted template choosing another built-in profile is refused; the same choice by flag is fine', async () => {
    write('prompts/t.md', '---\nprofile: openrouter\n---\nhi\n');
    const env = { OPENROUTER_API_KEY: KEY };
    const refused = await gpt(['run', 't'], { env });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain(`untrusted ${join(repo, 'prompts', 't.md')} chooses profile 'openrouter'`);
    expect(refused.stderr).toContain(`gpt config trust ${repo}`);
    const dry = await gpt(['run', 't', '--dry-run', '-p', 'openrouter'], { env });
    expect(dry.code).toBe(0);
  });

  it('a keyless project profile on loopback is allowed (a local Ollama), and gets no key', async () => {
    helperConfig();
    write('prompts/t.md', '---\nprofile: helper\n---\nhi\n');
    const result = await gpt(['run', 't']);
    expect(result.code).toBe(0);
    expect(server.requests).toHaveLength(1);
    expect(server.lastRequest()?.headers.authorization).toBeUndefined();
  });

  it('a key-sending profile is never pointed at loopback by an untrusted file: the URL is ignored with a warning', async () => {
    write('.gptrc.json', JSON.stringify({ profiles: { cometapi: { baseUrl: 'http://127.0.0.1:9/v1' } } }));
    const result = await gpt(['-p', 'cometapi', 'cost', 'hi'], { env: { COMETAPI_KEY: KEY } });
    expect(result.stderr).toContain('ignoring profiles.cometapi.baseUrl from untrusted');
  });
});

describe('shadowing', () => {
  it('gpt run warns when an untrusted project template hides a shipped one; gpt templates marks it', async () => {
    write('prompts/explain.md', 'my own explain {{input}}\n');
    const run = await gpt(['run', 'explain', '--dry-run'], { stdin: 'x' });
    expect(run.stderr).toContain(`using untrusted ${join(repo, 'prompts', 'explain.md')}, which shadows the explain in built-in`);
    const list = await gpt(['templates']);
    expect(list.stdout).toMatch(/explain\s+\.\/prompts \(untrusted\)/);
    expect(list.stdout).toContain('shadows the explain in built-in');
    const json = JSON.parse((await gpt(['templates', '--json'])).stdout) as { templates: Array<{ name: string; trusted: boolean; shadows: string[] }> };
    expect(json.templates.find((t) => t.name === 'explain')).toMatchObject({ trusted: false, shadows: ['built-in'] });
  });
});

describe('one read, one hash', () => {
  it('the bytes whose hash decides trust are the bytes parsed, even if the file changes meanwhile', async () => {
    const stateDir = join(home, '.local', 'state', 'gpt');
    const trusted = '{"profiles":{"mine":{"baseUrl":"https://trusted.example/v1","apiKeyEnv":"MY_KEY"}}}';
    const path = write('.gptrc.json', trusted);
    trustFile(stateDir, path);
    const hostile = '{"profiles":{"mine":{"baseUrl":"https://evil.example/v1","apiKeyEnv":"MY_KEY"}}}';
    let reads = 0;
    // The first read sees the trusted bytes; any later read would see the swapped file.
    const read = () => Buffer.from(reads++ === 0 ? trusted : hostile);
    const result = await readProjectConfig(path, stateDir, read);
    expect(reads).toBe(1);
    expect(result.trusted).toBe(true);
    expect(result.config?.profiles?.mine?.baseUrl).toBe('https://trusted.example/v1');

    let second = 0;
    const swapped = await readProjectConfig(path, stateDir, () => Buffer.from(second++ === 0 ? hostile : trusted));
    expect(second).toBe(1);
    expect(swapped.trusted).toBe(false);
    expect(sha256(Buffer.from(hostile))).not.toBe(sha256(Buffer.from(trusted)));
  });
});

describe('trusted JS configs run only the bytes that were trusted', () => {
  it('a trusted .mjs that imports a local file is refused (exit 3), naming the import', async () => {
    write('helper.mjs', 'export const url = "http://127.0.0.1:9/v1";\n');
    const file = write('gpt.config.mjs', 'import { url } from "./helper.mjs";\nexport default { profiles: { x: { baseUrl: url } } };\n');
    expect((await gpt(['config', 'trust', file])).code).toBe(0);
    const result = await gpt(['config']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`${file}: a project JS config may import only Node built-ins (trust covers this one file), but it imports './helper.mjs'`);
  });

  it('a trusted .cjs that requires a local file is refused; built-ins are fine', async () => {
    write('helper.cjs', 'module.exports = {};\n');
    const file = write('.gptrc.cjs', 'const os = require("node:os"); require("./helper.cjs"); module.exports = { defaultProfile: "simulate" };\n');
    await gpt(['config', 'trust', file]);
    const result = await gpt(['config']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("but it requires './helper.cjs'");
  });

  it('a trusted self-contained .mjs applies; changed afterwards, it is not run', async () => {
    const file = write('gpt.config.mjs', 'import { EOL } from "node:os";\nexport default { defaultProfile: "simulate", defaults: { system: "be brief" + EOL.trim() } };\n');
    await gpt(['config', 'trust', file]);
    const ok = await gpt(['config', '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).profile.value).toBe('simulate');
    writeFileSync(file, 'export default { defaultProfile: "ollama" };\n');
    const changed = await gpt(['config', '--json']);
    expect(JSON.parse(changed.stdout).profile.value).toBe('openai');
    expect(changed.stderr).toContain(`not running untrusted ${file}`);
  });
});

describe('--verbose', () => {
  it('never prints a custom header value of a profile, nor its echo in an error', async () => {
    const secret = 'hdr-secret-value-0123456789';
    const config = join(home, '.config', 'gpt', 'config.json');
    mkdirSync(join(home, '.config', 'gpt'), { recursive: true });
    writeFileSync(config, JSON.stringify({ profiles: { openai: { headers: { 'api-key': secret, 'x-title': 'my app title' } } } }));
    server.enqueue({ kind: 'error', status: 400, body: { error: { message: `bad header api-key: ${secret}`, type: 'invalid_request_error' } } });
    const result = await gpt(['-v', 'chat', 'hi']);
    expect(result.code).toBe(7);
    expect(result.stderr).toContain('"api-key":"***"');
    expect(result.stderr + result.stdout).not.toContain(secret);
    expect(server.lastRequest()?.headers['api-key']).toBe(secret);
  });
});
