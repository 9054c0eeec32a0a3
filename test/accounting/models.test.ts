import { describe, expect, it } from 'vitest';
import { candidateIds, listModels, lookupModel, tokenizerFor } from '../../src/accounting/models.js';
import { PRICE_TABLE } from '../../src/accounting/price-table.js';

describe('lookupModel', () => {
  it('finds an exact id', () => {
    const m = lookupModel('gpt-5.2');
    expect(m).toMatchObject({ id: 'gpt-5.2', tableId: 'gpt-5.2', contextWindow: 400_000, maxOutputTokens: 128_000, tokenizer: 'o200k_base', exactTokenizer: true, asOf: '2026-07-24' });
    expect(m.price).toMatchObject({ input: 1.75, cachedInput: 0.175, output: 14, batchInput: 0.875, batchOutput: 7 });
  });

  it('strips an OpenRouter vendor prefix and finds dotted Claude ids through aliases', () => {
    expect(lookupModel('openai/gpt-5.2')).toMatchObject({ id: 'openai/gpt-5.2', tableId: 'gpt-5.2' });
    expect(lookupModel('anthropic/claude-opus-4.5')).toMatchObject({ tableId: 'claude-opus-4-5', exactTokenizer: false });
    expect(lookupModel('anthropic/claude-opus-4.5').price).toMatchObject({ input: 5, cachedInput: 0.5, output: 25 });
    expect(lookupModel('google/gemini-2.5-flash').tableId).toBe('gemini-2.5-flash');
    expect(lookupModel('deepseek/deepseek-chat').tableId).toBe('deepseek-chat');
    expect(lookupModel('meta-llama/llama-3-70b-instruct').tableId).toBe('openrouter/meta-llama/llama-3-70b-instruct');
  });

  it('strips a date suffix unless the dated snapshot has its own row', () => {
    expect(lookupModel('gpt-4o-2024-08-06').tableId).toBe('gpt-4o');
    expect(lookupModel('gpt-5.2-2025-12-11').tableId).toBe('gpt-5.2');
    expect(lookupModel('openai/gpt-5.2-2025-12-11').tableId).toBe('gpt-5.2');
    expect(lookupModel('claude-sonnet-4-5-20250929').tableId).toBe('claude-sonnet-4-5');
    expect(lookupModel('gpt-4-0613')).toMatchObject({ tableId: 'gpt-4', tokenizer: 'cl100k_base' });
    expect(lookupModel('gpt-4o-2024-05-13').price).toMatchObject({ input: 5, output: 15 }); // priced apart in litellm
  });

  it('is case-insensitive about ids', () => {
    expect(lookupModel('GPT-5.2').tableId).toBe('gpt-5.2');
  });

  it('lists the candidate spellings most specific first', () => {
    expect(candidateIds('openai/gpt-4o-2024-08-06')).toEqual(['openai/gpt-4o-2024-08-06', 'gpt-4o-2024-08-06', 'openai/gpt-4o', 'gpt-4o']);
  });

  it('returns an unknown model unpriced, with an approximate o200k_base tokenizer', () => {
    expect(lookupModel('mistral-large-latest')).toMatchObject({
      id: 'mistral-large-latest', price: null, tokenizer: 'o200k_base', exactTokenizer: false, contextWindow: null, tableId: null, asOf: null,
    });
    expect(lookupModel('llama3:8b').price).toBeNull();
  });

  it('picks tokenizers per tiktoken model map, even for ids not in the table', () => {
    expect(tokenizerFor('gpt-5.9-mini')).toEqual({ tokenizer: 'o200k_base', exact: true });
    expect(tokenizerFor('o1-preview')).toEqual({ tokenizer: 'o200k_base', exact: true });
    expect(tokenizerFor('gpt-4-32k')).toEqual({ tokenizer: 'cl100k_base', exact: true });
    expect(tokenizerFor('gpt-3.5-turbo-16k')).toEqual({ tokenizer: 'cl100k_base', exact: true });
    expect(tokenizerFor('openai/gpt-4.1-mini')).toEqual({ tokenizer: 'o200k_base', exact: true });
    expect(tokenizerFor('qwen2.5')).toEqual({ tokenizer: 'o200k_base', exact: false });
  });
});

describe('config pricing overrides', () => {
  it('replaces only the figures given, keyed by the full id, and marks the source config', () => {
    const m = lookupModel('openai/gpt-5.2', { 'openai/gpt-5.2': { output: 20 } });
    expect(m.price).toMatchObject({ input: 1.75, cachedInput: 0.175, output: 20, batchInput: 0.875, batchOutput: 10 });
    expect(m.source).toBe('config');
    expect(m.asOf).toBeNull();
  });

  it('applies a key given as the stripped id, or as the table id', () => {
    expect(lookupModel('openai/gpt-5.2-2025-12-11', { 'gpt-5.2': { input: 2 } }).price?.input).toBe(2);
    expect(lookupModel('anthropic/claude-opus-4.5', { 'claude-opus-4-5': { input: 4 } }).price?.input).toBe(4);
    expect(lookupModel('claude-opus-4-5', { 'claude-opus-4.5': { input: 4 } }).price?.input).toBe(4);
  });

  it('prefers the most specific key', () => {
    const pricing = { 'gpt-5.2': { input: 2 }, 'openai/gpt-5.2': { input: 3 } };
    expect(lookupModel('openai/gpt-5.2', pricing).price?.input).toBe(3);
    expect(lookupModel('gpt-5.2', pricing).price?.input).toBe(2);
  });

  it('prices an unknown model from config when both input and output are given', () => {
    const m = lookupModel('my-local-model', { 'my-local-model': { input: 0.1, output: 0.2 } });
    expect(m.price).toEqual({ input: 0.1, cachedInput: null, output: 0.2, batchInput: 0.05, batchCachedInput: null, batchOutput: 0.1, longContext: null });
    expect(m.source).toBe('config');
    expect(lookupModel('my-local-model', { 'my-local-model': { input: 0.1 } }).price).toBeNull();
  });

  it('drops the long-context tier once the user sets the rates', () => {
    expect(lookupModel('claude-sonnet-4-5').price?.longContext).toMatchObject({ aboveInputTokens: 200_000, input: 6 });
    expect(lookupModel('claude-sonnet-4-5', { 'claude-sonnet-4-5': { input: 2 } }).price?.longContext).toBeNull();
  });
});

describe('listModels', () => {
  it('lists every table row, then config-only models', () => {
    const plain = listModels();
    expect(plain.map((m) => m.id)).toEqual(PRICE_TABLE.map((r) => r.id));
    const withConfig = listModels({ 'gpt-5.2': { input: 2 }, 'my-model': { input: 1, output: 2 }, 'openai/gpt-5.2': { output: 1 } });
    expect(withConfig).toHaveLength(PRICE_TABLE.length + 2);
    expect(withConfig.find((m) => m.id === 'gpt-5.2')).toMatchObject({ source: 'config', price: { input: 2, output: 14 } });
    expect(withConfig.find((m) => m.id === 'my-model')).toMatchObject({ source: 'config', price: { input: 1, output: 2 } });
    expect(withConfig.find((m) => m.id === 'openai/gpt-5.2')).toMatchObject({ source: 'config', price: { input: 1.75, output: 1 } });
  });
});
