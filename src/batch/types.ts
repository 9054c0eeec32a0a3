/** The shapes shared by the batch reader, runner, Batch API mode, checkpoint and merge (SPEC: Batch files). */
import type { Cost, ChatMessage, GenerationOptions, GptError, Usage } from '../domain/index.js';

/** One valid input line, validated once on entry; inside the batch code its types are trusted. */
export interface BatchItem {
  id: string;
  /** JSONL: the line number in the file; CSV: the data row number (header excluded). 1-based. */
  line: number;
  prompt?: string;
  messages?: ChatMessage[];
  /** Template variables: set only when the batch runs with a template. */
  vars?: Record<string, string>;
  model?: string;
  /** `"attachments": [...]`: files (relative to the batch file) or URLs sent with the line's prompt. */
  attachments?: string[];
  /** Per-line generation options; they override the command's. */
  options: GenerationOptions;
}

/** An input line that could not be turned into a request; it becomes an `error` result, not a stop. */
export interface LineError {
  id: string;
  line: number;
  error: string;
}

export type BatchEntry = BatchItem | LineError;

export function isLineError(entry: BatchEntry): entry is LineError {
  return 'error' in entry;
}

export interface ResultError {
  status: number | null;
  type: string;
  message: string;
}

/** One line of the output file, which is also the checkpoint (SPEC: Batch files). */
export interface ResultLine {
  id: string;
  status: 'ok' | 'error';
  text: string | null;
  usage: Usage | null;
  cost: Cost | null;
  error: ResultError | null;
  attempts: number;
}

/** The result line of an item that produced no billable answer. */
export function errorResult(id: string, error: ResultError, attempts: number): ResultLine {
  return { id, status: 'error', text: null, usage: null, cost: null, error, attempts };
}

/** Where finished results go; each call writes one whole line. */
export interface ResultSink {
  write(line: ResultLine): Promise<void>;
}

/** How a batch run may end; the exit decision (tally.ts) maps each to an error kind. */
export type StopReason = 'completed' | 'budget' | 'fail_fast' | 'interrupted' | 'fatal';

/** Running figures of a batch, for the progress line. */
export interface Progress {
  /** Entries in this run's input (from the id pass), when known. */
  total?: number;
  /** Entries finished this run (ok + failed), not counting skipped ones. */
  done: number;
  ok: number;
  failed: number;
  /** Already ok in the output (resume). */
  skipped: number;
  inFlight: number;
  elapsedMs: number;
  requestsPerSec: number;
  tokensPerSec: number;
  inputTokens: number;
  outputTokens: number;
  spentUsd: number;
  /** Milliseconds left at the current pace, when the total is known and something has finished. */
  etaMs?: number;
  /** Concurrency in force (lower than the limit while backing off after 429s; running batches in Batch API mode). */
  concurrency: number;
  /** When dispatching is paused by a 429 back-off: the clock time it resumes. */
  pausedUntil?: number;
  rateLimited: number;
}

/** How a batch run (live or Batch API) ended. */
export interface BatchSummary {
  /** Entries read from the input this run. */
  read: number;
  ok: number;
  failed: number;
  skipped: number;
  /** In-flight requests cut by a hard abort; they have no line and run again on resume. */
  aborted: number;
  /** With a known total: entries neither finished nor skipped (they run on resume). */
  notRun?: number;
  usage: Usage;
  cost: Cost;
  wallMs: number;
  requestsPerSec: number;
  tokensPerSec: number;
  /** 429 signals seen (retries and final failures). */
  rateLimited: number;
  stopReason: StopReason;
  /** True when some model had no price, so spend and --max-cost could not be enforced for it. */
  unpriced: boolean;
  /** What the command should exit with, or undefined for success (exit 0). */
  exitError?: GptError;
}
