/** What stderr says around an answer: warnings, retries and the footer (model, tokens, cost, time). */
import { type PromptSink, type ToolCallRecord, isEnd } from '../core/events.js';
import { escapeControls, redact } from '../domain/index.js';
import { footerLine } from './footer.js';
import type { TerminalLine } from './line.js';
import { type TermOptions, colorEnabled, style } from './term.js';

export interface Output {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

/** One warning line on stderr; keys masked, control characters shown rather than sent to the terminal. */
export function warn(out: Pick<Output, 'stderr'>, term: TermOptions, message: string): void {
  out.stderr.write(warningLine(out.stderr, term, message));
}

function warningLine(stderr: NodeJS.WriteStream, term: TermOptions, message: string): string {
  return `${style(colorEnabled(stderr, term)).yellow('gpt: warning:')} ${escapeControls(redact(message))}\n`;
}

export interface StatusOptions {
  /** -q: no footer and no retry notes (warnings still show). */
  quiet: boolean;
  color: boolean;
  /** Where the terminal's cursor is: a footer or warning never continues the answer's line (or a `^C`). */
  line?: TerminalLine;
}

export function statusPresenter(stderr: NodeJS.WriteStream, { quiet, color, line }: StatusOptions): PromptSink {
  const term = { color };
  const say = (text: string) => stderr.write(`${line?.breakBefore() ?? ''}${text}`);
  return (event) => {
    if (event.type === 'text' || event.type === 'round') return;
    if (event.type === 'warning') say(warningLine(stderr, term, event.message));
    else if (event.type === 'tool') {
      if (!quiet) say(`${style(colorEnabled(stderr, term)).dim(toolLine(event.call, event.summary))}\n`);
    }
    else if (event.type === 'retry') {
      if (!quiet) say(warningLine(stderr, term, `${event.reason}; retrying in ${(event.delayMs / 1000).toFixed(1)}s (attempt ${event.attempt})`));
    } else if (isEnd(event) && event.result.accounted && !quiet) {
      const { result } = event;
      const footer = footerLine({ model: result.model, usage: result.usage, cost: result.cost, elapsedMs: result.latency.totalMs, generationMs: result.latency.generationMs, rounds: result.tools?.rounds });
      say(`${style(colorEnabled(stderr, term)).dim(footer)}\n`);
    }
  };
}

/** One line a tool call: `tool weather {"city":"Lyon"} · 12 ms · ok`. */
export function toolLine(call: ToolCallRecord, summary: string): string {
  return `tool ${escapeControls(call.name)} ${escapeControls(redact(summary))} · ${Math.round(call.ms)} ms · ${call.ok ? 'ok' : 'error'}`;
}
