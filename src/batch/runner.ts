/**
 * The batch engine: pulls entries from a reader, asks the scheduler when each may start, drives the
 * provider, writes one result line per finished item, and keeps running totals for progress, the
 * budget and the final summary. It never prints: progress and summary are values for the caller.
 */
import { addCosts } from '../accounting/cost.js';
import { type Cost, GptError, type ChatMessage, type GenerationOptions, type Usage, withDefaultSystem } from '../domain/index.js';
import type { Provider } from '../providers/types.js';
import { isNetworkFailure } from '../providers/retry.js';
import { Scheduler, parseRateLimitHeaders, type Permit } from './scheduler.js';
import { isLineError, systemClock, type BatchEntry, type BatchItem, type Clock, type ResultLine, type ResultSink } from './types.js';

/** Expected tokens of one request; a bare number is taken as all output tokens when pricing (the cautious side). */
export type TokenEstimate = number | { input: number; output: number };

export interface Progress {
  /** Entries in this run's input (from the id pass), when known. */
  total?: number;
  /** Entries finished this run (ok + failed), not counting skipped ones. */
  done: number;
  ok: number;
  failed: number;
  /** Already ok in the output (resume). */
  skipped: number;
  inFlight: number;
  elapsedMs: number;
  requestsPerSec: number;
  tokensPerSec: number;
  inputTokens: number;
  outputTokens: number;
  spentUsd: number;
  /** Milliseconds left at the current pace, when the total is known and something has finished. */
  etaMs?: number;
  /** Concurrency in force (lower than the limit while backing off after 429s). */
  concurrency: number;
  /** When dispatching is paused by a 429 back-off: the clock time it resumes. */
  pausedUntil?: number;
  rateLimited: number;
}

export type StopReason = 'completed' | 'budget' | 'fail_fast' | 'interrupted' | 'fatal';

export interface BatchSummary {
  /** Entries read from the input this run. */
  read: number;
  ok: number;
  failed: number;
  skipped: number;
  /** In-flight requests cut by a hard abort; they have no line and run again on resume. */
  aborted: number;
  /** With a known total: entries neither finished nor skipped (they run on resume). */
  notRun?: number;
  usage: Usage;
  cost: Cost;
  wallMs: number;
  requestsPerSec: number;
  tokensPerSec: number;
  /** 429 signals seen (retries and final failures). */
  rateLimited: number;
  stopReason: StopReason;
  /** True when some model had no price, so spend and --max-cost could not be enforced for it. */
  unpriced: boolean;
  /** What the command should exit with, or undefined for success (exit 0). */
  exitError?: GptError;
}

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
  estimateTokens: (item: BatchItem, messages: ChatMessage[]) => TokenEstimate;
  priceOf: (model: string, usage: Usage) => Cost;
  /** Counts tokens of a text locally, for usage when the API reports none. */
  countTokens?: (text: string, model: string) => number;
  writer: ResultSink;
  clock?: Clock;
  /** First interrupt: stop starting new items, let in-flight ones finish and be written. */
  signal?: AbortSignal;
  /** Second interrupt: also abort in-flight requests (they get no line and run again on resume). */
  abortSignal?: AbortSignal;
  onProgress?: (progress: Progress) => void;
  /** Checks an answer (structured output against its schema); a returned problem makes the line an error, still billed. */
  check?: (text: string, options: GenerationOptions) => Promise<string | undefined>;
  /** Builds the messages of an item (template rendering); default: its `messages`, else its `prompt` as a user message. */
  render?: (item: BatchItem) => Promise<ChatMessage[]>;
  /** Passed to the provider (the simulate provider's answer length, from a template's `expect.output_tokens`). */
  expectedOutputTokens?: number;
}

/** The messages an item carries itself; a template-only item needs the caller's `render`. */
export function defaultMessages(item: BatchItem): ChatMessage[] {
  if (item.messages) return item.messages;
  if (item.prompt !== undefined) return [{ role: 'user', content: item.prompt }];
  throw new GptError('usage', `line ${item.line}: has only template variables but no template was given`);
}

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

const ZERO_USAGE: Usage = {
  input_tokens: 0,
  cached_input_tokens: 0,
  output_tokens: 0,
  reasoning_tokens: 0,
  total_tokens: 0,
  estimated: false,
};

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

function errorResult(id: string, error: ResultLine['error'], attempts: number): ResultLine {
  return { id, status: 'error', text: null, usage: null, cost: null, error, attempts };
}

