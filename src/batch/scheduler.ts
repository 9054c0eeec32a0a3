/**
 * Decides when the next request may start: a concurrency limit, requests- and tokens-per-minute
 * buckets, and a batch-wide back-off when the API answers 429. Hand-written because it is small
 * and central, and it takes a Clock so tests run in virtual time.
 */
import { type Clock, abortHub } from '../domain/index.js';

export interface SchedulerOptions {
  clock: Clock;
  /** Most requests in flight (default 8). */
  concurrency?: number;
  rpm?: number;
  tpm?: number;
  /** Pause after a 429 that names no delay. */
  defaultBackoffMs?: number;
  /** Shortest time between two concurrency cuts, so a burst of 429s from one moment counts once. */
  cutIntervalMs?: number;
}

/** A started request's hold on the scheduler; release it exactly once when the request ends. */
export interface Permit {
  /** `actualTokens`: the request's real total tokens, to correct the TPM estimate. */
  release(outcome?: { actualTokens?: number; ok?: boolean }): void;
  /** The API answered this request 429 (it may retry under the same permit); `retryAfterMs` as the server asked. */
  rateLimited(retryAfterMs?: number): void;
}

/** What `x-ratelimit-*` headers say about the remaining budget and when it refills. */
export interface RateLimitHints {
  remainingRequests?: number;
  remainingTokens?: number;
  resetRequestsMs?: number;
  resetTokensMs?: number;
}

/**
 * A token bucket that allows debt: a request bigger than the bucket may start when the bucket is
 * full and drives it negative, so the long-run rate still holds and nothing waits forever.
 */
class Bucket {
  private level: number;
  private updated: number;

  constructor(
    readonly perMinute: number,
    readonly capacity: number,
    now: number,
  ) {
    this.level = capacity;
    this.updated = now;
  }

  private refill(now: number): void {
    this.level = Math.min(this.capacity, this.level + ((now - this.updated) * this.perMinute) / 60_000);
    this.updated = now;
  }

  /** Milliseconds until `amount` may be taken (0 = now). */
  waitFor(amount: number, now: number): number {
    this.refill(now);
    const need = Math.min(amount, this.capacity);
    if (this.level >= need) return 0;
    return Math.ceil(((need - this.level) * 60_000) / this.perMinute);
  }

  take(amount: number, now: number): void {
    this.refill(now);
    this.level -= amount;
  }

  /** Gives back (or charges more for) what an estimate got wrong. */
  adjust(delta: number, now: number): void {
    this.refill(now);
    this.level = Math.min(this.capacity, this.level + delta);
  }

  /** The server says only `remaining` is left until `resetMs` from now. */
  clampTo(remaining: number, now: number): void {
    this.refill(now);
    this.level = Math.min(this.level, remaining);
  }
}

/**
 * AIMD concurrency: a 429 halves it (once per window), each round trip of successes adds one slot
 * back, and a 429 also pauses every start for its Retry-After.
 */
export class Scheduler {
  readonly limit: number;
  private readonly clock: Clock;
  private readonly requests?: Bucket;
  private readonly tokens?: Bucket;
  private readonly defaultBackoffMs: number;
  private readonly cutIntervalMs: number;
  private active = 0;
  private allowed: number;
  private growth = 0;
  /** Requests started so far; a permit's sequence number is the count before it. */
  private started = 0;
  /** Requests started before the last cut: their 429s belong to the wave that cut already answered. */
  private startedBeforeCut = 0;
  private lastCut = Number.NEGATIVE_INFINITY;
  private pausedUntil = 0;
  private rateLimitedCount = 0;
  private wakeSlot: (() => void) | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  /** Callers in `acquire`'s queue: `tryAcquire` never jumps it. */
  private waiting = 0;

  constructor(options: SchedulerOptions) {
    this.clock = options.clock;
    this.limit = Math.max(1, Math.floor(options.concurrency ?? 8));
    this.allowed = this.limit;
    this.defaultBackoffMs = options.defaultBackoffMs ?? 1_000;
    this.cutIntervalMs = options.cutIntervalMs ?? 1_000;
    const now = this.clock.now();
    // One second's worth of burst: OpenAI enforces limits over short windows, not per whole minute.
    if (options.rpm) this.requests = new Bucket(options.rpm, Math.max(1, options.rpm / 60), now);
    if (options.tpm) this.tokens = new Bucket(options.tpm, Math.max(1, options.tpm / 60), now);
  }

