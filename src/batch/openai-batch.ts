/**
 * `gpt batch --mode openai-batch`: the same items and the same output lines as live mode, sent through the
 * provider's Batch API (providers/batch-api.ts) and priced at the batch rate. The steps: chunk the input
 * (openai-batch-chunks), re-attach to what the state file names (openai-batch-state), upload and create,
 * poll, collect (openai-batch-collect); on Ctrl-C the batches keep running, or a second one cancels them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lookupModel } from '../accounting/models.js';
import { loadCounter } from '../accounting/tokenizer.js';
import type { ResolvedConfig } from '../config/types.js';
import { type Clock, type GenerationOptions, GptError, type Price, systemClock } from '../domain/index.js';
import { BatchApi, type BatchObject, isTransientFailure } from '../providers/batch-api.js';
import { type CounterFor, type Render, intake, priceBook } from './item.js';
import { type ChunkFile, type ChunkLines, Chunker, MAX_BYTES_PER_FILE, MAX_REQUESTS_PER_FILE, withoutCovered } from './openai-batch-chunks.js';
import { type CollectContext, collect } from './openai-batch-collect.js';
import { BatchState, type RecordedBatch } from './openai-batch-state.js';
import { Tally, exitErrorFor } from './tally.js';
import { type BatchEntry, type BatchSummary, type Progress, type ResultLine, type ResultSink, type StopReason, errorResult } from './types.js';
import { type PaidAnswer, type UsageContext, logAnswer } from './usage-log.js';

/** Batches take minutes to hours; a GET every 30 s (--poll-interval) is cheap and keeps the progress line fresh. */
export const DEFAULT_POLL_INTERVAL_MS = 30_000;
/** How long after the first Ctrl-C a second one still cancels the batches on the server. */
export const CANCEL_GRACE_MS = 5_000;
/** Polls that may fail in a row (network down, 5xx) before the run gives up waiting. */
const MAX_POLL_FAILURES = 5;

export interface OpenAIBatchOptions {
  /** Already shard-filtered. */
  entries: AsyncIterable<BatchEntry>;
  config: ResolvedConfig;
  apiKey?: string;
  /** The command's model; a line's `model` overrides it (as in live mode). */
  model: string;
  /** The command's generation options; a line's options override them. */
  options: GenerationOptions;
  /** Template rendering; default: the item's messages or prompt, plus `options.system`. */
  render?: Render;
  writer: ResultSink;
  /** Ids already ok in the output (resume): neither submitted nor written again. */
  skipIds?: ReadonlySet<string>;
  /** Default DEFAULT_POLL_INTERVAL_MS. */
  pollIntervalMs?: number;
  /** First Ctrl-C: stop submitting and polling; submitted batches keep running on the server. */
  signal?: AbortSignal;
  /** Second Ctrl-C (within `cancelGraceMs` of the first): also cancel the running batches on the server. */
  abortSignal?: AbortSignal;
  clock?: Clock;
  onProgress?: (progress: Progress) => void;
  /** Status lines for the user (batch ids, re-attach, what Ctrl-C did); meant for stderr. */
  log?: (line: string) => void;
  /** Redacted HTTP traces (--verbose). */
  httpLog?: (line: string) => void;
  /** Where the state file of submitted batches lives; default config.stateDir. */
  stateDir?: string;
  /** What names this run across restarts, e.g. the absolute --out path; default: a hash of the input and options. */
  stateKey?: string;
  cancelGraceMs?: number;
  /** Lower file limits (tests); the API's are the defaults. */
  limits?: { maxRequests?: number; maxBytes?: number };
  /** Where each paid-for answer is recorded. */
  usageLog?: UsageContext;
  /** Token counters (default: the tokenizer), for an answer that comes without usage. */
  counterFor?: CounterFor;
}

export async function runOpenAIBatch(opts: OpenAIBatchOptions): Promise<BatchSummary> {
  const { config } = opts;
  if (config.profile.simulate) {
    throw new GptError('usage', `--mode openai-batch needs a provider with a Batch API; the ${config.profileName} profile has none (use --mode live)`);
  }
  return new ApiRun(opts).run();
}

function asGptError(err: unknown): GptError {
  if (err instanceof GptError) return err;
  return new GptError('internal', `openai-batch stopped: ${(err as Error)?.message ?? String(err)}`, {}, { cause: err });
}

