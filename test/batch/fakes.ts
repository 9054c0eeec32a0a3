/** Test doubles for the batch engine: a virtual clock and an in-memory Provider. */
import { costOf } from '../../src/accounting/cost.js';
import { lookupModel } from '../../src/accounting/models.js';
import type { TokenCounter } from '../../src/accounting/tokenizer.js';
import type { CounterFor } from '../../src/batch/item.js';
import type { ResultLine, ResultSink } from '../../src/batch/types.js';
import { type Clock, type Cost, GptError, type Usage } from '../../src/domain/index.js';
import type { Provider, ProviderEvent, ProviderRequest } from '../../src/providers/types.js';

interface Timer {
  at: number;
  seq: number;
  resolve: () => void;
}

/**
 * Virtual time: a sleep resolves when everything else is idle (the event loop has drained), and the
 * clock jumps straight to the earliest timer, so hours of back-off take microseconds. An abort rejects
 * the sleep with an 'interrupted' GptError, as the real clock does.
 */
export class FakeClock implements Clock {
  time = 0;
  private timers: Timer[] = [];
  private seq = 0;
  private scheduled = false;

  now(): number {
    return this.time;
  }

  /** Jitter always at its middle, so waits are the same on every run. */
  random(): number {
    return 0.5;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(new GptError('interrupted', 'interrupted'));
      const timer: Timer = { at: this.time + Math.max(0, ms), seq: this.seq++, resolve };
      const onAbort = () => {
        this.timers = this.timers.filter((t) => t !== timer);
        reject(new GptError('interrupted', 'interrupted'));
      };
      timer.resolve = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.timers.push(timer);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.advance());
  }

  private advance(): void {
    this.scheduled = false;
    if (this.timers.length === 0) return;
    this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
    const timer = this.timers.shift()!;
    this.time = Math.max(this.time, timer.at);
    timer.resolve();
    if (this.timers.length) this.schedule();
  }
}

export interface Reply {
  text?: string;
  usage?: Usage | null;
  providerCostUsd?: number;
  error?: GptError;
  /** Retry events the provider reports before answering (each followed by its delay). */
  retries?: { delayMs: number; reason: string; status?: number; restart?: boolean }[];
  /** x-ratelimit-* headers reported with the start event. */
  rateLimit?: Record<string, string>;
  latencyMs?: number;
}

export function usageOf(input: number, output: number): Usage {
  return { input_tokens: input, cached_input_tokens: 0, output_tokens: output, reasoning_tokens: 0, total_tokens: input + output, estimated: false };
}

/** An in-memory Provider that answers after virtual latency and records what it was asked. */
export class FakeProvider implements Provider {
  requests: ProviderRequest[] = [];
  /** Requests that ran to the end: the ones a real API would bill. */
  completed: ProviderRequest[] = [];
  starts: number[] = [];
  active = 0;
  maxActive = 0;
  aborted = 0;

  constructor(
    private readonly clock: Clock,
    private readonly reply: (request: ProviderRequest, call: number) => Reply = () => ({}),
    private readonly latencyMs = 50,
  ) {}

  async *stream(request: ProviderRequest): AsyncIterable<ProviderEvent> {
    const call = this.requests.length;
    this.requests.push(request);
    this.starts.push(this.clock.now());
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      const plan = this.reply(request, call);
      for (const [i, retry] of (plan.retries ?? []).entries()) {
        // A restart follows a stream that broke after delivering part of an answer.
        if (retry.restart) yield { type: 'text', text: 'PARTIAL ' };
        yield { type: 'retry', attempt: i + 2, ...retry };
        await this.wait(retry.delayMs, request.signal);
      }
      await this.wait(plan.latencyMs ?? this.latencyMs, request.signal);
      if (request.signal?.aborted) {
        this.aborted++;
        throw new GptError('interrupted', 'request aborted');
      }
      if (plan.error) throw plan.error;
      const text = plan.text ?? `answer to ${request.messages.at(-1)?.content ?? ''}`;
      yield { type: 'start', ...(plan.rateLimit ? { rateLimit: plan.rateLimit } : {}) };
      yield { type: 'model', model: `${request.model}-2026-01-01` };
      yield { type: 'text', text: text.slice(0, 3) };
      yield { type: 'text', text: text.slice(3) };
      if (plan.usage !== null) {
        yield { type: 'usage', usage: plan.usage ?? usageOf(10, 20), ...(plan.providerCostUsd !== undefined ? { providerCostUsd: plan.providerCostUsd } : {}) };
      }
      yield { type: 'finish', reason: 'stop' };
      this.completed.push(request);
    } finally {
      this.active--;
    }
  }

  /** A virtual wait; an abort during it counts the request as aborted. */
  private async wait(ms: number, signal?: AbortSignal): Promise<void> {
    try {
      await this.clock.sleep(ms, signal);
    } catch (err) {
      if (!signal?.aborted) throw err;
      this.aborted++;
      throw new GptError('interrupted', 'request aborted');
    }
  }
}

/** Config `pricing` for the test models: $1 per 1M input tokens and $2 per 1M output tokens; any other model (`unpriced`) has no price. */
export const PRICING = { 'base-model': { input: 1, output: 2 }, 'line-model': { input: 1, output: 2 }, m: { input: 1, output: 2 } };

/** What the runner charges for `usage` on `model` under PRICING. */
export function priceOf(model: string, usage: Usage): Cost {
  return costOf(usage, lookupModel(model, PRICING).price);
}

/** A token counter with no tokenizer behind it: every chat is `input` tokens, a text one token per word. */
export function fakeCounter(input = 10): CounterFor {
  const counter: TokenCounter = { encoding: 'o200k_base', exact: true, count: (text) => text.split(' ').length, countChat: () => input };
  return async () => counter;
}

export class MemorySink implements ResultSink {
  lines: ResultLine[] = [];
  async write(line: ResultLine): Promise<void> {
    this.lines.push(line);
  }
}

export async function* fromArray<T>(values: T[]): AsyncGenerator<T> {
  yield* values;
}

export async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const value of source) out.push(value);
  return out;
}

/** Chunks of text as a stream would deliver them, cut at the given sizes (bytes). */
export async function* chunked(text: string, size = 7): AsyncGenerator<Buffer> {
  const bytes = Buffer.from(text, 'utf8');
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}
