/**
 * `--chunk`: map-reduce over input too long for one request. The input is split into pieces that fit (split.ts),
 * the map prompt runs per piece through the batch engine (its scheduler, rate limits, retries and --max-cost),
 * then the reduce prompt runs over the joined results, first in groups when they are still too long. The last
 * reduce is the caller's to run (it is shown like any answer). Nothing here prints.
 */
import { addCosts, costOf } from '../accounting/cost.js';
import { runBatch } from '../batch/runner.js';
import type { BatchItem, BatchSummary, ResultLine } from '../batch/types.js';
import type { UsageContext } from '../batch/usage-log.js';
import { type ChatMessage, type Clock, type Cost, type GenerationOptions, GptError, type Price, type PricingOverride, type TextCounter, type Usage, ZERO_USAGE, addUsage, formatInt as int } from '../domain/index.js';
import type { Provider } from '../providers/types.js';
import { estimatedUsage } from './budget.js';
import { splitInput } from './split.js';

export interface ChunkSetup {
  model: string;
  /** Messages for one piece of the input (map), or for the joined partial results (reduce). */
  render: (input: string) => ChatMessage[];
  /** The reduce prompt, when it differs from the map prompt (a template's `chunk.reduce`). */
  reduce?: (input: string) => ChatMessage[];
  counter: TextCounter;
  facts: { contextWindow: number | null; maxInputTokens?: number | null; price: Price | null };
  /** The output cap, held free in the window beside each request's input. */
  maxOutputTokens?: number;
  /** --chunk-tokens: the size of each piece. */
  chunkTokens?: number;
  /** Answer tokens assumed per request, for the estimate. */
  outputGuess: number;
}

export interface ChunkPlan {
  /** The input fits one request: no map-reduce. */
  once: boolean;
  pieces: string[];
  pieceTokens: number;
  /** Tokens of the prompt around the input (the template's own). */
  overhead: number;
  estimate: { requests: number; inputTokens: number; outputTokens: number; cost: Cost };
}

/** Room left for the breaks between packed parts and the chat format. */
const MARGIN = 16;
const MAX_LEVELS = 4;

/** Most input tokens one request may carry: the model's input limit, and its window less the output (cap, else the guess). */
export function inputLimit(s: Pick<ChunkSetup, 'facts' | 'maxOutputTokens' | 'outputGuess'>): number | null {
  const { contextWindow, maxInputTokens } = s.facts;
  if (contextWindow === null) return maxInputTokens ?? null;
  return Math.min(maxInputTokens ?? contextWindow, contextWindow - (s.maxOutputTokens ?? s.outputGuess));
}

function pieceSize(s: ChunkSetup, limit: number | null, overhead: number): number {
  if (s.chunkTokens === undefined) {
    if (limit === null) throw new GptError('usage', `--chunk: the context window of ${s.model} is unknown; give --chunk-tokens N`);
    const size = limit - overhead - MARGIN;
    if (size < 1) throw new GptError('usage', `--chunk: the prompt alone (${int(overhead)} tokens) leaves no room for input in ${s.model}'s window; lower --max-output-tokens or use a bigger model`);
    return size;
  }
  if (s.chunkTokens < Math.max(MARGIN, overhead)) {
    throw new GptError('usage', `--chunk-tokens ${s.chunkTokens} is too small for the prompt: its own text is ${int(overhead)} tokens, so give at least ${int(Math.max(MARGIN, overhead))}`);
  }
  if (limit !== null && s.chunkTokens + overhead + MARGIN > limit) {
    throw new GptError('usage', `--chunk-tokens ${s.chunkTokens} + the prompt's ${int(overhead)} tokens is over ${s.model}'s input limit of ${int(limit)}; give at most ${int(limit - overhead - MARGIN)}`);
  }
  return s.chunkTokens;
}

/** How the input will be cut and what the whole plan (map, reduce levels, final reduce) should cost. */
export function planChunks(input: string, s: ChunkSetup): ChunkPlan {
  const limit = inputLimit(s);
  const overhead = s.counter.countChat(s.render(''));
  const pieceTokens = pieceSize(s, limit, overhead);
  const whole = s.counter.count(input);
  const once = s.chunkTokens === undefined ? limit !== null && whole + overhead <= limit : whole <= s.chunkTokens;
  const pieces = once ? [input] : splitInput(input, pieceTokens, s.counter.count);
  let requests = pieces.length;
  let inputTokens = whole + overhead * pieces.length;
  let outputTokens = s.outputGuess * pieces.length;
  // Reduce levels: the results of one level are the input of the next, until one request holds them all.
  for (let results = pieces.length; !once; ) {
    const joined = results * (s.outputGuess + 8);
    const groups = limit !== null && joined + overhead > limit ? Math.ceil(joined / pieceTokens) : 1;
    requests += groups;
    inputTokens += joined + overhead * groups;
    outputTokens += s.outputGuess * groups;
    if (groups === 1 || groups >= results) break;
    results = groups;
  }
  const cost = costOf(estimatedUsage(inputTokens, outputTokens), s.facts.price);
  return { once, pieces, pieceTokens, overhead, estimate: { requests, inputTokens, outputTokens, cost } };
}

