/**
 * Splitting long input into pieces of at most `max` tokens: on paragraph breaks, then line breaks, then (for a
 * single line longer than a piece) at a space near a token boundary. Pure: the token count is a parameter.
 */
import type { ChatMessage } from '../domain/index.js';

type Count = (text: string) => number;

/** Stands for the input while a prompt is rendered once (`run --chunk`, `cost --chunk`); each piece then takes its place. */
export const INPUT_MARK = '\uE000gpt-chunk-input\uE001';

/** The prompt around a piece: `messages` (rendered with INPUT_MARK) with the piece in the mark's place. */
export const fillInput =
  (messages: readonly ChatMessage[]) =>
  (input: string): ChatMessage[] =>
    messages.map((m) => ({ ...m, content: m.content.split(INPUT_MARK).join(input) }));

const LEVELS: Array<{ split: RegExp; join: string }> = [
  { split: /\n[ \t]*\n\s*/, join: '\n\n' },
  { split: /\n/, join: '\n' },
];

/** Pieces of `text` of at most `max` tokens each (by `count`), in order, nothing dropped but the breaks between them. */
export function splitInput(text: string, max: number, count: Count): string[] {
  if (max < 1) throw new RangeError('max must be at least 1 token');
  return count(text) <= max ? [text] : splitAt(text, 0, max, count);
}

function splitAt(text: string, level: number, max: number, count: Count): string[] {
  const rule = LEVELS[level];
  if (!rule) return byTokens(text, max, count);
  const parts = text.split(rule.split).filter((p) => p.trim() !== '');
  return pack(parts, rule.join, level, max, count);
}

/** Greedy packing: parts joined while they fit; a part too big alone is split at the next level. */
function pack(parts: string[], join: string, level: number, max: number, count: Count): string[] {
  const out: string[] = [];
  let current: string[] = [];
  let tokens = 0;
  const flush = () => {
    if (current.length) out.push(current.join(join));
    current = [];
    tokens = 0;
  };
  for (const part of parts) {
    const n = count(part) + 1; // +1: a merge across the break can cost a token
    if (n > max) {
      flush();
      out.push(...splitAt(part, level + 1, max, count));
      continue;
    }
    if (current.length && tokens + n > max) flush();
    current.push(part);
    tokens += n;
  }
  flush();
  return out;
}

/** One long line in pieces: a guess of characters per token, shrunk until the piece fits, cut at a space when one is near. */
function byTokens(text: string, max: number, count: Count): string[] {
  const out: string[] = [];
  let start = 0;
  while (start < text.length) {
    let length = Math.max(1, max * 3);
    let piece = text.slice(start, start + length);
    while (length > 1 && count(piece) > max) {
      length = Math.max(1, Math.floor(length * 0.85));
      piece = text.slice(start, start + length);
    }
    if (start + length < text.length) {
      const space = piece.lastIndexOf(' ');
      if (space > length * 0.8) piece = piece.slice(0, space + 1);
    }
    out.push(piece);
    start += piece.length;
  }
  return out;
}
