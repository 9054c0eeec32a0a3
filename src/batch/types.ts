/** The shapes shared by the batch reader, runner, checkpoint and merge (SPEC: Batch files). */
import type { Cost, ChatMessage, GenerationOptions, Usage } from '../domain/index.js';

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

/** Where finished results go; each call writes one whole line. */
export interface ResultSink {
  write(line: ResultLine): Promise<void>;
}

/** Time, injected so scheduling and back-off can be tested in virtual time. */
export interface Clock {
  now(): number;
  /** Resolves after `ms`; when `signal` aborts it may end early, resolving or rejecting. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      signal?.addEventListener('abort', done, { once: true });
    }),
};
