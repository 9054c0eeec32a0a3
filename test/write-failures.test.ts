/**
 * Fault rows for the local side: a reader that closes stdout early (EPIPE), a full stdout (ENOSPC, via
 * /dev/full), and a usage log that cannot be written. The answer is paid for: accounting must survive.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { BIN, cleanEnv, makeHome, runCli } from './support/cli.js';
import { type MockServer } from './support/mock-server.js';
import { useMockServer } from './support/fixture.js';

const KEY = 'sk-test-WRITEFAIL0123456789';
const server = useMockServer();
let home: string;
beforeEach(() => {
  home = makeHome();
});

const env = () => ({ ...cleanEnv(home), OPENAI_API_KEY: KEY, OPENAI_BASE_URL: server.url });
const usageLog = () => join(home, '.local', 'state', 'gpt', 'usage.jsonl');
const many = (n: number) => Array.from({ length: n }, (_, i) => `word${i} `);

/** Runs gpt with stdout piped to a reader that closes it after the first chunk, like `| head -c 5`. */
function runClosingEarly(args: string[]): Promise<{ code: number | null; stderr: string; firstChunk: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: home, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let firstChunk = '';
    let stderr = '';
    child.stdout.once('data', (chunk: Buffer) => {
      firstChunk = chunk.toString();
      child.stdout.destroy();
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, firstChunk });
    });
  });
}

/** Runs gpt with stdout on /dev/full: every write fails with ENOSPC. */
function runIntoFullDisk(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const fd = openSync('/dev/full', 'w');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: home, env: env(), stdio: ['ignore', fd, 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      closeSync(fd);
      resolve({ code, stderr });
    });
  });
}

describe('stdout closed early (EPIPE)', () => {
  for (const command of [['chat', 'hi'], ['run', 'explain', '--var', 'input=x']]) {
    it(`gpt ${command[0]} stops quietly with exit 0, cuts the request and still logs usage`, async () => {
      server.enqueue({ kind: 'answer', chunks: many(400), chunkDelayMs: 5 });
      const result = await runClosingEarly(command);
      expect(result.firstChunk).not.toBe('');
      expect(result.code).toBe(0);
      expect(result.stderr).not.toMatch(/EPIPE|error|\n\s+at /i);
      expect(result.stderr).toContain('gpt-5-mini'); // the footer: what was paid for is still said
      const records = readFileSync(usageLog(), 'utf8').trim().split('\n');
      expect(records).toHaveLength(1);
      expect(JSON.parse(records[0]!).usage.output_tokens).toBeGreaterThan(0);
    });
  }

  it('a command with nothing in flight (gpt models) just ends, exit 0', async () => {
    const result = await runClosingEarly(['models']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
  });
});

describe('stdout on a full disk (ENOSPC)', () => {
  it('gpt chat: one line naming stdout, exit 9, usage still logged', async () => {
    server.enqueue({ kind: 'answer', chunks: many(50) });
    const result = await runIntoFullDisk(['chat', 'hi']);
    expect(result.code).toBe(9);
    expect(result.stderr).toContain('gpt: cannot write to stdout: no space left on device (ENOSPC)');
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(readFileSync(usageLog(), 'utf8').trim().split('\n')).toHaveLength(1);
  });

  it('gpt models: one line, exit 9', async () => {
    const result = await runIntoFullDisk(['models']);
    expect(result.code).toBe(9);
    expect(result.stderr.trim()).toBe('gpt: cannot write to stdout: no space left on device (ENOSPC)');
  });
});

describe('a usage log that cannot be written is a warning, never a failed answer', () => {
  it('full disk under the usage log (ENOSPC)', async () => {
    mkdirSync(join(home, '.local', 'state', 'gpt'), { recursive: true });
    symlinkSync('/dev/full', usageLog());
    const result = await runCli(['chat', 'hi'], { home, env: { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: server.url } });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('Hello from the mock.');
    expect(result.stderr).toContain(`gpt: warning: could not write the usage log ${usageLog()}: no space left on device (ENOSPC)`);
  });

  it('a state directory that cannot be created (read-only place)', async () => {
    const result = await runCli(['run', 'explain', '--var', 'input=x'], { home, env: { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: server.url, XDG_STATE_HOME: '/sys/gpt-test' } });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('Hello from the mock.');
    expect(result.stderr).toMatch(/gpt: warning: could not write the usage log \/sys\/gpt-test\/gpt\/usage\.jsonl: /);
    expect(existsSync('/sys/gpt-test')).toBe(false);
  });
});
