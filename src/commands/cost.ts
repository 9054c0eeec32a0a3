/**
 * `gpt cost [target]`: tokens and cost of a message, a template or a whole batch file on one or more models, with
 * projections and a --budget gate for CI, all without calling any API; `gpt cost --log` sums real spend.
 */
import { basename } from 'node:path';
import { listModels, lookupModel } from '../accounting/models.js';
import type { ModelInfo, Tokenizer } from '../accounting/types.js';
import { readUsageLog, usageLogPath } from '../accounting/usage-log.js';
import { readBatchFile } from '../batch/reader.js';
import { defaultMessages } from '../batch/item.js';
import { isLineError, type BatchEntry } from '../batch/types.js';
import { flagOptions, loadConfig } from '../config/load.js';
import type { ResolvedConfig } from '../config/types.js';
import { composeMessage, readPipedStdin } from '../core/input.js';
import { messageRequest, templateHints, templateRequest, templateWhere, type PromptRequest } from '../core/template-request.js';
import { countRequests, type CostRequest, type CountResult, type SkippedLine } from '../cost/count.js';
import { checkBudget, guessOutput, priceRow, projectRuns, sortByCost, Tally, type ModelRow, type OutputRule } from '../cost/estimate.js';
import { budgetFailure, formatEstimate, type BatchInputSummary, type EstimateReport, type Format } from '../cost/format.js';
import { formatLog, logBudgetFailure, parseWhen, summariseLog, type GroupBy } from '../cost/log.js';
import { compileTemplate } from '../templates/compile.js';
import { classifyTarget, type Target } from '../cost/target.js';
import { GptError, type ChatMessage, type Effort, type ImageDetail, withDefaultSystem } from '../domain/index.js';
import { attachmentTokens, hasParts } from '../attachments/image-tokens.js';
import { attachAll, attachTakesStdin, readAttachments } from './prompt/attach.js';
import { texts } from './prompt/options.js';
import { withLineAttachments } from './batch/attach.js';
import { apiFor } from '../providers/types.js';
import { findTemplate } from '../templates/find.js';
import { mergeOptions } from '../templates/options.js';
import { parseVarFlags } from '../templates/vars.js';
import { renderTemplate } from '../templates/render.js';
import type { Template } from '../templates/types.js';

type Flags = Record<string, unknown>;

/** Flags that shape an estimate and mean nothing to --log (and the reverse), so a mix-up is a usage error. */
const ESTIMATE_FLAGS: Array<[string, string]> = [
  ['var', '--var'],
  ['vars', '--vars'],
  ['template', '--template'],
  ['system', '--system'],
  ['all', '--all'],
  ['allowSkipped', '--allow-skipped'],
  ['outputTokens', '--output-tokens'],
  ['maxOutputTokens', '--max-output-tokens'],
  ['effort', '--effort'],
  ['reasoningTokens', '--reasoning-tokens'],
  ['runs', '--runs'],
  ['perDay', '--per-day'],
  ['days', '--days'],
  ['cacheHit', '--cache-hit'],
];

function warn(flags: Flags, message: string): void {
  if (!flags.quiet) process.stderr.write(`gpt: warning: ${message}\n`);
}

function formatOf(flags: Flags): Format {
  const format = flags.format as Format | undefined;
  if (flags.json && format !== undefined && format !== 'json') throw new GptError('usage', `--json and --format ${format} disagree; give one`);
  return flags.json ? 'json' : (format ?? 'table');
}

export async function run(positional: unknown[], flags: Flags): Promise<number> {
  const format = formatOf(flags);
  const target = positional[0] as string | undefined;
  if (flags.log) return costLog(target, flags, format);
  for (const flag of ['since', 'until']) {
    if (flags[flag] !== undefined) throw new GptError('usage', `--${flag} applies to --log (real spend), not to an estimate`);
  }
  if (flags.days !== undefined && flags.perDay === undefined) throw new GptError('usage', '--days goes with --per-day (runs = per day × days)');
  if (flags.runs !== undefined && flags.perDay !== undefined) throw new GptError('usage', 'give --runs or --per-day, not both');
  return costEstimate(target, flags, format);
}

