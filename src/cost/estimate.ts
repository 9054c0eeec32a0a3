/**
 * The pure core of `gpt cost`: how long an answer is assumed to be, token tallies that stay small however many
 * requests they hold, per-line statistics, and pricing a tally on a model with projections and a budget.
 */
import { addCosts, costOf, roundUsd } from '../accounting/cost.js';
import { PRICE_TABLE } from '../accounting/price-table.js';
import type { Cost, Price, Effort, GenerationOptions, Usage } from '../domain/index.js';
import type { ModelInfo } from '../accounting/types.js';
import { outputAssumption } from '../core/dry-run.js';

/** Output tokens assumed when nothing (flag, template, cap) says how long the answer will be. */
export const DEFAULT_OUTPUT_TOKENS = 500;

/**
 * Reasoning tokens assumed per visible output token at each effort, billed as output. Rough figures from
 * OpenAI's reasoning guide (a few hundred to tens of thousands of hidden tokens, growing with effort);
 * `--reasoning-tokens N` replaces them with a measured figure.
 */
export const REASONING_MULTIPLIER: Readonly<Record<Effort, number>> = { none: 0, minimal: 0.25, low: 0.5, medium: 1, high: 2, xhigh: 4 };

export interface OutputRule {
  /** `--output-tokens`: taken as given. */
  outputTokens?: number;
  /** The template's `expect.output_tokens`. */
  expected?: number;
  /** `--reasoning-tokens`: replaces the effort multiplier. */
  reasoningTokens?: number;
  /** Where the command-level output cap came from, for the notes (e.g. "--max-output-tokens"). */
  capFrom: string;
}

export interface OutputGuess {
  /** Visible answer tokens. */
  answer: number;
  /** Hidden reasoning tokens, billed as output on top of the answer. */
  reasoning: number;
  /** Where the answer length came from, for people. */
  from: string;
}

/**
 * `--output-tokens`, else `gpt run --dry-run`'s rule (the template's expect.output_tokens capped by the max output
 * tokens, else the cap), else DEFAULT_OUTPUT_TOKENS; plus reasoning for the effort in force.
 */
export function guessOutput(rule: OutputRule, options: GenerationOptions, capFrom = rule.capFrom): OutputGuess {
  let answer: number;
  let from: string;
  if (rule.outputTokens !== undefined) [answer, from] = [rule.outputTokens, '--output-tokens'];
  else {
    const assumed = outputAssumption(rule.expected, options.maxOutputTokens, capFrom);
    if (assumed.tokens === null) [answer, from] = [DEFAULT_OUTPUT_TOKENS, `the default ${DEFAULT_OUTPUT_TOKENS}; set --output-tokens N`];
    else [answer, from] = [assumed.tokens, assumed.from];
  }
  const effort = options.effort;
  const reasoning = rule.reasoningTokens ?? (effort ? Math.round(answer * REASONING_MULTIPLIER[effort]) : 0);
  return { answer, reasoning, from };
}

/**
 * Requests above this many input tokens are kept one by one, because long-context rates apply per request; the
 * rest are summed. The lowest threshold in the price table (config prices have no long-context tier).
 */
export const LARGE_INPUT = Math.min(...PRICE_TABLE.flatMap((row) => (row.longContext ? [row.longContext.aboveInputTokens] : [])), 128_000);

/** Token sums of many requests on one model, in constant memory (but for rare long-context requests). */
export class Tally {
  requests = 0;
  input = 0;
  /** Answer plus reasoning, as the API bills it. */
  output = 0;
  reasoning = 0;
  private smallInput = 0;
  private smallOutput = 0;
  private readonly large: Array<{ input: number; output: number }> = [];

  add(input: number, answer: number, reasoning: number): void {
    const output = answer + reasoning;
    this.requests++;
    this.input += input;
    this.output += output;
    this.reasoning += reasoning;
    if (input > LARGE_INPUT) this.large.push({ input, output });
    else {
      this.smallInput += input;
      this.smallOutput += output;
    }
  }

  /** The same requests with `perRequest` more input tokens each (image tokens, which depend on the model, not the encoding). */
  plusInput(perRequest: number): Tally {
    const copy = new Tally();
    Object.assign(copy, { requests: this.requests, input: this.input + perRequest * this.requests, output: this.output, reasoning: this.reasoning });
    copy.smallInput = this.smallInput + perRequest * (this.requests - this.large.length);
    copy.smallOutput = this.smallOutput;
    copy.large.push(...this.large.map((r) => ({ ...r, input: r.input + perRequest })));
    return copy;
  }

  /**
   * What the requests cost at `price`, with `cacheHit` of every input priced at the cached rate. Small requests are
   * priced as one sum at the base tier (each is under every long-context threshold); large ones one by one.
   */
  cost(price: Price | null, opts: { batch: boolean; cacheHit: number }): Cost {
    if (this.requests === 0) return { input_usd: 0, cached_input_usd: 0, output_usd: 0, total_usd: 0, priced: true };
    const usage = (input: number, output: number): Usage => ({
      input_tokens: input,
      cached_input_tokens: input * opts.cacheHit,
      output_tokens: output,
      reasoning_tokens: 0,
      total_tokens: input + output,
      estimated: true,
    });
    let cost = costOf(usage(this.smallInput, this.smallOutput), price ? { ...price, longContext: null } : null, { batch: opts.batch });
    for (const request of this.large) cost = addCosts(cost, costOf(usage(request.input, request.output), price, { batch: opts.batch }));
    return cost;
  }
}