export async function runBatch(opts: RunBatchOptions): Promise<BatchSummary> {
  const clock = opts.clock ?? systemClock;
  const scheduler = new Scheduler({ clock, concurrency: opts.concurrency ?? 8, rpm: opts.rpm, tpm: opts.tpm });
  const started = clock.now();
  const usage: Usage = { ...ZERO_USAGE };
  let cost: Cost = { input_usd: 0, cached_input_usd: 0, output_usd: 0, total_usd: 0, priced: true };
  let read = 0;
  let ok = 0;
  let failed = 0;
  let skipped = 0;
  let aborted = 0;
  let requests = 0;
  let unpriced = false;
  /** Estimated cost of requests in flight, held against the budget until their real cost is known. */
  let reserved = 0;
  let stopReason: StopReason | undefined;
  let fatal: unknown;
  /** Items finished in a row with a network failure and nothing else in between. */
  let networkStreak = 0;
  // Two full waves of in-flight requests: one wave failing together can be a blip, two is an outage.
  const networkStreakLimit = Math.max(20, 2 * scheduler.limit);
  let networkDown: { count: number; last: GptError } | undefined;
  /** In-flight requests were cut: they get no line and run again on resume. */
  let cut = false;
  const stopper = new AbortController();
  const inFlight = new Set<Promise<void>>();
  const controllers = new Set<AbortController>();

  const stop = (reason: StopReason, error?: unknown) => {
    if (stopReason) return;
    stopReason = reason;
    if (error !== undefined) fatal = error;
    stopper.abort();
  };
  const cutInFlight = () => {
    cut = true;
    for (const controller of controllers) controller.abort();
  };
  const onDrain = () => stop('interrupted');
  const onAbort = () => {
    stop('interrupted');
    cutInFlight();
  };
  /** Stops the batch when the API has been unreachable for a whole streak of items; in-flight ones would only fail too. */
  const noteOutcome = (err: GptError | undefined) => {
    if (!err || !isNetworkFailure(err)) {
      networkStreak = 0;
      return;
    }
    if (++networkStreak < networkStreakLimit || stopReason) return;
    networkDown = { count: networkStreak, last: err };
    stop('fatal', err);
    cutInFlight();
  };
  opts.signal?.addEventListener('abort', onDrain);
  opts.abortSignal?.addEventListener('abort', onAbort);
  if (opts.signal?.aborted) onDrain();
  if (opts.abortSignal?.aborted) onAbort();

  const progress = (): Progress => {
    const elapsedMs = clock.now() - started;
    const seconds = elapsedMs / 1000;
    const done = ok + failed;
    const p: Progress = {
      done,
      ok,
      failed,
      skipped,
      inFlight: controllers.size,
      elapsedMs,
      requestsPerSec: seconds > 0 ? requests / seconds : 0,
      tokensPerSec: seconds > 0 ? usage.total_tokens / seconds : 0,
      inputTokens: usage.input_tokens,
      outputTokens: usage.output_tokens,
      spentUsd: cost.total_usd,
      concurrency: scheduler.effectiveConcurrency,
      rateLimited: scheduler.rateLimitEvents,
    };
    if (opts.total !== undefined) {
      p.total = opts.total;
      const remaining = Math.max(0, opts.total - done - skipped);
      if (done > 0 && elapsedMs > 0) p.etaMs = (remaining * elapsedMs) / done;
    }
    const paused = scheduler.pausedUntilMs;
    if (paused !== undefined) p.pausedUntil = paused;
    return p;
  };
  const report = () => opts.onProgress?.(progress());

  const record = async (line: ResultLine) => {
    try {
      await opts.writer.write(line);
    } catch (err) {
      // Nowhere to put answers (disk full, reader gone): requests still in flight would be paid for and lost.
      stop('fatal', err);
      cutInFlight();
      return;
    }
    if (line.status === 'ok') ok++;
    else {
      failed++;
      if (opts.failFast) stop('fail_fast');
    }
    report();
  };

  const addSpend = (c: Cost, u: Usage) => {
    for (const key of ['input_tokens', 'cached_input_tokens', 'output_tokens', 'reasoning_tokens', 'total_tokens'] as const) {
      usage[key] += u[key];
    }
    if (u.estimated) usage.estimated = true;
    cost = addCosts(cost, c);
    if (!c.priced) unpriced = true;
  };

  const estimateCost = (model: string, estimate: { input: number; output: number }): number => {
    const total = estimate.input + estimate.output;
    const c = opts.priceOf(model, { ...ZERO_USAGE, input_tokens: estimate.input, output_tokens: estimate.output, total_tokens: total, estimated: true });
    if (!c.priced) unpriced = true;
    return c.total_usd;
  };

  const runOne = async (item: BatchItem, messages: ChatMessage[], model: string, options: GenerationOptions, estimate: { input: number; output: number }, estimatedUsd: number, permit: Permit) => {
    const controller = new AbortController();
    controllers.add(controller);
    let attempts = 1;
    let text = '';
    let reported: Usage | undefined;
    let providerCostUsd: number | undefined;
    let line: ResultLine | undefined;
    let outcome: { actualTokens?: number; ok: boolean } = { ok: false };
    try {
      const request = { model, messages, options, signal: controller.signal, restartable: true, ...(opts.expectedOutputTokens !== undefined ? { expectedOutputTokens: opts.expectedOutputTokens } : {}) };
      for await (const event of opts.provider.stream(request)) {
        if (event.type === 'text') text += event.text;
        else if (event.type === 'usage') {
          reported = event.usage;
          providerCostUsd = event.providerCostUsd;
        } else if (event.type === 'start') {
          if (event.rateLimit) scheduler.observeRateLimit(parseRateLimitHeaders(event.rateLimit));
        } else if (event.type === 'retry') {
          attempts++;
          // A stream that broke midway starts over: what it delivered so far is not the answer.
          if (event.restart) {
            text = '';
            reported = undefined;
            providerCostUsd = undefined;
          }
          if (isRateLimited(event)) {
            permit.rateLimited(event.delayMs);
            report();
          }
        }
      }
      const used = reported ?? localUsage(estimate, text, model, opts.countTokens);
      let c = opts.priceOf(model, used);
      if (providerCostUsd !== undefined) c = { ...c, total_usd: providerCostUsd, priced: true, source: 'provider' };
      addSpend(c, used);
      outcome = { actualTokens: used.total_tokens, ok: true };
      const problem = opts.check ? await opts.check(text, options) : undefined;
      line = problem
        ? { id: item.id, status: 'error', text, usage: used, cost: c, error: { status: null, type: 'schema_validation', message: problem }, attempts }
        : { id: item.id, status: 'ok', text, usage: used, cost: c, error: null, attempts };
      noteOutcome(undefined);
    } catch (err) {
      if (cut) aborted++;
      else if (err instanceof GptError) {
        if (err.kind === 'rate_limit') permit.rateLimited();
        line = errorResult(item.id, { status: err.details.status ?? null, type: err.details.type ?? err.details.code ?? err.kind, message: err.message }, attempts);
        if (isSystemic(err)) stop('fatal', err);
        else noteOutcome(err);
      } else {
        line = errorResult(item.id, { status: null, type: 'internal', message: (err as Error)?.message ?? String(err) }, attempts);
        noteOutcome(undefined);
      }
    } finally {
      controllers.delete(controller);
      reserved -= estimatedUsd;
      requests++;
    }
    // The slot is freed only once the result is written, so a stop decided by this result (fail-fast)
    // comes before the next start, and a slow output applies back-pressure.
    if (line) await record(line);
    permit.release(outcome);
  };

  const iterator = opts.items[Symbol.asyncIterator]();
  let pendingNext = false;
  try {
    while (!stopReason) {
      pendingNext = true;
      const next = await nextUnlessStopped(iterator, stopper.signal);
      if (next === undefined) break;
      pendingNext = false;
      if (next.done) break;
      const entry = next.value;
      read++;
      if (isLineError(entry)) {
        await record(errorResult(entry.id, { status: null, type: 'invalid_line', message: entry.error }, 0));
        continue;
      }
      if (opts.skipIds?.has(entry.id)) {
        skipped++;
        report();
        continue;
      }
      const prepared = await prepareItem(entry, opts);
      if ('error' in prepared) {
        await record(errorResult(entry.id, { status: null, type: 'invalid_line', message: prepared.error }, 0));
        continue;
      }
      const { model, options, messages } = prepared;
      const raw = opts.estimateTokens(entry, messages);
      const estimate = typeof raw === 'number' ? { input: 0, output: Math.max(0, raw) } : raw;
      const estimatedUsd = estimateCost(model, estimate);
      const overBudget = () => opts.maxCostUsd !== undefined && cost.total_usd + reserved + estimatedUsd > opts.maxCostUsd;
      if (overBudget()) {
        stop('budget');
        break;
      }
      const permit = await scheduler.acquire(estimate.input + estimate.output, stopper.signal);
      if (!permit) break;
      // Spend may have moved while waiting for a slot: real costs can exceed their estimates.
      if (overBudget()) {
        permit.release({ actualTokens: 0, ok: false });
        stop('budget');
        break;
      }
      reserved += estimatedUsd;
      const task = runOne(entry, messages, model, options, estimate, estimatedUsd, permit).catch((err: unknown) => stop('fatal', err));
      const tracked = task.finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
      report();
    }
  } catch (err) {
    stop('fatal', err);
  } finally {
    // A next() still pending (stopped mid-read) would make return() wait for it; close in the background then.
    if (pendingNext) void Promise.resolve(iterator.return?.()).catch(() => undefined);
    else await Promise.resolve(iterator.return?.()).catch(() => undefined);
  }
  while (inFlight.size) await Promise.all([...inFlight]);
  opts.signal?.removeEventListener('abort', onDrain);
  opts.abortSignal?.removeEventListener('abort', onAbort);

  const wallMs = clock.now() - started;
  const reason = stopReason ?? 'completed';
  const summary: BatchSummary = {
    read,
    ok,
    failed,
    skipped,
    aborted,
    usage,
    cost,
    wallMs,
    requestsPerSec: wallMs > 0 ? (requests * 1000) / wallMs : 0,
    tokensPerSec: wallMs > 0 ? (usage.total_tokens * 1000) / wallMs : 0,
    rateLimited: scheduler.rateLimitEvents,
    stopReason: reason,
    unpriced,
  };
  if (opts.total !== undefined) summary.notRun = Math.max(0, opts.total - ok - failed - skipped);
  const exitError = networkDown ? networkStopError(summary, networkDown) : exitErrorFor(summary, fatal, opts.maxCostUsd);
  if (exitError) summary.exitError = exitError;
  return summary;
}