const isInterrupt = (err: unknown) => err instanceof GptError && err.kind === 'interrupted';

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** One Batch API run: the tally, the batches submitted or re-attached, and what is written. */
class ApiRun {
  private readonly clock: Clock;
  private readonly log: (line: string) => void;
  private readonly api: BatchApi;
  private readonly tally = new Tally();
  private readonly skipIds: ReadonlySet<string>;
  private readonly priceOf: (model: string) => Price | null;
  private readonly started: number;
  private readonly written = new Set<string>();
  /** Server-side counts of running batches, for progress. */
  private readonly live = new Map<string, { total: number; completed: number; failed: number }>();
  /** Batches created or re-attached and not yet collected. */
  private readonly active: RecordedBatch[] = [];
  private readonly problems: string[] = [];
  private state: BatchState | undefined;
  private workDir = '';
  private interrupted = false;
  private fatal: GptError | undefined;
  private notSubmitted = 0;
  private pollFailures = 0;

  constructor(private readonly opts: OpenAIBatchOptions) {
    this.clock = opts.clock ?? systemClock;
    this.log = opts.log ?? (() => undefined);
    const settings = { apiKey: opts.apiKey, timeoutSeconds: opts.options.timeoutSeconds, retries: opts.options.retries, log: opts.httpLog, clock: this.clock };
    this.api = new BatchApi(opts.config.profile, settings);
    this.skipIds = opts.skipIds ?? new Set<string>();
    this.priceOf = priceBook(opts.config.pricing);
    this.started = this.clock.now();
  }

  async run(): Promise<BatchSummary> {
    this.workDir = await mkdtemp(join(tmpdir(), 'gpt-openai-batch-'));
    try {
      const { chunks, digest } = await this.chunk();
      const covered = await this.reattach(digest);
      await this.submit(chunks, covered);
      await this.poll();
    } catch (err) {
      if (isInterrupt(err)) this.interrupted = true;
      else this.fatal = asGptError(err);
    } finally {
      await rm(this.workDir, { recursive: true, force: true }).catch(() => undefined);
    }
    await this.stopWaiting();
    return this.finish();
  }

  /** Step 1: every request line into a file; bad lines and requests too large for a file get their error lines at once. */
  private async chunk(): Promise<{ chunks: ChunkFile[]; digest: string }> {
    const { opts } = this;
    const profile = opts.config.profile;
    const content = createHash('sha256').update(JSON.stringify([opts.model, opts.options, profile.api ?? null]));
    const cap = (given: number | undefined, max: number) => Math.max(1, Math.min(given ?? max, max));
    const maxRequests = cap(opts.limits?.maxRequests, MAX_REQUESTS_PER_FILE);
    const chunker = new Chunker({ workDir: this.workDir, profile, maxRequests, maxBytes: cap(opts.limits?.maxBytes, MAX_BYTES_PER_FILE), log: this.log });
    const items = intake(opts.entries, {
      ...(opts.signal ? { signal: opts.signal } : {}),
      skipIds: this.skipIds,
      onRead: (entry) => {
        this.tally.read++;
        content.update('\n').update(JSON.stringify(entry));
      },
      onSkip: () => this.tally.skipped++,
      onReject: (line) => this.record(line),
      refuse: (item) => (chunker.has(item.id) ? `line ${item.line}: duplicate id "${item.id}"` : undefined),
      prepare: { model: opts.model, options: opts.options, ...(opts.render ? { render: opts.render } : {}), priceOf: this.priceOf },
    });
    try {
      for await (const item of items) {
        const problem = await chunker.add(item);
        if (problem) await this.record(errorResult(item.id, { status: null, type: 'request_too_large', message: problem }, 0));
      }
    } finally {
      await chunker.close();
    }
    if (opts.signal?.aborted) this.interrupted = true;
    this.report();
    return { chunks: chunker.chunks, digest: content.digest('hex') };
  }

  /** Step 2: re-attach to what an earlier run of the same command submitted; returns the ids those batches cover. */
  private async reattach(digest: string): Promise<Set<string>> {
    const { opts } = this;
    this.state = await BatchState.open(opts.stateDir ?? opts.config.stateDir, opts.config.profile.baseUrl, opts.stateKey ?? `content:${digest}`, this.log);
    const covered = new Set<string>();
    for (const batch of this.state.recorded) {
      for (const id of batch.customIds) covered.add(id);
      this.active.push(batch);
      this.log(`re-attaching to batch ${batch.id} (${batch.customIds.length} requests, ${batch.model}, submitted ${new Date(batch.createdAt).toISOString()})`);
    }
    return covered;
  }

