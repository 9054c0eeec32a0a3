/**
 * `gpt batch`: many prompts from a JSONL or CSV file (or stdin), run concurrently with rate limits, a
 * budget and a checkpointed output; `--merge` joins shard outputs. The engine is src/batch/; this file
 * wires config, template, provider, output, progress, signals and the usage log around it.
 */
import { chmod, mkdir, open, stat, type FileHandle } from 'node:fs/promises';
import { resolve } from 'node:path';
import { costOf } from '../accounting/cost.js';
import { lookupModel } from '../accounting/models.js';
import { countedUsage, loadCounter, type TokenCounter } from '../accounting/tokenizer.js';
import { type Cost, GptError, usageError, type ChatMessage, type GenerationOptions, type Usage, redact } from '../domain/index.js';
import type { ModelInfo } from '../accounting/types.js';
import { usageLogPath, type UsageRecord } from '../accounting/usage-log.js';
import { openCheckpoint, type Checkpoint } from '../batch/checkpoint.js';
import { readBatchFile, scanIds } from '../batch/reader.js';
import { createInterrupt, defaultMessages, runBatch, type BatchSummary, type Progress, type TokenEstimate } from '../batch/runner.js';
import { filterShard, inShard, mergeOutputs, parseShard, type Shard } from '../batch/shard.js';
import { openBatchInput, type BatchInput } from '../batch/spool.js';
import type { BatchEntry, BatchItem, ResultLine, ResultSink } from '../batch/types.js';
import { StreamWriter } from '../batch/writer.js';
import { clearTextWarning, resolveApiKey } from '../config/key.js';
import { flagOptions, loadConfig } from '../config/load.js';
import { templateHints, templateWhere } from '../core/template-request.js';
import type { ResolvedConfig } from '../config/types.js';
import { type Output, warn } from '../core/prompt.js';
import { createProvider } from '../providers/index.js';
import type { Provider, ProviderRequest } from '../providers/types.js';
import { compileTemplate } from '../templates/compile.js';
import { checkSchema, findTemplate, loadSchemaFile, mergeOptions, resolveSchema, templateOptions, type Template } from '../templates/index.js';
import { ProgressLine, formatSummary } from '../ui/progress.js';
import { writeErrorReason } from '../ui/stdout.js';
import { colorEnabled, escapeControls, isInteractive, style } from '../ui/term.js';

const out: Output = { stdout: process.stdout, stderr: process.stderr };

const int = (n: number) => n.toLocaleString('en-US');
const plural = (n: number, word: string) => `${int(n)} ${n === 1 ? word : `${word}s`}`;

const DEFAULT_CONCURRENCY = 8;
/** Output tokens assumed for budgeting before any answer has come back (then the running mean is used). */
const FIRST_OUTPUT_GUESS = 500;

export async function run(positional: unknown[], flags: Record<string, unknown>): Promise<number> {
  const inputs = (positional[0] as string[] | undefined) ?? [];
  if (flags.merge) return merge(inputs, flags);
  if (flags.input !== undefined) throw usageError('--input goes with --merge (the input to check merged outputs against)');
  if (inputs.length !== 1) {
    throw usageError(inputs.length === 0 ? 'gpt batch needs an input file (JSONL or CSV), or - for stdin' : `gpt batch takes one input file, not ${inputs.length}; to join shard outputs use --merge`);
  }
  const input = inputs[0]!;
  const outPath = typeof flags.out === 'string' ? flags.out : undefined;
  if (flags.resume && !outPath) throw usageError('--resume needs --out: the output file is the checkpoint');
  if (outPath && input !== '-' && resolve(outPath) === resolve(input)) throw usageError(`--out ${outPath} is the input file; choose another output`);
  if (input === '-' && process.stdin.isTTY) throw usageError('gpt batch -: stdin is a terminal; pipe a JSONL or CSV file into it');
  const shard = typeof flags.shard === 'string' ? parseShard(flags.shard) : undefined;

  const job = await prepare(flags);
  const source = await openInputInterruptibly(input);
  try {
    const read = { template: job.template !== undefined, name: source.name };
    const total = await countEntries(source.path, read, shard);
    const entries = (): AsyncIterable<BatchEntry> => {
      const all = readBatchFile(source.path, read);
      return shard ? filterShard(all, shard) : all;
    };
    return await execute(job, flags, entries, total, outPath);
  } finally {
    await source.cleanup();
  }
}

