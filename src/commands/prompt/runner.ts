/**
 * One prompt at the edge, for `gpt chat` (one-shot and each turn of a session) and `gpt run`: Ctrl-C and a failing
 * stdout wired to the pipeline's abort signal, the presenters and the usage-log writer subscribed to its events,
 * and how it ended turned into a result or the error to exit with.
 */
import { type PromptResult, type PromptSink, fanOut, isEnd } from '../../core/events.js';
import { type PromptOutcome, runPipeline } from '../../core/pipeline.js';
import { type PromptJob, preparePrompt } from '../../core/prompt.js';
import { runToolLoop } from '../../core/tool-loop.js';
import { escapeControls, isClosedPipe, redact, writeFailure } from '../../domain/index.js';
import { answerPresenter } from '../../ui/answer.js';
import { jsonPresenter } from '../../ui/json-answer.js';
import { TerminalLine } from '../../ui/line.js';
import { spinnerPresenter } from '../../ui/spinner.js';
import { type Output, statusPresenter, warn } from '../../ui/status.js';
import { claimStdoutFailure } from '../../ui/stdout.js';
import { colorEnabled, isInteractive } from '../../ui/term.js';
import type { Toolbox } from './tools.js';

/** How the answer is shown. */
export interface PromptDisplay {
  /** --json: one object on stdout at the end instead of the streamed text. */
  json: boolean;
  /** -q: no footer, no spinner, no retry notes. */
  quiet: boolean;
  /** --raw: the bytes as sent, even on a colour terminal. */
  raw: boolean;
  /** -v: requests and responses on stderr (keys redacted). */
  verbose: boolean;
  /** False with --no-color. */
  color: boolean;
}

export interface ShownPrompt extends PromptJob {
  display: PromptDisplay;
  /** Aborting it stops the answer, as Ctrl-C does. */
  signal?: AbortSignal;
  /** More subscribers after the usage log (the conversation saver); `warn` shows a problem they meet. */
  subscribers?: (warn: (message: string) => void) => PromptSink[];
  /** Tools offered to the model (commands/prompt/tools.ts): the answer is then a tool loop. */
  toolbox?: Toolbox;
}

const standardOutput = (): Output => ({ stdout: process.stdout, stderr: process.stderr });

/** Runs one prompt, shown as `job.display` says; throws the failure (exit code by its kind) after showing what came. */
export async function runPrompt(job: ShownPrompt, out: Output = standardOutput()): Promise<PromptResult> {
  const { display } = job;
  const log = display.verbose ? (line: string) => void out.stderr.write(`${escapeControls(redact(line))}\n`) : undefined;
  const prepared = preparePrompt(job, log);
  for (const message of prepared.warnings) warn(out, display, message);
  const line = TerminalLine.for(out);
  const edge = openEdge(job.signal, () => line.interrupted());
  try {
    const usageLog = prepared.usageLog((message) => warn(out, display, message));
    const sinks = presenters(job, out, usageLog, () => edge.stdoutError() !== undefined, line);
    const deps = { ...prepared.deps, signal: edge.signal, emit: fanOut([edge.sink, ...sinks]) };
    const outcome = job.toolbox ? await runToolLoop(prepared.spec, job.toolbox.loop, { ...deps, ...job.toolbox.extras }) : await runPipeline(prepared.spec, deps);
    return settle(outcome, edge.stdoutError());
  } finally {
    edge.close();
  }
}

interface Edge {
  signal: AbortSignal;
  stdoutError(): NodeJS.ErrnoException | undefined;
  /** Subscribed first: once the answer has ended, Ctrl-C is the shell's again. */
  sink: PromptSink;
  close(): void;
}

/** Ctrl-C, the caller's signal and a failing stdout all abort the pipeline's signal. */
function openEdge(outer: AbortSignal | undefined, onSigint: () => void): Edge {
  const controller = new AbortController();
  const stop = () => controller.abort();
  const sigint = () => {
    onSigint();
    stop();
  };
  let stdoutError: NodeJS.ErrnoException | undefined;
  // A reader that closed stdout stops the answer (nobody reads the rest); accounting still runs.
  const release = claimStdoutFailure((error) => {
    stdoutError ??= error;
    controller.abort();
  });
  process.on('SIGINT', sigint); // not once: ora's signal-exit re-raises SIGINT when it sees no other listener
  outer?.addEventListener('abort', stop, { once: true });
  const unhookSigint = () => process.removeListener('SIGINT', sigint);
  return {
    signal: controller.signal,
    stdoutError: () => stdoutError,
    sink: (event) => {
      if (isEnd(event)) unhookSigint();
    },
    close: () => {
      unhookSigint();
      outer?.removeEventListener('abort', stop);
      release();
    },
  };
}

/** In the order they show at the end: spinner gone, the answer's last line, the usage-log warning, the footer, the JSON object. */
function presenters(job: ShownPrompt, out: Output, usageLog: PromptSink | undefined, stdoutFailed: () => boolean, line: TerminalLine): PromptSink[] {
  const { display } = job;
  const sinks: PromptSink[] = [];
  if (isInteractive(out.stderr) && !display.quiet && !display.json) sinks.push(spinnerPresenter(out.stderr, job.model));
  if (!display.json) sinks.push(answerPresenter(out.stdout, { renderer: markdownFor(out.stdout, display), stdoutFailed, line }));
  if (usageLog) sinks.push(usageLog);
  sinks.push(...(job.subscribers?.((message) => warn(out, display, message)) ?? []));
  sinks.push(statusPresenter(out.stderr, { ...display, line }));
  if (display.json) sinks.push(jsonPresenter(out.stdout, { profile: job.config.profileName, stdoutFailed }));
  return sinks;
}

/** Markdown only for a person at a colour terminal; pipes and files get the bytes as sent. Loads while the request goes out. */
function markdownFor(stdout: NodeJS.WriteStream, display: PromptDisplay) {
  if (display.raw || !stdout.isTTY || !colorEnabled(stdout, display)) return undefined;
  return import('../../ui/markdown.js').then(
    ({ MarkdownStream }) => new MarkdownStream({ columns: () => stdout.columns, rows: () => stdout.rows || Number.POSITIVE_INFINITY }),
  );
}

/** A reader that left ends gpt quietly (exit 0); another stdout failure is exit 9; else the pipeline's failure. */
function settle(outcome: PromptOutcome, stdoutError: NodeJS.ErrnoException | undefined): PromptResult {
  if (stdoutError) {
    if (isClosedPipe(stdoutError)) return outcome.result;
    throw writeFailure('to stdout', stdoutError);
  }
  if (outcome.error !== undefined) throw outcome.error;
  return outcome.result;
}
