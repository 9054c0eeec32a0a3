/** The estimate as people and machines read it: an aligned table, Markdown for CI step summaries, CSV, and JSON. */
import { formatUsd } from '../accounting/cost.js';
import { modelTypoHint } from '../accounting/models.js';
import type { Tokenizer } from '../accounting/types.js';
import type { Effort } from '../domain/index.js';
import { REASONING_MULTIPLIER, type BudgetVerdict, type LineSummary, type ModelRow, type OutputGuess, type Projection } from './estimate.js';

export type Format = 'table' | 'markdown' | 'csv' | 'json';

export interface BatchInputSummary {
  path: string;
  /** Lines counted and lines skipped (bad JSON, a missing template variable…). */
  counted: number;
  skipped: number;
  skippedSamples: string[];
  /** Input tokens per line, by the encoding a row counts in. */
  inputPerLine: Map<Tokenizer, LineSummary | null>;
  /** Visible answer tokens per line when lines set different caps; null when every line gets the same. */
  answerPerLine: LineSummary | null;
  /** Lines that name their own model (priced on it in every row), by model. */
  ownModels: Array<{ model: string; lines: number }>;
}

export interface EstimateReport {
  target: { kind: 'message' | 'stdin' | 'template' | 'batch'; label: string };
  rows: ModelRow[];
  projection: Projection;
  /** The output assumption at the command level (a batch line may set its own cap). */
  output: OutputGuess;
  effort: Effort | undefined;
  reasoningTokensFlag: number | undefined;
  cacheHit: number;
  mode: 'live' | 'openai-batch';
  batch: BatchInputSummary | null;
  budget: BudgetVerdict;
}

const int = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 2 });
const plural = (n: number, word: string) => `${int(n)} ${word}${n === 1 ? '' : 's'}`;
const usd = (n: number | null) => (n === null ? 'unpriced' : formatUsd(n));

/** Columns padded to their widest cell; the first `left` columns left-aligned, the rest right-aligned. */
export function alignTable(header: string[], rows: string[][], left = 1): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i < left ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

const mdCell = (text: string) => text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** A GitHub-flavoured Markdown table, numbers right-aligned. */
export function markdownTable(header: string[], rows: string[][], left = 1): string {
  const line = (cells: string[]) => `| ${cells.map(mdCell).join(' | ')} |`;
  return [line(header), `|${header.map((_, i) => (i < left ? ':--' : '--:')).join('|')}|`, ...rows.map(line)].join('\n');
}

/** RFC 4180: quote a field with a comma, quote or line break; double its quotes. */
export function csvLine(cells: Array<string | number | boolean | null>): string {
  return cells
    .map((cell) => {
      const text = cell === null ? '' : String(cell);
      return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
    })
    .join(',');
}

function budgetCell(row: ModelRow, budget: BudgetVerdict): string {
  if (!row.gated) return '';
  if (row.totalUsd === null) return 'unknown';
  return budget.over.includes(row) ? 'OVER' : 'ok';
}

function estimateCells(report: EstimateReport, row: ModelRow): string[] {
  const cells = [row.info.id, `${row.exactTokens && !row.imageTokens ? '' : '~'}${int(row.inputTokens)}`];
  if (report.cacheHit > 0) cells.push(int(row.cachedInputTokens));
  cells.push(int(row.outputTokens), row.costPerRun.priced ? formatUsd(row.costPerRun.total_usd) : 'unpriced', int(row.runs), usd(row.totalUsd));
  if (report.budget.budgetUsd !== null) cells.push(budgetCell(row, report.budget));
  return cells;
}

function estimateHeader(report: EstimateReport): string[] {
  const header = ['model', 'input tokens'];
  if (report.cacheHit > 0) header.push('cached');
  header.push('output tokens', 'per run', 'runs', 'total');
  if (report.budget.budgetUsd !== null) header.push('budget');
  return header;
}

const perLine = (s: LineSummary) => `min ${int(s.min)} · mean ${int(s.mean)} · p95 ${int(s.p95)} · max ${int(s.max)}`;

