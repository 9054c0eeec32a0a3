/**
 * Markdown for a terminal, rendered a line at a time as the answer streams: headings, lists,
 * quotes, rules, fenced code (with light keyword highlighting), inline code, bold and italics.
 * Only used when stdout is a colour TTY and --raw is not given; pipes get the bytes untouched.
 */

const ESC = '\u001b[';
const sgr = (open: number, close: number) => (s: string) => `${ESC}${open}m${s}${ESC}${close}m`;
const bold = sgr(1, 22);
const dim = sgr(2, 22);
const italic = sgr(3, 23);
const underline = sgr(4, 24);
const cyan = sgr(36, 39);
const magenta = sgr(35, 39);
const green = sgr(32, 39);
const yellow = sgr(33, 39);

const KEYWORDS =
  /\b(const|let|var|function|return|if|else|for|while|import|export|from|class|new|async|await|def|fn|pub|struct|impl|use|package|func|type|interface|true|false|null|None|nil|self|this)\b/g;

function highlightCode(line: string): string {
  // Strings and comments first, so keywords inside them stay plain.
  const comment = /(\/\/.*|#(?!!).*)$/.exec(line);
  const body = comment ? line.slice(0, comment.index) : line;
  const parts = body.split(/("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)/);
  const coloured = parts.map((part, i) => (i % 2 === 1 ? green(part) : part.replace(KEYWORDS, (k) => magenta(k)))).join('');
  return comment ? coloured + dim(comment[0]) : coloured;
}

function inline(text: string): string {
  return text
    .replace(/`([^`]+)`/g, (_m, code: string) => cyan(code))
    .replace(/\*\*([^*]+)\*\*|__([^_]+)__/g, (_m, a?: string, b?: string) => bold(a ?? b ?? ''))
    .replace(/(^|[^*\w])\*([^*\s][^*]*)\*(?!\w)/g, (_m, pre: string, t: string) => `${pre}${italic(t)}`)
    .replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (_m, label: string, url: string) => `${underline(label)} ${dim(`(${url})`)}`);
}

export class MarkdownStream {
  #pending = '';
  #inFence = false;

  /** Takes streamed text; returns the rendered form of every line it completed. */
  write(text: string): string {
    this.#pending += text;
    const end = this.#pending.lastIndexOf('\n');
    if (end === -1) return '';
    const complete = this.#pending.slice(0, end);
    this.#pending = this.#pending.slice(end + 1);
    return `${complete
      .split('\n')
      .map((line) => this.#line(line))
      .join('\n')}\n`;
  }

  /** The last line, when the answer does not end with a newline. */
  end(): string {
    const rest = this.#pending;
    this.#pending = '';
    return rest === '' ? '' : this.#line(rest);
  }

  #line(line: string): string {
    const fence = /^\s*(```|~~~)\s*([\w+-]*)\s*$/.exec(line);
    if (fence) {
      this.#inFence = !this.#inFence;
      return dim(this.#inFence ? `┌─ ${fence[2] || 'code'}` : '└─');
    }
    if (this.#inFence) return `${dim('│')} ${highlightCode(line)}`;
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) return heading[1]!.length <= 2 ? bold(underline(inline(heading[2]!))) : bold(inline(heading[2]!));
    if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) return dim('─'.repeat(40));
    const bullet = /^(\s*)[-*+]\s+(.*)$/.exec(line);
    if (bullet) return `${bullet[1]}${yellow('•')} ${inline(bullet[2]!)}`;
    const numbered = /^(\s*)(\d+[.)])\s+(.*)$/.exec(line);
    if (numbered) return `${numbered[1]}${yellow(numbered[2]!)} ${inline(numbered[3]!)}`;
    const quote = /^>\s?(.*)$/.exec(line);
    if (quote) return `${dim('│')} ${italic(inline(quote[1]!))}`;
    return inline(line);
  }
}
