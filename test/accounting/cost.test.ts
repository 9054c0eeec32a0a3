import { describe, expect, it } from 'vitest';
import { addCosts, costOf, formatUsd, ratesFor } from '../../src/accounting/cost.js';
import { lookupModel } from '../../src/accounting/models.js';
import type { Price, Usage } from '../../src/domain/index.js';

const usage = (input: number, cached: number, output: number, reasoning = 0): Usage => ({
  input_tokens: input,
  cached_input_tokens: cached,
  output_tokens: output,
  reasoning_tokens: reasoning,
  total_tokens: input + output,
  estimated: false,
});
const priceOf = (id: string): Price => lookupModel(id).price!;

describe('costOf', () => {
  it('bills uncached input, cached input and output at their rates (gpt-5.2)', () => {
    // 1,000 in of which 200 cached, 500 out:
    // 800 × 1.75 / 1e6 = 0.0014; 200 × 0.175 / 1e6 = 0.000035; 500 × 14 / 1e6 = 0.007; total 0.008435
    expect(costOf(usage(1000, 200, 500), priceOf('gpt-5.2'))).toEqual({
      input_usd: 0.0014,
      cached_input_usd: 0.000035,
      output_usd: 0.007,
      total_usd: 0.008435,
      priced: true,
    });
  });

  it('counts reasoning tokens once, inside output (o3)', () => {
    // 10,000 in, 4,000 out of which 3,000 reasoning: 10,000 × 2 / 1e6 = 0.02; 4,000 × 8 / 1e6 = 0.032
    expect(costOf(usage(10_000, 0, 4000, 3000), priceOf('o3'))).toMatchObject({ input_usd: 0.02, output_usd: 0.032, total_usd: 0.052 });
  });

  it('bills cached tokens at the input rate when the model has no cached price (gpt-5.2-pro)', () => {
    // 1,000 in of which 400 cached: 600 × 21 / 1e6 = 0.0126; 400 × 21 / 1e6 = 0.0084; 100 out × 168 / 1e6 = 0.0168
    expect(costOf(usage(1000, 400, 100), priceOf('gpt-5.2-pro'))).toMatchObject({
      input_usd: 0.0126, cached_input_usd: 0.0084, output_usd: 0.0168, total_usd: 0.0378,
    });
  });

  it('uses batch prices with { batch: true }', () => {
    // gpt-5.2 batch (half): 800 × 0.875 / 1e6 = 0.0007; 200 × 0.0875 / 1e6 = 0.0000175; 500 × 7 / 1e6 = 0.0035
    expect(costOf(usage(1000, 200, 500), priceOf('gpt-5.2'), { batch: true })).toMatchObject({
      input_usd: 0.0007, cached_input_usd: 0.0000175, output_usd: 0.0035, total_usd: 0.0042175,
    });
    // gpt-4.1 lists *_batches prices, which litellm applies to all prompt tokens, cached included:
    // 800 × 1 / 1e6 = 0.0008; 200 × 1 / 1e6 = 0.0002; 500 × 4 / 1e6 = 0.002
    expect(costOf(usage(1000, 200, 500), priceOf('gpt-4.1'), { batch: true })).toMatchObject({
      input_usd: 0.0008, cached_input_usd: 0.0002, output_usd: 0.002, total_usd: 0.003,
    });
  });

  it('falls back to standard rates in batch mode when a model has no batch price', () => {
    // deepseek-chat: 1,000 × 0.28 / 1e6 = 0.00028; 1,000 × 0.42 / 1e6 = 0.00042
    expect(costOf(usage(1000, 0, 1000), priceOf('deepseek-chat'), { batch: true }).total_usd).toBe(0.0007);
  });

  it('switches the whole request to long-context rates above the threshold', () => {
    const sonnet = priceOf('claude-sonnet-4-5');
    // at 200,000 in: 200,000 × 3 / 1e6 = 0.6; 1,000 out × 15 / 1e6 = 0.015
    expect(costOf(usage(200_000, 0, 1000), sonnet).total_usd).toBe(0.615);
    // at 200,001 in (of which 1 cached): 200,000 × 6 / 1e6 = 1.2; 1 × 0.6 / 1e6 = 0.0000006; 1,000 × 22.5 / 1e6 = 0.0225
    expect(costOf(usage(200_001, 1, 1000), sonnet)).toMatchObject({ input_usd: 1.2, cached_input_usd: 0.0000006, output_usd: 0.0225 });
    expect(ratesFor(sonnet, 300_000, true)).toEqual({ input: 1.5, cachedInput: 0.15, output: 7.5 });
  });

  it('returns zeros and priced:false for an unpriced model', () => {
    expect(costOf(usage(1000, 0, 1000), null)).toEqual({ input_usd: 0, cached_input_usd: 0, output_usd: 0, total_usd: 0, priced: false });
  });

  it('never bills more cached tokens than input tokens, nor negative counts', () => {
    // 100 in, 500 "cached" → 100 cached: 100 × 0.175 / 1e6 = 0.0000175
    expect(costOf(usage(100, 500, 0), priceOf('gpt-5.2'))).toMatchObject({ input_usd: 0, cached_input_usd: 0.0000175 });
    expect(costOf(usage(-5, 0, -1), priceOf('gpt-5.2')).total_usd).toBe(0);
  });

  it('adds costs, staying priced only if every part was', () => {
    const a = costOf(usage(1000, 200, 500), priceOf('gpt-5.2'));
    expect(addCosts(a, a)).toMatchObject({ total_usd: 0.01687, priced: true });
    expect(addCosts(a, costOf(usage(1, 0, 1), null)).priced).toBe(false);
  });
});

describe('formatUsd', () => {
  it.each([
    [0, '$0.00'],
    [12.344, '$12.34'],
    [1234.5, '$1,234.50'],
    [1, '$1.00'],
    [0.5, '$0.50'],
    [0.0523, '$0.0523'],
    [0.008435, '$0.0084'],
    [0.0012, '$0.0012'],
    [0.000035, '$0.000035'],
    [0.0000123, '$0.000012'],
    [-0.25, '-$0.25'],
  ])('%s → %s', (n, text) => {
    expect(formatUsd(n)).toBe(text);
  });
});
