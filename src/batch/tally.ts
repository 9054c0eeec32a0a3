/**
 * The figures of one batch run, kept the same way in live and Batch API mode: counts, the one running
 * sum of usage and cost, the progress and summary built from them, and the one exit decision.
 */
import { addCosts, formatUsd } from '../accounting/cost.js';
import { type Cost, GptError, type Usage, ZERO_USAGE } from '../domain/index.js';
import type { BatchSummary, Progress, ResultLine, StopReason } from './types.js';

const USAGE_KEYS = ['input_tokens', 'cached_input_tokens', 'output_tokens', 'reasoning_tokens', 'total_tokens'] as const;

/** What the mode knows beyond the tally when it reports progress. */
export interface ProgressFacts {
  elapsedMs: number;
  total?: number;
  inFlight: number;
  concurrency: number;
  rateLimited: number;
  /** Requests sent so far (live); default: results finished. */
  requests?: number;
  /** Results the server has finished but not yet handed over (Batch API mode). */
  pending?: { ok: number; failed: number };
  pausedUntil?: number;
}

export interface SummaryFacts {
  wallMs: number;
  stopReason: StopReason;
  /** Requests sent (live); default: results written. */
  requests?: number;
  rateLimited: number;
  total?: number;
}

export class Tally {
  read = 0;
  ok = 0;
  failed = 0;
  skipped = 0;
  /** In-flight requests cut by a hard abort (live mode). */
  aborted = 0;
  /** Some model had no price: its spend is not counted. */
  unpriced = false;
  readonly usage: Usage = { ...ZERO_USAGE };
  cost: Cost = { input_usd: 0, cached_input_usd: 0, output_usd: 0, total_usd: 0, priced: true };

  /** A result line written to the output. */
  count(line: ResultLine): void {
    if (line.status === 'ok') this.ok++;
    else this.failed++;
  }

  /** What one answer used and cost (billed whether or not its line is ok). */
  spend(usage: Usage, cost: Cost): void {
    for (const key of USAGE_KEYS) this.usage[key] += usage[key];
    if (usage.estimated) this.usage.estimated = true;
    this.cost = addCosts(this.cost, cost);
    if (!cost.priced) this.unpriced = true;
  }

  progress(facts: ProgressFacts): Progress {
    const ok = this.ok + (facts.pending?.ok ?? 0);
    const failed = this.failed + (facts.pending?.failed ?? 0);
    const done = ok + failed;
    const seconds = facts.elapsedMs / 1000;
    const p: Progress = {
      done,
      ok,
      failed,
      skipped: this.skipped,
      inFlight: facts.inFlight,
      elapsedMs: facts.elapsedMs,
      requestsPerSec: seconds > 0 ? (facts.requests ?? done) / seconds : 0,
      tokensPerSec: seconds > 0 ? this.usage.total_tokens / seconds : 0,
      inputTokens: this.usage.input_tokens,
      outputTokens: this.usage.output_tokens,
      spentUsd: this.cost.total_usd,
      concurrency: facts.concurrency,
      rateLimited: facts.rateLimited,
    };
    if (facts.total !== undefined) {
      p.total = facts.total;
      const remaining = Math.max(0, facts.total - done - this.skipped);
      if (done > 0 && facts.elapsedMs > 0) p.etaMs = (remaining * facts.elapsedMs) / done;
    }
    if (facts.pausedUntil !== undefined) p.pausedUntil = facts.pausedUntil;
    return p;
  }

  summary(facts: SummaryFacts): BatchSummary {
    const { wallMs } = facts;
    const summary: BatchSummary = {
      read: this.read,
      ok: this.ok,
      failed: this.failed,
      skipped: this.skipped,
      aborted: this.aborted,
      usage: this.usage,
      cost: this.cost,
      wallMs,
      requestsPerSec: wallMs > 0 ? ((facts.requests ?? this.ok + this.failed) * 1000) / wallMs : 0,
      tokensPerSec: wallMs > 0 ? (this.usage.total_tokens * 1000) / wallMs : 0,
      rateLimited: facts.rateLimited,
      stopReason: facts.stopReason,
      unpriced: this.unpriced,
    };
    if (facts.total !== undefined) summary.notRun = Math.max(0, facts.total - this.ok - this.failed - this.skipped);
    return summary;
  }
}

/** Why a run stopped, beyond its stop reason, for the exit decision. */
export interface StopCause {
  /** The error a 'fatal' stop came from. */
  fatal?: unknown;
  /** What was left undone, as the messages say it ("12 not run"). */
  left: string;
  maxCostUsd?: number;
  /** Whole-run problems that make a completed run an API failure (Batch API validation). */
  problems?: string[];
}

/** The one error a batch exits with (SPEC exit codes), or undefined when every item is ok. */
export function exitErrorFor(summary: BatchSummary, cause: StopCause): GptError | undefined {
  const { left } = cause;
  switch (summary.stopReason) {
    case 'fatal':
      if (cause.fatal instanceof GptError) return cause.fatal;
      return new GptError('internal', `batch stopped: ${(cause.fatal as Error)?.message ?? String(cause.fatal)}`, {}, { cause: cause.fatal });
    case 'interrupted':
      return new GptError('interrupted', `batch interrupted: ${summary.ok} ok, ${summary.failed} failed, ${left}; rerun with --resume to continue`);
    case 'budget':
      return new GptError(
        'budget',
        `batch stopped before exceeding --max-cost ${formatUsd(cause.maxCostUsd ?? 0, { exact: true })}: spent ${formatUsd(summary.cost.total_usd)}, ${left}; rerun with --resume and a higher --max-cost to continue`,
      );
    default:
      if (cause.problems?.length) return new GptError('api', cause.problems.join('\n'));
      if (summary.failed > 0) {
        const how = summary.stopReason === 'fail_fast' ? ` (stopped by --fail-fast, ${left})` : '';
        return new GptError('batch_failed', `${summary.failed} of ${summary.ok + summary.failed} batch items failed${how}; the output file says which`);
      }
      return undefined;
  }
}
