/**
 * The context-window guard: input tokens + the output cap against the model's window, before any request. Small
 * prompts pay nothing (a byte bound settles them); a tokenizer count runs only when the bound is over the limit,
 * and stops as soon as it has seen enough tokens to refuse, so a 200 MB stdin is refused in well under a second.
 */
import { type ChatMessage, GptError, type TextCounter, formatInt as int } from '../domain/index.js';
import { CHAT_OVERHEAD } from '../accounting/tokenizer.js';
import { attachmentTokens } from '../attachments/image-tokens.js';

export interface WindowFacts {
  contextWindow: number | null;
  /** Most input tokens the model takes, when the table says (gpt-5: 272,000 of a 400,000 window). */
  maxInputTokens?: number | null;
}

const { perMessage: PER_MESSAGE, replyPrimer: PRIMER } = CHAT_OVERHEAD;
/** Text is counted in slices this long, cut at a line end; each cut may shift the count by a token or two. */
const SLICE = 1 << 20;
const CUT_SLACK = 4;

/**
 * Every BPE token stands for at least one byte of UTF-8, so a prompt has at most as many tokens as bytes (plus the
 * chat format's few): an upper bound that costs one pass of Buffer.byteLength and nothing else.
 */
export function tokenUpperBound(messages: readonly ChatMessage[]): number {
  let total = PRIMER;
  for (const m of messages) total += PER_MESSAGE + Buffer.byteLength(m.role) + Buffer.byteLength(m.content);
  return total;
}

/** `text` in slices of about SLICE characters, cut after a line end when the slice has one; made as they are read. */
function* slices(text: string): Generator<{ piece: string; last: boolean }> {
  let start = 0;
  do {
    let end = Math.min(text.length, start + SLICE);
    if (end < text.length) {
      const newline = text.slice(start, end).lastIndexOf('\n'); // searched within the slice only
      if (newline > 0) end = start + newline + 1;
    }
    yield { piece: text.slice(start, end), last: end >= text.length };
    start = end;
  } while (start < text.length);
}

/** Input tokens, counted until they pass `limit`: then `atLeast` is true and the figure is a floor. */
export function countUpTo(messages: readonly ChatMessage[], counter: TextCounter, extra: number, limit: number): { tokens: number; atLeast: boolean } {
  let total = PRIMER + extra;
  let cuts = 0;
  for (const [n, m] of messages.entries()) {
    total += PER_MESSAGE + counter.count(m.role);
    let first = true;
    for (const { piece, last } of slices(m.content)) {
      total += counter.count(piece);
      if (!first) cuts++;
      first = false;
      const done = n === messages.length - 1 && last;
      if (!done && total - cuts * CUT_SLACK > limit) return { tokens: total - cuts * CUT_SLACK, atLeast: true };
    }
  }
  // Near the limit a sliced count is not exact enough to refuse on: count each long message whole.
  if (total > limit && cuts > 0) total = counter.countChat(messages) + extra;
  return { tokens: total, atLeast: false };
}

/**
 * Refuses (exit 2) a prompt that cannot fit: input over the model's input limit, or input + `maxOutput` over its
 * window. Returns the input tokens when it had to count them (the caller may reuse them), else undefined.
 */
export async function guardWindow(model: string, messages: readonly ChatMessage[], maxOutput: number | undefined, facts: WindowFacts, counter: () => Promise<TextCounter>): Promise<number | undefined> {
  const window = facts.contextWindow;
  if (window === null) return undefined;
  const output = maxOutput ?? 0;
  const inputLimit = Math.min(facts.maxInputTokens ?? window, window - output);
  const images = attachmentTokens(messages, model);
  if (tokenUpperBound(messages) + images <= inputLimit) return undefined;
  const { tokens, atLeast } = countUpTo(messages, await counter(), images, inputLimit);
  if (tokens <= inputLimit) return tokens;
  const input = `${atLeast ? 'at least ' : ''}${int(tokens)} input tokens`;
  const over =
    output > 0 && inputLimit === window - output
      ? `${input} + ${int(output)} max output tokens is over ${model}'s context window of ${int(window)}`
      : `${input} is over ${model}'s input limit of ${int(inputLimit)} tokens`;
  throw new GptError('usage', `${over}; nothing was sent. Split the input with --chunk, or use a model with a bigger window (see gpt models)`);
}
