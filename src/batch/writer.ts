/**
 * Result sinks: each result is one whole JSON line, and lines go out only in whole-line appends, so
 * a crash (even kill -9) leaves at most a torn last line, which resume repairs.
 */
import { writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { GptError, writeFailure } from '../domain/index.js';
import type { ResultLine, ResultSink } from './types.js';

/** A failed write as the user sees it, `cannot write <path>: no space left on device (ENOSPC)` (exit 9), worded as for chat. */
export function outputError(path: string, err: unknown): GptError {
  return err instanceof GptError ? err : writeFailure(path, err as NodeJS.ErrnoException);
}

/** The output line for one result, in the SPEC's field order, newline included. */
export function serializeResult(line: ResultLine): string {
  const { id, status, text, usage, cost, error, attempts } = line;
  return `${JSON.stringify({ id, status, text, usage, cost, error, attempts })}\n`;
}

/** The part of a FileHandle the writer uses (a wrapper in tests counts the writes). */
export interface AppendFile {
  write(buffer: Buffer, offset: number, length: number): Promise<{ bytesWritten: number }>;
  close(): Promise<void>;
}

/** Lines waiting for one append, and the one promise they all settle with. */
class Group {
  readonly texts: string[] = [];
  readonly done: Promise<void>;
  resolve!: () => void;
  reject!: (err: unknown) => void;
  constructor() {
    this.done = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.done.catch(() => undefined); // each writer awaits it; an unobserved rejection is not a crash
  }
  bytes(): Buffer {
    return Buffer.from(this.texts.length === 1 ? this.texts[0]! : this.texts.join(''), 'utf8');
  }
}

/**
 * Appends results to a file opened with O_APPEND (created 0600: answers may be private). Lines that
 * finish while a write is in flight go out together in the next single write, in completion order;
 * they share one promise, which resolves only once their bytes are in the file (a batch at thousands of
 * answers a second makes one promise and one buffer a write, not one a line).
 */
export class AppendWriter implements ResultSink {
  private pending: Group | undefined;
  private writing = false;
  /** The current (or last) run of `drain`, for close to wait on. */
  private drained: Promise<void> = Promise.resolve();
  private closing: Promise<void> | undefined;
  private failure: unknown;

  /**
   * @param fd set for a regular file: the lines that finish in one turn of the event loop are appended
   * together in one synchronous write at its end, cheaper than a thread-pool write (and its promises) a line.
   */
  constructor(
    private readonly handle: AppendFile,
    readonly path: string,
    private readonly fd?: number,
  ) {}

  static async open(path: string): Promise<AppendWriter> {
    const handle = await open(path, 'a', 0o600).catch((err: unknown) => {
      throw outputError(path, err);
    });
    // A FIFO, a terminal or a device can block or refuse a write: those keep the asynchronous path.
    const regular = await handle.stat().then(
      (stat) => stat.isFile(),
      () => false,
    );
    return new AppendWriter(handle, path, regular ? handle.fd : undefined);
  }

  write(line: ResultLine): Promise<void> {
    if (this.closing) return Promise.reject(new Error(`batch output ${this.path} is already closed`));
    // After a failed write the file may end in a torn line; appending more would glue a good line onto it.
    if (this.failure) return Promise.reject(this.failure);
    const group = (this.pending ??= new Group());
    group.texts.push(serializeResult(line));
    if (!this.writing) {
      this.writing = true;
      if (this.fd === undefined) this.drained = this.drain();
      else this.drained = new Promise((done) => setImmediate(() => done(this.appendNow(this.fd!))));
    }
    return group.done;
  }

  /** Writes whatever has queued up, one append per round, until nothing is left. */
  private async drain(): Promise<void> {
    for (let group = this.pending; group; group = this.pending) {
      this.pending = undefined;
      try {
        if (this.failure) throw this.failure;
        await this.append(group.bytes());
      } catch (err) {
        this.failure ??= err;
        group.reject(err);
        continue;
      }
      group.resolve();
    }
    this.writing = false;
  }

  /** The synchronous append of what is pending (regular files); a failure is kept, as `drain` keeps it. */
  private appendNow(fd: number): void {
    const group = this.pending!;
    this.pending = undefined;
    this.writing = false;
    try {
      if (this.failure) throw this.failure;
      const bytes = group.bytes();
      for (let offset = 0; offset < bytes.length; ) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    } catch (err) {
      this.failure ??= outputError(this.path, err);
      group.reject(this.failure);
      return;
    }
    group.resolve();
  }

  private async append(bytes: Buffer): Promise<void> {
    try {
      let offset = 0;
      while (offset < bytes.length) {
        const { bytesWritten } = await this.handle.write(bytes, offset, bytes.length - offset);
        offset += bytesWritten;
      }
    } catch (err) {
      throw outputError(this.path, err);
    }
  }

  close(): Promise<void> {
    this.closing ??= this.drained.then(() =>
      this.handle.close().catch((err: unknown) => {
        throw outputError(this.path, err);
      }),
    );
    return this.closing;
  }
}

/** Writes results to a stream (stdout when there is no --out), honouring back-pressure. */
export class StreamWriter implements ResultSink {
  private chain: Promise<void> = Promise.resolve();
  /** The reader closed its end (EPIPE, as `| head -1` does): the caller ends quietly, as a pipeline expects. */
  readerGone = false;

  constructor(
    private readonly stream: Writable,
    private readonly name = 'to stdout',
  ) {}

  write(line: ResultLine): Promise<void> {
    const text = serializeResult(line);
    const next = this.chain.then(
      () =>
        new Promise<void>((resolve, reject) => {
          const ready = this.stream.write(text, (err) => (err ? reject(this.failed(err)) : undefined));
          if (ready) resolve();
          else this.stream.once('drain', resolve);
        }),
    );
    this.chain = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    await this.chain;
  }

  private failed(err: Error): GptError {
    if ((err as NodeJS.ErrnoException).code === 'EPIPE') this.readerGone = true;
    return outputError(this.name, err);
  }
}
