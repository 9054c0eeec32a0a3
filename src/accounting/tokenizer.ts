/**
 * Local token counting with tiktoken (WASM), exact to OpenAI's encodings.
 *
 * Speed: tiktoken costs ~7 µs per call plus ~2 MiB/s of BPE work. We split text into tiktoken's own
 * pre-tokenizer pieces in JS and memoise each short piece's count, so repeated words cost a map
 * lookup; BPE never crosses a piece boundary, so the sum is the same count (checked against whole-text
 * encoding in test/accounting/tokenizer.test.ts). Special-token text such as `<|endoftext|>` is
 * counted as ordinary text and never throws.
 */
import type { Tiktoken } from 'tiktoken';
import type { ChatMessage, Usage } from '../domain/index.js';
import { lookupModel } from './models.js';
import type { Tokenizer } from './types.js';

export interface TokenCounter {
  readonly encoding: Tokenizer;
  /** False when the encoding only approximates the model's own tokenizer (Claude, Gemini, Llama…). */
  readonly exact: boolean;
  count(text: string): number;
  /** Prompt tokens of a chat request, by the OpenAI cookbook formula (see CHAT_OVERHEAD). */
  countChat(messages: readonly ChatMessageLike[]): number;
}

export type ChatMessageLike = Pick<ChatMessage, 'role' | 'content'> & { name?: string };

/**
 * OpenAI cookbook "How to count tokens with tiktoken": every message costs 3 tokens
 * (<|start|>{role}<|message|>…<|end|>) plus its role and content (+1 and the name's tokens if named),
 * and every reply is primed with 3 (<|start|>assistant<|message|>). Exact for gpt-3.5/4/4o; an
 * estimate for gpt-5.x and o-series, whose format OpenAI does not publish.
 */
export const CHAT_OVERHEAD = { perMessage: 3, perName: 1, replyPrimer: 3 } as const;

// Unicode White_Space as Rust's regex (tiktoken) reads `\s`; JS's `\s` adds U+FEFF and lacks U+0085.
const WS = '\\t-\\r \\x85\\xA0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000';
// Node 20 has no inline `(?i:…)`, so the case-insensitive contractions are spelled out.
const CONTRACTIONS = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])";
const WHITESPACE = [`[${WS}]*[\\r\\n]+`, `[${WS}]+(?![^${WS}])`, `[${WS}]+`];

/** tiktoken's `pat_str` for each encoding (tiktoken 1.0.22 `encoders/*.json`), in JS regex syntax. */
// Built on first use: compiling the Unicode-property patterns costs ~4 ms, and most runs never count.
const PIECES: Record<Tokenizer, () => RegExp> = {
  o200k_base: () => new RegExp(
    [
      `[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+${CONTRACTIONS}?`,
      `[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*${CONTRACTIONS}?`,
      `\\p{N}{1,3}`,
      ` ?[^${WS}\\p{L}\\p{N}]+[\\r\\n/]*`,
      ...WHITESPACE,
    ].join('|'),
    'gu',
  ),
  cl100k_base: () => new RegExp(
    [CONTRACTIONS, `[^\\r\\n\\p{L}\\p{N}]?\\p{L}+`, `\\p{N}{1,3}`, ` ?[^${WS}\\p{L}\\p{N}]+[\\r\\n]*`, ...WHITESPACE].join('|'),
    'gu',
  ),
};

/** Longer pieces are rare and would bloat the memo. */
const MEMO_MAX_PIECE = 48;
/**
 * tiktoken's BPE is quadratic in piece length (a 100k-letter run took 15 s, 1 MB crashed the WASM),
 * so runs longer than this (never in prose or code; base64 or DNA-like data) are counted in slices:
 * ±1 token per slice, linear time.
 */
const MAX_PIECE = 512;
/** ~10 MB of memo per encoding; cleared when full, which costs only re-encoding. */
const MEMO_MAX_ENTRIES = 100_000;

const encoders = new Map<Tokenizer, Promise<Tiktoken>>();
const counters = new Map<Tokenizer, (text: string) => number>();

/** One encoder per encoding per process; tiktoken's 5 MB WASM is imported only on first use. */
function encoderFor(encoding: Tokenizer): Promise<Tiktoken> {
  let encoder = encoders.get(encoding);
  if (!encoder) {
    encoder = import('tiktoken').then(({ get_encoding }) => get_encoding(encoding));
    encoders.set(encoding, encoder);
    encoder.catch(() => encoders.delete(encoding));
  }
  return encoder;
}

function countLongPiece(encoder: Tiktoken, piece: string): number {
  let total = 0;
  for (let start = 0; start < piece.length; ) {
    let end = Math.min(start + MAX_PIECE, piece.length);
    const unit = piece.charCodeAt(end);
    if (unit >= 0xdc00 && unit <= 0xdfff) end -= 1; // never split a surrogate pair
    total += encoder.encode_ordinary(piece.slice(start, end)).length;
    start = end;
  }
  return total;
}

function makeCount(encoder: Tiktoken, encoding: Tokenizer): (text: string) => number {
  const pieces = PIECES[encoding]();
  const memo = new Map<string, number>();
  return (text: string): number => {
    let total = 0;
    pieces.lastIndex = 0;
    for (let match = pieces.exec(text); match !== null; match = pieces.exec(text)) {
      const piece = match[0];
      if (piece.length > MEMO_MAX_PIECE) {
        total += piece.length > MAX_PIECE ? countLongPiece(encoder, piece) : encoder.encode_ordinary(piece).length;
        continue;
      }
      let n = memo.get(piece);
      if (n === undefined) {
        n = encoder.encode_ordinary(piece).length;
        if (memo.size >= MEMO_MAX_ENTRIES) memo.clear();
        memo.set(piece, n);
      }
      total += n;
    }
    return total;
  };
}

/** A counter for an encoding by name (the `exact` flag is the caller's to give). */
export async function loadEncodingCounter(encoding: Tokenizer, exact = true): Promise<TokenCounter> {
  let count = counters.get(encoding);
  if (!count) {
    count = makeCount(await encoderFor(encoding), encoding);
    counters.set(encoding, count);
  }
  const countText = count;
  return {
    encoding,
    exact,
    count: countText,
    countChat(messages) {
      let total = CHAT_OVERHEAD.replyPrimer;
      for (const message of messages) {
        total += CHAT_OVERHEAD.perMessage + countText(message.role) + countText(message.content);
        if (message.name !== undefined) total += CHAT_OVERHEAD.perName + countText(message.name);
      }
      return total;
    },
  };
}

/** The counter for a model: o200k_base or cl100k_base per tiktoken's model map; o200k_base approximates other vendors. */
export async function loadCounter(model: string): Promise<TokenCounter> {
  const info = lookupModel(model);
  return loadEncodingCounter(info.tokenizer, info.exactTokenizer);
}

// countedUsage lives with the Usage shape in domain/usage; re-exported for the callers of this module.
export { countedUsage } from '../domain/index.js';