/** `-m a,b,c` → the ids, in order, without repeats. */
function modelList(flag: unknown): string[] | undefined {
  if (typeof flag !== 'string') return undefined;
  const ids = [...new Set(flag.split(',').map((id) => id.trim()).filter(Boolean))];
  if (ids.length === 0) throw new GptError('usage', `-m '${flag}': expected a model id, or several separated by commas`);
  return ids;
}

/** What the estimate counts: a stream of requests, how to read each one, and what the report calls it. */
interface Workload<T> {
  config: ResolvedConfig;
  label: string;
  kind: EstimateReport['target']['kind'];
  source: AsyncIterable<T> | Iterable<T>;
  prepare: (entry: T) => CostRequest | SkippedLine | Promise<CostRequest | SkippedLine>;
  /** The command-level request options (effort, output cap), for the notes. */
  options: PromptRequest['options'];
  rule: OutputRule;
  batchPath?: string;
  /** The one request's messages when they carry images (-a): image tokens depend on the model, so they are added per row. */
  imageMessages?: ChatMessage[];
}

async function configFor(flags: Flags, models: string[] | undefined, template?: Template): Promise<ResolvedConfig> {
  // The first -m model stands for the list in config resolution; a template may hint its profile and model.
  const hints = template ? templateHints(template) : {};
  return loadConfig({ ...flags, model: models?.[0] }, process.env, process.cwd(), { ...hints, sendsNothing: true });
}

/** Where the output cap came from (as `gpt run --dry-run` says it). */
function capSource(flags: Flags, template?: Template): string {
  if (flags.maxOutputTokens !== undefined) return '--max-output-tokens';
  if (template?.options.maxOutputTokens !== undefined) return 'the template max_output_tokens';
  return 'config defaults.maxOutputTokens';
}

function ruleFor(flags: Flags, template?: Template): OutputRule {
  return {
    outputTokens: flags.outputTokens as number | undefined,
    expected: template?.expect.output_tokens,
    reasoningTokens: flags.reasoningTokens as number | undefined,
    capFrom: capSource(flags, template),
  };
}

async function single(config: ResolvedConfig, kind: Workload<CostRequest>['kind'], label: string, request: PromptRequest, rule: OutputRule, flags: Flags): Promise<Workload<CostRequest>> {
  const sources = texts(flags.attach);
  const attachments = await readAttachments(sources);
  const detail = { ...(typeof flags.detail === 'string' ? { detail: flags.detail as ImageDetail } : {}) };
  const messages = attachAll(request.messages, attachments, { config, model: config.model, options: request.options, ...detail }, (m) => warn(flags, m));
  const images = hasParts(messages) ? { imageMessages: messages } : {};
  return { config, kind, label, source: [{ messages, options: request.options }], prepare: (r) => r, options: request.options, rule, ...images };
}

const shorten = (text: string) => {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 48 ? `${flat.slice(0, 47)}…` : flat;
};

