/**
 * `gpt batch --mode openai-batch`: the same items and the same output lines as live mode, sent
 * through the provider's Batch API (upload a JSONL to /files, create /batches, poll, download the
 * output and error files) and priced at the batch rate.
 *
 * Each request body is exactly what live mode sends (non-streaming). Lines are grouped by endpoint
 * and model (one model per batch is the API's rule) and cut at the file limits. The ids of every
 * created batch are recorded in a state file before polling starts, so re-running the same command
 * after a crash or Ctrl-C re-attaches to the running batches instead of paying for them twice.
 */
import { createHash } from 'node:crypto';
import { openAsBlob } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, rename, rm, unlink, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addCosts, costOf } from '../accounting/cost.js';
import { lookupModel } from '../accounting/models.js';
import { loadCounter } from '../accounting/tokenizer.js';
import { type Cost, type Price, GptError, type ApiShape, type ChatMessage, type GenerationOptions, type Usage } from '../domain/index.js';
import type { ResolvedConfig } from '../config/types.js';
import { chatAnswerText, chatCompletionsBody, usageFromChat } from '../providers/chat-completions.js';
import type { Clock as HttpClock, HttpSettings } from '../providers/http.js';
import { callApi, callJson, isTransientFailure } from '../providers/http-json.js';
import { httpError } from '../providers/retry.js';
import { responsesAnswerText, responsesBody, unsupportedByResponses, usageFromResponses } from '../providers/responses.js';
import type { ProviderRequest } from '../providers/types.js';
import { usageProblem } from '../providers/usage.js';
import { scanLines } from './checkpoint.js';
import { LineSplitter } from './lines.js';
import { nextUnlessStopped, prepareItem, type BatchSummary, type Progress, type StopReason } from './runner.js';
import { isLineError, systemClock, type BatchEntry, type BatchItem, type Clock, type ResultError, type ResultLine, type ResultSink } from './types.js';

/** The API's limits per input file (openai-api.md §4); bytes in decimal MB, the cautious reading. */
export const MAX_REQUESTS_PER_FILE = 50_000;
export const MAX_BYTES_PER_FILE = 200_000_000;
/** Batches take minutes to hours; a GET every 15 s is cheap and keeps the progress line fresh. */
export const DEFAULT_POLL_INTERVAL_MS = 15_000;
/** How long after the first Ctrl-C a second one still cancels the batches on the server. */
export const CANCEL_GRACE_MS = 5_000;
/** Polls that may fail in a row (network down, 5xx) before the run gives up waiting. */
const MAX_POLL_FAILURES = 5;

export type BatchEndpoint = '/v1/chat/completions' | '/v1/responses';

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
  render?: (item: BatchItem) => Promise<ChatMessage[]>;
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
}

/** A submitted batch as the state file remembers it. */
interface RecordedBatch {
  id: string;
  inputFileId: string;
  endpoint: BatchEndpoint;
  model: string;
  /** The custom_id of each uploaded line, in file order. */
  customIds: string[];
  /** The input line of each uploaded line, for validation errors. */
  inputLines: number[];
  createdAt: number;
}

interface StateFile {
  version: 1;
  baseUrl: string;
  batches: RecordedBatch[];
}

type Json = Record<string, unknown>;

const ZERO_USAGE: Usage = { input_tokens: 0, cached_input_tokens: 0, output_tokens: 0, reasoning_tokens: 0, total_tokens: 0, estimated: false };
const TERMINAL = new Set(['completed', 'failed', 'expired', 'cancelled']);

function errorResult(id: string, error: ResultError, attempts: number): ResultLine {
  return { id, status: 'error', text: null, usage: null, cost: null, error, attempts };
}

function endpointFor(api: ApiShape): BatchEndpoint {
  return api === 'responses' ? '/v1/responses' : '/v1/chat/completions';
}

/** One Batch API input file being written to disk (bodies can add up to far more than memory). */
class ChunkFile {
  readonly ids: string[] = [];
  readonly inputLines: number[] = [];
  bytes = 0;
  private pending: string[] = [];
  private pendingBytes = 0;