/** What the figures assume and anything to watch, one line each. */
export function estimateNotes(report: EstimateReport): string[] {
  const notes: string[] = [];
  const { batch, output } = report;
  const per = batch ? 'line' : 'run';
  if (batch?.answerPerLine) notes.push(`output tokens per line: ${perLine(batch.answerPerLine)} (some lines set their own max_output_tokens; others: ${output.from})`);
  else notes.push(`output: ${plural(output.answer, 'token')} per ${per} (${output.from})`);
  if (report.reasoningTokensFlag !== undefined) notes.push(`reasoning: +${plural(report.reasoningTokensFlag, 'token')} per ${per}, billed as output (--reasoning-tokens)`);
  else if (report.effort && report.effort !== 'none') {
    const m = REASONING_MULTIPLIER[report.effort];
    notes.push(`reasoning: +${m}× the answer (${plural(Math.round(output.answer * m), 'token')} per ${per}), billed as output (effort ${report.effort}; set --reasoning-tokens N to override)`);
  }
  if (report.cacheHit > 0) notes.push(`cache hits: ${int(report.cacheHit * 100)}% of input at the cached rate (a model without a cached price: full rate)`);
  if (report.mode === 'openai-batch') {
    notes.push('prices: Batch API (--mode openai-batch)');
    for (const row of report.rows) {
      if (row.info.price && row.info.price.batchInput === null) notes.push(`${row.info.id} has no Batch API price: priced at standard rates`);
    }
  }
  if (report.projection.runs !== 1) notes.push(`runs: ${int(report.projection.runs)} (${report.projection.from})`);
  if (batch) {
    const lines = batch.counted + batch.skipped;
    notes.push(`batch: ${plural(lines, 'line')}, ${int(batch.counted)} counted${batch.skipped ? `, ${int(batch.skipped)} skipped` : ''}; one run = the whole file`);
    for (const sample of batch.skippedSamples) notes.push(`  skipped ${sample}`);
    if (batch.skipped > batch.skippedSamples.length) notes.push(`  … and ${int(batch.skipped - batch.skippedSamples.length)} more skipped`);
    const stats = [...batch.inputPerLine].filter(([, s]) => s !== null) as Array<[Tokenizer, LineSummary]>;
    for (const [encoding, s] of stats) notes.push(`input tokens per line: ${perLine(s)}${stats.length > 1 ? ` (${encoding})` : ''}`);
    if (batch.ownModels.length) {
      const own = batch.ownModels.map((m) => `${m.model} (${plural(m.lines, 'line')})`).join(', ');
      notes.push(`lines naming their own model are priced on it in every row: ${own}`);
    }
  }
  for (const row of report.rows) {
    const limit = row.info.maxInputTokens ?? row.info.contextWindow;
    const largest = batch ? (batch.inputPerLine.get(row.info.tokenizer)?.max ?? 0) : row.inputTokens;
    if (row.gated && limit !== null && largest > limit) {
      notes.push(`${row.info.id}: ${batch ? 'the largest line has' : 'the prompt is'} ${plural(largest, 'input token')}, over its ${int(limit)}-token input limit; the API would refuse it`);
    }
  }
  const approximate = report.rows.filter((row) => !row.exactTokens).map((row) => row.info.id);
  if (approximate.length) notes.push(`~ approximate input tokens (o200k_base stands in for the model's own tokenizer): ${approximate.join(', ')}`);
  const images = report.rows.filter((row) => row.imageTokens).map((row) => `${row.info.id} ~${int(row.imageTokens!)}`);
  if (images.length) notes.push(`~ image tokens by OpenAI's published formula, approximate (the API's usage is the real figure): ${images.join(', ')}`);
  for (const row of report.rows) {
    if (!row.costPerRun.priced) notes.push(`no price known for ${row.info.id}${modelTypoHint(row.info.id)}: add pricing."${row.info.id}" {input, output} (USD per 1M tokens) to your config`);
  }
  const verdict = budgetLine(report.budget);
  if (verdict) notes.push(verdict);
  return notes;
}

const projects = (rows: ModelRow[]) => rows.map((r) => `${r.info.id} projects ${usd(r.totalUsd)}`).join(', ');

/** The gate's verdict in words: what failed it, or what fits. */
function budgetVerdict(budget: BudgetVerdict): { status: 'over' | 'unchecked' | 'within'; detail: string } {
  if (budget.over.length) return { status: 'over', detail: projects(budget.over) };
  if (budget.unpriced.length) return { status: 'unchecked', detail: `no price known for ${budget.unpriced.map((r) => r.info.id).join(', ')}` };
  if (budget.skipped) return { status: 'unchecked', detail: `${plural(budget.skipped, 'line')} could not be counted (fix them, or pass --allow-skipped to gate on the rest)` };
  return { status: 'within', detail: projects(budget.gated) };
}

/** One line on the --budget gate, or null without --budget. */
export function budgetLine(budget: BudgetVerdict): string | null {
  if (budget.budgetUsd === null) return null;
  const { status, detail } = budgetVerdict(budget);
  const word = { over: 'OVER', unchecked: 'cannot check', within: 'within' }[status];
  return `budget ${formatUsd(budget.budgetUsd)}: ${word} — ${detail}`;
}

/** The one-line reason printed on stderr when the gate fails (exit 6). */
export function budgetFailure(budget: BudgetVerdict): string {
  const { status, detail } = budgetVerdict(budget);
  const limit = formatUsd(budget.budgetUsd ?? 0);
  return status === 'over' ? `over budget: ${detail}, above --budget ${limit}` : `cannot check --budget ${limit}: ${detail}`;
}

