/**
 * The template body language, as pure functions over strings:
 *   {{name}} / {{ name }}   a variable (letters, digits, _ and -, not starting with a digit or -)
 *   {{input}}               the piped stdin (or --var input=…)
 *   {{file:path}}           a file's contents, path relative to the template's folder
 *   \{{                     a literal {{ (Handlebars' escape); \\{{x}} is a literal \ then the value of x
 *   ---user / ---assistant / ---system / ---developer   alone on a line: starts a new message of that role
 * Substituted values are never scanned again, so piped text cannot inject placeholders or messages.
 */
import type { Role } from '../domain/index.js';

export type Token =
  | { kind: 'text'; text: string }
  | { kind: 'var'; name: string; line: number }
  | { kind: 'file'; path: string; line: number };

/** A body syntax problem; `line` is 1-based within the scanned text. */
export class TemplateSyntaxError extends Error {
  override name = 'TemplateSyntaxError';
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

export const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

const lineAt = (text: string, index: number): number => {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) line++;
  return line;
};

/** Splits text into literal text and placeholders; throws TemplateSyntaxError on a malformed `{{…}}`. */
export function scanBody(text: string): Token[] {
  const tokens: Token[] = [];
  let literal = '';
  let from = 0;
  for (let open = text.indexOf('{{'); open !== -1; open = text.indexOf('{{', from)) {
    const backslashes = text[open - 1] === '\\' ? (text[open - 2] === '\\' ? 2 : 1) : 0;
    if (backslashes === 1) {
      literal += text.slice(from, open - 1) + '{{';
      from = open + 2;
      continue;
    }
    // `\\{{` keeps one backslash and still opens a placeholder.
    literal += text.slice(from, open - backslashes) + (backslashes === 2 ? '\\' : '');
    const close = text.indexOf('}}', open + 2);
    const newline = text.indexOf('\n', open + 2);
    const line = lineAt(text, open);
    if (close === -1 || (newline !== -1 && newline < close)) {
      throw new TemplateSyntaxError(`'{{' is not closed by '}}' on the same line (write \\{{ for a literal {{)`, line);
    }
    const inner = text.slice(open + 2, close).trim();
    if (literal) tokens.push({ kind: 'text', text: literal });
    literal = '';
    if (inner.startsWith('file:')) {
      const path = inner.slice('file:'.length).trim();
      if (!path) throw new TemplateSyntaxError(`'{{file:}}' needs a path, e.g. {{file:notes.md}}`, line);
      tokens.push({ kind: 'file', path, line });
    } else if (VAR_NAME.test(inner)) {
      tokens.push({ kind: 'var', name: inner, line });
    } else {
      throw new TemplateSyntaxError(
        `'{{${text.slice(open + 2, close)}}}' is not a variable name or {{file:path}} (write \\{{ for a literal {{)`,
        line,
      );
    }
    from = close + 2;
  }
  literal += text.slice(from);
  if (literal) tokens.push({ kind: 'text', text: literal });
  return tokens;
}

/** Names of the variables a text uses, in order of first use. */
export function variablesIn(text: string): string[] {
  const names: string[] = [];
  for (const token of scanBody(text)) if (token.kind === 'var' && !names.includes(token.name)) names.push(token.name);
  return names;
}

export interface Segment {
  role: Role;
  text: string;
  /** 1-based line within the body where this segment's text starts. */
  line: number;
}

const ROLE_LINE = /^---(user|assistant|system|developer)[ \t]*$/;

/**
 * Splits a body at `---role` lines into messages; the first segment is the user's. Segments that are only
 * whitespace are dropped, and each keeps its text minus leading blank lines and trailing whitespace.
 */
export function splitSegments(body: string): Segment[] {
  const segments: Segment[] = [];
  let role: Role = 'user';
  let lines: string[] = [];
  let firstLine = 1;
  const push = () => {
    const skip = lines.findIndex((line) => line.trim() !== '');
    if (skip === -1) return;
    segments.push({ role, text: lines.slice(skip).join('\n').trimEnd(), line: firstLine + skip });
  };
  body.split('\n').forEach((line, index) => {
    const match = ROLE_LINE.exec(line);
    if (!match) return void lines.push(line);
    push();
    [role, lines, firstLine] = [match[1] as Role, [], index + 2];
  });
  push();
  return segments;
}

/** Moved to domain/suggest (config and commands suggest names too); re-exported for the template code. */
export { closest, didYouMean } from '../domain/index.js';
