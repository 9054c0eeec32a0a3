/**
 * Whether the next thing written to the terminal starts a line of its own. stdout (the answer) and stderr (the
 * footer, warnings) often show on one terminal: the same TTY, or stdout piped (`gpt chat hi | cat`) to a reader
 * that prints on stderr's terminal. Then a footer after an answer that did not end with a newline, or after the
 * `^C` the terminal echoed, would be glued to it; `breakBefore()` gives the newline that prevents it.
 */
import { fstatSync } from 'node:fs';

type Stream = { isTTY?: boolean; fd?: number };

function stat(stream: Stream) {
  try {
    return typeof stream.fd === 'number' ? fstatSync(stream.fd) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether what stdout shows ends up where stderr's lines go: the same TTY, a pipe while stderr is a TTY, or one
 * pipe or file for both (`2>&1 | less`, `> log 2>&1`), where the footer would otherwise continue the answer's line.
 */
export function sharesTerminal(stdout: Stream, stderr: Stream): boolean {
  const out = stat(stdout);
  if (!stderr.isTTY) {
    const err = stat(stderr);
    return Boolean(out && err && !stdout.isTTY && out.dev === err.dev && out.ino === err.ino && (out.isFIFO() || out.isFile()));
  }
  if (stdout.isTTY) {
    const err = stat(stderr);
    return !out || !err || out.rdev === err.rdev;
  }
  return out?.isFIFO() ?? false;
}

export class TerminalLine {
  #answerAtLineStart = true;
  #echoed = false;

  constructor(
    /** stdout's text shows on stderr's terminal (sharesTerminal). */
    private readonly shared: boolean,
    /** stderr is a terminal, where Ctrl-C is echoed as `^C`. */
    private readonly stderrIsTerminal: boolean,
  ) {}

  static for(out: { stdout: Stream; stderr: Stream }): TerminalLine {
    return new TerminalLine(sharesTerminal(out.stdout, out.stderr), Boolean(out.stderr.isTTY));
  }

  /** stdout was written `text` (the bytes or what the renderer wrote, which always ends at a line start). */
  wrote(text: string): void {
    if (text !== '') this.#answerAtLineStart = text.endsWith('\n');
  }

  /** Whether stdout's last byte was a newline (or nothing was written). */
  get answerAtLineStart(): boolean {
    return this.#answerAtLineStart;
  }

  /** Ctrl-C: the terminal echoed `^C` where the cursor was. */
  interrupted(): void {
    if (this.stderrIsTerminal) this.#echoed = true;
  }

  /** '\n' when a line written to stderr now would continue the line the user sees; then it is a fresh line. */
  breakBefore(): string {
    const glued = (this.shared && !this.#answerAtLineStart) || this.#echoed;
    // A line on stderr moves stdout's cursor only when both show on one terminal.
    if (this.shared) this.#answerAtLineStart = true;
    this.#echoed = false;
    return glued ? '\n' : '';
  }
}
