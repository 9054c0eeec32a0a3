import { describe, expect, it } from 'vitest';
import { runBatch } from '../../src/batch/runner.js';
import { Scheduler, parseGoDuration, parseRateLimitHeaders, type Permit } from '../../src/batch/scheduler.js';
import type { BatchItem } from '../../src/batch/types.js';
import type { Clock } from '../../src/domain/index.js';
import type { Provider } from '../../src/providers/types.js';
import { FakeClock, FakeProvider, MemorySink, PRICING, fakeCounter, fromArray, usageOf, type Reply } from './fakes.js';

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

/** A small deterministic PRNG, so the random 429s are the same on every run. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Wraps a provider to measure requests in flight over virtual time (retry waits included: they hold a slot). */
function metered(clock: Clock, inner: Provider) {
  let area = 0;
  let last = clock.now();
  let active = 0;
  const touch = () => {
    const now = clock.now();
    area += active * (now - last);
    last = now;
  };
  const provider: Provider = {
    async *stream(request) {
      touch();
      active++;
      try {
        yield* inner.stream(request);
      } finally {
        touch();
        active--;
      }
    },
  };
  return { provider, meanInFlight: () => (touch(), area / clock.now()) };
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
      pricing: PRICING,
      writer: new MemorySink(),
      clock,
    });
    expect(summary.ok).toBe(60);
    expect(provider.maxActive).toBe(3);
  });
});

describe('tryAcquire (a start without an await)', () => {
  it('gives a permit only while a slot is free, nobody is queued and no limit makes it wait', async () => {
    const clock = new FakeClock();
    const scheduler = new Scheduler({ clock, concurrency: 2, rpm: 60 });
    const first = scheduler.tryAcquire(0);
    expect(first).toBeDefined();
    expect(scheduler.tryAcquire(0)).toBeUndefined(); // --rpm 60: one start a second
    clock.time += 1000;
    const second = scheduler.tryAcquire(0);
    expect(second).toBeDefined();
    clock.time += 1000;
    expect(scheduler.tryAcquire(0)).toBeUndefined(); // both slots taken
    const queued = scheduler.acquire(0);
    first!.release();
    expect(scheduler.tryAcquire(0)).toBeUndefined(); // the queued caller goes first
    const third = await queued;
    expect(third).toBeDefined();
    expect(scheduler.inFlight).toBe(2);
    third!.release();
    expect(scheduler.tryAcquire(0)).toBeUndefined(); // the third took this second's start
    clock.time += 1000;
    expect(scheduler.tryAcquire(0)).toBeDefined();
  });
});

describe('rate limits in virtual time', () => {
  it('--rpm: no 60 s window holds more than rpm starts (plus a one-second burst)', async () => {
    const clock = new FakeClock();
    const provider = new FakeProvider(clock, () => ({}), 10);
    await runBatch({ items: fromArray(items(150)), provider, model: 'm', options: {}, concurrency: 50, rpm: 60, pricing: PRICING, writer: new MemorySink(), clock });
    expect(provider.starts).toHaveLength(150);
    expect(maxInWindow(provider.starts, 60_000)).toBeLessThanOrEqual(61);
    // And it is not needlessly slow: about one a second.
    expect(clock.now()).toBeGreaterThan(148_000);
    expect(clock.now()).toBeLessThan(152_000);
  });

  it('--tpm: estimated tokens started per minute stay within the limit', async () => {
    const clock = new FakeClock();
    const provider = new FakeProvider(clock, () => ({ usage: usageOf(500, 500) }), 10);
    await runBatch({ items: fromArray(items(30)), provider, model: 'm', options: {}, concurrency: 50, tpm: 6_000, counterFor: fakeCounter(500), expectedOutputTokens: 500, pricing: PRICING, writer: new MemorySink(), clock });
    const tokens = provider.starts.map(() => 1000);
    expect(maxInWindow(provider.starts, 60_000, tokens)).toBeLessThanOrEqual(6_000 + 1000);
    // 6 requests a minute: 30 take about five minutes.
    expect(clock.now()).toBeGreaterThan(280_000);
  });

  it('--tpm: real usage corrects the estimate, so over-estimates do not slow the batch', async () => {
    const run = async (actual: number) => {
      const clock = new FakeClock();
      const provider = new FakeProvider(clock, () => ({ usage: usageOf(actual / 2, actual / 2) }), 10);
      await runBatch({ items: fromArray(items(20)), provider, model: 'm', options: {}, concurrency: 1, tpm: 6_000, counterFor: fakeCounter(500), expectedOutputTokens: 500, pricing: PRICING, writer: new MemorySink(), clock });
      return clock.now();
    };
    const exact = await run(1000);
    const smaller = await run(100);
    expect(exact).toBeGreaterThan(180_000);
    expect(smaller).toBeLessThan(exact / 5);
  });
});

