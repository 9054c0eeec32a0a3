/**
 * The built-in price table: USD per 1M tokens, context window, max output and tokenizer per model.
 *
 * Figures copied from litellm's `model_prices_and_context_window.json` (BerriAI/litellm, MIT), the
 * content of `main` on 2026-07-24 18:23 UTC: per-token prices ×1e6, rounded to 12 significant
 * digits to drop float noise (1.75, not 1.7500000000000002). Batch prices are litellm's
 * `*_batches` keys where listed; otherwise half of standard (OpenAI, Anthropic, Google and Groq bill
 * their Batch APIs at 50 %), except for vendors with no batch API (null). Context window is
 * litellm's `max_input_tokens`, except gpt-5.x rows where litellm lists 272k input + 128k output:
 * OpenAI states a 400k total window (openai-api.md §5), and the 272k stays in `maxInputTokens`.
 * Tokenizer per tiktoken's model map (o200k_base / cl100k_base); other vendors' models get
 * o200k_base as an approximation (`exactTokenizer: false`).
 * To refresh: re-copy the figures for these ids from a newer litellm file and bump AS_OF.
 */
import type { LongContextPrice } from '../domain/index.js';
import type { Tokenizer } from './types.js';

export interface PriceRow {
  id: string;
  /** Other names the same model is requested under (OpenRouter's dotted Claude ids, Groq's bare ids). */
  aliases?: readonly string[];
  input: number;
  cachedInput: number | null;
  output: number;
  batchInput: number | null;
  batchCachedInput: number | null;
  batchOutput: number | null;
  longContext?: LongContextPrice;
  contextWindow: number | null;
  maxInputTokens: number | null;
  maxOutputTokens: number | null;
  tokenizer: Tokenizer;
  exactTokenizer: boolean;
  source: string;
  asOf: string;
}

export const AS_OF = '2026-07-24';
const LITELLM = `litellm model_prices_and_context_window.json (${AS_OF})`;
const LITELLM_BATCH_HALF = `${LITELLM}; batch = 50% of standard (no *_batches price listed)`;
const CTX_NOTE = 'context 400,000 total per OpenAI (litellm max_input_tokens 272,000 = input share)';
const LITELLM_BATCH_HALF_CTX = `${LITELLM_BATCH_HALF}; ${CTX_NOTE}`;
const LITELLM_NO_BATCH = `${LITELLM}; no batch API`;

