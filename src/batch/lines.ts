/** Splits a byte stream into lines at LF, keeping bytes until a line is whole (split UTF-8 stays intact). */
export class LineSplitter {
  private pending: Buffer[] = [];

  /** The complete lines in `chunk` (plus what was held back), without their LF. */
  push(chunk: Buffer | string): Buffer[] {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    const lines: Buffer[] = [];
    let start = 0;
    for (let nl = buf.indexOf(0x0a, start); nl !== -1; nl = buf.indexOf(0x0a, start)) {
      const piece = buf.subarray(start, nl);
      lines.push(this.pending.length ? Buffer.concat([...this.pending, piece]) : piece);
      this.pending = [];
      start = nl + 1;
    }
    // Copied so a held-back tail does not pin the whole chunk in memory.
    if (start < buf.length) this.pending.push(Buffer.from(buf.subarray(start)));
    return lines;
  }

  /** The last line when the input did not end with LF. */
  end(): Buffer | undefined {
    if (this.pending.length === 0) return undefined;
    const line = Buffer.concat(this.pending);
    this.pending = [];
    return line;
  }
}

/** A line's text without a trailing CR (CRLF files). */
export function lineText(line: Buffer): string {
  const end = line.length > 0 && line[line.length - 1] === 0x0d ? line.length - 1 : line.length;
  return line.toString('utf8', 0, end);
}