/** Ctrl-C or SIGTERM while a pipe or FIFO is copied (its writer may never come) stops the copy; nothing was sent yet. */
async function openInputInterruptibly(input: string): Promise<BatchInput> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await openBatchInput(input, { stdin: process.stdin, signal: stop.signal });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** What every mode needs, resolved once before the input is read. */
interface Job {
  config: ResolvedConfig;
  apiKey: string | undefined;
  model: string;
  /** Command-level options: flags > template front matter > config defaults. */
  options: GenerationOptions;
  template?: Template;
  /** Builds one item's messages (a template, or the line's own prompt or messages). */
  render: (item: BatchItem) => ChatMessage[];
  concurrency: number;
  rpm?: number;
  tpm?: number;
  maxCostUsd?: number;
}

async function prepare(flags: Record<string, unknown>): Promise<Job> {
  const cwd = process.cwd();
  const base = await loadConfig(flags, process.env, cwd);
  let template: Template | undefined;
  if (typeof flags.template === 'string') {
    // The schema file is read and checked here, once, not once per line.
    template = await resolveSchema(await findTemplate(flags.template, templateWhere(base, cwd)));
  }
  const config =
    template && (template.profile !== undefined || template.model !== undefined)
      ? await loadConfig(flags, process.env, cwd, templateHints(template))
      : base;
  for (const message of config.warnings) warn(out, flags, message);

  const { system: flagSystem, ...fromFlags } = flagOptions(flags);
  const { system: defaultSystem, ...fromDefaults } = config.defaults;
  const options = mergeOptions([fromFlags, template ? templateOptions(template) : undefined, fromDefaults]);
  if (typeof flags.schema === 'string') {
    const source = `--schema ${flags.schema}`;
    options.schema = await loadSchemaFile(resolve(cwd, flags.schema), source);
    await checkSchema(options.schema.schema, source);
  }
  let render: (item: BatchItem) => ChatMessage[];
  if (template) render = await compileTemplate(template, { flag: flagSystem, fallback: defaultSystem });
  else {
    // Without a template the runner puts options.system first, unless a line brings its own.
    const system = flagSystem ?? defaultSystem;
    if (system) options.system = system;
    render = defaultMessages;
  }

  const { key } = resolveApiKey(config);
  const clearText = clearTextWarning(config.profile.baseUrl, key);
  if (clearText) warn(out, flags, clearText);

  const explicitCost = flags.maxCost as number | undefined;
  let maxCostUsd = explicitCost ?? config.budget.maxCostPerRun;
  if (flags.mode === 'openai-batch' && maxCostUsd !== undefined) {
    // The Batch API runs a whole file at once, so a budget could not stop it part way.
    if (explicitCost !== undefined) throw usageError('--max-cost cannot be enforced with --mode openai-batch; estimate first with gpt cost --mode openai-batch, or use --mode live');
    warn(out, flags, 'budget.maxCostPerRun is not enforced with --mode openai-batch');
    maxCostUsd = undefined;
  }
  const info = lookupModel(config.model, config.pricing);
  if (!info.price) {
    if (explicitCost !== undefined) throw usageError(`--max-cost needs a price for model '${config.model}', and none is known (add pricing.${config.model} to your config)`);
    warn(out, flags, `no price known for model '${config.model}': cost will show as unknown (add pricing.${config.model} to your config)`);
  }
  const job: Job = {
    config,
    apiKey: key,
    model: config.model,
    options,
    render,
    concurrency: (flags.concurrency as number | undefined) ?? DEFAULT_CONCURRENCY,
  };
  if (template) job.template = template;
  const rpm = (flags.rpm as number | undefined) ?? config.profile.rpm;
  const tpm = (flags.tpm as number | undefined) ?? config.profile.tpm;
  if (rpm !== undefined) job.rpm = rpm;
  if (tpm !== undefined) job.tpm = tpm;
  if (maxCostUsd !== undefined) job.maxCostUsd = maxCostUsd;
  return job;
}

