/** Test doubles for the batch engine: a virtual clock and an in-memory Provider. */
import { type Cost, GptError, type Usage } from '../../src/domain/index.js';
import type { Provider, ProviderEvent, ProviderRequest } from '../../src/providers/types.js';
import type { Clock, ResultLine, ResultSink } from '../../src/batch/types.js';

interface Timer {
  at: number;
  seq: number;
  resolve: () => void;
}

/**
 * Virtual time: a sleep resolves when everything else is idle (the event loop has drained), and the
 * clock jumps straight to the earliest timer, so hours of back-off take microseconds.
 */
export class FakeClock implements Clock {
  time = 0;
  private timers: Timer[] = [];
  private seq = 0;
  private scheduled = false;

  now(): number {
    return this.time;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const timer: Timer = { at: this.time + Math.max(0, ms), seq: this.seq++, resolve };
      const onAbort = () => {
        this.timers = this.timers.filter((t) => t !== timer);
        resolve();
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
        await this.clock.sleep(retry.delayMs, request.signal);
      }
      await this.clock.sleep(plan.latencyMs ?? this.latencyMs, request.signal);
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
}

/** $1 per 1M input tokens and $2 per 1M output tokens; `unpriced` models cost nothing and say so. */
export function priceOf(model: string, usage: Usage): Cost {
  if (model === 'unpriced') return { input_usd: 0, cached_input_usd: 0, output_usd: 0, total_usd: 0, priced: false };
  const input_usd = usage.input_tokens / 1e6;
  const output_usd = (usage.output_tokens * 2) / 1e6;
  return { input_usd, cached_input_usd: 0, output_usd, total_usd: input_usd + output_usd, priced: true };
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