/**
 * The iterator's next entry, or undefined as soon as `signal` aborts: a stop must not wait on a slow
 * input (a pipe that stays open). The listener is removed each time, so a long run does not pile them up.
 */
/** An item's model, options and messages as both modes send them; a render failure becomes the line's error. */
export async function prepareItem(
  entry: BatchItem,
  opts: { model: string; options: GenerationOptions; render?: (item: BatchItem) => Promise<ChatMessage[]> },
): Promise<{ model: string; options: GenerationOptions; messages: ChatMessage[] } | { error: string }> {
  const options = { ...opts.options, ...entry.options };
  try {
    const messages = withDefaultSystem(opts.render ? await opts.render(entry) : defaultMessages(entry), options.system);
    return { model: entry.model ?? opts.model, options, messages };
  } catch (err) {
    if (!(err instanceof GptError)) throw err;
    return { error: err.message };
  }
}

export function nextUnlessStopped<T>(iterator: AsyncIterator<T>, signal?: AbortSignal): Promise<IteratorResult<T> | undefined> {
  if (!signal) return iterator.next();
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const onStop = () => resolve(undefined);
    signal.addEventListener('abort', onStop, { once: true });
    iterator.next().then(
      (result) => {
        signal.removeEventListener('abort', onStop);
        resolve(result);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onStop);
        reject(err);
      },
    );
  });
}

