/**
 * The live batch engine: pulls entries from a reader, asks the scheduler when each may start, and takes
 * each item through its lifecycle (item.ts: prepare → estimate → send → validate → record), keeping the
 * totals for progress, the budget and the summary (tally.ts). It never prints: progress and summary are
 * values for the caller.
 */
import { costOf } from '../accounting/cost.js';
import { loadCounter, type TokenCounter } from '../accounting/tokenizer.js';
import { type Clock, type GenerationOptions, GptError, type Price, ZERO_USAGE, systemClock, type PricingOverride } from '../domain/index.js';
import { setMaxListeners } from 'node:events';
import { isNetworkFailure } from '../providers/retry.js';
import type { Provider } from '../providers/types.js';
import { type Answer, type CounterFor, type Estimate, type PreparedItem, type Render, type SchemaCheck, type SendContext, type StreamHooks, type Work, answerResult, intake, priceBook, resultErrorOf, sendItem } from './item.js';
import { type Permit, Scheduler, parseRateLimitHeaders } from './scheduler.js';
import { Tally, exitErrorFor } from './tally.js';
import { type BatchEntry, type BatchSummary, type Progress, type ResultLine, type ResultSink, type StopReason, errorResult } from './types.js';
import { type UsageContext, logAnswer } from './usage-log.js';

export interface RunBatchOptions {
  items: AsyncIterable<BatchEntry>;
  provider: Provider;
  /** The command's model; a line's `model` overrides it. */
  model: string;
  /** The command's generation options; a line's options override them. */
  options: GenerationOptions;
  concurrency?: number;
  rpm?: number;
  tpm?: number;
  maxCostUsd?: number;
  failFast?: boolean;
  /** Ids already ok in the output (from the checkpoint): not run again. */
  skipIds?: ReadonlySet<string>;
  /** Entries in `items`, for progress and ETA. */
  total?: number;
  writer: ResultSink;
  clock?: Clock;
  /** First interrupt: stop starting new items, let in-flight ones finish and be written. */
  signal?: AbortSignal;
  /** Second interrupt: also abort in-flight requests (they get no line and run again on resume). */
  abortSignal?: AbortSignal;
  onProgress?: (progress: Progress) => void;
  /** Builds the messages of an item (a compiled template); default: its `messages`, else its `prompt` as a user message. */
  render?: Render;
  /** A template's `expect.output_tokens`: the output estimate, and the simulate provider's answer length. */
  expectedOutputTokens?: number;
  /** Config `pricing` laid over the built-in price table. */
  pricing?: Record<string, PricingOverride>;
  /** Token counters (default: the tokenizer), for estimates and for usage the API did not report. */
  counterFor?: CounterFor;
  /** Validates structured answers; a mismatch makes the line an error, still billed. */
  check?: SchemaCheck;
  /** Where each paid-for answer is recorded. */
  usageLog?: UsageContext;
}

/** Output tokens assumed for budgeting before any answer has come back (then the running mean is used). */
const FIRST_OUTPUT_GUESS = 500;

/** Two-stage Ctrl-C for a batch: the first call drains, the second aborts in-flight requests. */
export function createInterrupt(): { signal: AbortSignal; abortSignal: AbortSignal; interrupt(): 'drain' | 'abort' } {
  const drain = new AbortController();
  const hard = new AbortController();
  return {
    signal: drain.signal,
    abortSignal: hard.signal,
    interrupt() {
      if (!drain.signal.aborted) {
        drain.abort();
        return 'drain';
      }
      hard.abort();
      return 'abort';
    },
  };
}

export function runBatch(opts: RunBatchOptions): Promise<BatchSummary> {
  return new LiveRun(opts).run();
}

/** Errors that will hit every later request the same way, so the batch stops instead of failing them all. */
function isSystemic(err: GptError): boolean {
  const quota = err.details.type === 'insufficient_quota' || err.details.code === 'insufficient_quota';
  return err.kind === 'auth' || err.kind === 'config' || quota;
}

/** Only rate limits slow the whole batch; the status is preferred, the reason text is the fallback. */
function isRateLimited(event: { status?: number; reason: string }): boolean {
  if (event.status !== undefined) return event.status === 429;
  return /^429\b/.test(event.reason); // the provider's reasons start with the status
}

/** An item given its slot; the permit rides along for the retry hook. */
interface Started extends Work {
  permit: Permit;
}

const FAILED = { ok: false } as const;

