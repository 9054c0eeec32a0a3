/** Pure cost arithmetic: usage × per-1M prices → USD (openai-api.md §5.1). */
import type { Usage, Cost, Price } from '../domain/index.js';

/** Rounds to 12 significant digits: drops float noise (0.0014000000000000002) and keeps sub-cent precision. */
export function roundUsd(n: number): number {
  return n === 0 ? 0 : Number(n.toPrecision(12));
}

export const UNPRICED: Readonly<Cost> = Object.freeze({ input_usd: 0, cached_input_usd: 0, output_usd: 0, total_usd: 0, priced: false });

interface Rates {
  input: number;
  cachedInput: number;
  output: number;
}

/**
 * The per-1M rates one request pays. Long context: above the threshold every token of the request
 * pays the higher rates (litellm's rule). Batch: the batch rates (the Batch API has no long-context
 * tier in our sources); a model without batch rates pays standard, never an invented discount.
 */
export function ratesFor(price: Price, inputTokens: number, batch = false): Rates {
  if (batch) {
    const input = price.batchInput ?? price.input;
    const cachedInput = price.batchCachedInput ?? (price.batchInput !== null ? price.batchInput : (price.cachedInput ?? price.input));
    return { input, cachedInput, output: price.batchOutput ?? price.output };
  }
  const tier = price.longContext && inputTokens > price.longContext.aboveInputTokens ? price.longContext : price;
  return { input: tier.input, cachedInput: tier.cachedInput ?? tier.input, output: tier.output };
}

/**
 * cost = (input − cached)·in + cached·cachedIn + output·out, all /1e6, where input includes the
 * cached tokens, output includes the reasoning tokens, and a missing cached rate means the input rate.
 */
export function costOf(usage: Usage, price: Price | null, opts: { batch?: boolean } = {}): Cost {
  if (!price) return { ...UNPRICED };
  const input = Math.max(0, usage.input_tokens);
  const cached = Math.min(Math.max(0, usage.cached_input_tokens), input);
  const output = Math.max(0, usage.output_tokens);
  const rates = ratesFor(price, input, opts.batch ?? false);
  const input_usd = roundUsd(((input - cached) * rates.input) / 1e6);
  const cached_input_usd = roundUsd((cached * rates.cachedInput) / 1e6);
  const output_usd = roundUsd((output * rates.output) / 1e6);
  return { input_usd, cached_input_usd, output_usd, total_usd: roundUsd(input_usd + cached_input_usd + output_usd), priced: true };
}

/** Adds costs (a session, a batch); priced only if every part was. */
export function addCosts(a: Cost, b: Cost): Cost {
  return {
    input_usd: roundUsd(a.input_usd + b.input_usd),
    cached_input_usd: roundUsd(a.cached_input_usd + b.cached_input_usd),
    output_usd: roundUsd(a.output_usd + b.output_usd),
    total_usd: roundUsd(a.total_usd + b.total_usd),
    priced: a.priced && b.priced,
  };
}

/**
 * Dollars for people, always in decimals (never `1e-7`): `$12.34` and `$1,234.56` from a dollar up, `$0.0523`
 * from a cent, and two significant digits below that (`$0.0012`, `$0.000035`) so a tiny request never reads as
 * $0.00. `exact` shows every digit (up to 12 decimals) of a figure someone chose: a limit, a price per 1M tokens.
 */
export function formatUsd(n: number, { exact = false } = {}): string {
  if (!Number.isFinite(n)) return `$${n}`;
  const sign = n < 0 ? '-' : '';
  const abs = Math.abs(n);
  if (exact) return `${sign}$${abs.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 12 })}`;
  if (abs === 0) return '$0.00';
  if (abs >= 1) {
    return `${sign}$${abs.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  }
  const decimals = abs >= 0.01 ? 4 : Math.min(20, 1 - Math.floor(Math.log10(abs)));
  let text = abs.toFixed(decimals);
  if (text.includes('.')) text = text.replace(/0+$/, '');
  const [whole, frac = ''] = text.split('.');
  return `${sign}$${whole}.${frac.padEnd(2, '0')}`;
}
