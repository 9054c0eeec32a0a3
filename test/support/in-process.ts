/**
 * Runs the CLI in this test process, through the same entry as the built CLI (src/main.ts, which dist/cli.js
 * runs), with its own HOME/env/cwd as runCli gives a child: stdout and stderr captured, stdin from the
 * option, process.exit turned into a result, and the clock virtual: a back-off, Retry-After or pacing wait
 * (systemClock.sleep) passes at once and moves systemClock.now on by its length. No Node start-up and no module loading per run, so a command
 * test costs milliseconds instead of a process. Runs one at a time (process globals are swapped for the run).
 *
 * What only a real process can show stays with runCli (test/support/cli.ts): signals (onSpawn), colour
 * forced by FORCE_COLOR, stdout failures, exit-time behaviour. runGpt hands those to runCli itself.
 */
import { Readable } from 'node:stream';
import { GptError } from '../../src/domain/errors.js';
import { systemClock } from '../../src/domain/clock.js';
import { BIN, type CliOptions, type CliResult, cleanEnv, makeHome, runCli } from './cli.js';

class ExitCalled extends Error {
  constructor(readonly code: number) {
    super(`process.exit(${code})`);
  }
}

let queue: Promise<unknown> = Promise.resolve();

/** In-process when it can be, else a child process (same options, same result). */
export function runGpt(args: string[], options: CliOptions = {}): Promise<CliResult> {
  if (needsProcess(options)) return runCli(args, options);
  const run = queue.then(() => runInProcess(args, options));
  queue = run.catch(() => undefined);
  return run;
}

function needsProcess(options: CliOptions): boolean {
  return options.onSpawn !== undefined || options.env?.FORCE_COLOR !== undefined;
}

type Restore = () => void;

/** Replaces obj[key] for the run (own or inherited property), returning how to put it back. */
function swap<T extends object>(obj: T, key: PropertyKey, value: unknown): Restore {
  const own = Object.getOwnPropertyDescriptor(obj, key);
  Object.defineProperty(obj, key, { value, configurable: true, writable: true, enumerable: own?.enumerable ?? true });
  return () => {
    if (own) Object.defineProperty(obj, key, own);
    else delete (obj as Record<PropertyKey, unknown>)[key];
  };
}

/** Listeners the run added (guardStdout, batch's own stdout handler, SIGINT hooks) are removed after it. */
function keepListeners(emitter: NodeJS.EventEmitter, events: string[]): Restore {
  const before = new Map(events.map((e) => [e, new Set(emitter.listeners(e))]));
  return () => {
    for (const e of events) for (const l of emitter.listeners(e)) if (!before.get(e)!.has(l)) emitter.removeListener(e, l as (...a: unknown[]) => void);
  };
}

function capture(stream: NodeJS.WriteStream, into: Buffer[]): Restore {
  const write = (chunk: string | Uint8Array, encoding?: BufferEncoding | ((e?: Error | null) => void), cb?: (e?: Error | null) => void) => {
    into.push(typeof chunk === 'string' ? Buffer.from(chunk, typeof encoding === 'string' ? encoding : 'utf8') : Buffer.from(chunk));
    const done = typeof encoding === 'function' ? encoding : cb;
    if (done) queueMicrotask(() => done(null));
    return true;
  };
  const restores = [swap(stream, 'write', write), swap(stream, 'isTTY', false), swap(stream, 'columns', undefined), keepListeners(stream, ['error', 'drain', 'close', 'finish'])];
  return () => restores.reverse().forEach((r) => r());
}

async function runInProcess(args: string[], options: CliOptions): Promise<CliResult> {
  const home = options.home ?? makeHome();
  const env: Record<string, string> = cleanEnv(home);
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const stdin = Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]);
  const savedEnv = { ...process.env };
  const savedCwd = process.cwd();
  const savedExitCode = process.exitCode;
  const restores: Restore[] = [
    capture(process.stdout, out),
    capture(process.stderr, err),
    swap(process, 'stdin', stdin),
    swap(process, 'exit', (code?: number) => {
      throw new ExitCalled(code ?? 0);
    }),
    keepListeners(process, ['SIGINT', 'SIGTERM', 'exit']),
    ...virtualTime(),
  ];
  setEnv(env); // in place, so libuv (os.homedir, os.tmpdir) sees it too
  process.exitCode = undefined;
  let code: number;
  try {
    process.chdir(options.cwd ?? home);
    const { main } = await import('../../src/main.js');
    await main([process.execPath, BIN, ...args]);
    code = Number(process.exitCode ?? 0);
  } catch (error) {
    if (!(error instanceof ExitCalled)) throw error;
    code = error.code;
  } finally {
    setEnv(savedEnv);
    process.chdir(savedCwd);
    process.exitCode = savedExitCode;
    for (const restore of restores.reverse()) restore();
  }
  return { code, signal: null, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

function setEnv(env: NodeJS.ProcessEnv): void {
  for (const key of Object.keys(process.env)) if (!(key in env)) delete process.env[key];
  for (const [key, value] of Object.entries(env)) if (value !== undefined) process.env[key] = value;
}

/** The CLI's clock (retry back-off, Retry-After, rate pacing, polling) in virtual time for the run. */
function virtualTime(): Restore[] {
  let skipped = 0;
  const sleep = (ms: number, signal?: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(new GptError('interrupted', 'interrupted'));
      skipped += Math.max(0, ms);
      setImmediate(() => (signal?.aborted ? reject(new GptError('interrupted', 'interrupted')) : resolve()));
    });
  return [swap(systemClock, 'sleep', sleep), swap(systemClock, 'now', () => Date.now() + skipped)];
}
