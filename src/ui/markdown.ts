/**
 * Live Markdown for a person at a colour terminal. The text of the current block shows as it arrives, as the
 * model wrote it (terminal sequences dropped); when a line of a paragraph, or a whole block (a heading, a fenced
 * code block, a table, a list item, a quote) is complete, those raw rows are erased (cursor up, erase down) and
 * the rendered form is written in their place, in the same write. Nothing already rendered is touched again.
 *
 * Decisions are taken a source line at a time, from the text alone (marked's lexer says where blocks end), so
 * however the answer is cut into pieces the final screen is the same as when it comes in one piece.
 * Only used when stdout is a colour TTY and --raw is not given; pipes get the bytes untouched.
 */
import type { Token, Tokens } from 'marked';
import type { TextRenderer } from './answer.js';
import { blockLines, codeBottom, codeLines, codeTop, fenceLanguage, lexBlocks } from './markdown/blocks.js';
import { eraseShown, mayStartSequence, rowsOf, stripControls, stripTerminalSequences } from './markdown/screen.js';

export interface MarkdownOptions {
  /** Terminal width, read at every write (default 80). */
  columns?: () => number;
  /** Terminal height: a block whose raw text would outgrow the screen is left as streamed (default: unlimited). */
  rows?: () => number;
}

/** An open fenced code block: its opening line (to find the closing one) and the lines not yet rendered. */
interface OpenCode {
  fence: string;
  language: string;
  lines: string[];
}

const SENTINEL = 'x';

export class MarkdownStream implements TextRenderer {
  readonly #columns: () => number;
  readonly #rows: () => number;
  /** Complete source lines (clean) not rendered yet: the start of the current block. */
  #tail = '';
  /** The current line as the model sent it so far, and what of it is shown. */
  #partial = '';
  #partialShown = '';
  #partialHasSequence = false;
  /** What the live (raw) rows show now, for erasing them. */
  #live = '';
  #code: OpenCode | undefined;
  /** Whether the rendered source so far ended with a newline (a blank-line token then holds one newline fewer). */
  #atLineStart = true;
  /** Rendered text produced by this write. */
  #out = '';

  constructor({ columns = () => 80, rows = () => Number.POSITIVE_INFINITY }: MarkdownOptions = {}) {
    this.#columns = () => Math.max(10, columns() || 80);
    this.#rows = rows;
  }

  /** Takes streamed text; returns what to write: the new raw text, or the erased raw rows' rendering and the rest. */
  write(text: string): string {
    const before = this.#live;
    let start = 0;
    for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n', start)) {
      const line = stripTerminalSequences(this.#partial + text.slice(start, newline));
      this.#partial = '';
      this.#partialShown = '';
      this.#partialHasSequence = false;
      this.#line(line);
      start = newline + 1;
    }
    if (start < text.length) this.#grow(text.slice(start));
    return this.#emit(before);
  }