function budgetHeadline(budget: BudgetVerdict): string {
  const { status, detail } = budgetVerdict(budget);
  const limit = formatUsd(budget.budgetUsd ?? 0);
  if (status === 'over') return `**❌ Over budget (${limit}):** ${detail}`;
  if (status === 'unchecked') return `**❌ Budget ${limit} cannot be checked:** ${detail}`;
  return `**✅ Within budget (${limit}):** ${detail}`;
}

export function estimateTable(report: EstimateReport): string {
  const table = alignTable(estimateHeader(report), report.rows.map((row) => estimateCells(report, row)));
  return `${table}\n\n${estimateNotes(report).join('\n')}\n`;
}

export function estimateMarkdown(report: EstimateReport): string {
  const { target, projection, budget } = report;
  const what = target.kind === 'message' ? `\`${target.label}\`` : `${target.kind} \`${target.label}\``;
  const lines = [`### gpt cost: ${what.replace(/\n/g, ' ')}`, ''];
  if (budget.budgetUsd !== null) lines.push(budgetHeadline(budget), '');
  lines.push(`${plural(projection.runs, 'run')}${projection.runs !== 1 ? ` (${projection.from})` : ''}; ${report.mode === 'openai-batch' ? 'Batch API prices' : 'live prices'}.`, '');
  lines.push(markdownTable(estimateHeader(report), report.rows.map((row) => estimateCells(report, row))), '');
  for (const note of estimateNotes(report)) if (!note.startsWith('budget ')) lines.push(`- ${note.trim()}`);
  return `${lines.join('\n')}\n`;
}

export function estimateCsv(report: EstimateReport): string {
  const header = ['model', 'input_tokens', 'cached_input_tokens', 'output_tokens', 'reasoning_tokens', 'cost_per_run_usd', 'runs', 'total_usd', 'exact_tokens', 'priced', 'budget_gated', 'over_budget'];
  const rows = report.rows.map((row) =>
    csvLine([
      row.info.id,
      row.inputTokens,
      row.cachedInputTokens,
      row.outputTokens,
      row.reasoningTokens,
      row.costPerRun.priced ? row.costPerRun.total_usd : null,
      row.runs,
      row.totalUsd,
      row.exactTokens,
      row.costPerRun.priced,
      row.gated,
      report.budget.over.includes(row),
    ]),
  );
  return `${[csvLine(header), ...rows].join('\n')}\n`;
}

/** SPEC's `gpt cost --json` (models, budget_usd, over_budget), with the assumptions and batch figures beside. */
export function estimateJson(report: EstimateReport): Record<string, unknown> {
  const { batch } = report;
  return {
    models: report.rows.map((row) => ({
      model: row.info.id,
      input_tokens: row.inputTokens,
      output_tokens: row.outputTokens,
      cost_per_run_usd: row.costPerRun.priced ? row.costPerRun.total_usd : null,
      runs: row.runs,
      total_usd: row.totalUsd,
      exact_tokens: row.exactTokens,
      cached_input_tokens: row.cachedInputTokens,
      reasoning_tokens: row.reasoningTokens,
      priced: row.costPerRun.priced,
      tokenizer: row.info.tokenizer,
      budget_gated: row.gated,
      over_budget: report.budget.over.includes(row),
      ...(row.imageTokens ? { image_tokens: row.imageTokens } : {}),
      ...(batch ? { input_tokens_per_line: batch.inputPerLine.get(row.info.tokenizer) ?? null } : {}),
    })),
    budget_usd: report.budget.budgetUsd,
    over_budget: report.budget.failed,
    target: { kind: report.target.kind, name: report.target.label },
    runs: report.projection.runs,
    runs_from: report.projection.from,
    assumptions: {
      output_tokens: report.output.answer,
      output_tokens_from: report.output.from,
      effort: report.effort ?? null,
      reasoning_tokens: report.reasoningTokensFlag ?? (report.effort ? Math.round(report.output.answer * REASONING_MULTIPLIER[report.effort]) : 0),
      cache_hit: report.cacheHit,
      mode: report.mode,
    },
    batch: batch
      ? {
          lines: batch.counted + batch.skipped,
          counted: batch.counted,
          skipped: batch.skipped,
          skipped_samples: batch.skippedSamples,
          output_tokens_per_line: batch.answerPerLine,
          own_model_lines: Object.fromEntries(batch.ownModels.map((m) => [m.model, m.lines])),
        }
      : null,
  };
}

export function formatEstimate(report: EstimateReport, format: Format): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(estimateJson(report), null, 2)}\n`;
    case 'markdown':
      return estimateMarkdown(report);
    case 'csv':
      return estimateCsv(report);
    case 'table':
      return estimateTable(report);
  }
}
