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

export type Tokenizer = 'o200k_base' | 'cl100k_base';

export interface ModelInfo {
  id: string;
  price: Price | null;
  contextWindow: number | null;
  maxOutputTokens: number | null;
  tokenizer: Tokenizer;
  /** False when the tokenizer is only an approximation (another vendor's model). */
  exactTokenizer: boolean;
  source: string;
  asOf: string | null;
  /** Most input tokens the API accepts (gpt-5.x: 272k of a 400k window); null when unknown. */
  maxInputTokens?: number | null;
  /** The built-in table row this id resolved to, or null for an unknown model. */
  tableId?: string | null;
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
