/** `gpt cost --log`: real spend from the usage log, in a time window, grouped by day, model, profile or template. */
import { formatUsd, roundUsd } from '../accounting/cost.js';
import type { UsageRecord } from '../accounting/usage-log.js';
import { GptError, escapeControls, formatInt as int } from '../domain/index.js';
// Model names in the log came from a server: never raw control characters on a terminal.
import { alignTable, csvLine, markdownTable, type Format } from './format.js';

export type GroupBy = 'day' | 'model' | 'profile' | 'template';

export interface SpendTotals {
  requests: number;
  input_tokens: number;
  cached_input_tokens: number;
  output_tokens: number;
  reasoning_tokens: number;
  total_tokens: number;
  total_usd: number;
  /** Requests whose model had no price: their tokens count, their cost is unknown (not in total_usd). */
  unpriced_requests: number;
}

export interface LogSummary {
  /** The window, start inclusive and end exclusive; null = open. */
  since: Date | null;
  until: Date | null;
  by: GroupBy;
  total: SpendTotals;
  groups: Array<{ key: string } & SpendTotals>;
}

const HOUR = 3_600_000;
const UNIT_MS: Record<string, number> = { h: HOUR, d: 24 * HOUR, w: 7 * 24 * HOUR };

/**
 * `7d`, `24h`, `2w` (back from now), `now`, a date (`2026-01-01`, a UTC day: --since takes its start, --until its
 * end, so `--until 2026-01-31` includes the 31st), or an ISO time (`2026-01-01T09:00:00Z`).
 */
export function parseWhen(text: string, flag: '--since' | '--until', now: Date): Date {
  const value = text.trim();
  const relative = /^(\d+(?:\.\d+)?)\s*([hdw])$/i.exec(value);
  if (relative) return new Date(now.getTime() - Number(relative[1]) * UNIT_MS[relative[2]!.toLowerCase()]!);
  if (value.toLowerCase() === 'now') return now;
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (day) {
    const [y, m, d] = [Number(day[1]), Number(day[2]), Number(day[3])];
    const start = new Date(Date.UTC(y, m - 1, d));
    if (start.getUTCFullYear() === y && start.getUTCMonth() === m - 1 && start.getUTCDate() === d) {
      return flag === '--until' ? new Date(start.getTime() + 24 * HOUR) : start;
    }
  } else if (/^\d{4}-\d{2}-\d{2}T/.test(value) && !Number.isNaN(Date.parse(value))) {
    return new Date(Date.parse(value));
  }
  throw new GptError('usage', `${flag} '${text}': expected a span back from now (24h, 7d, 2w), a date (2026-01-01) or a time (2026-01-01T09:00:00Z)`);
}

const zero = (): SpendTotals => ({
  requests: 0,
  input_tokens: 0,
  cached_input_tokens: 0,
  output_tokens: 0,
  reasoning_tokens: 0,
  total_tokens: 0,
  total_usd: 0,
  unpriced_requests: 0,
});

const num = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

function addRecord(totals: SpendTotals, record: UsageRecord): void {
  const usage = record.usage;
  totals.requests++;
  totals.input_tokens += num(usage.input_tokens);
  totals.cached_input_tokens += num(usage.cached_input_tokens);
  totals.output_tokens += num(usage.output_tokens);
  totals.reasoning_tokens += num(usage.reasoning_tokens);
  totals.total_tokens += num(usage.total_tokens);
  if (record.cost.priced === false) totals.unpriced_requests++;
  else totals.total_usd += num(record.cost.total_usd);
}

function groupKey(record: UsageRecord, ms: number, by: GroupBy): string {
  switch (by) {
    case 'day':
      return new Date(ms).toISOString().slice(0, 10);
    case 'model':
      return record.model;
    case 'profile':
      return record.profile ?? '(unknown)';
    case 'template':
      return record.template ?? '(no template)';
  }
}

/** Streams the records once; memory grows with the number of groups, never with the log. */
export async function summariseLog(records: AsyncIterable<UsageRecord>, opts: { since: Date | null; until: Date | null; by: GroupBy }): Promise<LogSummary> {
  const total = zero();
  const groups = new Map<string, SpendTotals>();
  const from = opts.since?.getTime() ?? -Infinity;
  const to = opts.until?.getTime() ?? Infinity;
  for await (const record of records) {
    const ms = Date.parse(record.ts);
    if (Number.isNaN(ms) || ms < from || ms >= to) continue;
    addRecord(total, record);
    const key = groupKey(record, ms, opts.by);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = zero()));
    addRecord(group, record);
  }
  const rounded = (t: SpendTotals): SpendTotals => ({ ...t, total_usd: roundUsd(t.total_usd) });
  const list = [...groups].map(([key, t]) => ({ key, ...rounded(t) }));
  // Days read in time order; anything else by spend, biggest first.
  if (opts.by === 'day') list.sort((a, b) => a.key.localeCompare(b.key));
  else list.sort((a, b) => b.total_usd - a.total_usd || b.requests - a.requests || a.key.localeCompare(b.key));
  return { since: opts.since, until: opts.until, by: opts.by, total: rounded(total), groups: list };
}

