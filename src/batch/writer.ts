/**
 * Result sinks: each result is one whole JSON line written with a single append, so a crash
 * (even kill -9) leaves at most a torn last line, which resume repairs.
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import type { ResultLine, ResultSink } from './types.js';

/** The output line for one result, in the SPEC's field order, newline included. */
export function serializeResult(line: ResultLine): string {
  const { id, status, text, usage, cost, error, attempts } = line;
  return `${JSON.stringify({ id, status, text, usage, cost, error, attempts })}\n`;
}

/** Appends results to a file opened with O_APPEND (created 0600: answers may be private). */
export class AppendWriter implements ResultSink {
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown;
  private closed = false;

  private constructor(
    private readonly handle: FileHandle,
    readonly path: string,
  ) {}

  static async open(path: string): Promise<AppendWriter> {
    return new AppendWriter(await open(path, 'a', 0o600), path);
  }

  write(line: ResultLine): Promise<void> {
    const bytes = Buffer.from(serializeResult(line), 'utf8');
    // Serialised so lines land in completion order and a failed write blocks all later ones.
    const next = this.chain.then(() => this.append(bytes));
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async append(bytes: Buffer): Promise<void> {
    if (this.closed) throw new Error(`batch output ${this.path} is already closed`);
    // After a failed write the file may end in a torn line; appending more would glue a good line onto it.
    if (this.failure) throw this.failure;
    try {
      let offset = 0;
      while (offset < bytes.length) {
        const { bytesWritten } = await this.handle.write(bytes, offset, bytes.length - offset);
        offset += bytesWritten;
      }
    } catch (err) {
      this.failure = err;
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.chain;
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }
}

/** Writes results to a stream (stdout when there is no --out), honouring back-pressure. */
export class StreamWriter implements ResultSink {
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly stream: Writable) {}

  write(line: ResultLine): Promise<void> {
    const text = serializeResult(line);
    const next = this.chain.then(
      () =>
        new Promise<void>((resolve, reject) => {
          const ready = this.stream.write(text, (err) => (err ? reject(err) : undefined));
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
}