export const PRICE_TABLE: readonly PriceRow[] = [
  // OpenAI (tokenizer per tiktoken model.py)
  { id: 'gpt-5.6', input: 5, cachedInput: 0.5, output: 30, batchInput: 2.5, batchCachedInput: null, batchOutput: 15, longContext: { aboveInputTokens: 272_000, input: 10, cachedInput: 1, output: 45 }, contextWindow: 1_050_000, maxInputTokens: 1_050_000, maxOutputTokens: 128_000, tokenizer: 'o200k_base', exactTokenizer: true, source: LITELLM, asOf: AS_OF },
  { id: 'gpt-5.5', input: 5, cachedInput: 0.5, output: 30, batchInput: 2.5, batchCachedInput: null, batchOutput: 15, longContext: { aboveInputTokens: 272_000, input: 10, cachedInput: 1, output: 45 }, contextWindow: 1_050_000, maxInputTokens: 1_050_000, maxOutputTokens: 128_000, tokenizer: 'o200k_base', exactTokenizer: true, source: LITELLM, asOf: AS_OF },
  { id: 'gpt-5.5-pro', input: 30, cachedInput: 3, output: 180, batchInput: 15, batchCachedInput: null, batchOutput: 90, longContext: { aboveInputTokens: 272_000, input: 60, cachedInput: 6, output: 270 }, contextWindow: 1_050_000, maxInputTokens: 1_050_000, maxOutputTokens: 128_000, tokenizer: 'o200k_base', exactTokenizer: true, source: LITELLM, asOf: AS_OF },
  { id: 'gpt-5.4', input: 2.5, cachedInput: 0.25, output: 15, batchInput: 1.25, batchCachedInput: null, batchOutput: 7.5, longContext: { aboveInputTokens: 272_000, input: 5, cachedInput: 0.5, output: 22.5 }, contextWindow: 1_050_000, maxInputTokens: 1_050_000, maxOutputTokens: 128_000, tokenizer: 'o200k_base', exactTokenizer: true, source: LITELLM, asOf: AS_OF },
  { id: 'gpt-5.4-pro', input: 30, cachedInput: 3, output: 180, batchInput: 15, batchCachedInput: null, batchOutput: 90, longContext: { aboveInputTokens: 272_000, input: 60, cachedInput: 6, output: 270 }, contextWindow: 1_050_000, maxInputTokens: 1_050_000, maxOutputTokens: 128_000, tokenizer: 'o200k_base', exactTokenizer: true, source: LITELLM, asOf: AS_OF },
  { id: 'gpt-5.4-mini', input: 0.75, cachedInput: 0.075, output: 4.5, batchInput: 0.375, batchCachedInput: null, batchOutput: 2.25, contextWindow: 1_050_000, maxInputTokens: 1_050_000, maxOutputTokens: 128_000, tokenizer: 'o200k_base', exactTokenizer: true, source: LITELLM, asOf: AS_OF },
  { id: 'gpt-5.4-nano', input: 0.2, cachedInput: 0.02, output: 1.25, batchInput: 0.1, batchCachedInput: null, batchOutput: 0.625, contextWindow: 1_050_000, maxInputTokens: 1_050_000, maxOutputTokens: 128_000, tokenizer: 'o200k_base', exactTokenizer: true, source: LITELLM, asOf: AS_OF },
  { id: 'gpt-5.3-chat-latest', input: 1.75, cachedInput: 0.175, output: 14, batchInput: 0.875, batchCachedInput: 0.0875, batchOutput: 7, contextWindow: 128_000, maxInputTokens: 128_000, maxOutputTokens: 16_384, tokenizer: 'o200k_base', exactTokenizer: true, source: LITELLM_BATCH_HALF, asOf: AS_OF },
  { id: 'gpt-5.3-codex', input: 1.75, cachedInput: 0.175, output: 14, batchInput: 0.875, batchCachedInput: 0.0875, batchOutput: 7, contextWindow: 400_000, maxInputTokens: 272_000, maxOutputTokens: 128_000, tokenizer: 'o200k_base', exactTokenizer: true, source: LITELLM_BATCH_HALF_CTX, asOf: AS_OF },
  { id: 'gpt-5.2', input: 1.75, cachedInput: 0.175, output: 14, batchInput: 0.875, batchCachedInput: 0.0875, batchOutput: 7, contextWindow: 400_000, maxInputTokens: 272_000, maxOutputTokens: 128_000, tokenizer: 'o200k_base', exactTokenizer: true, source: LITELLM_BATCH_HALF_CTX, asOf: AS_OF },
  { id: 'gpt-5.2-chat-latest', input: 1.75, cachedInput: 0.175, output: 14, batchInput: 0.875, batchCachedInput: 0.0875, batchOutput: 7, contextWindow: 128_000, maxInputTokens: 128_000, maxOutputTokens: 16_384, tokenizer: 'o200k_base', exactTokenizer: true, source: LITELLM_BATCH_HALF, asOf: AS_OF },
  { id: 'gpt-5.2-pro', input: 21, cachedInput: null, output: 168, batchInput: 10.5, batchCachedInput: null, batchOutput: 84, contextWindow: 400_000, maxInputTokens: 272_000, maxOutputTokens: 128_000, tokenizer: 'o200k_base', exactTokenizer: true, source: LITELLM_BATCH_HALF_CTX, asOf: AS_OF },
  { id: 'gpt-5.2-codex', input: 1.75, cachedInput: 0.175, output: 14, batchInput: 0.875, batchCachedInput: 0.0875, batchOutput: 7, contextWindow: 400_000, maxInputTokens: 272_000, maxOutputTokens: 128_000, tokenizer: 'o200k_base', exactTokenizer: true, source: LITELLM_BATCH_HALF_CTX, asOf: AS_OF },
  { id: 'gpt-5.1', input: 1.25, cachedInput: 0.125, output: 10, batchInput: 0.625, batchCachedInput: 0.0625, batchOutput: 5, contextWindow: 400_000, maxInputTokens: 272_000, maxOutputTokens: 128_000, tokenizer: 'o200k_base', exactTokenizer: true, source: LITELLM_BATCH_HALF_CTX, asOf: AS_OF },
  { id: 'gpt-5.1-chat-latest', input: 1.25, cachedInput: 0.125, output: 10, batchInput: 0.625, batchCachedInput: 0.0625, batchOutput: 5, contextWindow: 128_000, maxInputTokens: 128_000, maxOutputTokens: 16_384, tokenizer: 'o200k_base', exactTokenizer: true, source: LITELLM_BATCH_HALF, asOf: AS_OF },
  { id: 'gpt-5.1-codex', input: 1.25, cachedInput: 0.125, output: 10, batchInput: 0.625, batchCachedInput: 0.0625, batchOutput: 5, contextWindow: 400_000, maxInputTokens: 272_000, maxOutputTokens: 128_000, tokenizer: 'o200k_base', exactTokenizer: true, source: LITELLM_BATCH_HALF_CTX, asOf: AS_OF },
  { id: 'gpt-5.1-codex-max', input: 1.25, cachedInput: 0.125, output: 10, batchInput: 0.625, batchCachedInput: 0.0625, batchOutput: 5, contextWindow: 400_000, maxInputTokens: 272_000, maxOutputTokens: 128_000, tokenizer: 'o200k_base', exactTokenizer: true, source: LITELLM_BATCH_HALF_CTX, asOf: AS_OF },
  { id: 'gpt-5.1-codex-mini', input: 0.25, cachedInput: 0.025, output: 2, batchInput: 0.125, batchCachedInput: 0.0125, batchOutput: 1, contextWindow: 400_000, maxInputTokens: 272_000, maxOutputTokens: 128_000, tokenizer: 'o200k_base', exactTokenizer: true, source: LITELLM_BATCH_HALF_CTX, asOf: AS_OF },
  { id: 'gpt-5', input: 1.25, cachedInput: 0.125, output: 10, batchInput: 0.625, batchCachedInput: 0.0625, batchOutput: 5, contextWindow: 400_000, maxInputTokens: 272_000, maxOutputTokens: 128_000, tokenizer: 'o200k_base', exactTokenizer: true, source: LITELLM_BATCH_HALF_CTX, asOf: AS_OF },
  { id: 'gpt-5-chat-latest', input: 1.25, cachedInput: 0.125, output: 10, batchInput: 0.625, batchCachedInput: 0.0625, batchOutput: 5, contextWindow: 128_000, maxInputTokens: 128_000, maxOutputTokens: 16_384, tokenizer: 'o200k_base', exactTokenizer: true, source: LITELLM_BATCH_HALF, asOf: AS_OF },
  { id: 'gpt-5-pro', input: 15, cachedInput: null, output: 120, batchInput: 7.5, batchCachedInput: null, batchOutput: 60, contextWindow: 400_000, maxInputTokens: 400_000, maxOutputTokens: 128_000, tokenizer: 'o200k_base', exactTokenizer: true, source: LITELLM, asOf: AS_OF },
  { id: 'gpt-5-codex', input: 1.25, cachedInput: 0.125, output: 10, batchInput: 0.625, batchCachedInput: 0.0625, batchOutput: 5, contextWindow: 400_000, maxInputTokens: 272_000, maxOutputTokens: 128_000, tokenizer: 'o200k_base', exactTokenizer: true, source: LITELLM_BATCH_HALF_CTX, asOf: AS_OF },
  { id: 'gpt-5-mini', input: 0.25, cachedInput: 0.025, output: 2, batchInput: 0.125, batchCachedInput: 0.0125, batchOutput: 1, contextWindow: 400_000, maxInputTokens: 272_000, maxOutputTokens: 128_000, tokenizer: 'o200k_base', exactTokenizer: true, source: LITELLM_BATCH_HALF_CTX, asOf: AS_OF },
  { id: 'gpt-5-nano', input: 0.05, cachedInput: 0.005, output: 0.4, batchInput: 0.025, batchCachedInput: 0.0025, batchOutput: 0.2, contextWindow: 400_000, maxInputTokens: 272_000, maxOutputTokens: 128_000, tokenizer: 'o200k_base', exactTokenizer: true, source: LITELLM_BATCH_HALF_CTX, asOf: AS_OF },
  { id: 'gpt-4.1', input: 2, cachedInput: 0.5, output: 8, batchInput: 1, batchCachedInput: null, batchOutput: 4, contextWindow: 1_047_576, maxInputTokens: 1_047_576, maxOutputTokens: 32_768, tokenizer: 'o200k_base', exactTokenizer: true, source: LITELLM, asOf: AS_OF },
  { id: 'gpt-4.1-mini', input: 0.4, cachedInput: 0.1, output: 1.6, batchInput: 0.2, batchCachedInput: null, batchOutput: 0.8, contextWindow: 1_047_576, maxInputTokens: 1_047_576, maxOutputTokens: 32_768, tokenizer: 'o200k_base', exactTokenizer: true, source: LITELLM, asOf: AS_OF },
  { id: 'gpt-4.1-nano', input: 0.1, cachedInput: 0.025, output: 0.4, batchInput: 0.05, batchCachedInput: null, batchOutput: 0.2, contextWindow: 1_047_576, maxInputTokens: 1_047_576, maxOutputTokens: 32_768, tokenizer: 'o200k_base', exactTokenizer: true, source: LITELLM, asOf: AS_OF },
  { id: 'gpt-4o', input: 2.5, cachedInput: 1.25, output: 10, batchInput: 1.25, batchCachedInput: null, batchOutput: 5, contextWindow: 128_000, maxInputTokens: 128_000, maxOutputTokens: 16_384, tokenizer: 'o200k_base', exactTokenizer: true, source: LITELLM, asOf: AS_OF },
  { id: 'gpt-4o-2024-05-13', input: 5, cachedInput: null, output: 15, batchInput: 2.5, batchCachedInput: null, batchOutput: 7.5, contextWindow: 128_000, maxInputTokens: 128_000, maxOutputTokens: 4096, tokenizer: 'o200k_base', exactTokenizer: true, source: LITELLM, asOf: AS_OF },
  { id: 'gpt-4o-mini', input: 0.15, cachedInput: 0.075, output: 0.6, batchInput: 0.075, batchCachedInput: null, batchOutput: 0.3, contextWindow: 128_000, maxInputTokens: 128_000, maxOutputTokens: 16_384, tokenizer: 'o200k_base', exactTokenizer: true, source: LITELLM, asOf: AS_OF },
  { id: 'chatgpt-4o-latest', input: 5, cachedInput: null, output: 15, batchInput: 2.5, batchCachedInput: null, batchOutput: 7.5, contextWindow: 128_000, maxInputTokens: 128_000, maxOutputTokens: 4096, tokenizer: 'o200k_base', exactTokenizer: true, source: LITELLM_BATCH_HALF, asOf: AS_OF },
  { id: 'o1', input: 15, cachedInput: 7.5, output: 60, batchInput: 7.5, batchCachedInput: 3.75, batchOutput: 30, contextWindow: 200_000, maxInputTokens: 200_000, maxOutputTokens: 100_000, tokenizer: 'o200k_base', exactTokenizer: true, source: LITELLM_BATCH_HALF, asOf: AS_OF },
  { id: 'o1-pro', input: 150, cachedInput: null, output: 600, batchInput: 75, batchCachedInput: null, batchOutput: 300, contextWindow: 200_000, maxInputTokens: 200_000, maxOutputTokens: 100_000, tokenizer: 'o200k_base', exactTokenizer: true, source: LITELLM, asOf: AS_OF },
  { id: 'o3', input: 2, cachedInput: 0.5, output: 8, batchInput: 1, batchCachedInput: 0.25, batchOutput: 4, contextWindow: 200_000, maxInputTokens: 200_000, maxOutputTokens: 100_000, tokenizer: 'o200k_base', exactTokenizer: true, source: LITELLM_BATCH_HALF, asOf: AS_OF },
  { id: 'o3-pro', input: 20, cachedInput: null, output: 80, batchInput: 10, batchCachedInput: null, batchOutput: 40, contextWindow: 200_000, maxInputTokens: 200_000, maxOutputTokens: 100_000, tokenizer: 'o200k_base', exactTokenizer: true, source: LITELLM, asOf: AS_OF },
  { id: 'o3-mini', input: 1.1, cachedInput: 0.55, output: 4.4, batchInput: 0.55, batchCachedInput: 0.275, batchOutput: 2.2, contextWindow: 200_000, maxInputTokens: 200_000, maxOutputTokens: 100_000, tokenizer: 'o200k_base', exactTokenizer: true, source: LITELLM_BATCH_HALF, asOf: AS_OF },
  { id: 'o4-mini', input: 1.1, cachedInput: 0.275, output: 4.4, batchInput: 0.55, batchCachedInput: 0.1375, batchOutput: 2.2, contextWindow: 200_000, maxInputTokens: 200_000, maxOutputTokens: 100_000, tokenizer: 'o200k_base', exactTokenizer: true, source: LITELLM_BATCH_HALF, asOf: AS_OF },
  { id: 'codex-mini-latest', input: 1.5, cachedInput: 0.375, output: 6, batchInput: 0.75, batchCachedInput: 0.1875, batchOutput: 3, contextWindow: 200_000, maxInputTokens: 200_000, maxOutputTokens: 100_000, tokenizer: 'o200k_base', exactTokenizer: false, source: LITELLM_BATCH_HALF, asOf: AS_OF },
  { id: 'gpt-4-turbo', input: 10, cachedInput: null, output: 30, batchInput: 5, batchCachedInput: null, batchOutput: 15, contextWindow: 128_000, maxInputTokens: 128_000, maxOutputTokens: 4096, tokenizer: 'cl100k_base', exactTokenizer: true, source: LITELLM_BATCH_HALF, asOf: AS_OF },
  { id: 'gpt-4', input: 30, cachedInput: null, output: 60, batchInput: 15, batchCachedInput: null, batchOutput: 30, contextWindow: 8192, maxInputTokens: 8192, maxOutputTokens: 4096, tokenizer: 'cl100k_base', exactTokenizer: true, source: LITELLM_BATCH_HALF, asOf: AS_OF },
  { id: 'gpt-3.5-turbo', input: 0.5, cachedInput: null, output: 1.5, batchInput: 0.25, batchCachedInput: null, batchOutput: 0.75, contextWindow: 16_385, maxInputTokens: 16_385, maxOutputTokens: 4096, tokenizer: 'cl100k_base', exactTokenizer: true, source: LITELLM_BATCH_HALF, asOf: AS_OF },
  // Anthropic; OpenRouter spells them anthropic/claude-opus-4.5, hence the dotted aliases
  { id: 'claude-opus-4-8', aliases: ['claude-opus-4.8'], input: 5, cachedInput: 0.5, output: 25, batchInput: 2.5, batchCachedInput: 0.25, batchOutput: 12.5, contextWindow: 1_000_000, maxInputTokens: 1_000_000, maxOutputTokens: 128_000, tokenizer: 'o200k_base', exactTokenizer: false, source: LITELLM_BATCH_HALF, asOf: AS_OF },
  { id: 'claude-opus-4-7', aliases: ['claude-opus-4.7'], input: 5, cachedInput: 0.5, output: 25, batchInput: 2.5, batchCachedInput: 0.25, batchOutput: 12.5, contextWindow: 1_000_000, maxInputTokens: 1_000_000, maxOutputTokens: 128_000, tokenizer: 'o200k_base', exactTokenizer: false, source: LITELLM_BATCH_HALF, asOf: AS_OF },
  { id: 'claude-opus-4-6', aliases: ['claude-opus-4.6'], input: 5, cachedInput: 0.5, output: 25, batchInput: 2.5, batchCachedInput: 0.25, batchOutput: 12.5, contextWindow: 1_000_000, maxInputTokens: 1_000_000, maxOutputTokens: 128_000, tokenizer: 'o200k_base', exactTokenizer: false, source: LITELLM_BATCH_HALF, asOf: AS_OF },
  { id: 'claude-opus-4-5', aliases: ['claude-opus-4.5'], input: 5, cachedInput: 0.5, output: 25, batchInput: 2.5, batchCachedInput: 0.25, batchOutput: 12.5, contextWindow: 200_000, maxInputTokens: 200_000, maxOutputTokens: 64_000, tokenizer: 'o200k_base', exactTokenizer: false, source: LITELLM_BATCH_HALF, asOf: AS_OF },
  { id: 'claude-opus-4-1', aliases: ['claude-opus-4.1'], input: 15, cachedInput: 1.5, output: 75, batchInput: 7.5, batchCachedInput: 0.75, batchOutput: 37.5, contextWindow: 200_000, maxInputTokens: 200_000, maxOutputTokens: 32_000, tokenizer: 'o200k_base', exactTokenizer: false, source: LITELLM_BATCH_HALF, asOf: AS_OF },
  { id: 'claude-sonnet-4-6', aliases: ['claude-sonnet-4.6'], input: 3, cachedInput: 0.3, output: 15, batchInput: 1.5, batchCachedInput: 0.15, batchOutput: 7.5, contextWindow: 1_000_000, maxInputTokens: 1_000_000, maxOutputTokens: 64_000, tokenizer: 'o200k_base', exactTokenizer: false, source: LITELLM_BATCH_HALF, asOf: AS_OF },
  { id: 'claude-sonnet-4-5', aliases: ['claude-sonnet-4.5'], input: 3, cachedInput: 0.3, output: 15, batchInput: 1.5, batchCachedInput: 0.15, batchOutput: 7.5, longContext: { aboveInputTokens: 200_000, input: 6, cachedInput: 0.6, output: 22.5 }, contextWindow: 200_000, maxInputTokens: 200_000, maxOutputTokens: 64_000, tokenizer: 'o200k_base', exactTokenizer: false, source: LITELLM_BATCH_HALF, asOf: AS_OF },
  { id: 'claude-haiku-4-5', aliases: ['claude-haiku-4.5'], input: 1, cachedInput: 0.1, output: 5, batchInput: 0.5, batchCachedInput: 0.05, batchOutput: 2.5, contextWindow: 200_000, maxInputTokens: 200_000, maxOutputTokens: 64_000, tokenizer: 'o200k_base', exactTokenizer: false, source: LITELLM_BATCH_HALF, asOf: AS_OF },
  // Google (litellm provider vertex_ai-language-models; same ids on the Gemini API and OpenRouter)
  { id: 'gemini-3-pro-preview', input: 2, cachedInput: 0.2, output: 12, batchInput: 1, batchCachedInput: null, batchOutput: 6, longContext: { aboveInputTokens: 200_000, input: 4, cachedInput: 0.4, output: 18 }, contextWindow: 1_048_576, maxInputTokens: 1_048_576, maxOutputTokens: 65_535, tokenizer: 'o200k_base', exactTokenizer: false, source: LITELLM, asOf: AS_OF },
  { id: 'gemini-3-flash-preview', input: 0.5, cachedInput: 0.05, output: 3, batchInput: 0.25, batchCachedInput: 0.025, batchOutput: 1.5, contextWindow: 1_048_576, maxInputTokens: 1_048_576, maxOutputTokens: 65_535, tokenizer: 'o200k_base', exactTokenizer: false, source: LITELLM_BATCH_HALF, asOf: AS_OF },
  { id: 'gemini-2.5-pro', input: 1.25, cachedInput: 0.125, output: 10, batchInput: 0.625, batchCachedInput: 0.0625, batchOutput: 5, longContext: { aboveInputTokens: 200_000, input: 2.5, cachedInput: 0.25, output: 15 }, contextWindow: 1_048_576, maxInputTokens: 1_048_576, maxOutputTokens: 65_535, tokenizer: 'o200k_base', exactTokenizer: false, source: LITELLM_BATCH_HALF, asOf: AS_OF },
  { id: 'gemini-2.5-flash', input: 0.3, cachedInput: 0.03, output: 2.5, batchInput: 0.15, batchCachedInput: 0.015, batchOutput: 1.25, contextWindow: 1_048_576, maxInputTokens: 1_048_576, maxOutputTokens: 65_535, tokenizer: 'o200k_base', exactTokenizer: false, source: LITELLM_BATCH_HALF, asOf: AS_OF },
  { id: 'gemini-2.5-flash-lite', input: 0.1, cachedInput: 0.01, output: 0.4, batchInput: 0.05, batchCachedInput: 0.005, batchOutput: 0.2, contextWindow: 1_048_576, maxInputTokens: 1_048_576, maxOutputTokens: 65_535, tokenizer: 'o200k_base', exactTokenizer: false, source: LITELLM_BATCH_HALF, asOf: AS_OF },
  // DeepSeek (first-party API prices)
  { id: 'deepseek-chat', input: 0.28, cachedInput: 0.028, output: 0.42, batchInput: null, batchCachedInput: null, batchOutput: null, contextWindow: 131_072, maxInputTokens: 131_072, maxOutputTokens: 8192, tokenizer: 'o200k_base', exactTokenizer: false, source: LITELLM_NO_BATCH, asOf: AS_OF },
  { id: 'deepseek-reasoner', input: 0.28, cachedInput: 0.028, output: 0.42, batchInput: null, batchCachedInput: null, batchOutput: null, contextWindow: 131_072, maxInputTokens: 131_072, maxOutputTokens: 65_536, tokenizer: 'o200k_base', exactTokenizer: false, source: LITELLM_NO_BATCH, asOf: AS_OF },
  // Meta Llama, as litellm lists it on Groq (Groq API ids as aliases)
  { id: 'groq/llama-3.3-70b-versatile', aliases: ['llama-3.3-70b-versatile'], input: 0.59, cachedInput: null, output: 0.79, batchInput: 0.295, batchCachedInput: null, batchOutput: 0.395, contextWindow: 128_000, maxInputTokens: 128_000, maxOutputTokens: 32_768, tokenizer: 'o200k_base', exactTokenizer: false, source: LITELLM_BATCH_HALF, asOf: AS_OF },
  { id: 'groq/llama-3.1-8b-instant', aliases: ['llama-3.1-8b-instant'], input: 0.05, cachedInput: null, output: 0.08, batchInput: 0.025, batchCachedInput: null, batchOutput: 0.04, contextWindow: 128_000, maxInputTokens: 128_000, maxOutputTokens: 8192, tokenizer: 'o200k_base', exactTokenizer: false, source: LITELLM_BATCH_HALF, asOf: AS_OF },
  { id: 'groq/meta-llama/llama-4-maverick-17b-128e-instruct', aliases: ['meta-llama/llama-4-maverick-17b-128e-instruct'], input: 0.2, cachedInput: null, output: 0.6, batchInput: 0.1, batchCachedInput: null, batchOutput: 0.3, contextWindow: 131_072, maxInputTokens: 131_072, maxOutputTokens: 8192, tokenizer: 'o200k_base', exactTokenizer: false, source: LITELLM_BATCH_HALF, asOf: AS_OF },
  { id: 'groq/meta-llama/llama-4-scout-17b-16e-instruct', aliases: ['meta-llama/llama-4-scout-17b-16e-instruct'], input: 0.11, cachedInput: null, output: 0.34, batchInput: 0.055, batchCachedInput: null, batchOutput: 0.17, contextWindow: 131_072, maxInputTokens: 131_072, maxOutputTokens: 8192, tokenizer: 'o200k_base', exactTokenizer: false, source: LITELLM_BATCH_HALF, asOf: AS_OF },
  // Meta Llama on OpenRouter
  { id: 'openrouter/meta-llama/llama-3-70b-instruct', aliases: ['meta-llama/llama-3-70b-instruct'], input: 0.59, cachedInput: null, output: 0.79, batchInput: null, batchCachedInput: null, batchOutput: null, contextWindow: 8192, maxInputTokens: 8192, maxOutputTokens: 8000, tokenizer: 'o200k_base', exactTokenizer: false, source: LITELLM_NO_BATCH, asOf: AS_OF },
];