/** The partial results as the reduce prompt's input. */
export function joinResults(texts: readonly string[]): string {
  const head = `The input was too long for one request, so it was split into ${texts.length} parts and each part was answered on its own. These are the answers, in order; combine them into one.`;
  return [head, ...texts.map((text, i) => `--- part ${i + 1} of ${texts.length} ---\n${text.trim()}`)].join('\n\n');
}

export interface ChunkRun {
  provider: Provider;
  options: GenerationOptions;
  concurrency?: number;
  rpm?: number;
  tpm?: number;
  maxCostUsd?: number;
  pricing?: Record<string, PricingOverride>;
  clock?: Clock;
  signal?: AbortSignal;
  /** Where each paid answer is recorded (the usage log). */
  usageLog?: UsageContext;
  /** Told when each level starts: "map", "reduce 1"…, with its request count. */
  onLevel?: (name: string, requests: number) => void;
}

/** What the map and intermediate reduce requests used and cost, for the summed footer. */
export interface Spent {
  requests: number;
  usage: Usage;
  cost: Cost;
}

function addSummary(spent: Spent, summary: BatchSummary): Spent {
  return { requests: spent.requests + summary.ok + summary.failed, usage: addUsage(spent.usage, summary.usage), cost: addCosts(spent.cost, summary.cost) };
}

/** Runs `render` over each input concurrently through the batch engine; every part must answer. */
async function runLevel(inputs: string[], render: (input: string) => ChatMessage[], s: ChunkSetup, run: ChunkRun, maxCostUsd: number | undefined): Promise<{ texts: string[]; summary: BatchSummary }> {
  const results = new Map<string, ResultLine>();
  async function* items(): AsyncGenerator<BatchItem> {
    for (const [i, input] of inputs.entries()) yield { id: `part-${i + 1}`, line: i + 1, messages: render(input), options: {} };
  }
  const summary = await runBatch({
    items: items(),
    provider: run.provider,
    model: s.model,
    options: run.options,
    total: inputs.length,
    writer: { write: async (line) => void results.set(line.id, line) },
    failFast: true,
    ...(run.concurrency !== undefined ? { concurrency: run.concurrency } : {}),
    ...(run.rpm !== undefined ? { rpm: run.rpm } : {}),
    ...(run.tpm !== undefined ? { tpm: run.tpm } : {}),
    ...(maxCostUsd !== undefined ? { maxCostUsd } : {}),
    ...(run.pricing ? { pricing: run.pricing } : {}),
    ...(run.clock ? { clock: run.clock } : {}),
    ...(run.usageLog ? { usageLog: run.usageLog } : {}),
    ...(run.signal ? { signal: run.signal, abortSignal: run.signal } : {}),
  });
  if (summary.exitError) throw summary.exitError;
  const texts = inputs.map((_, i) => {
    const line = results.get(`part-${i + 1}`);
    if (line?.status !== 'ok' || line.text === null) throw new GptError('api', `--chunk: part ${i + 1} of ${inputs.length} failed: ${line?.error?.message ?? 'no answer'}`);
    return line.text;
  });
  return { texts, summary };
}

/**
 * The map level, then reduce levels in groups until the joined results fit one request: returns that last reduce
 * request's messages (for the caller to run and show) and what was spent on the way.
 */
export async function mapReduce(pieces: string[], s: ChunkSetup, run: ChunkRun): Promise<{ messages: ChatMessage[]; spent: Spent }> {
  const limit = inputLimit(s) ?? Infinity;
  let spent: Spent = { requests: 0, usage: { ...ZERO_USAGE }, cost: { input_usd: 0, cached_input_usd: 0, output_usd: 0, total_usd: 0, priced: true } };
  const left = () => (run.maxCostUsd === undefined ? undefined : Math.max(0, run.maxCostUsd - spent.cost.total_usd));
  run.onLevel?.('map', pieces.length);
  let texts = (await runLevel(pieces, s.render, s, run, left()).then((r) => ((spent = addSummary(spent, r.summary)), r))).texts;
  const reduce = s.reduce ?? s.render;
  for (let level = 1; ; level++) {
    const joined = joinResults(texts);
    const messages = reduce(joined);
    if (s.counter.countChat(messages) <= limit) return { messages, spent };
    const size = s.chunkTokens ?? limit - s.counter.countChat(reduce('')) - MARGIN;
    const groups = splitInput(joined, size, s.counter.count);
    if (level > MAX_LEVELS || groups.length >= texts.length) {
      throw new GptError('usage', `--chunk: the ${texts.length} partial answers do not shrink enough to fit one request; lower --max-output-tokens or raise --chunk-tokens`);
    }
    run.onLevel?.(`reduce ${level}`, groups.length);
    const next = await runLevel(groups, reduce, s, run, left());
    spent = addSummary(spent, next.summary);
    texts = next.texts;
  }
}
