/** What an answer used and cost, in the field names of the JSON output (SPEC: JSON output), and the prices behind it. */

/** Token usage, in the field names of the JSON output (SPEC: JSON output). */
export interface Usage {
  input_tokens: number;
  cached_input_tokens: number;
  output_tokens: number;
  reasoning_tokens: number;
  total_tokens: number;
  /** True when the API gave no usage and the tool counted locally. */
  estimated: boolean;
}

/** USD per 1M tokens for one model, with where the figures came from. */
export interface Price {
  input: number;
  cachedInput: number | null;
  output: number;
  batchInput: number | null;
  batchOutput: number | null;
  /** Batch rate for cached input; null/absent = cached tokens pay the batch input rate (litellm's rule when `*_batches` prices are listed). */
  batchCachedInput?: number | null;
  /** Higher rates for the whole request once input exceeds a threshold (Gemini/Claude >200k, gpt-5.4+ >272k). */
  longContext?: LongContextPrice | null;
}

export interface LongContextPrice {
  /** The rates apply when input tokens are strictly more than this. */
  aboveInputTokens: number;
  input: number;
  cachedInput: number | null;
  output: number;
}

/** Cost in the field names of the JSON output (SPEC: JSON output). */
export interface Cost {
  input_usd: number;
  cached_input_usd: number;
  output_usd: number;
  total_usd: number;
  /** False when the model has no known price. */
  priced: boolean;
  /** Present when the provider reported the cost itself (OpenRouter's usage.cost). */
  source?: 'provider';
}

/** No tokens: the start of every running total. */
export const ZERO_USAGE: Readonly<Usage> = Object.freeze({
  input_tokens: 0,
  cached_input_tokens: 0,
  output_tokens: 0,
  reasoning_tokens: 0,
  total_tokens: 0,
  estimated: false,
});

/** The usage of two requests together (a tool loop's rounds, a chunked run's levels, a session's turns). */
export const addUsage = (a: Usage, b: Usage): Usage => ({
  input_tokens: a.input_tokens + b.input_tokens,
  cached_input_tokens: a.cached_input_tokens + b.cached_input_tokens,
  output_tokens: a.output_tokens + b.output_tokens,
  reasoning_tokens: a.reasoning_tokens + b.reasoning_tokens,
  total_tokens: a.total_tokens + b.total_tokens,
  estimated: a.estimated || b.estimated,
});

/** USD per 1M tokens, as a user writes it in config `pricing.<model>` or `profiles.<p>.pricing.<model>`. */
export interface PricingOverride {
  input?: number;
  cachedInput?: number;
  output?: number;
}

/** Counts tokens the way a model's tokenizer does (accounting/tokenizer implements it with tiktoken). */
export interface TextCounter {
  count(text: string): number;
  /** Prompt tokens of a chat request, overhead per message included. */
  countChat(messages: ReadonlyArray<{ role: string; content: string; name?: string }>): number;
}

/** Usage counted here rather than reported by the API: the prompt, and the answer as text. */
export function countedUsage(counter: TextCounter, messages: ReadonlyArray<{ role: string; content: string; name?: string }>, answer: string, estimated = true, inputTokens?: number): Usage {
  const input = inputTokens ?? counter.countChat(messages);
  const output = counter.count(answer);
  return { input_tokens: input, cached_input_tokens: 0, output_tokens: output, reasoning_tokens: 0, total_tokens: input + output, estimated };
}

/** A count as people read it: rounded, with thousands separators (12,345). */
export const formatInt = (n: number): string => Math.round(n).toLocaleString('en-US');
