import { describe, expect, it } from 'vitest';
import { runBatch } from '../../src/batch/runner.js';
import { Scheduler, parseGoDuration, parseRateLimitHeaders, type Permit } from '../../src/batch/scheduler.js';
import type { BatchItem } from '../../src/batch/types.js';
import { FakeClock, FakeProvider, MemorySink, fromArray, priceOf, usageOf } from './fakes.js';

const items = (n: number): BatchItem[] => Array.from({ length: n }, (_, i) => ({ id: `i${i}`, line: i + 1, prompt: `p${i}`, options: {} }));

/** Most events inside any window of `width` ms that starts at an event. */
function maxInWindow(times: number[], width: number, weights: number[] = times.map(() => 1)): number {
  let best = 0;
  for (const [i, start] of times.entries()) {
    let sum = 0;
    for (const [j, t] of times.entries()) if (t >= start && t < start + width) sum += weights[j]!;
    best = Math.max(best, sum);
    void i;
  }
  return best;
}

describe('concurrency', () => {
  it('never has more requests in flight than the limit, and uses all of it', async () => {
    const clock = new FakeClock();
    const provider = new FakeProvider(clock, (_r, call) => ({ latencyMs: 20 + ((call * 37) % 90) }));
    const summary = await runBatch({
      items: fromArray(items(60)),
      provider,
      model: 'm',
      options: {},
      concurrency: 3,
      estimateTokens: () => 10,
      priceOf,
      writer: new MemorySink(),
      clock,
    });
    expect(summary.ok).toBe(60);
    expect(provider.maxActive).toBe(3);
  });
});

describe('rate limits in virtual time', () => {
  it('--rpm: no 60 s window holds more than rpm starts (plus a one-second burst)', async () => {
    const clock = new FakeClock();
    const provider = new FakeProvider(clock, () => ({}), 10);
    await runBatch({ items: fromArray(items(150)), provider, model: 'm', options: {}, concurrency: 50, rpm: 60, estimateTokens: () => 1, priceOf, writer: new MemorySink(), clock });
    expect(provider.starts).toHaveLength(150);
    expect(maxInWindow(provider.starts, 60_000)).toBeLessThanOrEqual(61);
    // And it is not needlessly slow: about one a second.
    expect(clock.now()).toBeGreaterThan(148_000);
    expect(clock.now()).toBeLessThan(152_000);
  });

  it('--tpm: estimated tokens started per minute stay within the limit', async () => {
    const clock = new FakeClock();
    const provider = new FakeProvider(clock, () => ({ usage: usageOf(500, 500) }), 10);
    await runBatch({ items: fromArray(items(30)), provider, model: 'm', options: {}, concurrency: 50, tpm: 6_000, estimateTokens: () => ({ input: 500, output: 500 }), priceOf, writer: new MemorySink(), clock });
    const tokens = provider.starts.map(() => 1000);
    expect(maxInWindow(provider.starts, 60_000, tokens)).toBeLessThanOrEqual(6_000 + 1000);
    // 6 requests a minute: 30 take about five minutes.
    expect(clock.now()).toBeGreaterThan(280_000);
  });

  it('--tpm: real usage corrects the estimate, so over-estimates do not slow the batch', async () => {
    const run = async (actual: number) => {
      const clock = new FakeClock();
      const provider = new FakeProvider(clock, () => ({ usage: usageOf(actual / 2, actual / 2) }), 10);
      await runBatch({ items: fromArray(items(20)), provider, model: 'm', options: {}, concurrency: 1, tpm: 6_000, estimateTokens: () => ({ input: 500, output: 500 }), priceOf, writer: new MemorySink(), clock });
      return clock.now();
    };
    const exact = await run(1000);
    const smaller = await run(100);
    expect(exact).toBeGreaterThan(180_000);
    expect(smaller).toBeLessThan(exact / 5);
  });
});

