/** `apiKeyCommand`: one line of output or a config error; a hanging command is stopped with all its children. */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runKeyCommand } from '../src/config/key.js';
import { GptError } from '../src/domain/index.js';
import { makeHome, runCli } from './support/cli.js';

function thrown(fn: () => unknown): GptError {
  try {
    fn();
  } catch (error) {
    return error as GptError;
  }
  throw new Error('expected a throw');
}

/** Whether a process still runs (a zombie waiting to be reaped does not). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
  return !/^\d+ \(.*\) Z/.test(stat);
}

async function gone(pid: number, withinMs: number): Promise<boolean> {
  for (const end = Date.now() + withinMs; Date.now() < end; await new Promise((r) => setTimeout(r, 20))) if (!running(pid)) return true;
  return !running(pid);
}

describe('runKeyCommand', () => {
  it('returns the one line printed, trimmed', () => {
    expect(runKeyCommand('work', 'printf "  sk-one-line-000000\\n\\n"')).toBe('sk-one-line-000000');
  });

  it('a second non-empty line is a config error that names the key and never shows the output', () => {
    const error = thrown(() => runKeyCommand('work', 'printf "sk-first-line-0001\\nsecond-line-secret\\n"'));
    expect(error.exitCode).toBe(3);
    expect(error.message).toMatch(/^profiles\.work\.apiKeyCommand printed 2 lines/);
    expect(error.message).not.toMatch(/first-line|second-line/);
  });

  it('a hanging command times out after the given time, and its children are killed too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpt-keycmd-'));
    const pidFile = join(dir, 'child.pid');
    const started = Date.now();
    const error = thrown(() => runKeyCommand('work', `sleep 30 & echo $! > ${pidFile}; wait`, 300));
    expect(Date.now() - started).toBeLessThan(5000);
    expect([error.exitCode, error.message]).toEqual([3, 'profiles.work.apiKeyCommand timed out after 0.3 s']);
    const child = Number(readFileSync(pidFile, 'utf8'));
    expect(child).toBeGreaterThan(0);
    expect(await gone(child, 2000)).toBe(true);
  });

  it('a failing command says its exit status', () => {
    expect(thrown(() => runKeyCommand('work', 'exit 4')).message).toBe('profiles.work.apiKeyCommand failed (exit 4)');
  });
});

describe('gpt with an apiKeyCommand that prints two lines', () => {
  it('exit 3, naming profiles.openai.apiKeyCommand, echoing nothing it printed', async () => {
    const home = makeHome();
    mkdirSync(join(home, '.config', 'gpt'), { recursive: true });
    writeFileSync(join(home, '.config', 'gpt', 'config.json'), JSON.stringify({ profiles: { openai: { apiKeyCommand: 'printf "sk-first-line-0001\\nsecond-line-secret\\n"' } } }));
    const r = await runCli(['chat', '--base-url', 'http://127.0.0.1:9/v1', 'hi'], { home, env: { OPENAI_API_KEY: undefined } });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^gpt: profiles\.openai\.apiKeyCommand printed 2 lines/);
    expect(r.stderr).not.toMatch(/first-line|second-line|UND_ERR/);
  });
});
