/**
 * Markdown blocks (marked's lexer tokens) as terminal lines: headings, paragraphs, lists, quotes, rules, tables and
 * fenced code, styled with chalk and wrapped at word boundaries to the width with wrap-ansi. The text reaching
 * here is already free of terminal sequences (screen.ts); only our own styling is added.
 */
import { Chalk } from 'chalk';
import { Lexer, type Token, type Tokens } from 'marked';
import stringWidth from 'string-width';
import wrapAnsi from 'wrap-ansi';
import { highlightCode } from './highlight.js';
import { stripTerminalSequences as clean } from './screen.js';

// Only ever used on a colour terminal, so colour is always on here.
export const c = new Chalk({ level: 1 });

/** The block-level tokens of a text (GFM: tables, strikethrough, task lists). */
export const lexBlocks = (text: string): Token[] => new Lexer({ gfm: true }).lex(text);

const wrap = (text: string, width: number): string[] => wrapAnsi(text, Math.max(1, width), { hard: true }).split('\n');

/**
 * Inline tokens (emphasis, code spans, links…) as styled text. marked decodes character references (`&#27;` is
 * ESC), so every text taken from a token is cleaned again here, before our styling is added.
 */
export function inline(tokens: Token[] | undefined): string {
  let out = '';
  for (const token of tokens ?? []) out += inlineToken(token);
  return out;
}

function inlineToken(token: Token): string {
  switch (token.type) {
    case 'strong':
      return c.bold(inline(token.tokens));
    case 'em':
      return c.italic(inline(token.tokens));
    case 'del':
      return c.strikethrough(inline(token.tokens));
    case 'codespan':
      return c.cyan(clean(token.text));
    case 'br':
      return '\n';
    case 'link': {
      const label = inline(token.tokens);
      const href = clean(String(token.href));
      return href === token.text || `mailto:${token.text}` === href ? c.underline(label) : `${c.underline(label)} ${c.dim(`(${href})`)}`;
    }
    case 'image':
      return c.dim(`[image: ${clean(token.text || String(token.href))}]`);
    case 'checkbox':
      return ''; // shown by the list item
    case 'text':
      return token.tokens ? inline(token.tokens) : clean(String(token.text));
    case 'escape':
    case 'html':
    default:
      return clean('text' in token && typeof token.text === 'string' ? token.text : token.raw);
  }
}

/** One source line of a paragraph, on its own (the stream renders paragraphs a line at a time). */
export function paragraphLine(line: string, width: number): string[] {
  return wrap(inline(Lexer.lexInline(line.trim(), { gfm: true })), width);
}

/** A fenced code block's frame and lines, the code coloured in the fence's language. */
export const codeTop = (language: string): string => c.dim(`┌─ ${language || 'code'}`);
export const codeBottom = (): string => c.dim('└─');

export function codeLines(code: string, language: string, width: number): string[] {
  const bar = c.dim('│');
  const lines: string[] = [];
  for (const line of highlightCode(code, language, c).split('\n')) {
    for (const piece of wrapAnsi(line, Math.max(1, width - 2), { hard: true, trim: false, wordWrap: false }).split('\n')) lines.push(`${bar} ${piece}`);
  }
  return lines;
}

/** The first word of a fence's info string (```ts title="x" → ts). */
export const fenceLanguage = (code: Tokens.Code): string => (code.lang ?? '').trim().split(/\s/)[0] ?? '';

/** A block token as the lines it shows, at most `width` columns each. */
export function blockLines(token: Token, width: number): string[] {
  switch (token.type) {
    case 'heading': {
      const text = inline(token.tokens);
      return wrap(token.depth <= 2 ? c.bold.underline(text) : c.bold(text), width);
    }
    case 'paragraph':
      return token.raw
        .replace(/\n$/, '')
        .split('\n')
        .flatMap((line) => paragraphLine(line, width));
    case 'text':
      return wrap(token.tokens ? inline(token.tokens) : clean(String(token.text)), width);
    case 'code': {
      const language = token.codeBlockStyle === 'indented' ? '' : fenceLanguage(token as Tokens.Code);
      return [codeTop(language), ...codeLines(clean(String(token.text)), language, width), codeBottom()];
    }
    case 'hr':
      return [c.dim('─'.repeat(Math.min(width, 40)))];
    case 'blockquote': {
      const bar = c.dim('│');
      return blocksLines(token.tokens ?? [], width - 2).map((line) => `${bar} ${line}`);
    }
    case 'list':
      return listLines(token as Tokens.List, width);
    case 'table':
      return tableLines(token as Tokens.Table, width);
    case 'space':
      return [];
    default:
      return wrap(token.raw.replace(/\n+$/, ''), width);
  }
}

/** Blocks inside a list item or a quote: a blank line between blocks of a loose item. */
function blocksLines(tokens: Token[], width: number): string[] {
  const lines: string[] = [];
  for (const token of tokens) {
    if (token.type === 'space') {
      if (lines.length > 0) lines.push('');
    } else lines.push(...blockLines(token, width));
  }
  return lines;
}

function listLines(list: Tokens.List, width: number): string[] {
  const lines: string[] = [];
  const start = list.start === '' ? 1 : list.start;
  list.items.forEach((item, i) => {
    const marker = list.ordered ? `${start + i}.` : '•';
    const indent = ' '.repeat(stringWidth(marker) + 1);
    const box = item.task ? (item.checked ? '[x] ' : '[ ] ') : '';
    const body = blocksLines(
      item.tokens.filter((t) => t.type !== 'checkbox'),
      width - indent.length - box.length,
    );
    if (box) body[0] = box + (body[0] ?? '');
    if (body.length === 0) body.push('');
    body.forEach((line, j) => lines.push(j === 0 ? `${c.yellow(marker)} ${line}` : line === '' ? '' : `${indent}${line}`));
  });
  return lines;
}

function pad(text: string, width: number, align: Tokens.TableCell['align']): string {
  const room = Math.max(0, width - stringWidth(text));
  if (align === 'right') return ' '.repeat(room) + text;
  if (align === 'center') return ' '.repeat(room >> 1) + text + ' '.repeat(room - (room >> 1));
  return text + ' '.repeat(room);
}

/** Columns as wide as their widest cell; when the table is wider than the terminal, the widest columns give way and their cells wrap. */
function tableLines(table: Tokens.Table, width: number): string[] {
  const header = table.header.map((cell) => c.bold(inline(cell.tokens)));
  const rows = table.rows.map((row) => row.map((cell) => inline(cell.tokens)));
  const count = table.header.length;
  const widths = Array.from({ length: count }, (_, i) => Math.max(1, ...[header, ...rows].map((row) => Math.max(0, ...(row[i] ?? '').split('\n').map((l) => stringWidth(l))))));
  const room = width - 3 * (count - 1);
  while (widths.reduce((a, b) => a + b, 0) > room) {
    const widest = widths.indexOf(Math.max(...widths));
    if (widths[widest]! <= 3) break;
    widths[widest]!--;
  }
  const bar = c.dim(' │ ');
  const line = (cells: string[]): string[] => {
    const wrapped = widths.map((w, i) => wrapAnsi(cells[i] ?? '', w, { hard: true }).split('\n'));
    const height = Math.max(...wrapped.map((w) => w.length));
    return Array.from({ length: height }, (_, r) => widths.map((w, i) => pad(wrapped[i]![r] ?? '', w, table.align[i] ?? null)).join(bar).trimEnd());
  };
  const rule = c.dim(widths.map((w) => '─'.repeat(w)).join('─┼─'));
  return [...line(header), rule, ...rows.flatMap(line)];
}