  private constructor(
    readonly path: string,
    readonly endpoint: BatchEndpoint,
    readonly model: string,
    private readonly handle: FileHandle,
  ) {}

  static async create(path: string, endpoint: BatchEndpoint, model: string): Promise<ChunkFile> {
    return new ChunkFile(path, endpoint, model, await open(path, 'w', 0o600));
  }

  async add(id: string, inputLine: number, text: string, bytes: number): Promise<void> {
    this.ids.push(id);
    this.inputLines.push(inputLine);
    this.bytes += bytes;
    this.pending.push(text);
    this.pendingBytes += bytes;
    if (this.pendingBytes > 1 << 20) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.pending.length) await this.handle.write(this.pending.join(''));
    this.pending = [];
    this.pendingBytes = 0;
  }

  async close(): Promise<void> {
    await this.flush();
    await this.handle.close();
  }
}


// ───────────────────────────── state file ─────────────────────────────

function statePathFor(stateDir: string, key: string): string {
  return join(stateDir, 'openai-batch', `${key}.json`);
}

async function readState(path: string, baseUrl: string, log: (line: string) => void): Promise<RecordedBatch[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new GptError('internal', `cannot read the batch state ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    const state = JSON.parse(text) as StateFile;
    if (state.version === 1 && state.baseUrl === baseUrl && Array.isArray(state.batches)) return state.batches;
  } catch {
    // Unreadable: reported below, then ignored.
  }
  log(`ignoring an unreadable batch state file ${path}`);
  return [];
}

/** Written whole through a temp file and a rename, so a crash never leaves half a state (0600: it names the user's batches). */
async function writeState(path: string, baseUrl: string, batches: RecordedBatch[]): Promise<void> {
  if (batches.length === 0) {
    await unlink(path).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    return;
  }
  await mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
  const temp = `${path}.tmp-${process.pid}`;
  const state: StateFile = { version: 1, baseUrl, batches };
  const handle = await open(temp, 'w', 0o600);
  try {
    await handle.write(JSON.stringify(state));
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
}

// ───────────────────────────── result mapping ─────────────────────────────

/** An error object inside a 200 body (a failed response), or undefined. */
function bodyError(body: Json, endpoint: BatchEndpoint): ResultError | undefined {
  const failed = endpoint === '/v1/responses' ? body.status === 'failed' || (body.error && !body.output) : body.error !== undefined && body.choices === undefined;
  if (!failed) return undefined;
  const raw = (body.error ?? {}) as Json;
  const inner = ((raw.error as Json | undefined) ?? raw) as Json;
  const type = typeof inner.type === 'string' ? inner.type : typeof inner.code === 'string' ? inner.code : 'api_error';
  return { status: 200, type, message: typeof inner.message === 'string' ? inner.message : 'the request failed' };
}

interface Priced {
  usage: Usage;
  cost: Cost;
}

// ───────────────────────────── the run ─────────────────────────────

export async function runOpenAIBatch(opts: OpenAIBatchOptions): Promise<BatchSummary> {
  const { config } = opts;
  const profile = config.profile;
  if (profile.simulate) {
    throw new GptError('usage', `--mode openai-batch needs a provider with a Batch API; the ${config.profileName} profile has none (use --mode live)`);
  }
  const clock = opts.clock ?? systemClock;
  const log = opts.log ?? (() => undefined);
  const httpClock: HttpClock = { now: () => clock.now(), sleep: (ms, signal) => clock.sleep(ms, signal), random: () => Math.random() };
  const http: HttpSettings = {
    baseUrl: profile.baseUrl,
    apiKey: opts.apiKey,
    headers: profile.headers,
    timeoutSeconds: opts.options.timeoutSeconds,
    retries: opts.options.retries,
    log: opts.httpLog,
    clock: httpClock,
  };
  const maxRequests = Math.max(1, Math.min(opts.limits?.maxRequests ?? MAX_REQUESTS_PER_FILE, MAX_REQUESTS_PER_FILE));
  const maxBytes = Math.max(1, Math.min(opts.limits?.maxBytes ?? MAX_BYTES_PER_FILE, MAX_BYTES_PER_FILE));
  const skipIds = opts.skipIds ?? new Set<string>();
  const pollIntervalMs = opts.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  const started = clock.now();

  let read = 0;
  let ok = 0;
  let failed = 0;
  let skipped = 0;
  let unpriced = false;
  let usage: Usage = { ...ZERO_USAGE };
  let cost: Cost = { input_usd: 0, cached_input_usd: 0, output_usd: 0, total_usd: 0, priced: true };
  let fatal: GptError | undefined;
  let interrupted = false;
  const validationErrors: string[] = [];
  /** Server-side counts of running batches, for progress. */
  const live = new Map<string, { total: number; completed: number; failed: number }>();

  const prices = new Map<string, Price | null>();
  const priceOf = (model: string): Price | null => {
    if (!prices.has(model)) prices.set(model, lookupModel(model, config.pricing).price);
    return prices.get(model) ?? null;
  };

  const progress = (): Progress => {
    const elapsedMs = clock.now() - started;
    let serverDone = 0;
    let serverOk = 0;
    let serverFailed = 0;
    let inFlight = 0;
    for (const counts of live.values()) {
      serverOk += counts.completed;
      serverFailed += counts.failed;
      serverDone += counts.completed + counts.failed;
      inFlight += Math.max(0, counts.total - counts.completed - counts.failed);
    }
    const done = ok + failed + serverDone;
    const seconds = elapsedMs / 1000;
    const p: Progress = {
      total: read,
      done,
      ok: ok + serverOk,
      failed: failed + serverFailed,
      skipped,
      inFlight,
      elapsedMs,
      requestsPerSec: seconds > 0 ? done / seconds : 0,
      tokensPerSec: seconds > 0 ? usage.total_tokens / seconds : 0,
      inputTokens: usage.input_tokens,
      outputTokens: usage.output_tokens,
      spentUsd: cost.total_usd,
      concurrency: live.size,
      rateLimited: 0,
    };
    const remaining = Math.max(0, read - done - skipped);
    if (done > 0 && elapsedMs > 0) p.etaMs = (remaining * elapsedMs) / done;
    return p;
  };
  const report = () => opts.onProgress?.(progress());

  const written = new Set<string>();
  const record = async (line: ResultLine, priced?: Priced) => {
    if (skipIds.has(line.id)) return;
    await opts.writer.write(line);
    written.add(line.id);
    if (line.status === 'ok') ok++;
    else failed++;
    if (priced) {
      const u = priced.usage;
      usage = {
        input_tokens: usage.input_tokens + u.input_tokens,
        cached_input_tokens: usage.cached_input_tokens + u.cached_input_tokens,
        output_tokens: usage.output_tokens + u.output_tokens,
        reasoning_tokens: usage.reasoning_tokens + u.reasoning_tokens,
        total_tokens: usage.total_tokens + u.total_tokens,
        estimated: usage.estimated || u.estimated,
      };
      cost = addCosts(cost, priced.cost);
      if (!priced.cost.priced) unpriced = true;
    }
  };

  const workDir = await mkdtemp(join(tmpdir(), 'gpt-openai-batch-'));
  let statePath = '';
  let recorded: RecordedBatch[] = [];
  /** Batches created or re-attached and not yet collected. */
  const active: RecordedBatch[] = [];
  let notSubmitted = 0;

  try {
    // ── 1. Build the request lines, grouped by endpoint and model, cut at the file limits. ──
    const chunks: ChunkFile[] = [];
    const openChunks = new Map<string, ChunkFile>();
    const seen = new Set<string>();
    const content = createHash('sha256').update(JSON.stringify([opts.model, opts.options, profile.api ?? null]));
    const warned = new Set<string>();
    const iterator = opts.entries[Symbol.asyncIterator]();
    let pendingNext = false;
    try {
      for (;;) {
        pendingNext = true;
        const next = await nextUnlessStopped(iterator, opts.signal);
        pendingNext = false;
        if (next === undefined) {
          interrupted = true;
          break;
        }
        if (next.done) break;
        const entry = next.value;
        read++;
        content.update('\n').update(JSON.stringify(entry));
        if (isLineError(entry)) {
          await record(errorResult(entry.id, { status: null, type: 'invalid_line', message: entry.error }, 0));
          continue;
        }
        if (skipIds.has(entry.id)) {
          skipped++;
          continue;
        }
        if (seen.has(entry.id)) {
          await record(errorResult(entry.id, { status: null, type: 'invalid_line', message: `line ${entry.line}: duplicate id "${entry.id}"` }, 0));
          continue;
        }
        const prepared = await prepareItem(entry, opts);
        if ('error' in prepared) {
          await record(errorResult(entry.id, { status: null, type: 'invalid_line', message: prepared.error }, 0));
          continue;
        }
        const { model, options, messages } = prepared;
        const api = options.api ?? profile.api ?? 'chat';
        const endpoint = endpointFor(api);
        const request: ProviderRequest = { model, messages, options };
        if (api === 'responses') {
          const dropped = unsupportedByResponses(request).filter((flag) => !warned.has(flag));
          for (const flag of dropped) warned.add(flag);
          if (dropped.length) log(`the responses API has no ${dropped.join(', ')}; ignored (use --api chat)`);
        }
        const body = api === 'responses' ? responsesBody(request, false) : chatCompletionsBody(request, profile, false);
        const text = `${JSON.stringify({ custom_id: entry.id, method: 'POST', url: endpoint, body })}\n`;
        const bytes = Buffer.byteLength(text);
        if (bytes > maxBytes) {
          const message = `line ${entry.line}: the request is ${bytes} bytes, more than a batch file may hold (${maxBytes})`;
          await record(errorResult(entry.id, { status: null, type: 'request_too_large', message }, 0));
          continue;
        }
        seen.add(entry.id);
        const group = `${endpoint} ${model}`;
        let chunk = openChunks.get(group);
        if (chunk && (chunk.ids.length >= maxRequests || chunk.bytes + bytes > maxBytes)) {
          await chunk.close();
          chunk = undefined;
        }
        if (!chunk) {
          chunk = await ChunkFile.create(join(workDir, `${chunks.length + 1}.jsonl`), endpoint, model);
          chunks.push(chunk);
          openChunks.set(group, chunk);
        }
        await chunk.add(entry.id, entry.line, text, bytes);
      }
    } finally {
      for (const chunk of openChunks.values()) await chunk.close();
      // A next() still pending (stopped mid-read) would make return() wait for it; close in the background then.
      if (pendingNext) void Promise.resolve(iterator.return?.()).catch(() => undefined);
      else await Promise.resolve(iterator.return?.()).catch(() => undefined);
    }
    report();

    // ── 2. Re-attach to what an earlier run of the same command submitted. ──
    const key = createHash('sha256')
      .update(`${profile.baseUrl}\n${opts.stateKey ?? `content:${content.digest('hex')}`}`)
      .digest('hex')
      .slice(0, 32);
    statePath = statePathFor(opts.stateDir ?? config.stateDir, key);
    recorded = await readState(statePath, profile.baseUrl, log);
    const covered = new Set<string>();
    for (const batch of recorded) {
      for (const id of batch.customIds) covered.add(id);
      active.push(batch);
      log(`re-attaching to batch ${batch.id} (${batch.customIds.length} requests, ${batch.model}, submitted ${new Date(batch.createdAt).toISOString()})`);
    }

    // ── 3. Upload and create a batch per chunk, recording each before anything waits on it. ──
    const httpOnce = { ...http, retries: 0 };
    for (const [index, chunk] of chunks.entries()) {
      if (interrupted || opts.signal?.aborted || fatal) {
        interrupted ||= opts.signal?.aborted ?? false;
        notSubmitted += chunk.ids.filter((id) => !covered.has(id)).length;
        continue;
      }
      const file = await withoutCovered(chunk, covered, workDir, index);
      if (file.ids.length === 0) continue;
      let created = false;
      try {
        const uploaded = await callJson(http, {
          method: 'POST',
          path: '/files',
          form: async () => {
            const { FormData } = await import('undici');
            const form = new FormData();
            form.append('purpose', 'batch');
            form.append('file', await openAsBlob(file.path, { type: 'application/jsonl' }), `gpt-batch-${index + 1}.jsonl`);
            return form;
          },
          signal: opts.signal,
        }).catch((err: unknown) => {
          throw explainMissingBatchApi(err);
        });
        const inputFileId = typeof uploaded.id === 'string' ? uploaded.id : '';
        if (!inputFileId) throw new GptError('api', 'POST /files answered without a file id');
        log(`uploaded ${file.ids.length} requests for ${chunk.model} (${formatBytes(file.bytes)}) as ${inputFileId}`);
        // Not abortable: a create cut off after the server acted would leave a batch we pay for but never recorded.
        const batch = await createBatch(http, httpOnce, inputFileId, chunk.endpoint);
        if (typeof batch.id !== 'string' || batch.id === '') throw new GptError('api', 'POST /batches answered without a batch id');
        const entry: RecordedBatch = {
          id: batch.id,
          inputFileId,
          endpoint: chunk.endpoint,
          model: chunk.model,
          customIds: file.ids,
          inputLines: file.inputLines,
          createdAt: Date.now(),
        };
        recorded.push(entry);
        active.push(entry);
        created = true;
        log(`created batch ${entry.id} (${chunk.endpoint}, ${chunk.model}, ${file.ids.length} requests)`);
        await writeState(statePath, profile.baseUrl, recorded);
      } catch (err) {
        if (err instanceof GptError && err.kind === 'interrupted') interrupted = true;
        else fatal = asGptError(err);
        if (!created) notSubmitted += file.ids.length;
      }
    }
    report();

    // ── 4. Poll until every batch ends; collect each as soon as it does. ──
    let pollFailures = 0;
    while (active.length > 0 && !interrupted && !opts.signal?.aborted) {
      for (const batch of [...active]) {
        if (opts.signal?.aborted) break;
        let object: Json;
        try {
          object = await callJson(http, { method: 'GET', path: `/batches/${encodeURIComponent(batch.id)}`, signal: opts.signal });
          pollFailures = 0;
        } catch (err) {
          if (err instanceof GptError && err.kind === 'interrupted') break;
          if (err instanceof GptError && err.details.status === 404) {
            log(`batch ${batch.id} is not known to the server (another key or organisation?); its requests get error lines and --resume submits them again`);
            await forget(batch);
            for (const id of batch.customIds) {
              if (!written.has(id)) await record(errorResult(id, { status: 404, type: 'batch_not_found', message: `batch ${batch.id} is not known to the server` }, 1));
            }
            continue;
          }
          if (isTransientFailure(err) && ++pollFailures < MAX_POLL_FAILURES) {
            log(`could not check batch ${batch.id} (${(err as Error).message}); trying again`);
            continue;
          }
          throw new GptError(
            err instanceof GptError ? err.kind : 'api',
            `${(err as Error).message}; the batches keep running on the server: rerun the same command with --resume to re-attach`,
            err instanceof GptError ? err.details : {},
            { cause: err },
          );
        }
        const status = String(object.status ?? '');
        const counts = object.request_counts as Json | undefined;
        live.set(batch.id, { total: num(counts?.total) || batch.customIds.length, completed: num(counts?.completed), failed: num(counts?.failed) });
        if (!TERMINAL.has(status)) continue;
        await collect(batch, object);
      }
      report();
      if (active.length > 0 && !opts.signal?.aborted) await clock.sleep(pollIntervalMs, opts.signal);
    }
    if (opts.signal?.aborted) interrupted = true;
  } catch (err) {
    if (err instanceof GptError && err.kind === 'interrupted') interrupted = true;
    else fatal = asGptError(err);
  } finally {
    await rm(workDir, { recursive: true, force: true }).catch(() => undefined);
  }

  // ── 5. Ctrl-C: the batches keep running; a second Ctrl-C within the grace period cancels them. ──
  if (interrupted && active.length > 0) {
    const ids = active.map((b) => b.id).join(', ');
    const grace = opts.abortSignal ? (opts.cancelGraceMs ?? CANCEL_GRACE_MS) : 0;
    const cancelHint = grace > 0 ? ` Press Ctrl-C again within ${Math.ceil(grace / 1000)}s to cancel it on the server instead.` : '';
    log(
      `stopped waiting. Batch ${ids} keeps running on the server (it has 24 h); rerun the same command with --resume to re-attach and collect the results without paying again.${cancelHint}`,
    );
    if (opts.abortSignal && !opts.abortSignal.aborted && grace > 0) await clock.sleep(grace, opts.abortSignal);
    if (opts.abortSignal?.aborted) {
      for (const batch of active) {
        try {
          await callJson(http, { method: 'POST', path: `/batches/${encodeURIComponent(batch.id)}/cancel`, json: {} });
          log(`cancelling batch ${batch.id}: requests it already finished are kept and billed; rerun with --resume to collect them (the rest get error lines, which a further --resume submits again)`);
        } catch (err) {
          log(`could not cancel batch ${batch.id}: ${(err as Error).message}`);
        }
      }
    }
  }

  const wallMs = clock.now() - started;
  let stopReason: StopReason = 'completed';
  if (interrupted) stopReason = 'interrupted';
  else if (fatal) stopReason = 'fatal';
  const waiting = active.reduce((n, b) => n + b.customIds.filter((id) => !written.has(id) && !skipIds.has(id)).length, 0);
  const summary: BatchSummary = {
    read,
    ok,
    failed,
    skipped,
    aborted: 0,
    notRun: Math.max(0, read - ok - failed - skipped),
    usage,
    cost,
    wallMs,
    requestsPerSec: wallMs > 0 ? ((ok + failed) * 1000) / wallMs : 0,
    tokensPerSec: wallMs > 0 ? (usage.total_tokens * 1000) / wallMs : 0,
    rateLimited: 0,
    stopReason,
    unpriced,
  };
  const left = `${summary.notRun} not collected${waiting > 0 ? ` (${waiting} in batches still on the server)` : ''}${notSubmitted > 0 ? `, ${notSubmitted} not submitted` : ''}`;
  if (interrupted) {
    summary.exitError = new GptError('interrupted', `batch interrupted: ${ok} ok, ${failed} failed, ${left}; rerun with --resume to continue`);
  } else if (fatal) {
    summary.exitError = new GptError(fatal.kind, `${fatal.message} (${ok} ok, ${failed} failed, ${left}; rerun with --resume to continue)`, fatal.details, { cause: fatal });
  } else if (validationErrors.length > 0) {
    summary.exitError = new GptError('api', validationErrors.join('\n'));
  } else if (failed > 0) {
    summary.exitError = new GptError('batch_failed', `${failed} of ${ok + failed} batch items failed; the output file says which`);
  }
  return summary;

  /** Drops a batch from the state once it needs nothing more from the server. */
  async function forget(batch: RecordedBatch): Promise<void> {
    active.splice(active.indexOf(batch), 1);
    live.delete(batch.id);
    recorded = recorded.filter((b) => b !== batch);
    await writeState(statePath, profile.baseUrl, recorded);
  }

  /** Writes one result line per request of a finished batch, joined on custom_id (the files are in no order). */
  async function collect(batch: RecordedBatch, object: Json): Promise<void> {
    const status = String(object.status);
    const ids = new Set(batch.customIds);
    const price = priceOf(batch.model);
    let answered = 0;
    if (status === 'failed') {
      const message = validationMessage(batch, object);
      validationErrors.push(message);
      log(`batch ${batch.id} failed validation`);
      const byLine = new Map<number, { code: string; message: string }>();
      for (const e of validationData(object)) if (e.line !== undefined) byLine.set(e.line, e);
      for (const [index, id] of batch.customIds.entries()) {
        if (written.has(id)) continue;
        const own = byLine.get(index + 1);
        const error = own
          ? { status: null, type: own.code, message: `input line ${batch.inputLines[index]}: ${own.message}` }
          : { status: null, type: 'batch_failed', message };
        await record(errorResult(id, error, 1));
      }
      await forget(batch);
      return;
    }
    for (const fileId of [object.output_file_id, object.error_file_id]) {
      if (typeof fileId !== 'string' || fileId === '') continue;
      const answer = await callApi(http, { method: 'GET', path: `/files/${encodeURIComponent(fileId)}/content`, signal: opts.signal });
      const splitter = new LineSplitter();
      const rows = [...splitter.push(answer.body)];
      const last = splitter.end();
      if (last) rows.push(last);
      for (const row of rows) {
        const text = row.toString('utf8').trim();
        if (text === '') continue;
        let line: Json;
        try {
          line = JSON.parse(text) as Json;
        } catch {
          log(`skipped a line of ${fileId} that is not JSON: ${text.slice(0, 80)}`);
          continue;
        }
        const id = typeof line.custom_id === 'string' ? line.custom_id : undefined;
        if (id === undefined || !ids.has(id) || written.has(id)) continue;
        answered++;
        const mapped = await resultOf(id, line, batch, price);
        await record(mapped.line, mapped.priced);
      }
    }
    const missingType = status === 'expired' ? 'batch_expired' : status === 'cancelled' ? 'batch_cancelled' : 'missing_result';
    const missingMessage =
      status === 'expired'
        ? `batch ${batch.id} expired before this request ran`
        : status === 'cancelled'
          ? `batch ${batch.id} was cancelled before this request ran`
          : `batch ${batch.id} completed without a result for this request`;
    for (const id of batch.customIds) {
      if (!written.has(id)) await record(errorResult(id, { status: null, type: missingType, message: missingMessage }, 1));
    }
    log(`batch ${batch.id} ${status}: ${answered} of ${batch.customIds.length} requests answered`);
    await forget(batch);
  }

  async function resultOf(id: string, line: Json, batch: RecordedBatch, price: Price | null): Promise<{ line: ResultLine; priced?: Priced }> {
    const response = line.response as Json | null | undefined;
    const error = line.error as Json | null | undefined;
    if (!response) {
      const type = typeof error?.code === 'string' ? error.code : 'batch_error';
      return { line: errorResult(id, { status: null, type, message: typeof error?.message === 'string' ? error.message : 'the request was not answered' }, 1) };
    }
    const status = num(response.status_code);
    const body = (response.body ?? {}) as Json;
    if (status !== 200) {
      const requestId = typeof response.request_id === 'string' ? response.request_id : undefined;
      // The same error (message, type) live mode would have written for this answer.
      const e = httpError(status, requestId ? { 'x-request-id': requestId } : {}, JSON.stringify(body), 1);
      return { line: errorResult(id, { status, type: e.details.type ?? e.details.code ?? e.kind, message: e.message }, 1) };
    }
    const failure = bodyError(body, batch.endpoint);
    if (failure) return { line: errorResult(id, failure, 1) };
    const text = batch.endpoint === '/v1/responses' ? responsesAnswerText(body) : chatAnswerText(body);
    const raw = body.usage as Json | undefined;
    const reported = raw && typeof raw === 'object' ? (batch.endpoint === '/v1/responses' ? usageFromResponses(raw) : usageFromChat(raw)) : undefined;
    let used: Usage;
    // Counts that cannot be true are treated as missing, as live mode treats them.
    if (reported && !usageProblem(reported, lookupModel(batch.model, config.pricing).contextWindow)) used = reported;
    else {
      // A Batch API body always carries usage; a server that omits it gets the output counted and marked estimated.
      const output = (await loadCounter(batch.model)).count(text);
      used = { ...ZERO_USAGE, output_tokens: output, total_tokens: output, estimated: true };
    }
    const c = costOf(used, price, { batch: true });
    return { line: { id, status: 'ok', text, usage: used, cost: c, error: null, attempts: 1 }, priced: { usage: used, cost: c } };
  }
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

function asGptError(err: unknown): GptError {
  if (err instanceof GptError) return err;
  return new GptError('internal', `openai-batch stopped: ${(err as Error)?.message ?? String(err)}`, {}, { cause: err });
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** A 404/405 on /files most likely means the provider has no Batch API at all. */
function explainMissingBatchApi(err: unknown): unknown {
  if (err instanceof GptError && (err.details.status === 404 || err.details.status === 405)) {
    return new GptError('api', `${err.message} — this provider does not seem to offer the Batch API (/files, /batches); use --mode live`, err.details, { cause: err });
  }
  return err;
}

/**
 * Creates the batch. A create that failed in a way the server may still have acted on is checked
 * against the batch list (by its unique input file) before trying again, so a retry never makes a second batch.
 */
async function createBatch(http: HttpSettings, once: HttpSettings, inputFileId: string, endpoint: BatchEndpoint): Promise<Json> {
  const call = { method: 'POST' as const, path: '/batches', json: { input_file_id: inputFileId, endpoint, completion_window: '24h' } };
  try {
    return await callJson(once, call);
  } catch (err) {
    if (!isTransientFailure(err)) throw err;
    const list = await callJson(http, { method: 'GET', path: '/batches?limit=100' });
    const existing = ((list.data as Json[] | undefined) ?? []).find((b) => b.input_file_id === inputFileId);
    if (existing) return existing;
    return callJson(http, call);
  }
}

/** Rewrites a chunk without the ids an earlier run already submitted (only on re-attach). */
async function withoutCovered(chunk: ChunkFile, covered: ReadonlySet<string>, workDir: string, index: number): Promise<{ path: string; ids: string[]; inputLines: number[]; bytes: number }> {
  if (!chunk.ids.some((id) => covered.has(id))) return chunk;
  const keep: { path: string; ids: string[]; inputLines: number[]; bytes: number } = { path: join(workDir, `${index + 1}-rest.jsonl`), ids: [], inputLines: [], bytes: 0 };
  const handle = await open(keep.path, 'w', 0o600);
  try {
    let row = 0;
    for await (const line of scanLines(chunk.path)) {
      const id = chunk.ids[row]!;
      const inputLine = chunk.inputLines[row]!;
      row++;
      if (covered.has(id)) continue;
      await handle.write(`${line.text}\n`);
      keep.ids.push(id);
      keep.inputLines.push(inputLine);
      keep.bytes += line.bytes + 1;
    }
  } finally {
    await handle.close();
  }
  return keep;
}

function validationData(object: Json): { code: string; message: string; line?: number }[] {
  const data = ((object.errors as Json | null | undefined)?.data as Json[] | undefined) ?? [];
  return data.map((e) => ({
    code: typeof e.code === 'string' ? e.code : 'validation_error',
    message: typeof e.message === 'string' ? e.message : 'invalid',
    ...(typeof e.line === 'number' ? { line: e.line } : {}),
  }));
}

/** The validation errors of a failed batch, each uploaded line named by its input line and id. */
function validationMessage(batch: RecordedBatch, object: Json): string {
  const errors = validationData(object);
  const shown = errors.slice(0, 10).map((e) => {
    if (e.line === undefined) return `${e.message} [${e.code}]`;
    const id = batch.customIds[e.line - 1];
    const inputLine = batch.inputLines[e.line - 1];
    const where = id === undefined ? `line ${e.line} of the batch file` : `line ${e.line} of the batch file (input line ${inputLine}, id "${id}")`;
    return `${where}: ${e.message} [${e.code}]`;
  });
  if (errors.length > shown.length) shown.push(`and ${errors.length - shown.length} more`);
  if (shown.length === 0) shown.push('no reason given');
  return `batch ${batch.id} (${batch.model}) failed validation: ${shown.join('; ')}`;
}
