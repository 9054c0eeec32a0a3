/** `--json`: the answer as one object on stdout once it has ended (SPEC: JSON output). */
import type { PromptResult, PromptSink } from '../core/events.js';

export interface JsonAnswerOptions {
  profile: string;
  /** True once stdout failed: nothing more is written. */
  stdoutFailed: () => boolean;
}

/** The object printed for a result; `finishReason` is 'error' for an answer that failed partway. */
export function answerJson(result: PromptResult, profile: string, finishReason: string): Record<string, unknown> {
  const { cost, latency } = result;
  return {
    model: result.model,
    profile,
    text: result.text,
    finish_reason: finishReason,
    usage: result.usage,
    cost: { input_usd: cost.input_usd, cached_input_usd: cost.cached_input_usd, output_usd: cost.output_usd, total_usd: cost.total_usd, priced: cost.priced, ...(cost.source ? { source: cost.source } : {}) },
    latency: {
      first_token_ms: latency.firstTokenMs !== null ? Math.round(latency.firstTokenMs) : null,
      total_ms: Math.round(latency.totalMs),
    },
    ...(result.tools ? { rounds: result.tools.rounds, tool_calls: result.tools.calls } : {}),
  };
}

/** Prints the object for a finished answer, and for a failed one when some of it came (the part is paid for). */
export function jsonPresenter(stdout: Pick<NodeJS.WriteStream, 'write'>, { profile, stdoutFailed }: JsonAnswerOptions): PromptSink {
  return (event) => {
    if (stdoutFailed()) return;
    if (event.type === 'finished') stdout.write(`${JSON.stringify(answerJson(event.result, profile, event.result.finishReason), null, 2)}\n`);
    else if (event.type === 'failed' && (event.result.text !== '' || (event.result.tools?.calls.length ?? 0) > 0)) stdout.write(`${JSON.stringify(answerJson(event.result, profile, 'error'), null, 2)}\n`);
  };
}