/** One live run: its state is the tally, the scheduler, and the items in flight. */
class LiveRun {
  private readonly clock: Clock;
  private readonly scheduler: Scheduler;
  private readonly tally = new Tally();
  private readonly priceOf: (model: string) => Price | null;
  private readonly counterFor: CounterFor;
  private readonly started: number;
  private requests = 0;
  /** Estimated cost of requests in flight, held against the budget until their real cost is known. */
  private reserved = 0;
  /** Output tokens of the ok answers so far, for the budget's output estimate. */
  private outputTokens = 0;
  private answers = 0;
  private stopReason: StopReason | undefined;
  private fatal: unknown;
  /** Items finished in a row with a network failure and nothing else in between. */
  private networkStreak = 0;
  private readonly networkStreakLimit: number;
  private networkDown: { count: number; last: GptError } | undefined;
  /** In-flight requests were cut: they get no line and run again on resume. */
  private cut = false;
  private readonly stopper = new AbortController();
  /** Aborts every request in flight at once (one signal for all: they are only ever cut together). */
  private readonly cutter = new AbortController();
  /** Items started and not yet recorded, and what wakes `run` when the last one is. */
  private running = 0;
  private whenIdle: (() => void) | undefined;
  /** Requests being sent (progress's "in flight"). */
  private sending = 0;

  /** What every send shares, and what the runner learns while one is under way: built once, not per item. */
  private readonly sendContext: SendContext;
  private readonly hooks: StreamHooks = {
    onRateLimit: (headers) => this.scheduler.observeRateLimit(parseRateLimitHeaders(headers)),
    onRetry: (event, work) => {
      if (!isRateLimited(event)) return;
      (work as Started).permit.rateLimited(event.delayMs);
      this.report();
    },
  };

  constructor(private readonly opts: RunBatchOptions) {
    this.clock = opts.clock ?? systemClock;
    this.scheduler = new Scheduler({ clock: this.clock, concurrency: opts.concurrency ?? 8, rpm: opts.rpm, tpm: opts.tpm });
    this.started = this.clock.now();
    this.priceOf = priceBook(opts.pricing);
    this.counterFor = memoCounters(opts.counterFor ?? loadCounter);
    // Two full waves of in-flight requests: one wave failing together can be a blip, two is an outage.
    this.networkStreakLimit = Math.max(20, 2 * this.scheduler.limit);
    // Requests reach undici through one hub listener, but retry waits listen on the signal directly: as many as the concurrency is no leak.
    setMaxListeners(0, this.cutter.signal);
    this.sendContext = { provider: opts.provider, clock: this.clock, counterFor: this.counterFor, signal: this.cutter.signal };
    if (opts.expectedOutputTokens !== undefined) this.sendContext.expectedOutputTokens = opts.expectedOutputTokens;
  }

  async run(): Promise<BatchSummary> {
    const { signal, abortSignal } = this.opts;
    signal?.addEventListener('abort', this.onDrain);
    abortSignal?.addEventListener('abort', this.onAbort);
    if (signal?.aborted) this.onDrain();
    if (abortSignal?.aborted) this.onAbort();
    try {
      await this.dispatch();
    } catch (err) {
      this.stop('fatal', err);
    }
    if (this.running > 0) await new Promise<void>((resolve) => (this.whenIdle = resolve));
    signal?.removeEventListener('abort', this.onDrain);
    abortSignal?.removeEventListener('abort', this.onAbort);
    return this.finish();
  }

  /** Reads and prepares items, and starts each once the budget and the scheduler allow. */
  private async dispatch(): Promise<void> {
    const { opts } = this;
    const items = intake(opts.items, {
      signal: this.stopper.signal,
      ...(opts.skipIds ? { skipIds: opts.skipIds } : {}),
      onRead: () => this.tally.read++,
      onSkip: () => {
        this.tally.skipped++;
        this.report();
      },
      onReject: (line) => this.record(line),
      prepare: { model: opts.model, options: opts.options, ...(opts.render ? { render: opts.render } : {}), priceOf: this.priceOf },
    });
    for await (const item of items) {
      // Without a token limit or a budget, and with a free slot, an item starts without an await.
      const pending = this.admit(item);
      const work = pending instanceof Promise ? await pending : pending;
      if (!work) break;
      this.running++;
      void this.runItem(work);
      this.report();
    }
  }

  /** Estimates an item and takes its slot; undefined when the budget or a stop says no more starts. */
  private admit(item: PreparedItem): Started | undefined | Promise<Started | undefined> {
    const estimate = this.estimate(item);
    if (estimate instanceof Promise) return estimate.then((known) => this.admitEstimated(item, known));
    return this.admitEstimated(item, estimate);
  }

