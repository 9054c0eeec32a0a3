/**
 * `gpt batch`: many prompts from a JSONL or CSV file (or stdin), run concurrently with rate limits, a
 * budget and a checkpointed output; `--merge` (batch/merge.ts) joins shard outputs. The engine is
 * src/batch/; this file wires the typed options (batch/options.ts), config, template, provider, output,
 * progress, signals and the usage log to it.
 */
import { resolve } from 'node:path';
import { lookupModel, modelTypoHint } from '../accounting/models.js';
import { usageLogPath } from '../accounting/usage-log.js';
import { openCheckpoint, type Checkpoint } from '../batch/checkpoint.js';
import { checkIds } from '../batch/id-check.js';
import type { Render, SchemaCheck } from '../batch/item.js';
import { readBatchFile, readBatchFileIds } from '../batch/reader.js';
import { createInterrupt, runBatch } from '../batch/runner.js';
import { inShard, type Shard } from '../batch/shard.js';
import { openBatchInput, type BatchInput } from '../batch/spool.js';
import type { BatchEntry, BatchSummary, Progress, ResultSink } from '../batch/types.js';
import { UsageLogWriter, type UsageContext } from '../batch/usage-log.js';
import { StreamWriter } from '../batch/writer.js';
import { clearTextWarning, resolveApiKey } from '../config/key.js';
import { flagOptions, loadConfig } from '../config/load.js';
import type { ResolvedConfig } from '../config/types.js';
import { type Output, warn } from '../ui/status.js';
import { templateHints, templateWhere } from '../core/template-request.js';
import { type GenerationOptions, redact, usageError, writeErrorReason, escapeControls, formatInt as int } from '../domain/index.js';
import { createProvider } from '../core/provider.js';
import { apiFor } from '../providers/types.js';
import { withLineAttachments } from './batch/attach.js';
import { compileTemplate } from '../templates/compile.js';
import { findTemplate } from '../templates/find.js';
import { mergeOptions, templateOptions } from '../templates/options.js';
import { resolveSchema, schemaFromFlag } from '../templates/schema.js';
import type { Template } from '../templates/types.js';
import { ProgressLine, formatSummary } from '../ui/progress.js';
import { colorEnabled, isInteractive, style } from '../ui/term.js';
import { merge } from './batch/merge.js';
import { type BatchOptions, parseBatchOptions } from './batch/options.js';

const out: Output = { stdout: process.stdout, stderr: process.stderr };

const plural = (n: number, word: string) => `${int(n)} ${n === 1 ? word : `${word}s`}`;

const DEFAULT_CONCURRENCY = 8;

