/**
 * Markdown for a terminal, rendered a line at a time as the answer streams: headings, lists,
 * quotes, rules, fenced code (with light keyword highlighting), inline code, bold and italics.
 * Only used when stdout is a colour TTY and --raw is not given; pipes get the bytes untouched. Terminal
 * sequences in the model's text are dropped here, so only our own styling reaches the terminal.
 */
import { Chalk } from 'chalk';

// Only ever used on a colour terminal, so colour is always on here.
const c = new Chalk({ level: 1 });
const { bold, dim, italic, underline, cyan, magenta, green, yellow } = c;

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

// The model's text may carry terminal sequences (set the title, clear the screen, hyperlinks): OSC, DCS, SOS, PM
// and APC strings up to BEL or ST (or the line's end), CSI sequences, then every other control but the tab.
/* eslint-disable no-control-regex */
const TERMINAL_STRING = /(?:\u001b[\]PX^_]|[\u0090\u0098\u009d-\u009f])[^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)?/g;
const CSI = /(?:\u001b\[|\u009b)[\u0030-\u003f]*[\u0020-\u002f]*[\u0040-\u007e]?/g;
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g;
/* eslint-enable no-control-regex */

/** One line of model text without anything a terminal would act on; our own styling is added after. */
function stripTerminalSequences(line: string): string {
  return line.replace(TERMINAL_STRING, '').replace(CSI, '').replace(CONTROL, '');
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

  #line(raw: string): string {
    const line = stripTerminalSequences(raw);
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
