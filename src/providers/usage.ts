/**
 * Usage and cost as a server reports them, checked before they are believed: a count that cannot be
 * true is treated as missing (counted locally, marked estimated) rather than logged, priced or summed.
 */
import type { Usage } from '../domain/index.js';
import type { ProviderEvent } from './types.js';

type UsageEvent = Extract<ProviderEvent, { type: 'usage' }>;

/** The most tokens one request can plausibly report when the model's context window is unknown. */
export const MAX_TOKENS_UNKNOWN_WINDOW = 100_000_000;

/** How many context windows one request may report before the count is called absurd. */
const WINDOWS = 10;

const COUNTS = ['input_tokens', 'cached_input_tokens', 'output_tokens', 'reasoning_tokens', 'total_tokens'] as const;

/** A token count as sent: absent or null is 0; anything but a number is NaN, so the check below refuses it. */
export function tokenCount(value: unknown): number {
  if (value === undefined || value === null) return 0;
  return typeof value === 'number' ? value : Number.NaN;
}

/** Why reported usage cannot be true (negative, fractional, not finite, absurd), or undefined when it can. */
export function usageProblem(usage: Usage, contextWindow: number | null): string | undefined {
  const limit = contextWindow ? contextWindow * WINDOWS : MAX_TOKENS_UNKNOWN_WINDOW;
  for (const field of COUNTS) {
    const n = usage[field];
    if (!Number.isFinite(n)) return `${field} is not a finite number`;
    if (n < 0) return `${field} is ${n}, below zero`;
    if (!Number.isInteger(n)) return `${field} is ${n}, not a whole number`;
    if (n > limit) return `${field} is ${n}, more than ${limit.toLocaleString('en-US')}`;
  }
  return undefined;
}

/** A cost the provider reported that can be used: a finite number of dollars, not below zero. */
export function isPlausibleCost(usd: number): boolean {
  return Number.isFinite(usd) && usd >= 0;
}

export interface CheckedUsage {
  /** The event to pass on; absent when its counts cannot be believed (the caller then counts locally). */
  event?: UsageEvent;
  warning?: { kind: 'usage' | 'cost'; message: string };
}

/** What of a usage event can be believed: nothing when a count is impossible, all but the cost when only that is. */
export function believableUsage(event: UsageEvent, contextWindow: number | null): CheckedUsage {
  const problem = usageProblem(event.usage, contextWindow);
  if (problem) return { warning: { kind: 'usage', message: `the API reported impossible usage (${problem}); counting tokens locally` } };
  const cost = event.providerCostUsd;
  if (cost === undefined || isPlausibleCost(cost)) return { event };
  return {
    event: { type: 'usage', usage: event.usage },
    warning: { kind: 'cost', message: `the API reported an impossible cost (${cost} USD); priced from the price table instead` },
  };
}