  private admitEstimated(item: PreparedItem, estimate: Estimate): Started | undefined | Promise<Started | undefined> {
    if (this.overBudget(estimate)) {
      this.stop('budget');
      return undefined;
    }
    const tokens = estimate.input + estimate.output;
    const permit = this.stopper.signal.aborted ? undefined : this.scheduler.tryAcquire(tokens);
    if (permit) return this.reserve(item, estimate, permit);
    return this.scheduler.acquire(tokens, this.stopper.signal).then((waited) => waited && this.afterWait(item, estimate, waited));
  }

  /** Spend may have moved while waiting for a slot: real costs can exceed their estimates. */
  private afterWait(item: PreparedItem, estimate: Estimate, permit: Permit): Started | undefined {
    if (this.overBudget(estimate)) {
      permit.release({ actualTokens: 0, ok: false });
      this.stop('budget');
      return undefined;
    }
    return this.reserve(item, estimate, permit);
  }

  private overBudget(estimate: Estimate): boolean {
    const { maxCostUsd } = this.opts;
    return maxCostUsd !== undefined && this.tally.cost.total_usd + this.reserved + estimate.usd > maxCostUsd;
  }

  private reserve(item: PreparedItem, estimate: Estimate, permit: Permit): Started {
    this.reserved += estimate.usd;
    // Spelled out, not spread: one object shape for every item (a spread of the prepared item is the slow path).
    return { id: item.id, line: item.line, model: item.model, options: item.options, messages: item.messages, price: item.price, estimate, attempts: 1, permit };
  }

  /** Tokens are counted up front only when a limit needs them (TPM bucket, budget); an unpriced model is always flagged. */
  private estimate(item: PreparedItem): Estimate | Promise<Estimate> {
    const needed = this.opts.tpm !== undefined || this.opts.maxCostUsd !== undefined;
    if (!needed) {
      if (!item.price) this.tally.unpriced = true;
      return { input: 0, output: 0, usd: 0 };
    }
    return this.estimateTokens(item);
  }

  private async estimateTokens(item: PreparedItem): Promise<Estimate> {
    const input = (await this.counterFor(item.model)).countChat(item.messages);
    const output = this.outputGuess(item);
    const cost = costOf({ ...ZERO_USAGE, input_tokens: input, output_tokens: output, total_tokens: input + output, estimated: true }, item.price);
    if (!cost.priced) this.tally.unpriced = true;
    return { input, output, usd: cost.total_usd };
  }

  private outputGuess(item: PreparedItem): number {
    const cap = item.options.maxOutputTokens;
    const guess = this.opts.expectedOutputTokens ?? (this.answers > 0 ? Math.ceil(this.outputTokens / this.answers) : FIRST_OUTPUT_GUESS);
    return cap !== undefined ? Math.min(cap, guess) : guess;
  }

  /** An item's whole life; what escapes it stops the batch (a bug, not a line's error). */
  private async runItem(work: Started): Promise<void> {
    try {
      await this.sendAndRecord(work, work.permit);
    } catch (err) {
      this.stop('fatal', err);
    } finally {
      if (--this.running === 0) this.whenIdle?.();
    }
  }

  /** Send → validate → record. The slot is freed only once the result is written, so a stop decided by it (fail-fast) comes before the next start, and a slow output applies back-pressure. */
  private async sendAndRecord(work: Work, permit: Permit): Promise<void> {
    this.sending++;
    let line: ResultLine | undefined;
    let actualTokens: number | undefined;
    try {
      const answer = await sendItem(work, this.sendContext, this.hooks);
      work.answer = answer;
      this.tally.spend(answer.usage, answer.cost);
      actualTokens = answer.usage.total_tokens;
      const result = answerResult(work, answer, this.opts.check);
      line = result instanceof Promise ? await result : result;
      this.noteOutcome(undefined);
    } catch (err) {
      line = this.failed(err, work, permit);
    } finally {
      this.sending--;
      this.reserved -= work.estimate.usd;
      this.requests++;
    }
    if (line) await this.record(line, work);
    permit.release(actualTokens === undefined ? FAILED : { actualTokens, ok: true });
  }

  /** The error line of a failed request, or none when it was cut by an abort (it runs again on resume). */
  private failed(err: unknown, work: Work, permit: Permit): ResultLine | undefined {
    if (this.cut) {
      this.tally.aborted++;
      return undefined;
    }
    if (!(err instanceof GptError)) {
      this.noteOutcome(undefined);
      return errorResult(work.id, { status: null, type: 'internal', message: (err as Error)?.message ?? String(err) }, work.attempts);
    }
    if (err.kind === 'rate_limit') permit.rateLimited();
    if (isSystemic(err)) this.stop('fatal', err);
    else this.noteOutcome(err);
    return errorResult(work.id, resultErrorOf(err), work.attempts);
  }