export interface LineSummary {
  min: number;
  mean: number;
  p95: number;
  max: number;
}

/** Min, mean, max and exact p95 of integer counts: a histogram holds one entry per distinct value, not per line. */
export class LineStats {
  n = 0;
  private sum = 0;
  private min = Infinity;
  private max = -Infinity;
  private readonly counts = new Map<number, number>();

  add(value: number): void {
    this.n++;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    this.counts.set(value, (this.counts.get(value) ?? 0) + 1);
  }

  /** p95 by nearest rank: the smallest value with at least 95 % of the lines at or below it. */
  summary(): LineSummary | null {
    if (this.n === 0) return null;
    const rank = Math.ceil(0.95 * this.n);
    let seen = 0;
    let p95 = this.max;
    for (const value of [...this.counts.keys()].sort((a, b) => a - b)) {
      seen += this.counts.get(value)!;
      if (seen >= rank) {
        p95 = value;
        break;
      }
    }
    return { min: this.min, mean: Math.round((this.sum / this.n) * 10) / 10, p95, max: this.max };
  }
}

export interface Projection {
  runs: number;
  /** How the run count was reached, for people ("20,000/day × 30 days"). */
  from: string;
}

/** `--runs N`, or `--per-day N` × `--days D` (default 30), else one run. */
export function projectRuns(flags: { runs?: number; perDay?: number; days?: number }): Projection {
  if (flags.runs !== undefined) return { runs: flags.runs, from: '--runs' };
  if (flags.perDay !== undefined) {
    const days = flags.days ?? 30;
    const n = (x: number) => x.toLocaleString('en-US', { maximumFractionDigits: 2 });
    return { runs: roundUsd(flags.perDay * days), from: `${n(flags.perDay)}/day × ${n(days)} day${days === 1 ? '' : 's'}` };
  }
  return { runs: 1, from: 'one run' };
}

/** One model's row of the estimate. */
export interface ModelRow {
  info: ModelInfo;
  /** True for the models the user asked for (-m, else the default model): the ones --budget gates. */
  gated: boolean;
  /** Per run. */
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  reasoningTokens: number;
  costPerRun: Cost;
  runs: number;
  /** costPerRun × runs; null when unpriced. */
  totalUsd: number | null;
  exactTokens: boolean;
  /** Of the input, image tokens by OpenAI's formula for the model (approximate); absent without images. */
  imageTokens?: number;
}

/** Requests that named their own model (batch lines with `model`): priced on it in every row. */
export interface OwnModelTally {
  info: ModelInfo;
  tally: Tally;
}

/** Prices one row: the row model's requests plus the requests that carry their own model. */
export function priceRow(
  info: ModelInfo,
  gated: boolean,
  tally: Tally,
  own: readonly OwnModelTally[],
  opts: { batch: boolean; cacheHit: number; runs: number },
): ModelRow {
  let cost = tally.cost(info.price, opts);
  let input = tally.input;
  let output = tally.output;
  let reasoning = tally.reasoning;
  let exact = info.exactTokenizer;
  for (const part of own) {
    cost = addCosts(cost, part.tally.cost(part.info.price, opts));
    input += part.tally.input;
    output += part.tally.output;
    reasoning += part.tally.reasoning;
    exact &&= part.info.exactTokenizer;
  }
  // A model with no requests of its own is never asked for its price.
  if (tally.requests > 0 && !info.price) cost = { ...cost, priced: false };
  const totalUsd = cost.priced ? roundUsd(cost.total_usd * opts.runs) : null;
  return {
    info,
    gated,
    inputTokens: input,
    cachedInputTokens: Math.round(input * opts.cacheHit),
    outputTokens: output,
    reasoningTokens: reasoning,
    costPerRun: cost,
    runs: opts.runs,
    totalUsd,
    exactTokens: exact,
  };
}

export interface BudgetVerdict {
  budgetUsd: number | null;
  /** True when the gate fails: a gated model's total is over, or a gated model has no price to check. */
  failed: boolean;
  /** The rows the gate looks at. */
  gated: ModelRow[];
  over: ModelRow[];
  unpriced: ModelRow[];
  /** Batch lines that could not be counted: the total may be short of the truth, so the gate fails (unless --allow-skipped). */
  skipped: number;
}

/**
 * The --budget gate looks only at the models the user asked for (-m, else the default model): rows added by --all
 * are for comparison. It fails closed: a gated model without a price, or a batch with lines it could not count
 * (`skipped`, 0 with --allow-skipped), cannot be shown to fit, so it fails too.
 */
export function checkBudget(rows: readonly ModelRow[], budgetUsd: number | null, skipped = 0): BudgetVerdict {
  if (budgetUsd === null) return { budgetUsd, failed: false, gated: [], over: [], unpriced: [], skipped: 0 };
  const gated = rows.filter((row) => row.gated);
  const over = gated.filter((row) => row.totalUsd !== null && row.totalUsd > budgetUsd);
  const unpriced = gated.filter((row) => row.totalUsd === null);
  return { budgetUsd, failed: over.length > 0 || unpriced.length > 0 || skipped > 0, gated, over, unpriced, skipped };
}

/** --all: cheapest first, unpriced last, ties in the table's order. */
export function sortByCost(rows: ModelRow[]): ModelRow[] {
  return rows
    .map((row, i) => ({ row, i }))
    .sort((a, b) => (a.row.totalUsd ?? Infinity) - (b.row.totalUsd ?? Infinity) || a.i - b.i)
    .map(({ row }) => row);
}
