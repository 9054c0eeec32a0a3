import type { Price } from '../domain/index.js';

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