/** The duplicate-id pass over the whole input (a duplicate is refused even across shards); returns this run's entry count. */
async function countEntries(path: string, read: { template: boolean; name: string }, shard: Shard | undefined): Promise<number> {
  const ids = await scanIds(readBatchFile(path, read));
  if (!shard) return ids.size;
  let count = 0;
  for (const id of ids.keys()) if (inShard(id, shard.index, shard.count)) count++;
  return count;
}

/** Per-request facts the result line does not carry, kept from render to write for the usage log. */
interface Track {
  id: string;
  model: string;
  reportedModel?: string;
  latencyMs?: number;
}

async function execute(job: Job, flags: Record<string, unknown>, entries: () => AsyncIterable<BatchEntry>, total: number, outPath: string | undefined): Promise<number> {
  const quiet = Boolean(flags.quiet);
  const color = colorEnabled(out.stderr, flags);
  const { config } = job;

  let checkpoint: Checkpoint | undefined;
  let stream: StreamWriter | undefined;
  let sink: ResultSink;
  if (outPath) {
    checkpoint = await openCheckpoint(outPath, { resume: Boolean(flags.resume) });
    sink = checkpoint.writer;
  } else {
    // A closed pipe (| head) surfaces through the failed write, which stops the batch.
    out.stdout.on('error', () => undefined);
    stream = new StreamWriter(out.stdout);
    sink = stream;
  }

  const progressLine = quiet ? undefined : new ProgressLine({ stream: out.stderr, live: isInteractive(out.stderr), color, concurrency: job.concurrency });
  const note = (text: string) => (progressLine ? progressLine.note(text) : out.stderr.write(`${text}\n`));
  const usageLog = config.profile.simulate
    ? undefined
    : new UsageLogWriter(config.stateDir, (err) => warn(out, flags, `could not write the usage log ${usageLogPath(config.stateDir)}: ${writeErrorReason(err)}; the batch goes on without it`));
  let latest: Progress | undefined;
  const onProgress = (p: Progress) => {
    latest = p;
    progressLine?.update(p);
  };

  const interrupt = createInterrupt();
  const batchApi = flags.mode === 'openai-batch';
  let sigints = 0;
  const onSigint = () => {
    // A third Ctrl-C leaves at once: the output is whole lines, and a stale lock is taken over next time.
    if (++sigints > 2) process.exit(130);
    const stage = interrupt.interrupt();
    if (quiet) return;
    if (batchApi) note(stage === 'drain' ? 'stopping: no new submissions or status polls (Ctrl-C again to cancel the batches on the server)' : 'cancelling the batches on the server');
    else if (stage === 'drain') note(`stopping: finishing ${plural(latest?.inFlight ?? 0, 'in-flight request')} (Ctrl-C again to abort)`);
    else note('aborting in-flight requests; they run again with --resume');
  };
  // SIGTERM (CI cancel, kill) does not wait for answers: live requests are cut and rerun on --resume;
  // batches already on the server are left running (never cancelled, which would throw paid work away).
  const onSigterm = () => {
    interrupt.interrupt();
    if (!batchApi) interrupt.interrupt();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);

  let summary: BatchSummary | undefined;
  let closeError: unknown;
  try {
    const skipIds = checkpoint?.state.done;
    if (checkpoint && !quiet) describeResume(checkpoint, outPath!, flags);
    const context: RunContext = { job, flags, items: entries(), total, sink, skipIds, onProgress, interrupt, recorder: new Recorder(job, usageLog), outPath, note };
    summary = flags.mode === 'openai-batch' ? await runOpenAIBatchMode(context) : await runLive(context);
  } catch (err) {
    if (!stream?.readerGone) throw err;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
    progressLine?.stop();
    await stream?.close().catch(() => undefined);
    await usageLog?.close();
    if (checkpoint) closeError = await closeCheckpoint(checkpoint, outPath!, flags);
  }
  // The reader of stdout left (`| head -1`): end quietly, as a pipeline expects; the usage log is already written.
  if (!summary || stream?.readerGone) return 0;

  if (!quiet) {
    const s = style(color);
    const [counts, figures] = formatSummary(summary);
    out.stderr.write(`${counts}\n${s.dim(figures!)}\n`);
    if (summary.unpriced) warn(out, flags, 'some models have no known price: their cost is not counted and --max-cost cannot hold them');
  }
  if (flags.json && outPath) out.stdout.write(`${JSON.stringify(summaryJson(summary, outPath), null, 2)}\n`);
  if (summary.exitError) throw summary.exitError;
  if (closeError) throw closeError;
  return 0;
}

