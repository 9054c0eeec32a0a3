/**
 * Batch progress on stderr: one line redrawn in place on a terminal (at most 10 times a second),
 * or a plain line every few seconds when stderr is a log; plus the final summary. Hand-written: a
 * progress bar library would cost more start-up than these few lines.
 */
import { formatUsd } from '../accounting/cost.js';
import { type Usage, escapeControls, formatInt as int } from '../domain/index.js';
import { style } from './term.js';

/** The figures the status line shows, in the order it shows them; the batch engine's progress is one. */
export interface ProgressView {
  done: number;
  /** Shown as done/total (and a percentage) when known. */
  total?: number;
  ok: number;
  failed: number;
  skipped: number;
  inFlight: number;
  requestsPerSec: number;
  tokensPerSec: number;
  spentUsd: number;
  etaMs?: number;
  /** Clock time a rate-limit pause ends. */
  pausedUntil?: number;
  /** Shown when 429s have lowered it below the limit. */
  concurrency: number;
}

/** How a batch ended, as the summary's first words name it. */
export type StopView = 'completed' | 'budget' | 'fail_fast' | 'interrupted' | 'fatal';

/** The figures the final summary shows (counts as on the status line, then totals); the batch engine's summary is one. */
export interface SummaryView extends Pick<ProgressView, 'ok' | 'failed' | 'skipped' | 'requestsPerSec' | 'tokensPerSec'> {
  stopReason: StopView;
  /** Cut in flight by a second Ctrl-C. */
  aborted: number;
  notRun?: number;
  usage: Usage;
  cost: { total_usd: number };
  /** Adds "+ unpriced models" to the cost. */
  unpriced: boolean;
  wallMs: number;
  rateLimited: number;
}

const rate = (n: number) => (n >= 100 ? int(n) : n.toFixed(1));

/** `42s`, `3m05s`, `1h02m`: short enough for a status line. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** The status line: done/total, ok/failed, throughput, spend so far, ETA, and any rate-limit pause. */
export function formatProgress(p: ProgressView, now: number, limit?: number): string {
  const finished = p.done + p.skipped;
  const parts: string[] = [];
  if (p.total !== undefined) {
    const pct = p.total > 0 ? Math.floor((finished * 100) / p.total) : 100;
    parts.push(`${int(finished)}/${int(p.total)} (${pct}%)`);
  } else parts.push(`${int(finished)} done`);
  parts.push(`${int(p.ok)} ok`, `${int(p.failed)} failed`);
  if (p.skipped > 0) parts.push(`${int(p.skipped)} skipped`);
  parts.push(`${int(p.inFlight)} in flight`, `${rate(p.requestsPerSec)} req/s`, `${int(p.tokensPerSec)} tok/s`, formatUsd(p.spentUsd));
  if (p.etaMs !== undefined && p.total !== undefined && finished < p.total) parts.push(`ETA ${formatDuration(p.etaMs)}`);
  if (p.pausedUntil !== undefined && p.pausedUntil > now) parts.push(`rate limited: paused ${formatDuration(p.pausedUntil - now)}`);
  else if (limit !== undefined && p.concurrency < limit) parts.push(`concurrency ${p.concurrency}/${limit} after 429s`);
  return parts.join(' · ');
}

const STOPPED: Record<StopView, string> = {
  completed: 'batch done',
  budget: 'batch stopped at --max-cost',
  fail_fast: 'batch stopped by --fail-fast',
  interrupted: 'batch interrupted',
  fatal: 'batch stopped by an error',
};