describe('429 back-off', () => {
  it('a burst of 429s from one wave halves concurrency once and pauses every start for exactly the Retry-After', async () => {
    const clock = new FakeClock();
    const s = new Scheduler({ clock, concurrency: 8 });
    const permits: Permit[] = [];
    for (let i = 0; i < 8; i++) permits.push((await s.acquire(0))!);
    // The whole wave is refused at once: it counts as one signal for the cut.
    for (const p of permits) p.rateLimited(2_000);
    expect(s.effectiveConcurrency).toBe(4);
    expect(s.pausedUntilMs).toBe(2_000);
    expect(s.rateLimitEvents).toBe(8);
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
    next!.release({ ok: true });
    permits.push((await fifth)!);
    expect(s.inFlight).toBe(4);
  });

  it('429s of requests started before the last cut do not cut again; a later request’s 429 does, once a window has passed', async () => {
    const clock = new FakeClock();
    const s = new Scheduler({ clock, concurrency: 16, cutIntervalMs: 1_000 });
    const old = [];
    for (let i = 0; i < 16; i++) old.push((await s.acquire(0))!);
    old[0]!.rateLimited(10);
    expect(s.effectiveConcurrency).toBe(8);
    // Seconds later the same wave is still answering 429 (retries under the same permits): already answered.
    await clock.sleep(3_000);
    for (const p of old) p.rateLimited(10);
    expect(s.effectiveConcurrency).toBe(8);
    // Their eventual successes do not count towards recovery: each needed a 429 retry to get through.
    for (const p of old.splice(8)) p.release({ ok: true });
    expect(s.effectiveConcurrency).toBe(8);
    for (const p of old.splice(0)) p.release({ ok: false });

    const fresh = (await s.acquire(0))!;
    fresh.rateLimited(10);
    expect(s.effectiveConcurrency).toBe(4);
    // A second new-generation 429 within the window is part of the same moment.
    const another = (await s.acquire(0))!;
    another.rateLimited(10);
    expect(s.effectiveConcurrency).toBe(4);
    await clock.sleep(1_000);
    const later = (await s.acquire(0))!;
    later.rateLimited(10);
    expect(s.effectiveConcurrency).toBe(2);
  });

  it('never cuts below 1, and recovers from 1 to the limit within limit×(limit−1)/2 successes, one slot per round of successes', async () => {
    const clock = new FakeClock();
    const limit = 16;
    const s = new Scheduler({ clock, concurrency: limit });
    for (let i = 0; i < 8; i++) {
      const p = (await s.acquire(0))!;
      p.rateLimited(0);
      p.release({ ok: false });
      await clock.sleep(1_000);
    }
    expect(s.effectiveConcurrency).toBe(1);

    // Closed loop: keep as many requests in flight as allowed, finish the oldest, repeat. No quiet period needed.
    const held: Permit[] = [];
    const steps: number[] = [];
    let completions = 0;
    while (s.effectiveConcurrency < limit && completions < 1_000) {
      while (held.length < s.effectiveConcurrency) held.push((await s.acquire(0))!);
      held.shift()!.release({ ok: true });
      completions++;
      if (s.effectiveConcurrency !== (steps.at(-1) ?? 1)) steps.push(s.effectiveConcurrency);
    }
    expect(completions).toBe((limit * (limit - 1)) / 2);
    expect(steps).toEqual(Array.from({ length: limit - 1 }, (_, i) => i + 2));
    expect(clock.now()).toBe(8_000);
    // And it stays at the limit.
    for (let i = 0; i < 100; i++) {
      while (held.length < s.effectiveConcurrency) held.push((await s.acquire(0))!);
      held.shift()!.release({ ok: true });
    }
    expect(s.effectiveConcurrency).toBe(limit);
  });

  it('a later, longer Retry-After extends the pause; a shorter one does not cut it short', async () => {
    const clock = new FakeClock();
    const s = new Scheduler({ clock, concurrency: 4 });
    const p = (await s.acquire(0))!;
    p.rateLimited(5_000);
    p.rateLimited(1_000);
    expect(s.pausedUntilMs).toBe(5_000);
    const waiting = s.acquire(0);
    await clock.sleep(2_000);
    p.rateLimited(7_000);
    await waiting;
    expect(clock.now()).toBe(9_000);
  });

  it('a steady 3.6% rate of random 429s (among other faults) keeps mean concurrency at half the limit or more', async () => {
    const clock = new FakeClock();
    const random = mulberry32(7);
    // Like the soak: 429s with a short Retry-After, 500s and resets retried after a back-off that holds the slot.
    const reply = (): Reply => {
      const latencyMs = 50 + Math.floor(random() * 200);
      const roll = random();
      if (roll < 0.036) return { latencyMs, retries: [{ delayMs: 20, reason: 'Too Many Requests', status: 429 }] };
      if (roll < 0.072) return { latencyMs, retries: [{ delayMs: 500, reason: 'server error', status: 500 }] };
      if (roll < 0.108) return { latencyMs, retries: [{ delayMs: 500, reason: 'ECONNRESET', restart: true }] };
      return { latencyMs };
    };
    const fake = new FakeProvider(clock, reply);
    const { provider, meanInFlight } = metered(clock, fake);
    const concurrency: number[] = [];
    const summary = await runBatch({
      items: fromArray(items(5_000)),
      provider,
      model: 'm',
      options: {},
      concurrency: 16,
      pricing: PRICING,
      writer: new MemorySink(),
      clock,
      onProgress: (p) => concurrency.push(p.concurrency),
    });
    expect(summary.ok).toBe(5_000);
    expect(summary.rateLimited).toBeGreaterThan(150);
    expect(fake.maxActive).toBe(16);
    // About 10 of 16 in flight on average; growing back only after 5 quiet seconds gave 1.7.
    expect(meanInFlight()).toBeGreaterThanOrEqual(8);
    expect(concurrency.reduce((a, b) => a + b, 0) / concurrency.length).toBeGreaterThanOrEqual(8);
  });

  it('once the 429s stop, concurrency is back at the limit within a bounded number of completions', async () => {
    const clock = new FakeClock();
    // Every request in the first six seconds is refused once; none after.
    const provider = new FakeProvider(clock, () => (clock.now() < 6_000 ? { retries: [{ delayMs: 50, reason: 'Too Many Requests', status: 429 }] } : {}), 100);
    const seen: { done: number; concurrency: number }[] = [];
    await runBatch({
      items: fromArray(items(1_000)),
      provider,
      model: 'm',
      options: {},
      concurrency: 16,
      pricing: PRICING,
      writer: new MemorySink(),
      clock,
      onProgress: (p) => seen.push({ done: p.done, concurrency: p.concurrency }),
    });
    const lowest = Math.min(...seen.map((p) => p.concurrency));
    expect(lowest).toBe(1);
    const lastLow = seen.findLastIndex((p) => p.concurrency === lowest);
    const backAtLimit = seen.findIndex((p, i) => i > lastLow && p.concurrency === 16);
    expect(backAtLimit).toBeGreaterThan(lastLow);
    // From 1 to 16 takes 1 + 2 + … + 15 = 120 successes (plus the in-flight wave that was cut).
    expect(seen[backAtLimit]!.done - seen[lastLow]!.done).toBeLessThanOrEqual(120 + 16);
    expect(seen.at(-1)!.concurrency).toBe(16);
  });

  it('a long Retry-After is honoured, not capped', async () => {
    const clock = new FakeClock();
    const s = new Scheduler({ clock, concurrency: 2 });
    const p = (await s.acquire(0))!;
    p.rateLimited(90_000);
    p.release({ ok: false });
    await s.acquire(0);
    expect(clock.now()).toBe(90_000);
  });

  it('the runner pauses the whole batch for exactly the Retry-After when a request reports a 429 retry, then recovers', async () => {
    const clock = new FakeClock();
    const provider = new FakeProvider(clock, (_r, call) => (call === 5 ? { retries: [{ delayMs: 3_000, reason: '429 Too Many Requests' }] } : {}), 100);
    const progress: number[] = [];
    const summary = await runBatch({
      items: fromArray(items(300)),
      provider,
      model: 'm',
      options: {},
      concurrency: 4,
      pricing: PRICING,
      writer: new MemorySink(),
      clock,
      onProgress: (p) => progress.push(p.concurrency),
    });
    expect(summary.ok).toBe(300);
    expect(summary.rateLimited).toBe(1);
    const t429 = provider.starts[5]!;
    expect(provider.starts.filter((t) => t > t429 && t < t429 + 3_000)).toEqual([]);
    expect(provider.starts.find((t) => t > t429)).toBe(t429 + 3_000);
    expect(Math.min(...progress)).toBe(2);
    // Successes grow it back to the full limit.
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
