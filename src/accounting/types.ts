/** USD per 1M tokens for one model, with where the figures came from. */
export interface Price {
  input: number;
  cachedInput: number | null;
  output: number;
  batchInput: number | null;
  batchOutput: number | null;
}

export interface ModelInfo {
  id: string;
  price: Price | null;
  contextWindow: number | null;
  maxOutputTokens: number | null;
  tokenizer: 'o200k_base' | 'cl100k_base';
  /** False when the tokenizer is only an approximation (another vendor's model). */
  exactTokenizer: boolean;
  source: string;
  asOf: string | null;
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