function localUsage(estimate: { input: number; output: number }, text: string, model: string, countTokens?: (text: string, model: string) => number): Usage {
  // About four characters a token when no tokenizer was supplied: rough, and marked estimated.
  const output = countTokens ? countTokens(text, model) : Math.ceil(text.length / 4);
  return { ...ZERO_USAGE, input_tokens: estimate.input, output_tokens: output, total_tokens: estimate.input + output, estimated: true };
}

/** The API could not be reached for a whole streak of items: one line saying so, exit 7 (API or network failure). */
function networkStopError(summary: BatchSummary, down: { count: number; last: GptError }): GptError {
  const left = summary.notRun !== undefined ? `${summary.notRun} not run` : 'the rest not run';
  return new GptError(
    'api',
    `batch stopped: the last ${down.count} requests all failed with network errors (${down.last.message}); ${left}, rerun with --resume once the API is reachable`,
    { code: down.last.details.code },
    { cause: down.last },
  );
}

/** The one error the command exits with (SPEC exit codes), or undefined when every item is ok. */
function exitErrorFor(summary: BatchSummary, fatal: unknown, maxCostUsd?: number): GptError | undefined {
  const left = summary.notRun !== undefined ? `${summary.notRun} not run` : 'the rest not run';
  switch (summary.stopReason) {
    case 'fatal':
      if (fatal instanceof GptError) return fatal;
      return new GptError('internal', `batch stopped: ${(fatal as Error)?.message ?? String(fatal)}`, {}, { cause: fatal });
    case 'interrupted':
      return new GptError('interrupted', `batch interrupted: ${summary.ok} ok, ${summary.failed} failed, ${left}; rerun with --resume to continue`);
    case 'budget':
      return new GptError(
        'budget',
        `batch stopped before exceeding --max-cost $${maxCostUsd}: spent $${summary.cost.total_usd.toFixed(4)}, ${left}; rerun with --resume and a higher --max-cost to continue`,
      );
    default:
      if (summary.failed > 0) {
        const how = summary.stopReason === 'fail_fast' ? ` (stopped by --fail-fast, ${left})` : '';
        return new GptError('batch_failed', `${summary.failed} of ${summary.ok + summary.failed} batch items failed${how}; the output file says which`);
      }
      return undefined;
  }
}