  /** Writes a result line and counts it; an answer is logged as paid for even when its line cannot be written. */
  private async record(line: ResultLine, work?: Work): Promise<void> {
    let written = true;
    let writeError: unknown;
    try {
      await this.opts.writer.write(line);
    } catch (err) {
      written = false;
      writeError = err;
    }
    if (line.status === 'ok' && work?.answer) this.paid(work, work.answer);
    if (!written) {
      // Nowhere to put answers (disk full, reader gone): requests still in flight would be paid for and lost.
      this.stop('fatal', writeError);
      this.cutInFlight();
      return;
    }
    this.tally.count(line);
    if (line.status !== 'ok' && this.opts.failFast) this.stop('fail_fast');
    this.report();
  }

  private paid(work: Work, answer: Answer): void {
    this.outputTokens += answer.usage.output_tokens;
    this.answers++;
    if (!this.opts.usageLog) return;
    const { usage, cost, reportedModel, latencyMs } = answer;
    logAnswer(this.opts.usageLog, { requestedModel: work.model, ...(reportedModel !== undefined ? { reportedModel } : {}), usage, price: work.price, cost, latencyMs }, this.clock.now());
  }

  private stop(reason: StopReason, error?: unknown): void {
    if (this.stopReason) return;
    this.stopReason = reason;
    if (error !== undefined) this.fatal = error;
    this.stopper.abort();
  }

  private cutInFlight(): void {
    this.cut = true;
    this.cutter.abort();
  }

  private readonly onDrain = () => this.stop('interrupted');
  private readonly onAbort = () => {
    this.stop('interrupted');
    this.cutInFlight();
  };

  /** Stops the batch when the API has been unreachable for a whole streak of items; in-flight ones would only fail too. */
  private noteOutcome(err: GptError | undefined): void {
    if (!err || !isNetworkFailure(err)) {
      this.networkStreak = 0;
      return;
    }
    if (++this.networkStreak < this.networkStreakLimit || this.stopReason) return;
    this.networkDown = { count: this.networkStreak, last: err };
    this.stop('fatal', err);
    this.cutInFlight();
  }

  private report(): void {
    if (!this.opts.onProgress) return;
    const paused = this.scheduler.pausedUntilMs;
    this.opts.onProgress(
      this.tally.progress({
        elapsedMs: this.clock.now() - this.started,
        ...(this.opts.total !== undefined ? { total: this.opts.total } : {}),
        inFlight: this.sending,
        requests: this.requests,
        concurrency: this.scheduler.effectiveConcurrency,
        rateLimited: this.scheduler.rateLimitEvents,
        ...(paused !== undefined ? { pausedUntil: paused } : {}),
      }),
    );
  }

  private finish(): BatchSummary {
    const summary = this.tally.summary({
      wallMs: this.clock.now() - this.started,
      stopReason: this.stopReason ?? 'completed',
      requests: this.requests,
      rateLimited: this.scheduler.rateLimitEvents,
      ...(this.opts.total !== undefined ? { total: this.opts.total } : {}),
    });
    const left = summary.notRun !== undefined ? `${summary.notRun} not run` : 'the rest not run';
    const fatal = this.networkDown ? networkStopError(this.networkDown, left) : this.fatal;
    const exitError = exitErrorFor(summary, { fatal, left, ...(this.opts.maxCostUsd !== undefined ? { maxCostUsd: this.opts.maxCostUsd } : {}) });
    if (exitError) summary.exitError = exitError;
    return summary;
  }
}

/** One counter per model, loaded once. */
function memoCounters(load: CounterFor): CounterFor {
  const counters = new Map<string, Promise<TokenCounter>>();
  return (model) => {
    let counter = counters.get(model);
    if (!counter) counters.set(model, (counter = load(model)));
    return counter;
  };
}

/** The API could not be reached for a whole streak of items: one line saying so, exit 7 (API or network failure). */
function networkStopError(down: { count: number; last: GptError }, left: string): GptError {
  return new GptError(
    'api',
    `batch stopped: the last ${down.count} requests all failed with network errors (${down.last.message}); ${left}, rerun with --resume once the API is reachable`,
    { code: down.last.details.code },
    { cause: down.last },
  );
}
