/**
 * What the one-prompt pipeline tells its subscribers: the events of a prompt and the result they end with.
 * Presenters (spinner, answer on stdout, footer, JSON) and the usage-log writer are sinks of these events.
 */
import type { Cost, ToolCall, Usage } from '../domain/index.js';

export interface Latency {
  /** From sending to the end of the answer (usage counted). */
  totalMs: number;
  /** From sending to the first text; null when no text came. */
  firstTokenMs: number | null;
  /** From the first to the last text, for a fair tokens-per-second figure. */
  generationMs?: number;
}

export interface PromptResult {
  text: string;
  /** The model the API says answered, else the one asked for. */
  model: string;
  usage: Usage;
  cost: Cost;
  finishReason: string;
  /** False when the prompt failed before any answer: nothing reached the model, so nothing is counted, shown or logged. */
  accounted: boolean;
  latency: Latency;
  /** The calls the model asked for in this answer (a tool round). */
  calls?: ToolCall[];
  /** A tool loop's whole result: its rounds and every call made (usage and cost are then the loop's totals). */
  tools?: ToolLoopSummary;
}

/** One call of a tool loop, as `--json` shows it. */
export interface ToolCallRecord {
  name: string;
  /** The arguments as parsed, or the text the model sent when it was not JSON. */
  arguments: unknown;
  ok: boolean;
  ms: number;
}

export interface ToolLoopSummary {
  rounds: number;
  calls: ToolCallRecord[];
}

export type PromptEvent =
  /** About to send the request (after the checks before sending passed). */
  | { type: 'started'; model: string }
  /** A piece of the answer, as the provider streamed it. */
  | { type: 'text'; text: string }
  /** The provider waits `delayMs` and tries again. */
  | { type: 'retry'; attempt: number; delayMs: number; reason: string }
  /** Something the user should know (context window, unknown price, a cut-off answer); never a failure. */
  | { type: 'warning'; message: string }
  /** One request of a tool loop came back (accounted when anything did): one usage-log record each. */
  | { type: 'round'; round: number; result: PromptResult }
  /** A tool call ran (or was refused: `ok` false); `summary` is its short arguments. */
  | { type: 'tool'; call: ToolCallRecord; summary: string }
  /** The answer came to its end; `result` holds it with its usage, cost and latency. */
  | { type: 'finished'; result: PromptResult }
  /** The prompt stopped (budget, interruption, an API error): `result` holds what came before, accounted when anything did. */
  | { type: 'failed'; error: unknown; result: PromptResult };

export type EndEvent = Extract<PromptEvent, { type: 'finished' | 'failed' }>;

/**
 * A subscriber. Streaming events (text, retry, warning) are handled synchronously; a sink may return a
 * promise for `started`, `finished` and `failed`, which the pipeline awaits before going on.
 */
export type PromptSink = (event: PromptEvent) => void | Promise<void>;

export const isEnd = (event: PromptEvent): event is EndEvent => event.type === 'finished' || event.type === 'failed';

/** One sink that hands each event to every sink in order; an async sink holds back the ones after it. */
export function fanOut(sinks: readonly PromptSink[]): PromptSink {
  return (event) => {
    let chain: Promise<void> | undefined;
    for (const sink of sinks) {
      if (chain) {
        chain = chain.then(() => sink(event));
        continue;
      }
      const done = sink(event);
      if (done instanceof Promise) chain = done;
    }
    return chain;
  };
}