  /** Renders what is left (the last line need not end with a newline); the cursor ends at the start of a line. */
  end(): string {
    const before = this.#live;
    if (this.#partial !== '') {
      const line = stripTerminalSequences(this.#partial);
      this.#partial = '';
      this.#partialShown = '';
      this.#line(line);
    }
    if (this.#code) this.#closeCode();
    for (const token of lexBlocks(this.#tail)) this.#render(token, token.raw.length);
    this.#tail = '';
    return this.#emit(before);
  }

  /** More of the current line: shown at once (a piece that may hold a sequence makes the whole line cleaned again). */
  #grow(piece: string): void {
    this.#partial += piece;
    if (this.#partialHasSequence || mayStartSequence(piece)) {
      this.#partialHasSequence = true;
      this.#partialShown = stripTerminalSequences(this.#partial);
    } else this.#partialShown += stripControls(piece);
  }

  #emit(before: string): string {
    const after = this.#tail + this.#partialShown;
    const rendered = this.#out;
    this.#out = '';
    this.#live = after;
    if (rendered === '' && after.startsWith(before)) return after.slice(before.length);
    return eraseShown(before, this.#columns()) + rendered + after;
  }

  /** One complete, clean source line. */
  #line(line: string): void {
    if (this.#code) return this.#codeLine(line);
    this.#tail += `${line}\n`;
    this.#settle();
  }

  /** Renders every block at the start of the tail that the text so far shows to be complete. */
  #settle(): void {
    while (this.#tail !== '') {
      const tokens = lexBlocks(this.#tail);
      const first = tokens[0];
      // The tokens' raw texts cover the source in order; should they not, show the rest as it came.
      if (!first || !this.#tail.startsWith(first.raw)) return this.#keepRaw();
      if (first.type === 'space') {
        this.#render(first, first.raw.length);
        continue;
      }
      if (first.type === 'code' && first.codeBlockStyle !== 'indented') return this.#openCode(first as Tokens.Code);
      if (first.type === 'paragraph') {
        // A lone line with a pipe may be a table's header: wait for the next line.
        if (tokens.length === 1 && first.raw.indexOf('\n') === first.raw.length - 1 && first.raw.includes('|')) return;
        this.#render(first, first.raw.length);
        continue;
      }
      if (first.type === 'list' && (first as Tokens.List).items.length > 1) {
        const list = first as Tokens.List;
        this.#render({ ...list, items: [list.items[0]!] }, list.items[0]!.raw.length);
        continue;
      }
      const followed = tokens.slice(1).some((t) => t.type !== 'space');
      if (followed || lexBlocks(this.#tail + SENTINEL)[0]?.raw === first.raw) {
        this.#render(first, first.raw.length);
        continue;
      }
      // Raw rows that would scroll out of reach cannot be erased: such a block stays as the model wrote it.
      if (rowsOf(this.#tail, this.#columns()) >= this.#rows() - 2) this.#keepRaw();
      return;
    }
  }

  /** The rendered form of `token`, which is the first `length` characters of the tail. */
  #render(token: Token, length: number): void {
    const raw = this.#tail.slice(0, length);
    this.#tail = this.#tail.slice(length);
    if (token.type === 'space') {
      const blank = raw.split('\n').length - 1 - (this.#atLineStart ? 0 : 1);
      this.#out += '\n'.repeat(Math.max(0, blank));
    } else {
      const lines = blockLines(token, this.#columns());
      if (lines.length > 0) this.#out += `${lines.join('\n')}\n`;
    }
    this.#atLineStart = raw.endsWith('\n');
  }

  #keepRaw(): void {
    this.#out += this.#tail;
    this.#tail = '';
    this.#atLineStart = true;
  }

  #openCode(token: Tokens.Code): void {
    const fence = this.#tail.slice(0, this.#tail.indexOf('\n') + 1);
    const rest = this.#tail.slice(fence.length);
    this.#tail = '';
    this.#code = { fence, language: fenceLanguage(token), lines: [] };
    this.#out += `${codeTop(this.#code.language)}\n`;
    this.#atLineStart = true;
    for (const line of rest.split('\n').slice(0, -1)) this.#line(line);
  }

  /** A line of an open code block: the closing fence renders the block; a block outgrowing the screen renders what it has. */
  #codeLine(line: string): void {
    const code = this.#code!;
    const candidate = `${code.fence}${line}\n`;
    if ((lexBlocks(candidate + SENTINEL)[0]?.raw.length ?? 0) <= candidate.length) return this.#closeCode();
    code.lines.push(line);
    this.#tail += `${line}\n`;
    if (rowsOf(this.#tail, this.#columns()) >= this.#rows() - 2) this.#flushCode();
  }

  /** The code lines so far, coloured as a whole (the fence's indentation removed as marked does). */
  #flushCode(): void {
    const code = this.#code!;
    if (code.lines.length > 0) {
      // marked removes the fence's indentation from the code lines; its text may end in blank lines of its own.
      const token = lexBlocks(`${code.fence}${code.lines.join('\n')}\n`)[0] as Tokens.Code;
      const text = token.text.split('\n').slice(0, code.lines.length).join('\n');
      this.#out += `${codeLines(text, code.language, this.#columns()).join('\n')}\n`;
    }
    code.lines = [];
    this.#tail = '';
  }

  #closeCode(): void {
    this.#flushCode();
    this.#out += `${codeBottom()}\n`;
    this.#code = undefined;
    this.#atLineStart = true;
  }
}