/** Closes (and compacts) --out; a failure is returned, so it never hides the error the run itself ended with. */
async function closeCheckpoint(checkpoint: Checkpoint, outPath: string, flags: Record<string, unknown>): Promise<unknown> {
  try {
    const { compacted } = await checkpoint.close();
    if (compacted && flags.verbose) out.stderr.write(`gpt: compacted ${outPath} to one line per id\n`);
    return undefined;
  } catch (err) {
    return err;
  }
}

function describeResume(checkpoint: Checkpoint, outPath: string, flags: Record<string, unknown>): void {
  const { state } = checkpoint;
  if (state.repair === 'truncated') warn(out, flags, `${outPath}: cut a torn last line (${state.truncatedBytes} bytes, a write interrupted by a crash); that item runs again`);
  else if (state.repair === 'completed') warn(out, flags, `${outPath}: completed a last line that had lost its newline`);
  if (state.done.size > 0 || state.failed.size > 0) {
    out.stderr.write(`resuming ${outPath}: ${int(state.done.size)} already ok (skipped), ${int(state.failed.size)} failed before (run again)\n`);
  }
}

/**
 * Keeps, from render to write, what the usage log needs beyond the result line (requested and reported
 * model, latency), and appends one usage record per ok result. Shared by both modes.
 */
class Recorder {
  private readonly tracks = new Map<string, Track>();
  private readonly byLastMessage = new WeakMap<ChatMessage, Track>();
  private readonly infos = new Map<string, ModelInfo>();
  /** Output tokens of the answers so far, for the budget's output estimate. */
  outputTokens = 0;
  answers = 0;

  constructor(
    private readonly job: Job,
    private readonly usageLog: UsageLogWriter | undefined,
  ) {}

  infoFor(model: string): ModelInfo {
    let info = this.infos.get(model);
    if (!info) this.infos.set(model, (info = lookupModel(model, this.job.config.pricing)));
    return info;
  }

  readonly render = async (item: BatchItem): Promise<ChatMessage[]> => {
    const messages = this.job.render(item);
    const track: Track = { id: item.id, model: item.model ?? this.job.model };
    this.tracks.set(item.id, track);
    // The runner may put a system message first, but the last message stays the same object.
    const last = messages[messages.length - 1];
    if (last) this.byLastMessage.set(last, track);
    return messages;
  };

  trackOf(request: ProviderRequest): Track | undefined {
    const last = request.messages[request.messages.length - 1];
    return last ? this.byLastMessage.get(last) : undefined;
  }

  sink(inner: ResultSink): ResultSink {
    return {
      write: async (line: ResultLine) => {
        try {
          await inner.write(line);
        } finally {
          // An answer that could not be written was still paid for: its usage is logged either way.
          this.account(line);
        }
      },
    };
  }

  private account(line: ResultLine): void {
    const track = this.tracks.get(line.id);
    this.tracks.delete(line.id);
    if (line.status !== 'ok' || !line.usage || !line.cost) return;
    this.outputTokens += line.usage.output_tokens;
    this.answers++;
    if (!this.usageLog) return;
    const requested = track?.model ?? this.job.model;
    const record: UsageRecord = {
      ts: new Date().toISOString(),
      command: 'batch',
      profile: this.job.config.profileName,
      model: track?.reportedModel ?? requested,
      requested_model: requested,
      usage: line.usage,
      prices: this.infoFor(requested).price,
      cost: line.cost,
    };
    if (this.job.template) record.template = this.job.template.name;
    if (track?.latencyMs !== undefined) record.latency_ms = track.latencyMs;
    this.usageLog.add(record);
  }
}

interface RunContext {
  job: Job;
  flags: Record<string, unknown>;
  items: AsyncIterable<BatchEntry>;
  total: number;
  sink: ResultSink;
  skipIds: ReadonlySet<string> | undefined;
  onProgress: (p: Progress) => void;
  interrupt: ReturnType<typeof createInterrupt>;
  recorder: Recorder;
  outPath: string | undefined;
  note: (text: string) => void;
}

