import { describe, expect, it } from 'vitest';
import type { Usage } from '../../src/domain/index.js';
import { believableUsage, tokenCount, usageProblem } from '../../src/providers/usage.js';

const usage = (input: number, output = 1): Usage => ({
  input_tokens: input,
  cached_input_tokens: 0,
  output_tokens: output,
  reasoning_tokens: 0,
  total_tokens: input + output,
  estimated: false,
});

describe('usageProblem', () => {
  it.each([
    ['a negative count', usage(-5), 400_000, /input_tokens is -5, below zero/],
    ['a fractional count', usage(3, 2.5), 400_000, /output_tokens is 2\.5, not a whole number/],
    ['a count that is not a number ("12")', usage(tokenCount('12')), 400_000, /input_tokens is not a finite number/],
    ['an infinite count (1e999 in JSON)', usage(Number.POSITIVE_INFINITY), null, /not a finite number/],
    ['more than 10 context windows', usage(4_000_001, 0), 400_000, /input_tokens is 4000001, more than 4,000,000/],
    ['more than 100M tokens, window unknown', usage(100_000_001, 0), null, /more than 100,000,000/],
  ])('refuses %s', (_name, u, window, message) => {
    expect(usageProblem(u, window)).toMatch(message);
  });

  it.each([
    ['10 context windows exactly', usage(3_999_999), 400_000],
    ['100M tokens, window unknown', usage(99_999_999), null],
    ['absent or null fields (counted as 0)', usage(tokenCount(undefined), tokenCount(null)), 400_000],
  ])('accepts %s', (_name, u, window) => {
    expect(usageProblem(u, window)).toBeUndefined();
  });
});

describe('believableUsage', () => {
  it('drops impossible usage, cost and all, with a usage warning', () => {
    expect(believableUsage({ type: 'usage', usage: usage(-1), providerCostUsd: 0.5 }, null)).toEqual({ warning: { kind: 'usage', message: expect.stringMatching(/impossible usage .*counting tokens locally/) } });
  });

  it.each([-99, Number.NaN, Number.POSITIVE_INFINITY])('keeps the usage but not a provider cost of %s', (cost) => {
    const checked = believableUsage({ type: 'usage', usage: usage(10), providerCostUsd: cost }, null);
    expect(checked.event).toEqual({ type: 'usage', usage: usage(10) });
    expect(checked.warning?.kind).toBe('cost');
  });

  it('passes a plausible usage and cost (zero included) through untouched', () => {
    const event = { type: 'usage' as const, usage: usage(10), providerCostUsd: 0 };
    expect(believableUsage(event, 400_000)).toEqual({ event });
  });
});