export interface LogReport {
  summary: LogSummary;
  /** The log file read, for people. */
  path: string;
  budgetUsd: number | null;
}

const overBudget = (report: LogReport) => report.budgetUsd !== null && report.summary.total.total_usd > report.budgetUsd;

/** SPEC's `gpt cost --log --json`: since, until, total, groups (each with its key). */
export function logJson(report: LogReport): Record<string, unknown> {
  const { summary } = report;
  return {
    since: summary.since?.toISOString() ?? null,
    until: summary.until?.toISOString() ?? null,
    by: summary.by,
    total: summary.total,
    groups: summary.groups,
    log: report.path,
    budget_usd: report.budgetUsd,
    over_budget: overBudget(report),
  };
}

const HEADER = ['requests', 'input tokens', 'cached', 'output tokens', 'reasoning', 'total tokens', 'cost'];

function cells(key: string, t: SpendTotals): string[] {
  const cost = `${formatUsd(t.total_usd)}${t.unpriced_requests ? ` + ${t.unpriced_requests} unpriced` : ''}`;
  return [escapeControls(key), int(t.requests), int(t.input_tokens), int(t.cached_input_tokens), int(t.output_tokens), int(t.reasoning_tokens), int(t.total_tokens), cost];
}

function windowText(summary: LogSummary): string {
  const at = (d: Date | null, open: string) => (d ? d.toISOString().replace('.000Z', 'Z') : open);
  return `${at(summary.since, 'the start')} to ${at(summary.until, 'now')}`;
}

/** Over budget: one line for stderr (exit 6); null when within or without --budget. */
export function logBudgetFailure(report: LogReport): string | null {
  if (!overBudget(report)) return null;
  return `over budget: spent ${formatUsd(report.summary.total.total_usd)} from ${windowText(report.summary)}, above --budget ${formatUsd(report.budgetUsd!)}`;
}

function logNotes(report: LogReport): string[] {
  const { summary } = report;
  const notes = [`usage log ${report.path}, ${windowText(summary)} (days are UTC)`];
  if (summary.total.requests === 0) notes.push('no requests in this window');
  if (summary.total.unpriced_requests) notes.push(`${int(summary.total.unpriced_requests)} requests had no known price; their cost is not in the totals`);
  if (report.budgetUsd !== null) notes.push(`budget ${formatUsd(report.budgetUsd)}: ${overBudget(report) ? 'OVER' : 'within budget'}`);
  return notes;
}

export function formatLog(report: LogReport, format: Format): string {
  const { summary } = report;
  const rows = [...summary.groups.map((g) => cells(g.key, g)), cells('total', summary.total)];
  const header = [summary.by, ...HEADER];
  switch (format) {
    case 'json':
      return `${JSON.stringify(logJson(report), null, 2)}\n`;
    case 'csv': {
      const fields = ['requests', 'input_tokens', 'cached_input_tokens', 'output_tokens', 'reasoning_tokens', 'total_tokens', 'total_usd', 'unpriced_requests'] as const;
      const line = (key: string, t: SpendTotals) => csvLine([escapeControls(key), ...fields.map((f) => t[f])]);
      return `${[csvLine([summary.by, ...fields]), ...summary.groups.map((g) => line(g.key, g)), line('total', summary.total)].join('\n')}\n`;
    }
    case 'markdown': {
      const lines = [`### gpt cost --log: ${windowText(summary)}, by ${summary.by}`, ''];
      if (report.budgetUsd !== null) lines.push(`**${overBudget(report) ? '❌' : '✅'} Budget ${formatUsd(report.budgetUsd)}: spent ${formatUsd(summary.total.total_usd)}**`, '');
      lines.push(markdownTable(header, rows), '', ...logNotes(report).map((n) => `- ${n}`));
      return `${lines.join('\n')}\n`;
    }
    case 'table':
      return `${alignTable(header, rows)}\n\n${logNotes(report).join('\n')}\n`;
  }
}