async function runLive({ job, flags, items, total, sink, skipIds, onProgress, interrupt, recorder }: RunContext): Promise<BatchSummary> {
  const priceOf = (model: string, usage: Usage): Cost => costOf(usage, recorder.infoFor(model).price);

  // Tokens are counted up front only when a limit needs the estimate (TPM bucket, budget); the counter loads once.
  const counter = job.tpm !== undefined || job.maxCostUsd !== undefined ? await loadCounter(job.model) : undefined;
  const outputGuess = (item: BatchItem): number => {
    const cap = item.options.maxOutputTokens ?? job.options.maxOutputTokens;
    const guess = job.template?.expect.output_tokens ?? (recorder.answers > 0 ? Math.ceil(recorder.outputTokens / recorder.answers) : FIRST_OUTPUT_GUESS);
    return cap !== undefined ? Math.min(cap, guess) : guess;
  };
  const estimateTokens = (item: BatchItem, messages: ChatMessage[]): TokenEstimate =>
    counter ? { input: counter.countChat(messages), output: outputGuess(item) } : { input: 0, output: 0 };

  const log = flags.verbose ? (line: string) => out.stderr.write(`${escapeControls(redact(line))}\n`) : undefined;
  const inner = createProvider(job.config, { apiKey: job.apiKey, log, connections: job.concurrency });
  const provider = trackedProvider(inner, (request) => recorder.trackOf(request));

  return runBatch({
    items,
    provider,
    model: job.model,
    options: job.options,
    concurrency: job.concurrency,
    ...(job.rpm !== undefined ? { rpm: job.rpm } : {}),
    ...(job.tpm !== undefined ? { tpm: job.tpm } : {}),
    ...(job.maxCostUsd !== undefined ? { maxCostUsd: job.maxCostUsd } : {}),
    failFast: Boolean(flags.failFast),
    ...(skipIds ? { skipIds } : {}),
    total,
    estimateTokens,
    priceOf,
    writer: recorder.sink(sink),
    signal: interrupt.signal,
    abortSignal: interrupt.abortSignal,
    onProgress,
    render: recorder.render,
    ...(job.template?.expect.output_tokens !== undefined ? { expectedOutputTokens: job.template.expect.output_tokens } : {}),
    ...(flags.validate !== false ? { check: checkStructured } : {}),
  });
}

/** Structured output is validated per line as `gpt run` validates it (Ajv loads only when a schema is in use). */
async function checkStructured(text: string, options: GenerationOptions): Promise<string | undefined> {
  if (!options.schema) return undefined;
  const { validateAnswer } = await import('../core/schema.js');
  const problems = await validateAnswer(text, options.schema);
  return problems.length > 0 ? `the answer does not match schema ${options.schema.name}: ${problems.slice(0, 5).join('; ')}` : undefined;
}

/**
 * Wraps the provider to note the model the API reports and the latency (for the usage log), and to
 * count usage locally, marked estimated, for the rare API that reports none; the tokenizer loads only then.
 */
function trackedProvider(inner: Provider, trackOf: (request: ProviderRequest) => Track | undefined): Provider {
  let counter: Promise<TokenCounter> | undefined;
  return {
    async *stream(request) {
      const track = trackOf(request);
      const started = Date.now();
      let text = '';
      let usage = false;
      for await (const event of inner.stream(request)) {
        if (event.type === 'text') text += event.text;
        else if (event.type === 'usage') usage = true;
        else if (event.type === 'model' && track) track.reportedModel = event.model;
        else if (event.type === 'retry' && event.restart) {
          text = '';
          usage = false;
        }
        yield event;
      }
      if (track) track.latencyMs = Date.now() - started;
      if (!usage) {
        yield { type: 'usage', usage: countedUsage(await (counter ??= loadCounter(request.model)), request.messages, text) };
      }
    },
  };
}

/** Seconds between Batch API status polls when --poll-interval is not given. */
const DEFAULT_POLL_SECONDS = 30;