describe('429 back-off', () => {
  it('halves concurrency once per burst, pauses until Retry-After, then recovers gradually', async () => {
    const clock = new FakeClock();
    const s = new Scheduler({ clock, concurrency: 8, recoveryDelayMs: 5_000 });
    const permits: Permit[] = [];
    for (let i = 0; i < 8; i++) permits.push((await s.acquire(0))!);
    // The whole wave is refused at once: it counts as one signal for the halving.
    for (let i = 0; i < 8; i++) s.onRateLimited(2_000);
    expect(s.effectiveConcurrency).toBe(4);
    expect(s.pausedUntilMs).toBe(2_000);
    for (const p of permits.splice(0)) p.release({ ok: false });

    const next = await s.acquire(0);
    expect(clock.now()).toBe(2_000);
    for (let i = 1; i < 4; i++) permits.push((await s.acquire(0))!);
    expect(s.inFlight).toBe(4);
    let fifthStarted = false;
    const fifth = s.acquire(0).then((p) => {
      fifthStarted = true;
      return p;
    });
    await clock.sleep(100);
    expect(fifthStarted).toBe(false);

    // Successes inside the quiet period do not grow it back.
    next!.release({ ok: true });
    permits.push((await fifth)!);
    expect(s.effectiveConcurrency).toBe(4);

    // After the quiet period, each round of successes adds one slot, up to the limit.
    await clock.sleep(6_000);
    for (let round = 0; round < 20; round++) {
      for (const p of permits.splice(0)) p.release({ ok: true });
      const want = s.effectiveConcurrency;
      for (let i = 0; i < want; i++) permits.push((await s.acquire(0))!);
    }
    expect(s.effectiveConcurrency).toBe(8);
    expect(s.inFlight).toBe(8);
  });

  it('a long Retry-After is honoured, not capped', async () => {
    const clock = new FakeClock();
    const s = new Scheduler({ clock, concurrency: 2 });
    s.onRateLimited(90_000);
    await s.acquire(0);
    expect(clock.now()).toBe(90_000);
  });

  it('the runner pauses the whole batch when a request reports a 429 retry', async () => {
    const clock = new FakeClock();
    const provider = new FakeProvider(clock, (_r, call) => (call === 5 ? { retries: [{ delayMs: 3_000, reason: '429 Too Many Requests' }] } : {}), 100);
    const progress: number[] = [];
    const summary = await runBatch({
      items: fromArray(items(300)),
      provider,
      model: 'm',
      options: {},
      concurrency: 4,
      estimateTokens: () => 1,
      priceOf,
      writer: new MemorySink(),
      clock,
      onProgress: (p) => progress.push(p.concurrency),
    });
    expect(summary.ok).toBe(300);
    expect(summary.rateLimited).toBe(1);
    const t429 = provider.starts[5]!;
    expect(provider.starts.filter((t) => t > t429 && t < t429 + 3_000)).toEqual([]);
    expect(Math.min(...progress)).toBe(2);
    // Five quiet seconds later it grows back to the full limit.
    expect(progress.at(-1)).toBe(4);
  });

  it('server hints: an empty bucket pauses until its reset', async () => {
    const clock = new FakeClock();
    const s = new Scheduler({ clock, concurrency: 2, rpm: 1_000 });
    s.observeRateLimit(parseRateLimitHeaders({ 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '1.5s' }));
    await s.acquire(0);
    expect(clock.now()).toBe(1_500);
  });
});

describe('rate-limit header parsing', () => {
  it.each([
    ['1s', 1_000],
    ['6m0s', 360_000],
    ['12ms', 12],
    ['1.5s', 1_500],
    ['60s', 60_000],
    ['1h2m3.5s', 3_723_500],
    ['250us', 0.25],
    ['2', 2_000],
    ['', undefined],
    ['soon', undefined],
    ['5x', undefined],
    ['-1s', undefined],
  ])('parseGoDuration(%j) = %j', (text, ms) => {
    expect(parseGoDuration(text)).toBe(ms);
  });

  it('reads the x-ratelimit headers from a Headers object or a plain record, ignoring -1', () => {
    const headers = new Headers({
      'x-ratelimit-remaining-requests': '59',
      'x-ratelimit-remaining-tokens': '149984',
      'x-ratelimit-reset-requests': '1s',
      'x-ratelimit-reset-tokens': '6m0s',
    });
    expect(parseRateLimitHeaders(headers)).toEqual({ remainingRequests: 59, remainingTokens: 149984, resetRequestsMs: 1_000, resetTokensMs: 360_000 });
    expect(parseRateLimitHeaders({ 'X-RateLimit-Remaining-Tokens': '-1', 'x-ratelimit-reset-tokens': '20ms' })).toEqual({ resetTokensMs: 20 });
  });
});