/** The final summary: counts, then tokens, cost, wall time and throughput. */
export function formatSummary(s: SummaryView): string[] {
  const counts = [`${int(s.ok)} ok`, `${int(s.failed)} failed`];
  if (s.skipped > 0) counts.push(`${int(s.skipped)} skipped (already ok)`);
  // The counts partition the input (ok + failed + skipped + not run = lines): requests cut off in flight are among the not run.
  const cut = s.aborted > 0 ? `${int(s.aborted)} cut off in flight` : '';
  if (s.notRun) counts.push(`${int(s.notRun)} not run${cut ? ` (${cut})` : ''}`);
  else if (cut) counts.push(`${cut}, not run`);
  const approx = s.usage.estimated ? '~' : '';
  const cached = s.usage.cached_input_tokens ? ` (${int(s.usage.cached_input_tokens)} cached)` : '';
  const reasoning = s.usage.reasoning_tokens ? ` (${int(s.usage.reasoning_tokens)} reasoning)` : '';
  const cost = s.unpriced ? `${approx}${formatUsd(s.cost.total_usd)} + unpriced models` : `${approx}${formatUsd(s.cost.total_usd)}`;
  const figures = [
    `${approx}${int(s.usage.input_tokens)} in${cached}`,
    `${approx}${int(s.usage.output_tokens)} out${reasoning}`,
    cost,
    s.wallMs < 60_000 ? `${(s.wallMs / 1000).toFixed(1)}s` : formatDuration(s.wallMs),
    `${rate(s.requestsPerSec)} req/s`,
    `${int(s.tokensPerSec)} tok/s`,
  ];
  if (s.rateLimited > 0) figures.push(`${int(s.rateLimited)} rate-limited`);
  return [`${STOPPED[s.stopReason]}: ${counts.join(' · ')}`, figures.join(' · ')];
}

export interface ProgressOptions {
  stream: { write(text: string): unknown; columns?: number };
  /** True on a terminal: redraw one line in place; false: print a line now and then. */
  live: boolean;
  color?: boolean;
  /** Least time between two draws; default 100 ms live, 5 s otherwise. */
  intervalMs?: number;
  /** The concurrency limit, to say when 429s have lowered it. */
  concurrency?: number;
  now?: () => number;
}

/** Draws progress no more often than its interval, always showing the latest figures. */
export class ProgressLine {
  private latest: ProgressView | undefined;
  private lastDraw: number;
  private timer: NodeJS.Timeout | undefined;
  private shown = false;
  private readonly interval: number;
  private readonly now: () => number;
  private readonly dim: (text: string) => string;

  constructor(private readonly options: ProgressOptions) {
    this.now = options.now ?? Date.now;
    this.interval = options.intervalMs ?? (options.live ? 100 : 5000);
    // A log gets its first line after one interval, so a short batch prints only its summary.
    this.lastDraw = options.live ? Number.NEGATIVE_INFINITY : this.now();
    this.dim = style(options.color ?? false).dim;
  }

  update(progress: ProgressView): void {
    this.latest = progress;
    if (this.timer) return;
    const wait = this.lastDraw + this.interval - this.now();
    if (wait <= 0) this.draw();
    else {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.draw();
      }, wait);
      this.timer.unref();
    }
  }

  /** A message above the live line (the line is redrawn under it); it may quote a server, so controls are escaped. */
  note(text: string): void {
    this.clear();
    this.options.stream.write(`${escapeControls(text)}\n`);
    if (this.options.live && this.latest) this.draw();
  }

  /** Clears the live line and stops drawing (call before the summary). */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.clear();
  }

  private clear(): void {
    if (this.options.live && this.shown) this.options.stream.write('\r\u001b[2K');
    this.shown = false;
  }

  private draw(): void {
    if (!this.latest) return;
    const now = this.now();
    this.lastDraw = now;
    const line = formatProgress(this.latest, now, this.options.concurrency);
    if (!this.options.live) {
      this.options.stream.write(`batch: ${line}\n`);
      return;
    }
    // Never wider than the terminal: a wrapped line could not be redrawn in place.
    const width = Math.max(20, (this.options.stream.columns || 100) - 1);
    const text = line.length > width ? `${line.slice(0, width - 1)}…` : line;
    this.options.stream.write(`\r\u001b[2K${this.dim(text)}`);
    this.shown = true;
  }
}
