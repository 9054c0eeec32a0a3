/** The longest line a batch input may hold: anything longer is the wrong file (or /dev/zero), not a prompt. */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

/** A line over the cap; `line` is its 1-based number in the input. */
export class LineTooLong extends Error {
  constructor(
    readonly line: number,
    readonly limit: number,
  ) {
    super(`line ${line} is longer than ${limit / (1024 * 1024)} MiB`);
  }
}

/** Splits a byte stream into lines at LF, keeping bytes until a line is whole (split UTF-8 stays intact). */
export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private lines = 0;

  /** Past `maxBytes` in one line, push throws LineTooLong rather than holding the line in memory. */
  constructor(private readonly maxBytes = Infinity) {}

  /** The complete lines in `chunk` (plus what was held back), without their LF. */
  push(chunk: Buffer | string): Buffer[] {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    const lines: Buffer[] = [];
    let start = 0;
    for (let nl = buf.indexOf(0x0a, start); nl !== -1; nl = buf.indexOf(0x0a, start)) {
      const piece = buf.subarray(start, nl);
      this.check(this.pendingBytes + piece.length);
      lines.push(this.pending.length ? Buffer.concat([...this.pending, piece]) : piece);
      this.pending = [];
      this.pendingBytes = 0;
      this.lines++;
      start = nl + 1;
    }
    if (start < buf.length) {
      this.check(this.pendingBytes + buf.length - start);
      // Copied so a held-back tail does not pin the whole chunk in memory.
      this.pending.push(Buffer.from(buf.subarray(start)));
      this.pendingBytes += buf.length - start;
    }
    return lines;
  }

  /** The last line when the input did not end with LF. */
  end(): Buffer | undefined {
    if (this.pending.length === 0) return undefined;
    const line = Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    return line;
  }

  private check(bytes: number): void {
    if (bytes > this.maxBytes) throw new LineTooLong(this.lines + 1, this.maxBytes);
  }
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

/** A line's text without a trailing CR (CRLF files). */
export function lineText(line: Buffer): string {
  const end = line.length > 0 && line[line.length - 1] === 0x0d ? line.length - 1 : line.length;
  return line.toString('utf8', 0, end);
}