  /** Step 3: upload and create a batch per chunk, recording each before anything waits on it. */
  private async submit(chunks: ChunkFile[], covered: ReadonlySet<string>): Promise<void> {
    for (const [index, chunk] of chunks.entries()) {
      if (this.interrupted || this.opts.signal?.aborted || this.fatal) {
        this.interrupted ||= this.opts.signal?.aborted ?? false;
        this.notSubmitted += chunk.ids.filter((id) => !covered.has(id)).length;
        continue;
      }
      const file = await withoutCovered(chunk, covered, this.workDir, index);
      if (file.ids.length === 0) continue;
      const before = this.active.length;
      try {
        await this.submitOne(chunk, file, index);
      } catch (err) {
        if (isInterrupt(err)) this.interrupted = true;
        else this.fatal = asGptError(err);
        if (this.active.length === before) this.notSubmitted += file.ids.length;
      }
    }
    this.report();
  }

  private async submitOne(chunk: ChunkFile, file: ChunkLines, index: number): Promise<void> {
    const inputFileId = await this.api.upload(file.path, `gpt-batch-${index + 1}.jsonl`, this.opts.signal);
    this.log(`uploaded ${file.ids.length} requests for ${chunk.model} (${formatBytes(file.bytes)}) as ${inputFileId}`);
    const batch = await this.api.create(inputFileId, chunk.endpoint);
    const entry: RecordedBatch = { id: batch.id, inputFileId, endpoint: chunk.endpoint, model: chunk.model, customIds: file.ids, inputLines: file.inputLines, createdAt: this.clock.now() };
    this.active.push(entry);
    this.log(`created batch ${entry.id} (${chunk.endpoint}, ${chunk.model}, ${file.ids.length} requests)`);
    await this.state!.add(entry);
  }

  /** Step 4: poll until every batch ends; collect each as soon as it does. */
  private async poll(): Promise<void> {
    const { signal } = this.opts;
    while (this.active.length > 0 && !this.interrupted && !signal?.aborted) {
      for (const batch of [...this.active]) {
        if (signal?.aborted) break;
        const object = await this.check(batch);
        if (object === 'interrupted') break;
        if (!object) continue;
        const { total, completed, failed } = object.counts;
        this.live.set(batch.id, { total: total || batch.customIds.length, completed, failed });
        if (!object.done) continue;
        await collect(batch, object, this.collector);
        await this.forget(batch);
      }
      this.report();
      if (this.active.length > 0 && !signal?.aborted) await this.clock.sleep(this.opts.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS, signal);
    }
    if (signal?.aborted) this.interrupted = true;
  }

  /** One status poll; undefined when this round moves on (a failure that may pass, a batch the server does not know). */
  private async check(batch: RecordedBatch): Promise<BatchObject | 'interrupted' | undefined> {
    try {
      const object = await this.api.get(batch.id, this.opts.signal);
      this.pollFailures = 0;
      return object;
    } catch (err) {
      if (isInterrupt(err)) return 'interrupted';
      if (err instanceof GptError && err.details.status === 404) {
        this.log(`batch ${batch.id} is not known to the server (another key or organisation?); its requests get error lines and --resume submits them again`);
        await this.forget(batch);
        const error = { status: 404, type: 'batch_not_found', message: `batch ${batch.id} is not known to the server` };
        for (const id of batch.customIds) if (!this.written.has(id)) await this.record(errorResult(id, error, 1));
        return undefined;
      }
      if (isTransientFailure(err) && ++this.pollFailures < MAX_POLL_FAILURES) {
        this.log(`could not check batch ${batch.id} (${(err as Error).message}); trying again`);
        return undefined;
      }
      const message = `${(err as Error).message}; the batches keep running on the server: rerun the same command with --resume to re-attach`;
      throw new GptError(err instanceof GptError ? err.kind : 'api', message, err instanceof GptError ? err.details : {}, { cause: err });
    }
  }

