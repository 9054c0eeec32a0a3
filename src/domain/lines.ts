/**
 * The one byte-level line splitter (batch inputs, output files, Batch API result files; SSE streams are cut as
 * text in providers/sse.ts, where a lone CR also ends a line),
 * hand-written because it is small and on the hot path: bytes are cut into lines first, so a UTF-8
 * character split across two chunks stays whole, and a line is joined only once its end arrives.
 */

const LF = 0x0a;
const CR = 0x0d;

/** A line over the splitter's cap; `line` is its 1-based number. */
export class LineTooLong extends Error {
  constructor(
    readonly line: number,
    readonly limit: number,
  ) {
    super(`line ${line} is longer than ${limit / (1024 * 1024)} MiB`);
  }
}

export interface LineSplitterOptions {
  /** Past this many bytes in one line, push throws LineTooLong rather than holding the line in memory. */
  maxBytes?: number;
}

/** Splits a byte stream into lines at LF wherever the chunks are cut (a CR before it stays; see lineText). */
export class LineSplitter {
  private readonly maxBytes: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private lines = 0;

  constructor(options: LineSplitterOptions = {}) {
    this.maxBytes = options.maxBytes ?? Infinity;
  }

  /** The complete lines in `chunk` (plus what was held back), without their line break. */
  push(chunk: Uint8Array | string): Buffer[] {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const lines: Buffer[] = [];
    let start = 0;
    for (let nl = buf.indexOf(LF); nl !== -1; nl = buf.indexOf(LF, start)) {
      lines.push(this.line(buf.subarray(start, nl)));
      start = nl + 1;
    }
    if (start < buf.length) this.hold(buf.subarray(start));
    return lines;
  }

  /** The last line when the input did not end with a line break. */
  end(): Buffer | undefined {
    if (this.pending.length === 0) return undefined;
    const line = Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    return line;
  }

  /** A whole line: the held-back start (if any) joined with its last piece. */
  private line(piece: Buffer): Buffer {
    this.check(this.pendingBytes + piece.length);
    const line = this.pending.length ? Buffer.concat([...this.pending, piece]) : piece;
    this.pending = [];
    this.pendingBytes = 0;
    this.lines++;
    return line;
  }

  private hold(piece: Buffer): void {
    this.check(this.pendingBytes + piece.length);
    // Copied so a held-back tail does not pin the whole chunk in memory.
    this.pending.push(Buffer.from(piece));
    this.pendingBytes += piece.length;
  }

  private check(bytes: number): void {
    if (bytes > this.maxBytes) throw new LineTooLong(this.lines + 1, this.maxBytes);
  }
}

/** A line's text without a trailing CR (CRLF files). */
export function lineText(line: Buffer): string {
  const end = line.length > 0 && line[line.length - 1] === CR ? line.length - 1 : line.length;
  return line.toString('utf8', 0, end);
}
