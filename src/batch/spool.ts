/**
 * The batch input is read twice (the duplicate-id pass, then the run), so an input that can be read only
 * once (stdin, a pipe, a FIFO, process substitution, a device) is first copied to a private temp file.
 */
import { constants, createReadStream, fstatSync, openSync, type Stats } from 'node:fs';
import { mkdtemp, open, rm, stat, type FileHandle } from 'node:fs/promises';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addAbortSignal, type Readable } from 'node:stream';
import { GptError, LineTooLong, fileErrorReason } from '../domain/index.js';
import { MAX_LINE_BYTES, tooLongError } from './reader.js';
import { outputError } from './writer.js';

export interface BatchInput {
  /** A regular file, safe to read as often as needed. */
  path: string;
  /** How messages name the input: the path given, or stdin. */
  name: string;
  /** Deletes the spooled copy, if there is one. */
  cleanup(): Promise<void>;
}

export interface InputOptions {
  stdin: Readable;
  /** Stops the copy (Ctrl-C, SIGTERM): a FIFO nobody writes to would otherwise wait forever. */
  signal: AbortSignal;
}

/** The input as a regular file: `-` and any path that is not a regular file are copied, up to the line cap. */
export async function openBatchInput(input: string, options: InputOptions): Promise<BatchInput> {
  if (input === '-') return spool(options.stdin, 'stdin', options.signal);
  const info = await stat(input).catch((err: unknown) => {
    throw readError(input, err);
  });
  if (info.isFile()) return { path: input, name: input, cleanup: async () => undefined };
  let source: Readable;
  try {
    source = openSource(input, info, options.stdin);
  } catch (err) {
    throw readError(input, err);
  }
  return spool(source, input, options.signal);
}

function openSource(path: string, info: Stats, stdin: Readable): Readable {
  if (isStdin(info)) return stdin;
  if (!info.isFIFO()) return createReadStream(path);
  // O_NONBLOCK: a FIFO with no writer opens at once, and reads wait in the event loop, not in a worker thread.
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  return new Socket({ fd, readable: true, writable: false });
}

/** /dev/stdin, /dev/fd/0 and the like are read as stdin: a socket on fd 0 cannot be opened again by path. */
function isStdin(info: Stats): boolean {
  try {
    const fd0 = fstatSync(0);
    return fd0.dev === info.dev && fd0.ino === info.ino;
  } catch {
    return false;
  }
}

async function spool(source: Readable, name: string, signal: AbortSignal): Promise<BatchInput> {
  const dir = await mkdtemp(join(tmpdir(), 'gpt-batch-')).catch((err: unknown) => {
    throw outputError(tmpdir(), err);
  });
  const cleanup = () => rm(dir, { recursive: true, force: true });
  const path = join(dir, 'input');
  try {
    await copy(source, path, name, signal);
    return { path, name, cleanup };
  } catch (err) {
    source.destroy();
    await cleanup();
    throw err;
  }
}

async function copy(source: Readable, path: string, name: string, signal: AbortSignal): Promise<void> {
  const handle = await open(path, 'wx', 0o600).catch((err: unknown) => {
    throw outputError(path, err);
  });
  const meter = new LineMeter();
  try {
    for await (const chunk of chunksOf(source, name, signal)) {
      measure(meter, chunk, name);
      await writeAll(handle, chunk, path);
    }
  } finally {
    await handle.close();
  }
}

/** The source's chunks; a read error or a stop by `signal` becomes the error the user sees. */
async function* chunksOf(source: Readable, name: string, signal: AbortSignal): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of addAbortSignal(signal, source)) yield typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
  } catch (err) {
    if (signal.aborted) throw new GptError('interrupted', `interrupted while reading batch input ${name}; nothing was sent`);
    throw readError(name, err);
  }
}

function measure(meter: LineMeter, chunk: Buffer, name: string): void {
  try {
    meter.push(chunk);
  } catch (err) {
    if (!(err instanceof LineTooLong)) throw err;
    throw tooLongError(err, name);
  }
}

async function writeAll(handle: FileHandle, chunk: Buffer, path: string): Promise<void> {
  try {
    for (let offset = 0; offset < chunk.length; ) offset += (await handle.write(chunk, offset, chunk.length - offset)).bytesWritten;
  } catch (err) {
    throw outputError(path, err);
  }
}

function readError(name: string, err: unknown): GptError {
  return new GptError('usage', `cannot read batch input ${name}: ${fileErrorReason(err)}`, {}, { cause: err });
}

/** Measures lines without keeping them (copying an input), throwing LineTooLong past `maxBytes`. */
export class LineMeter {
  private line = 1;
  private bytes = 0;

  constructor(private readonly maxBytes = MAX_LINE_BYTES) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      this.check(this.bytes + nl - start);
      this.line++;
      this.bytes = 0;
      start = nl + 1;
    }
    this.bytes += chunk.length - start;
    this.check(this.bytes);
  }

  private check(bytes: number): void {
    if (bytes > this.maxBytes) throw new LineTooLong(this.line, this.maxBytes);
  }
}