async function runOpenAIBatchMode({ job, flags, items, sink, skipIds, onProgress, interrupt, recorder, outPath, note }: RunContext): Promise<BatchSummary> {
  const { runOpenAIBatch } = await import('../batch/openai-batch.js');
  const quiet = Boolean(flags.quiet);
  return runOpenAIBatch({
    entries: items,
    config: job.config,
    apiKey: job.apiKey,
    model: job.model,
    options: job.options,
    render: recorder.render,
    writer: recorder.sink(sink),
    skipIds: skipIds ?? new Set(),
    pollIntervalMs: ((flags.pollInterval as number | undefined) ?? DEFAULT_POLL_SECONDS) * 1000,
    signal: interrupt.signal,
    abortSignal: interrupt.abortSignal,
    onProgress,
    log: (line) => {
      if (!quiet) note(line);
    },
    ...(flags.verbose ? { httpLog: (line: string) => out.stderr.write(`${escapeControls(redact(line))}\n`) } : {}),
    stateDir: job.config.stateDir,
    ...(outPath ? { stateKey: resolve(outPath) } : {}),
  });
}

function summaryJson(s: BatchSummary, outPath: string): Record<string, unknown> {
  return {
    out: outPath,
    stop_reason: s.stopReason,
    read: s.read,
    ok: s.ok,
    failed: s.failed,
    skipped: s.skipped,
    aborted: s.aborted,
    not_run: s.notRun ?? null,
    usage: s.usage,
    cost: { input_usd: s.cost.input_usd, cached_input_usd: s.cost.cached_input_usd, output_usd: s.cost.output_usd, total_usd: s.cost.total_usd, priced: !s.unpriced },
    wall_ms: Math.round(s.wallMs),
    requests_per_sec: s.requestsPerSec,
    tokens_per_sec: s.tokensPerSec,
    rate_limited: s.rateLimited,
  };
}

// ───────────────────────────── templates, compiled once per batch ─────────────────────────────

// ───────────────────────────── usage log, one descriptor for the whole batch ─────────────────────────────

/** Most bytes in one append: well under what a local file system writes in one piece. */
const USAGE_WRITE_MAX = 64 * 1024;
/** Records wait at most this long to share a write: a kill -9 can lose only that much accounting. */
const USAGE_FLUSH_MS = 100;

/**
 * Appends usage records through one O_APPEND descriptor, gathering those that finish within
 * USAGE_FLUSH_MS into one write: a batch at 1,000 answers a second makes ten writes a second, not a
 * thousand opens and closes. Each write holds whole lines, so concurrent gpt processes never interleave one.
 */
export class UsageLogWriter {
  private pending: string[] = [];
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private handle: Promise<FileHandle> | undefined;
  private failed = false;

  constructor(
    private readonly stateDir: string,
    private readonly onError: (err: Error) => void,
  ) {}

  add(record: UsageRecord): void {
    if (this.failed) return;
    const line = `${JSON.stringify(record)}\n`;
    this.pending.push(line);
    this.pendingBytes += line.length;
    if (this.writing) return; // the running write picks it up
    if (this.pendingBytes >= USAGE_WRITE_MAX) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), USAGE_FLUSH_MS);
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length > 0) this.writing ??= this.drain();
  }

  private async openLog(): Promise<FileHandle> {
    const created = await mkdir(this.stateDir, { recursive: true, mode: 0o700 });
    if (created !== undefined) await chmod(this.stateDir, 0o700); // the umask may have widened it; only dirs we made
    return open(usageLogPath(this.stateDir), 'a', 0o600);
  }

  private async drain(): Promise<void> {
    try {
      const handle = await (this.handle ??= this.openLog());
      while (this.pending.length > 0) {
        let size = 0;
        let count = 0;
        while (count < this.pending.length && (count === 0 || size + this.pending[count]!.length <= USAGE_WRITE_MAX)) size += this.pending[count++]!.length;
        const bytes = Buffer.from(this.pending.splice(0, count).join(''), 'utf8');
        this.pendingBytes -= size;
        for (let offset = 0; offset < bytes.length; ) offset += (await handle.write(bytes, offset, bytes.length - offset)).bytesWritten;
      }
    } catch (err) {
      this.fail(err as Error);
    } finally {
      this.writing = undefined;
    }
  }

  /** A full or read-only state dir is one warning, never the batch's failure: later records are dropped. */
  private fail(err: Error): void {
    this.pending = [];
    this.pendingBytes = 0;
    if (this.failed) return;
    this.failed = true;
    this.onError(err);
  }

  /** Writes what is pending and closes the log. */
  async close(): Promise<void> {
    this.flush();
    await this.writing;
    const handle = this.handle;
    this.handle = undefined;
    if (handle) await (await handle.catch(() => undefined))?.close().catch((err: unknown) => this.fail(err as Error));
  }
}