  private get collector(): CollectContext {
    const { opts } = this;
    return {
      api: this.api,
      ...(opts.signal ? { signal: opts.signal } : {}),
      written: this.written,
      record: (line, paid) => this.record(line, paid),
      log: this.log,
      priceOf: this.priceOf,
      contextWindow: (model) => lookupModel(model, opts.config.pricing).contextWindow,
      counterFor: opts.counterFor ?? loadCounter,
      problems: this.problems,
    };
  }

  /** Drops a batch from the state once it needs nothing more from the server. */
  private async forget(batch: RecordedBatch): Promise<void> {
    this.active.splice(this.active.indexOf(batch), 1);
    this.live.delete(batch.id);
    await this.state!.forget(batch);
  }

  /** Step 5, after Ctrl-C: the batches keep running; a second Ctrl-C within the grace period cancels them. */
  private async stopWaiting(): Promise<void> {
    if (!this.interrupted || this.active.length === 0) return;
    const { abortSignal } = this.opts;
    const ids = this.active.map((b) => b.id).join(', ');
    const grace = abortSignal ? (this.opts.cancelGraceMs ?? CANCEL_GRACE_MS) : 0;
    const hint = grace > 0 ? ` Press Ctrl-C again within ${Math.ceil(grace / 1000)}s to cancel it on the server instead.` : '';
    this.log(`stopped waiting. Batch ${ids} keeps running on the server (it has 24 h); rerun the same command with --resume to re-attach and collect the results without paying again.${hint}`);
    // The sleep ends early, rejecting, when the second Ctrl-C comes: that is the cancel.
    if (abortSignal && !abortSignal.aborted && grace > 0) await this.clock.sleep(grace, abortSignal).catch(() => undefined);
    if (!abortSignal?.aborted) return;
    for (const batch of this.active) {
      try {
        await this.api.cancel(batch.id);
        this.log(`cancelling batch ${batch.id}: requests it already finished are kept and billed; rerun with --resume to collect them (the rest get error lines, which a further --resume submits again)`);
      } catch (err) {
        this.log(`could not cancel batch ${batch.id}: ${(err as Error).message}`);
      }
    }
  }

  /** Writes a result line (never one of a resumed id) and counts it; a paid-for answer is logged even when its line cannot be written. */
  private async record(line: ResultLine, paid?: PaidAnswer): Promise<void> {
    if (this.skipIds.has(line.id)) return;
    try {
      await this.opts.writer.write(line);
    } finally {
      if (paid && this.opts.usageLog) logAnswer(this.opts.usageLog, paid, this.clock.now());
    }
    this.written.add(line.id);
    this.tally.count(line);
    if (paid) this.tally.spend(paid.usage, paid.cost);
  }

  private report(): void {
    if (!this.opts.onProgress) return;
    const pending = { ok: 0, failed: 0 };
    let inFlight = 0;
    for (const counts of this.live.values()) {
      pending.ok += counts.completed;
      pending.failed += counts.failed;
      inFlight += Math.max(0, counts.total - counts.completed - counts.failed);
    }
    const elapsedMs = this.clock.now() - this.started;
    this.opts.onProgress(this.tally.progress({ elapsedMs, total: this.tally.read, inFlight, concurrency: this.live.size, rateLimited: 0, pending }));
  }

  private finish(): BatchSummary {
    const stopReason: StopReason = this.interrupted ? 'interrupted' : this.fatal ? 'fatal' : 'completed';
    const summary = this.tally.summary({ wallMs: this.clock.now() - this.started, stopReason, rateLimited: 0, total: this.tally.read });
    const waiting = this.active.reduce((n, b) => n + b.customIds.filter((id) => !this.written.has(id) && !this.skipIds.has(id)).length, 0);
    const onServer = waiting > 0 ? ` (${waiting} in batches still on the server)` : '';
    const left = `${summary.notRun} not collected${onServer}${this.notSubmitted > 0 ? `, ${this.notSubmitted} not submitted` : ''}`;
    const { fatal } = this;
    const annotated = fatal && new GptError(fatal.kind, `${fatal.message} (${summary.ok} ok, ${summary.failed} failed, ${left}; rerun with --resume to continue)`, fatal.details, { cause: fatal });
    const exitError = exitErrorFor(summary, { fatal: annotated, left, problems: this.problems });
    if (exitError) summary.exitError = exitError;
    return summary;
  }
}
