/**
 * Counting a workload (one prompt, or every line of a batch file as it streams by) into tallies per tokenizer:
 * each request is counted once per encoding the priced models need, never kept.
 */
import { lookupModel } from '../accounting/models.js';
import { loadEncodingCounter, type TokenCounter } from '../accounting/tokenizer.js';
import type { ModelInfo, Tokenizer } from '../accounting/types.js';
import { GptError, type ChatMessage, type GenerationOptions, type PricingOverride } from '../domain/index.js';
import { LineStats, Tally, guessOutput, type OutputRule } from './estimate.js';

/** One request as it would be sent: its messages, its own model (a batch line's `model`) and its options. */
export interface CostRequest {
  messages: ChatMessage[];
  model?: string;
  options: GenerationOptions;
}

/** A line that cannot become a request (bad JSON, a missing template variable): counted, not fatal. */
export interface SkippedLine {
  error: string;
}

export interface OwnModel {
  info: ModelInfo;
  tally: Tally;
}

export interface CountResult {
  /** Requests that take the row's model, counted in each row model's encoding. */
  byEncoding: Map<Tokenizer, Tally>;
  /** Input tokens per request as each encoding's rows see them (own-model requests included). */
  inputPerLine: Map<Tokenizer, LineStats>;
  /** Visible answer tokens per request (they vary when lines set their own max_output_tokens). */
  answerPerLine: LineStats;
  /** Requests that name their own model, by the id they give. */
  own: Map<string, OwnModel>;
  requests: number;
  skipped: number;
  /** The first few skipped lines' errors, for the report. */
  skippedSamples: string[];
}

export const SKIPPED_SAMPLES = 5;

export interface CountSetup {
  /** The encodings the row models need. */
  encodings: readonly Tokenizer[];
  rule: OutputRule;
  pricing?: Record<string, PricingOverride>;
}

/**
 * Streams `source` through `prepare` (which may throw a usage GptError for a bad line, as `gpt batch` does) and
 * counts every request. Awaits only when `prepare` returns a promise, so plain lines cost no extra turn.
 */
export async function countRequests<T>(
  source: AsyncIterable<T> | Iterable<T>,
  prepare: (entry: T) => CostRequest | SkippedLine | Promise<CostRequest | SkippedLine>,
  setup: CountSetup,
): Promise<CountResult> {
  const counters = await Promise.all(setup.encodings.map((encoding) => loadEncodingCounter(encoding)));
  const rows = setup.encodings.map((encoding, i) => ({ encoding, counter: counters[i]!, tally: new Tally(), stats: new LineStats() }));
  const result: CountResult = {
    byEncoding: new Map(rows.map((row) => [row.encoding, row.tally])),
    inputPerLine: new Map(rows.map((row) => [row.encoding, row.stats])),
    answerPerLine: new LineStats(),
    own: new Map(),
    requests: 0,
    skipped: 0,
    skippedSamples: [],
  };
  const ownCounters = new Map<string, { own: OwnModel; counter: TokenCounter }>();
  const skip = (error: string) => {
    result.skipped++;
    if (result.skippedSamples.length < SKIPPED_SAMPLES) result.skippedSamples.push(error);
  };

  for await (const entry of source) {
    let prepared: CostRequest | SkippedLine;
    try {
      const maybe = prepare(entry);
      prepared = maybe instanceof Promise ? await maybe : maybe;
    } catch (error) {
      if (!(error instanceof GptError) || error.kind !== 'usage') throw error;
      skip(error.message);
      continue;
    }
    if ('error' in prepared) {
      skip(prepared.error);
      continue;
    }
    result.requests++;
    const { answer, reasoning } = guessOutput(setup.rule, prepared.options);
    result.answerPerLine.add(answer);
    if (prepared.model !== undefined) {
      let own = ownCounters.get(prepared.model);
      if (!own) {
        const info = lookupModel(prepared.model, setup.pricing);
        own = { own: { info, tally: new Tally() }, counter: await loadEncodingCounter(info.tokenizer, info.exactTokenizer) };
        ownCounters.set(prepared.model, own);
        result.own.set(prepared.model, own.own);
      }
      const input = own.counter.countChat(prepared.messages);
      own.own.tally.add(input, answer, reasoning);
      for (const row of rows) row.stats.add(input);
      continue;
    }
    for (const row of rows) {
      const input = row.counter.countChat(prepared.messages);
      row.tally.add(input, answer, reasoning);
      row.stats.add(input);
    }
  }
  return result;
}