export async function run(positional: unknown[], flags: Record<string, unknown>): Promise<number> {
  const o = parseBatchOptions(positional, flags);
  if (o.merge) return merge(o, out);
  const job = await prepare(o);
  const source = await openInputInterruptibly(o.inputs[0]!);
  try {
    const read = { template: job.template !== undefined, name: source.name };
    const total = await countEntries(source.path, read, o.shard);
    const entries = (): AsyncIterable<BatchEntry> => {
      const shard = o.shard;
      return readBatchFile(source.path, shard ? { ...read, keep: (id) => inShard(id, shard.index, shard.count) } : read);
    };
    return await execute(job, o, entries(), total);
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
  /** Command-level options: flags > template front matter > config defaults. */
  options: GenerationOptions;
  template?: Template;
  /** The compiled template; without one, each line brings its prompt or messages. */
  render?: Render;
  concurrency: number;
  rpm?: number;
  tpm?: number;
  maxCostUsd?: number;
}

async function prepare(o: BatchOptions): Promise<Job> {
  const cwd = process.cwd();
  const base = await loadConfig(o.flags, process.env, cwd);
  // The schema file is read and checked here, once, not once per line.
  const template = o.template !== undefined ? await resolveSchema(await findTemplate(o.template, templateWhere(base, cwd))) : undefined;
  const config = template && (template.profile !== undefined || template.model !== undefined) ? await loadConfig(o.flags, process.env, cwd, templateHints(template)) : base;
  for (const message of config.warnings) warn(out, o.flags, message);
  if (template?.tools?.length) warn(out, o.flags, `${template.name} lists tools, which batch does not run: its lines are sent without them`);

  const { system: flagSystem, ...fromFlags } = flagOptions(o.flags);
  const { system: defaultSystem, ...fromDefaults } = config.defaults;
  const options = mergeOptions([fromFlags, template ? templateOptions(template) : undefined, fromDefaults]);
  if (o.schema !== undefined) options.schema = await schemaFromFlag(o.schema, cwd);
  let render: Render | undefined;
  if (template) render = await compileTemplate(template, { flag: flagSystem, fallback: defaultSystem });
  else {
    // Without a template options.system goes first, unless a line brings its own.
    const system = flagSystem ?? defaultSystem;
    if (system) options.system = system;
  }
  // A line's `attachments` are read relative to the batch file, confined to its folder (commands/batch/attach.ts).
  const input = o.inputs[0];
  const lineRender = await withLineAttachments(render, { batchPath: input === '-' ? undefined : input, cwd, model: config.model, api: apiFor({ options }, config.profile), profileName: config.profileName });
  const job: Job = { config, apiKey: resolveApiKey(config).key, options, concurrency: o.concurrency ?? DEFAULT_CONCURRENCY, render: lineRender, ...(template ? { template } : {}) };
  const clearText = clearTextWarning(config.profile.baseUrl, job.apiKey);
  if (clearText) warn(out, o.flags, clearText);

  const maxCostUsd = budgetOf(o, config);
  if (!lookupModel(config.model, config.pricing).price) {
    if (o.maxCost !== undefined) throw usageError(`--max-cost needs a price for model '${config.model}', and none is known (add pricing.${config.model} to your config)`);
    warn(out, o.flags, `no price known for model '${config.model}'${modelTypoHint(config.model)}: cost will show as unknown (add pricing.${config.model} to your config)`);
  }
  const rpm = o.rpm ?? config.profile.rpm;
  const tpm = o.tpm ?? config.profile.tpm;
  return { ...job, ...(rpm !== undefined ? { rpm } : {}), ...(tpm !== undefined ? { tpm } : {}), ...(maxCostUsd !== undefined ? { maxCostUsd } : {}) };
}

/** --max-cost, else the config's budget; the Batch API runs a whole file at once, so a budget could not stop it part way. */
function budgetOf(o: BatchOptions, config: ResolvedConfig): number | undefined {
  const maxCostUsd = o.maxCost ?? config.budget.maxCostPerRun;
  if (o.mode !== 'openai-batch' || maxCostUsd === undefined) return maxCostUsd;
  if (o.maxCost !== undefined) throw usageError('--max-cost cannot be enforced with --mode openai-batch; estimate first with gpt cost --mode openai-batch, or use --mode live');
  warn(out, o.flags, 'budget.maxCostPerRun is not enforced with --mode openai-batch');
  return undefined;
}

/** The duplicate-id pass over the whole input (a duplicate is refused even across shards); returns this run's entry count. */
function countEntries(path: string, read: { template: boolean; name: string }, shard: Shard | undefined): Promise<number> {
  return checkIds(() => readBatchFileIds(path, read), shard ? { shard } : {});
}

/** What both modes are handed: the input, the output, progress, signals and the usage log. */
interface Wiring {
  items: AsyncIterable<BatchEntry>;
  total: number;
  writer: ResultSink;
  skipIds?: ReadonlySet<string>;
  onProgress: (p: Progress) => void;
  interrupt: ReturnType<typeof createInterrupt>;
  usageLog?: UsageContext;
  note: (text: string) => void;
}

async function execute(job: Job, o: BatchOptions, items: AsyncIterable<BatchEntry>, total: number): Promise<number> {
  const color = colorEnabled(out.stderr, o.flags);
  const checkpoint = o.out ? await openCheckpoint(o.out, { resume: o.resume }) : undefined;
  // A closed pipe (| head) surfaces through the failed write, which stops the batch.
  if (!checkpoint) out.stdout.on('error', () => undefined);
  const stream = checkpoint ? undefined : new StreamWriter(out.stdout);
  const progressLine = o.quiet ? undefined : new ProgressLine({ stream: out.stderr, live: isInteractive(out.stderr), color, concurrency: job.concurrency });
  const note = (line: string) => (progressLine ? progressLine.note(line) : out.stderr.write(`${line}\n`));
  const usageWriter = job.config.profile.simulate
    ? undefined
    : new UsageLogWriter(job.config.stateDir, (err) => warn(out, o.flags, `could not write the usage log ${usageLogPath(job.config.stateDir)}: ${writeErrorReason(err)}; the batch goes on without it`));
  let latest: Progress | undefined;
  const interrupt = createInterrupt();
  const signals = listenForSignals(interrupt, o, () => latest, note);

  let summary: BatchSummary | undefined;
  let closeError: unknown;
  try {
    if (checkpoint && !o.quiet) describeResume(checkpoint, o.out!, o);
    const wiring: Wiring = {
      items,
      total,
      writer: checkpoint?.writer ?? stream!,
      ...(checkpoint ? { skipIds: checkpoint.state.done } : {}),
      onProgress: (p) => {
        latest = p;
        progressLine?.update(p);
      },
      interrupt,
      ...(usageWriter ? { usageLog: { sink: usageWriter, profile: job.config.profileName, ...(job.template ? { template: job.template.name } : {}) } } : {}),
      note,
    };
    summary = o.mode === 'openai-batch' ? await runBatchApi(job, o, wiring) : await runLive(job, o, wiring);
  } catch (err) {
    if (!stream?.readerGone) throw err;
  } finally {
    signals.dispose();
    progressLine?.stop();
    await stream?.close().catch(() => undefined);
    await usageWriter?.close();
    if (checkpoint) closeError = await closeCheckpoint(checkpoint, o);
  }
  // The reader of stdout left (`| head -1`): end quietly, as a pipeline expects; the usage log is already written.
  if (!summary || stream?.readerGone) return 0;
  report(summary, o, color);
  if (summary.exitError) throw summary.exitError;
  if (closeError) throw closeError;
  return 0;
}

/**
 * Ctrl-C: the first drains (Batch API: stops submitting and polling), the second aborts (cancels the
 * batches), a third leaves at once. SIGTERM (CI cancel, kill) does not wait for answers: live requests are
 * cut and rerun on --resume; batches already on the server are left running (cancelling throws paid work away).
 */
function listenForSignals(interrupt: ReturnType<typeof createInterrupt>, o: BatchOptions, latest: () => Progress | undefined, note: (text: string) => void): { dispose(): void } {
  const batchApi = o.mode === 'openai-batch';
  let sigints = 0;
  const onSigint = () => {
    // A third Ctrl-C leaves at once: the output is whole lines, and a stale lock is taken over next time.
    if (++sigints > 2) process.exit(130);
    const stage = interrupt.interrupt();
    if (o.quiet) return;
    if (batchApi) note(stage === 'drain' ? 'stopping: no new submissions or status polls (Ctrl-C again to cancel the batches on the server)' : 'cancelling the batches on the server');
    else if (stage === 'drain') note(`stopping: finishing ${plural(latest()?.inFlight ?? 0, 'in-flight request')} (Ctrl-C again to abort)`);
    else note('aborting in-flight requests; they run again with --resume');
  };
  const onSigterm = () => {
    interrupt.interrupt();
    if (!batchApi) interrupt.interrupt();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  return {
    dispose() {
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigterm);
    },
  };
}

function report(summary: BatchSummary, o: BatchOptions, color: boolean): void {
  if (!o.quiet) {
    const [counts, figures] = formatSummary(summary);
    out.stderr.write(`${counts}\n${style(color).dim(figures!)}\n`);
    if (summary.unpriced) warn(out, o.flags, 'some models have no known price: their cost is not counted and --max-cost cannot hold them');
  }
  if (o.json && o.out) out.stdout.write(`${JSON.stringify(summaryJson(summary, o.out), null, 2)}\n`);
}

/** Closes (and compacts) --out; a failure is returned, so it never hides the error the run itself ended with. */
async function closeCheckpoint(checkpoint: Checkpoint, o: BatchOptions): Promise<unknown> {
  try {
    const { compacted } = await checkpoint.close();
    if (compacted && o.verbose) out.stderr.write(`gpt: compacted ${o.out} to one line per id\n`);
    return undefined;
  } catch (err) {
    return err;
  }
}

function describeResume(checkpoint: Checkpoint, outPath: string, o: BatchOptions): void {
  const { state } = checkpoint;
  if (state.repair === 'truncated') warn(out, o.flags, `${outPath}: cut a torn last line (${state.truncatedBytes} bytes, a write interrupted by a crash); that item runs again`);
  else if (state.repair === 'completed') warn(out, o.flags, `${outPath}: completed a last line that had lost its newline`);
  if (state.done.size > 0 || state.failed.size > 0) {
    out.stderr.write(`resuming ${outPath}: ${int(state.done.size)} already ok (skipped), ${int(state.failed.size)} failed before (run again)\n`);
  }
}

/** --verbose: redacted HTTP traces on stderr. */
const traceOf = (o: BatchOptions) => (o.verbose ? (line: string) => out.stderr.write(`${escapeControls(redact(line))}\n`) : undefined);

/** Structured answers are validated as `gpt run` validates them (Ajv loads only when a schema is in use). */
const checkAnswer: SchemaCheck = async (answer, schema) => (await import('../core/schema.js')).validateAnswer(answer, schema);

function runLive(job: Job, o: BatchOptions, w: Wiring): Promise<BatchSummary> {
  const log = traceOf(o);
  const expected = job.template?.expect.output_tokens;
  return runBatch({
    items: w.items,
    provider: createProvider(job.config, { apiKey: job.apiKey, ...(log ? { log } : {}), connections: job.concurrency }),
    model: job.config.model,
    options: job.options,
    concurrency: job.concurrency,
    ...(job.rpm !== undefined ? { rpm: job.rpm } : {}),
    ...(job.tpm !== undefined ? { tpm: job.tpm } : {}),
    ...(job.maxCostUsd !== undefined ? { maxCostUsd: job.maxCostUsd } : {}),
    failFast: o.failFast,
    ...(w.skipIds ? { skipIds: w.skipIds } : {}),
    total: w.total,
    writer: w.writer,
    signal: w.interrupt.signal,
    abortSignal: w.interrupt.abortSignal,
    onProgress: w.onProgress,
    ...(job.render ? { render: job.render } : {}),
    ...(expected !== undefined ? { expectedOutputTokens: expected } : {}),
    pricing: job.config.pricing,
    ...(o.validate ? { check: checkAnswer } : {}),
    ...(w.usageLog ? { usageLog: w.usageLog } : {}),
  });
}

async function runBatchApi(job: Job, o: BatchOptions, w: Wiring): Promise<BatchSummary> {
  const { runOpenAIBatch } = await import('../batch/openai-batch.js');
  const httpLog = traceOf(o);
  return runOpenAIBatch({
    entries: w.items,
    config: job.config,
    apiKey: job.apiKey,
    model: job.config.model,
    options: job.options,
    ...(job.render ? { render: job.render } : {}),
    writer: w.writer,
    skipIds: w.skipIds ?? new Set(),
    ...(o.pollIntervalSeconds !== undefined ? { pollIntervalMs: o.pollIntervalSeconds * 1000 } : {}),
    signal: w.interrupt.signal,
    abortSignal: w.interrupt.abortSignal,
    onProgress: w.onProgress,
    log: (line) => {
      if (!o.quiet) w.note(line);
    },
    ...(httpLog ? { httpLog } : {}),
    stateDir: job.config.stateDir,
    ...(o.out ? { stateKey: resolve(o.out) } : {}),
    ...(w.usageLog ? { usageLog: w.usageLog } : {}),
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
