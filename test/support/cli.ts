/** Runs the built CLI as a user would: a child process with its own HOME, config and state dirs. */
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const BIN = resolve(import.meta.dirname, '../../bin/gpt.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Extra environment; a value of undefined removes the variable. */
  env?: Record<string, string | undefined>;
  /** Piped to stdin; when absent, stdin is an empty pipe (not a TTY). */
  stdin?: string | Buffer;
  cwd?: string;
  /** Home directory to use (default: a fresh temp dir per call). */
  home?: string;
  timeoutMs?: number;
  /** Called with the child once spawned (to send signals). */
  onSpawn?: (child: import('node:child_process').ChildProcess) => void;
}

/** A fresh, empty home with XDG dirs inside it, so no test touches the real user's files. */
export function makeHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'gpt-home-'));
  mkdirSync(join(home, '.config'), { recursive: true });
  return home;
}

export function cleanEnv(home: string): Record<string, string> {
  const keep = ['PATH', 'SYSTEMROOT', 'TMPDIR', 'LANG'];
  const env: Record<string, string> = {};
  for (const key of keep) if (process.env[key]) env[key] = process.env[key]!;
  return {
    ...env,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_STATE_HOME: join(home, '.local', 'state'),
    NO_COLOR: '1',
  };
}

export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const home = options.home ?? makeHome();
  const env: Record<string, string> = cleanEnv(home);
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? home,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
    child.stdin.on('error', () => {}); // the CLI may exit before reading all of stdin
    options.onSpawn?.(child);
    if (options.stdin !== undefined) child.stdin.end(options.stdin);
    else child.stdin.end();
  });
}