// ───────────────────────────── --merge ─────────────────────────────

/**
 * Joins outputs (shards, or several runs) into --out with one line per id, an ok line winning over
 * error lines. Incomplete (an id failed, or an --input id has no line) exits 8 like a batch with
 * failures: the merged file is written either way, and rerunning the shards with --resume fills it in.
 */
async function merge(files: string[], flags: Record<string, unknown>): Promise<number> {
  const outPath = typeof flags.out === 'string' ? flags.out : undefined;
  if (!outPath) throw usageError('--merge needs --out: the file to write the merged results to');
  if (files.length === 0) throw usageError('--merge needs the output files to merge, e.g. gpt batch --merge a.jsonl b.jsonl --out all.jsonl');
  for (const file of files) {
    const info = await stat(file).catch((err: NodeJS.ErrnoException) => {
      throw new GptError('usage', `cannot read ${file} to merge: ${err.code ?? err.message}`);
    });
    if (!info.isFile()) throw usageError(`cannot merge ${file}: not a file`);
  }
  const target = resolve(outPath);
  const outExists = await stat(outPath).then(
    (s) => s.size > 0,
    () => false,
  );
  if (outExists && !files.some((f) => resolve(f) === target)) {
    throw usageError(`${outPath} already exists; merge into a new file (or list ${outPath} among the files to merge)`);
  }
  let inputIds: Iterable<string> | undefined;
  if (typeof flags.input === 'string') {
    // Template mode accepts any columns, so a CSV without a prompt column still yields its ids.
    inputIds = (await scanIds(readBatchFile(flags.input, { template: true }))).keys();
  }
  const report = await mergeOutputs(files, outPath, inputIds);

  if (report.duplicateOk.length) warn(out, flags, `${plural(report.duplicateOk.length, 'id')} had more than one ok line (overlapping runs paid twice); one was kept: ${sample(report.duplicateOk)}`);
  if (report.unexpected.length) warn(out, flags, `${plural(report.unexpected.length, 'id')} in the outputs ${report.unexpected.length === 1 ? 'is' : 'are'} not in ${flags.input}: ${sample(report.unexpected)}`);
  if (report.invalid) warn(out, flags, `dropped ${plural(report.invalid, 'line')} that ${report.invalid === 1 ? 'is' : 'are'} not results (torn or foreign)`);
  if (flags.json) {
    out.stdout.write(`${JSON.stringify({ out: outPath, ids: report.ids, ok: report.ok, failed: report.failed, missing: report.missing, unexpected: report.unexpected, duplicate_ok: report.duplicateOk, invalid: report.invalid, complete: report.complete }, null, 2)}\n`);
  }
  if (!flags.quiet) {
    const parts = [`${int(report.ids)} ids`, `${int(report.ok)} ok`, `${int(report.failed.length)} failed`];
    if (inputIds) parts.push(`${int(report.missing.length)} missing`);
    out.stderr.write(`merged ${plural(files.length, 'file')} into ${outPath}: ${parts.join(' · ')}\n`);
  }
  if (!report.complete) {
    const problems: string[] = [];
    if (report.failed.length) problems.push(`${plural(report.failed.length, 'id')} failed (${sample(report.failed)})`);
    if (report.missing.length) problems.push(`${plural(report.missing.length, 'input id')} ${report.missing.length === 1 ? 'has' : 'have'} no result (${sample(report.missing)})`);
    throw new GptError('batch_failed', `merged output is incomplete: ${problems.join('; ')}; rerun the shards with --resume, then merge again`);
  }
  return 0;
}

function sample(ids: string[]): string {
  const shown = ids.slice(0, 5).map((id) => JSON.stringify(id)).join(', ');
  return ids.length > 5 ? `${shown}, …` : shown;
}