  get inFlight(): number {
    return this.active;
  }

  /** Concurrency in force now: the limit, lowered after 429s and grown back by successes. */
  get effectiveConcurrency(): number {
    return this.allowed;
  }

  get pausedUntilMs(): number | undefined {
    return this.pausedUntil > this.clock.now() ? this.pausedUntil : undefined;
  }

  get rateLimitEvents(): number {
    return this.rateLimitedCount;
  }

  /**
   * Waits until a request estimated at `estimatedTokens` may start, and takes its share of every
   * limit. Resolves undefined when `signal` aborts first (the caller stops dispatching).
   */
  acquire(estimatedTokens: number, signal?: AbortSignal): Promise<Permit | undefined> {
    // Callers queue in order, so a big request is not starved by small ones behind it.
    this.waiting++;
    const turn = this.queue.then(() => this.waitForTurn(Math.max(0, estimatedTokens), signal)).finally(() => this.waiting--);
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /** The permit at once when nobody is queued and every limit allows a start now, else undefined (then `acquire`). */
  tryAcquire(estimatedTokens: number): Permit | undefined {
    if (this.waiting > 0) return undefined;
    const estimate = Math.max(0, estimatedTokens);
    const now = this.clock.now();
    return this.waitMs(estimate, now) <= 0 ? this.take(estimate, now) : undefined;
  }

  private async waitForTurn(estimate: number, signal?: AbortSignal): Promise<Permit | undefined> {
    for (;;) {
      if (signal?.aborted) return undefined;
      if (this.active >= this.allowed) {
        await this.slotFreed(signal);
        continue;
      }
      const now = this.clock.now();
      const wait = this.waitMs(estimate, now);
      if (wait > 0) {
        // Some clocks reject a sleep on abort (the provider's); the loop then sees the abort.
        await this.clock.sleep(wait, signal).catch((err: unknown) => {
          if (!signal?.aborted) throw err;
        });
        continue;
      }
      return this.take(estimate, now);
    }
  }

  /** How long a start must wait for the pause and the buckets; Infinity without a free slot. */
  private waitMs(estimate: number, now: number): number {
    if (this.active >= this.allowed) return Infinity;
    return Math.max(this.pausedUntil - now, this.requests?.waitFor(1, now) ?? 0, this.tokens?.waitFor(estimate, now) ?? 0);
  }

  private take(estimate: number, now: number): Permit {
    this.requests?.take(1, now);
    this.tokens?.take(estimate, now);
    this.active++;
    return this.permit(estimate, this.started++);
  }

  /** Waits for a freed slot (or the stop); every start waits here once the slots are full, so no EventTarget listener. */
  private slotFreed(signal?: AbortSignal): Promise<void> {
    const stop = signal && abortHub(signal);
    return new Promise<void>((resolve) => {
      const done = () => {
        stop?.removeListener('abort', done);
        this.wakeSlot = undefined;
        resolve();
      };
      this.wakeSlot = done;
      stop?.once('abort', done);
    });
  }

  private permit(estimate: number, seq: number): Permit {
    let released = false;
    let limited = false;
    return {
      release: (outcome = {}) => {
        if (released) return;
        released = true;
        this.active--;
        const now = this.clock.now();
        if (outcome.actualTokens !== undefined) this.tokens?.adjust(estimate - outcome.actualTokens, now);
        // A request that needed a 429 retry to get through is no sign the current rate is fine.
        if (outcome.ok !== false && !limited) this.grow();
        this.wakeSlot?.();
      },
      rateLimited: (retryAfterMs) => {
        limited = true;
        this.backOff(retryAfterMs, seq);
      },
    };
  }

  /** Additive increase: one more slot per `allowed` successes, about one per round trip. */
  private grow(): void {
    if (this.allowed >= this.limit) return;
    this.growth += 1 / this.allowed;
    if (this.growth >= 1) {
      this.growth -= 1;
      this.allowed++;
      this.wakeSlot?.();
    }
  }

  /**
   * Pauses every start until the Retry-After passes (long ones are honoured), and halves the
   * concurrency unless a cut happened within the window or the request started before the last cut.
   */
  private backOff(retryAfterMs: number | undefined, seq: number): void {
    const now = this.clock.now();
    const delay = retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs >= 0 ? retryAfterMs : this.defaultBackoffMs;
    this.rateLimitedCount++;
    this.pausedUntil = Math.max(this.pausedUntil, now + delay);
    if (seq < this.startedBeforeCut) return;
    if (now - this.lastCut < this.cutIntervalMs) return;
    this.lastCut = now;
    this.startedBeforeCut = this.started;
    this.allowed = Math.max(1, Math.floor(this.allowed / 2));
    this.growth = 0;
  }

  /** Takes the server's word on what is left: an empty bucket pauses dispatch until its reset. */
  observeRateLimit(hints: RateLimitHints): void {
    const now = this.clock.now();
    if (hints.remainingRequests !== undefined && hints.remainingRequests >= 0) {
      this.requests?.clampTo(hints.remainingRequests, now);
      if (hints.remainingRequests === 0 && hints.resetRequestsMs !== undefined) {
        this.pausedUntil = Math.max(this.pausedUntil, now + hints.resetRequestsMs);
      }
    }
    if (hints.remainingTokens !== undefined && hints.remainingTokens >= 0) {
      this.tokens?.clampTo(hints.remainingTokens, now);
      if (hints.remainingTokens === 0 && hints.resetTokensMs !== undefined) {
        this.pausedUntil = Math.max(this.pausedUntil, now + hints.resetTokensMs);
      }
    }
  }
}

const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1, us: 0.001, µs: 0.001, ns: 0.000001 };

