/** What stderr says around an answer: warnings, retries and the footer (model, tokens, cost, time). */
import { type PromptSink, type ToolCallRecord, isEnd } from '../core/events.js';
import { escapeControls, redact } from '../domain/index.js';
import { footerLine } from './footer.js';
import { type TermOptions, colorEnabled, style } from './term.js';

export interface Output {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

/** One warning line on stderr; keys masked, control characters shown rather than sent to the terminal. */
export function warn(out: Pick<Output, 'stderr'>, term: TermOptions, message: string): void {
  const s = style(colorEnabled(out.stderr, term));
  out.stderr.write(`${s.yellow('gpt: warning:')} ${escapeControls(redact(message))}\n`);
}

export interface StatusOptions {
  /** -q: no footer and no retry notes (warnings still show). */
  quiet: boolean;
  color: boolean;
}

export function statusPresenter(stderr: NodeJS.WriteStream, { quiet, color }: StatusOptions): PromptSink {
  const out = { stderr };
  const term = { color };
  return (event) => {
    if (event.type === 'text' || event.type === 'round') return;
    if (event.type === 'warning') warn(out, term, event.message);
    else if (event.type === 'tool') {
      if (!quiet) stderr.write(`${style(colorEnabled(stderr, term)).dim(toolLine(event.call, event.summary))}\n`);
    }
    else if (event.type === 'retry') {
      if (!quiet) warn(out, term, `${event.reason}; retrying in ${(event.delayMs / 1000).toFixed(1)}s (attempt ${event.attempt})`);
    } else if (isEnd(event) && event.result.accounted && !quiet) {
      const { result } = event;
      const line = footerLine({ model: result.model, usage: result.usage, cost: result.cost, elapsedMs: result.latency.totalMs, generationMs: result.latency.generationMs, rounds: result.tools?.rounds });
      stderr.write(`${style(colorEnabled(stderr, term)).dim(line)}\n`);
    }
  };
}

/** One line a tool call: `tool weather {"city":"Lyon"} · 12 ms · ok`. */
export function toolLine(call: ToolCallRecord, summary: string): string {
  return `tool ${escapeControls(call.name)} ${escapeControls(redact(summary))} · ${Math.round(call.ms)} ms · ${call.ok ? 'ok' : 'error'}`;
}
