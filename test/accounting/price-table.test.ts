import { describe, expect, it } from 'vitest';
import { AS_OF, PRICE_TABLE } from '../../src/accounting/price-table.js';

const row = (id: string) => {
  const found = PRICE_TABLE.find((r) => r.id === id);
  if (!found) throw new Error(`no row ${id}`);
  return found;
};

describe('built-in price table', () => {
  it('has gpt-5.2 at litellm 2026-07-24 figures: 1.75 / 0.175 / 14.00, batch half (no *_batches keys)', () => {
    const r = row('gpt-5.2');
    expect([r.input, r.cachedInput, r.output]).toEqual([1.75, 0.175, 14]);
    expect([r.batchInput, r.batchCachedInput, r.batchOutput]).toEqual([0.875, 0.0875, 7]);
    expect(r.contextWindow).toBe(400_000); // OpenAI's total window; litellm's 272k input share kept apart
    expect(r.maxInputTokens).toBe(272_000);
    expect(r.maxOutputTokens).toBe(128_000);
    expect(r.tokenizer).toBe('o200k_base');
    expect(r.source).toMatch(/^litellm model_prices_and_context_window\.json \(2026-07-24\); batch = 50%/);
  });

  it.each([
    // id, input, cached, output, batch in, batch out (litellm per-token × 1e6)
    ['gpt-5.2-pro', 21, null, 168, 10.5, 84],
    ['gpt-5.1', 1.25, 0.125, 10, 0.625, 5],
    ['gpt-5', 1.25, 0.125, 10, 0.625, 5],
    ['gpt-5-mini', 0.25, 0.025, 2, 0.125, 1],
    ['gpt-5-nano', 0.05, 0.005, 0.4, 0.025, 0.2],
    ['gpt-4.1', 2, 0.5, 8, 1, 4], // input_cost_per_token_batches 1e-6, output 4e-6
    ['gpt-4.1-mini', 0.4, 0.1, 1.6, 0.2, 0.8],
    ['gpt-4.1-nano', 0.1, 0.025, 0.4, 0.05, 0.2],
    ['gpt-4o', 2.5, 1.25, 10, 1.25, 5],
    ['gpt-4o-mini', 0.15, 0.075, 0.6, 0.075, 0.3],
    ['o3', 2, 0.5, 8, 1, 4],
    ['o4-mini', 1.1, 0.275, 4.4, 0.55, 2.2],
  ] as const)('%s matches litellm', (id, input, cached, output, batchIn, batchOut) => {
    const r = row(id);
    expect([r.input, r.cachedInput, r.output, r.batchInput, r.batchOutput]).toEqual([input, cached, output, batchIn, batchOut]);
  });

  it('covers the families the CLI advertises', () => {
    const ids = new Set(PRICE_TABLE.map((r) => r.id));
    for (const id of ['gpt-5.2-chat-latest', 'o3-mini', 'gpt-3.5-turbo', 'gpt-4-turbo', 'claude-opus-4-5', 'claude-sonnet-4-5',
      'claude-haiku-4-5', 'gemini-2.5-pro', 'gemini-2.5-flash', 'gemini-3-pro-preview', 'deepseek-chat']) {
      expect(ids, id).toContain(id);
    }
    expect(PRICE_TABLE.some((r) => /llama/.test(r.id))).toBe(true);
  });

  it('gives every row a source and an as-of date, unique names, and no float noise', () => {
    const names = new Set<string>();
    for (const r of PRICE_TABLE) {
      expect(r.source, r.id).toMatch(/^litellm /);
      expect(r.asOf, r.id).toBe(AS_OF);
      for (const name of [r.id, ...(r.aliases ?? [])]) {
        expect(names.has(name.toLowerCase()), name).toBe(false);
        names.add(name.toLowerCase());
      }
      for (const n of [r.input, r.cachedInput, r.output, r.batchInput, r.batchCachedInput, r.batchOutput]) {
        if (n !== null) expect(Number(n.toPrecision(10)), r.id).toBe(n);
      }
      expect(r.input).toBeGreaterThan(0);
      expect(r.output).toBeGreaterThan(0);
    }
  });

  it('uses cl100k_base only for the gpt-4 / gpt-3.5 generation, and marks other vendors approximate', () => {
    expect(row('gpt-4-turbo').tokenizer).toBe('cl100k_base');
    expect(row('gpt-3.5-turbo').tokenizer).toBe('cl100k_base');
    expect(row('gpt-4o').tokenizer).toBe('o200k_base');
    expect(row('claude-sonnet-4-5')).toMatchObject({ tokenizer: 'o200k_base', exactTokenizer: false });
    expect(row('gpt-5.2').exactTokenizer).toBe(true);
  });
});