/**
 * Parses a Go-style duration (`1s`, `6m0s`, `12ms`, `1.5s`, `1h2m3.5s`) into milliseconds;
 * a bare number is read as seconds. Undefined when the text is not a duration.
 */
export function parseGoDuration(text: string): number | undefined {
  const s = text.trim();
  if (s === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000;
  const part = /(\d+(?:\.\d+)?|\.\d+)(ms|us|µs|ns|h|m|s)/gy;
  let total = 0;
  let end = 0;
  for (let match = part.exec(s); match; match = part.exec(s)) {
    total += Number(match[1]) * UNIT_MS[match[2]!]!;
    end = part.lastIndex;
  }
  return end === s.length && end > 0 ? total : undefined;
}

/** Reads OpenAI's `x-ratelimit-remaining-*` / `x-ratelimit-reset-*` headers; absent or odd values are left out. */
export function parseRateLimitHeaders(headers: Headers | Record<string, string | string[] | undefined>): RateLimitHints {
  const get = (name: string): string | undefined => {
    if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
    const record = headers as Record<string, string | string[] | undefined>;
    const value = record[name] ?? Object.entries(record).find(([k]) => k.toLowerCase() === name)?.[1];
    return Array.isArray(value) ? value[0] : value;
  };
  const count = (name: string) => {
    const raw = get(name);
    const n = raw === undefined || raw.trim() === '' ? NaN : Number(raw);
    // Azure and some aggregators send -1 for "no limit".
    return Number.isFinite(n) && n >= 0 ? n : undefined;
  };
  const duration = (name: string) => {
    const raw = get(name);
    return raw === undefined ? undefined : parseGoDuration(raw);
  };
  const hints: RateLimitHints = {};
  const remainingRequests = count('x-ratelimit-remaining-requests');
  const remainingTokens = count('x-ratelimit-remaining-tokens');
  const resetRequestsMs = duration('x-ratelimit-reset-requests');
  const resetTokensMs = duration('x-ratelimit-reset-tokens');
  if (remainingRequests !== undefined) hints.remainingRequests = remainingRequests;
  if (remainingTokens !== undefined) hints.remainingTokens = remainingTokens;
  if (resetRequestsMs !== undefined) hints.resetRequestsMs = resetRequestsMs;
  if (resetTokensMs !== undefined) hints.resetTokensMs = resetTokensMs;
  return hints;
}