async function workloadFor(
  target: Target,
  flags: Flags,
  models: string[] | undefined,
  base: ResolvedConfig,
): Promise<Workload<CostRequest> | Workload<BatchEntry>> {
  const cwd = process.cwd();
  if (target.kind !== 'template' && (flags.var !== undefined || flags.vars !== undefined)) {
    throw new GptError('usage', '--var and --vars fill a template; the target is not one (see gpt templates)');
  }
  if (target.kind !== 'batch' && flags.template !== undefined) {
    throw new GptError('usage', '--template applies to the lines of a batch file (.jsonl, .csv); to price a template, give it as the target');
  }

  if (target.kind === 'stdin' || target.kind === 'message') {
    const piped = attachTakesStdin(texts(flags.attach)) ? undefined : await readPipedStdin();
    if (target.kind === 'stdin' && piped === undefined) {
      throw new GptError('usage', 'gpt cost needs a message, a template, a batch file (.jsonl, .csv), or text piped on stdin');
    }
    const text = composeMessage(target.kind === 'message' ? [target.text] : [], piped);
    if (text === '') throw new GptError('usage', 'empty message: stdin was empty and no message was given');
    const label = target.kind === 'stdin' ? 'stdin' : shorten(target.text);
    return single(base, target.kind, label, messageRequest(text, base, flagOptions(flags)), ruleFor(flags), flags);
  }

  if (target.kind === 'template') {
    const template = await findTemplate(target.nameOrPath, templateWhere(base, cwd));
    const vars = await parseVarFlags(flags.var as string[] | undefined, flags.vars as string | undefined, cwd);
    const rendered = await renderTemplate(template, vars, await readPipedStdin());
    const config = template.profile !== undefined || template.model !== undefined ? await configFor(flags, models, template) : base;
    return single(config, 'template', template.name, templateRequest(rendered, config, flagOptions(flags)), ruleFor(flags, template), flags);
  }

  // A batch file: each line becomes the request `gpt batch` would send (runner.ts: its messages or the rendered
  // template, the system prompt added unless the line has one, the line's options over the command's).
  const template =
    typeof flags.template === 'string'
      ? await findTemplate(flags.template, templateWhere(base, cwd))
      : undefined;
  const config = template && (template.profile !== undefined || template.model !== undefined) ? await configFor(flags, models, template) : base;
  // As `gpt batch` does: with a template, -s and config's system prompt apply to the rendered messages as in
  // `gpt run`; without one, the runner puts that system prompt first unless a line brings its own.
  const { system: flagSystem, ...fromFlags } = flagOptions(flags);
  const { system: defaultSystem, ...fromDefaults } = config.defaults;
  const options = mergeOptions([fromFlags, template?.options, fromDefaults]);
  const system = flagSystem ?? defaultSystem;
  if (!template && system) options.system = system;
  // The same compiled template `gpt batch` fills, -s and config's system prompt included.
  const render = template ? await compileTemplate(template, { flag: flagSystem, fallback: defaultSystem }) : undefined;
  // A line's attachments are read as `gpt batch` reads them (text files count; image tokens are not priced per line).
  const withFiles = await withLineAttachments(render, { batchPath: target.path, cwd, model: config.model, api: apiFor({ options }, config.profile), profileName: config.profileName });
  const prepare = (entry: BatchEntry): CostRequest | SkippedLine | Promise<CostRequest> => {
    if (isLineError(entry)) return { error: entry.error };
    const lineOptions = { ...options, ...entry.options };
    const request = (messages: ChatMessage[]): CostRequest => ({ messages: withDefaultSystem(messages, lineOptions.system), model: entry.model, options: lineOptions });
    if (entry.attachments?.length) return Promise.resolve(withFiles(entry)).then(request);
    return request(render ? render(entry) : defaultMessages(entry));
  };
  return {
    config,
    kind: 'batch',
    label: basename(target.path),
    source: readBatchFile(target.path, { template: template !== undefined }),
    prepare,
    options,
    rule: ruleFor(flags, template),
    batchPath: target.path,
  };
}

/** The rows: the models asked for (-m, else the default), then with --all every other priced model. */
function rowModels(requested: string[], config: ResolvedConfig, all: boolean): Array<{ info: ModelInfo; gated: boolean }> {
  const rows = requested.map((id) => ({ info: lookupModel(id, config.pricing), gated: true }));
  if (!all) return rows;
  const seen = new Set(rows.flatMap(({ info }) => [info.id.toLowerCase(), ...(info.tableId ? [info.tableId.toLowerCase()] : [])]));
  for (const info of listModels(config.pricing)) {
    if (!info.price || seen.has(info.id.toLowerCase()) || (info.tableId && seen.has(info.tableId.toLowerCase()))) continue;
    seen.add(info.id.toLowerCase());
    rows.push({ info, gated: false });
  }
  return rows;
}

function batchSummary(path: string, counted: CountResult): BatchInputSummary {
  const answers = counted.answerPerLine.summary();
  return {
    path,
    counted: counted.requests,
    skipped: counted.skipped,
    skippedSamples: counted.skippedSamples,
    inputPerLine: new Map([...counted.inputPerLine].map(([encoding, stats]) => [encoding, stats.summary()])),
    answerPerLine: answers && answers.min !== answers.max ? answers : null,
    ownModels: [...counted.own].map(([model, own]) => ({ model, lines: own.tally.requests })),
  };
}

async function costEstimate(targetArg: string | undefined, flags: Flags, format: Format): Promise<number> {
  const models = modelList(flags.model);
  const base = await configFor(flags, models);
  for (const message of base.warnings) warn(flags, message);
  const target = classifyTarget(targetArg, templateWhere(base, process.cwd()));
  if (flags.chunk) return (await import('./cost-chunk.js')).costChunked(target, flags, base, models ?? [base.model]);
  const work = (await workloadFor(target, flags, models, base)) as Workload<unknown>;
  const { config } = work;

  const rows = rowModels(models ?? [config.model], config, flags.all === true);
  const encodings = [...new Set(rows.map(({ info }) => info.tokenizer))] as Tokenizer[];
  const counted = await countRequests(work.source, work.prepare, { encodings, rule: work.rule, pricing: config.pricing });
  if (counted.requests === 0 && counted.skipped === 0) throw new GptError('usage', `${work.label}: no lines to price (the file is empty)`);

  const projection = projectRuns({ runs: flags.runs as number | undefined, perDay: flags.perDay as number | undefined, days: flags.days as number | undefined });
  const pricing = { batch: flags.mode === 'openai-batch', cacheHit: (flags.cacheHit as number | undefined) ?? 0, runs: projection.runs };
  const own = [...counted.own.values()];
  let priced: ModelRow[] = rows.map(({ info, gated }) => {
    const tally = counted.byEncoding.get(info.tokenizer) ?? new Tally();
    const images = work.imageMessages ? attachmentTokens(work.imageMessages, info.id) : 0;
    const row = priceRow(info, gated, images ? tally.plusInput(images) : tally, own, pricing);
    return images ? { ...row, imageTokens: images } : row;
  });
  if (flags.all) priced = sortByCost(priced); // the asked-for models too: the table reads cheapest first
  const budget = checkBudget(priced, (flags.budget as number | undefined) ?? null, flags.allowSkipped === true ? 0 : counted.skipped);

  const report: EstimateReport = {
    target: { kind: work.kind, label: work.label },
    rows: priced,
    projection,
    output: guessOutput(work.rule, work.options),
    effort: work.options.effort as Effort | undefined,
    reasoningTokensFlag: flags.reasoningTokens as number | undefined,
    cacheHit: pricing.cacheHit,
    mode: pricing.batch ? 'openai-batch' : 'live',
    batch: work.batchPath !== undefined ? batchSummary(work.batchPath, counted) : null,
    budget,
  };
  process.stdout.write(formatEstimate(report, format));
  if (budget.failed) throw new GptError('budget', budgetFailure(budget));
  return 0;
}

async function costLog(target: string | undefined, flags: Flags, format: Format): Promise<number> {
  if (target !== undefined) throw new GptError('usage', `--log summarises the usage log and takes no target (got '${target}')`);
  for (const [key, flag] of ESTIMATE_FLAGS) {
    if (flags[key] !== undefined) throw new GptError('usage', `${flag} applies to an estimate, not to --log`);
  }
  if (flags.model !== undefined) throw new GptError('usage', '-m applies to an estimate; use --log --by model to split spend by model');
  const config = await loadConfig(flags, process.env, process.cwd(), { sendsNothing: true });
  for (const message of config.warnings) warn(flags, message);
  const now = new Date();
  const since = typeof flags.since === 'string' ? parseWhen(flags.since, '--since', now) : null;
  const until = typeof flags.until === 'string' ? parseWhen(flags.until, '--until', now) : null;
  if (since && until && since.getTime() >= until.getTime()) {
    throw new GptError('usage', `--since ${flags.since} is not before --until ${flags.until}`);
  }
  const summary = await summariseLog(readUsageLog(config.stateDir), { since, until, by: (flags.by as GroupBy | undefined) ?? 'day' });
  const report = { summary, path: usageLogPath(config.stateDir), budgetUsd: (flags.budget as number | undefined) ?? null };
  process.stdout.write(formatLog(report, format));
  const failure = logBudgetFailure(report);
  if (failure) throw new GptError('budget', failure);
  return 0;
}
