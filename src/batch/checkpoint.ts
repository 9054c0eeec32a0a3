/**
 * The output file is the checkpoint. While a run is going it is an append-only log: a retried id
 * gets a new line after its old error line. Which line counts for an id: an `ok` line beats any
 * `error` line (finished, paid-for work is never thrown away), and among lines of the same status
 * the last wins. When a run closes, the file is compacted to exactly one line per id, so a finished
 * output (and a merge of shard outputs) has one line per id and at most one `ok` line per id.
 */
import { createReadStream } from 'node:fs';
import { open, readFile, rename, stat, truncate, unlink } from 'node:fs/promises';
import { GptError, LineSplitter, fileErrorReason } from '../domain/index.js';
import type { ResultLine, ResultSink } from './types.js';
import { AppendWriter, outputError } from './writer.js';

/** One line of a file, with the byte offset where it starts. */
export interface ScannedLine {
  text: string;
  offset: number;
  /** Byte length, without the newline. */
  bytes: number;
  /** False only for a last line with no newline after it. */
  terminated: boolean;
}

/** Streams a file's lines with their byte offsets (needed to truncate and to pick lines out). */
export async function* scanLines(path: string): AsyncGenerator<ScannedLine> {
  const splitter = new LineSplitter();
  let offset = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    for (const line of splitter.push(chunk)) {
      yield { text: line.toString('utf8'), offset, bytes: line.length, terminated: true };
      offset += line.length + 1;
    }
  }
  const last = splitter.end();
  if (last) yield { text: last.toString('utf8'), offset, bytes: last.length, terminated: false };
}

/** The id and status of an output line, or undefined when the line is not a result. */
export function parseResultHead(text: string): { id: string; status: 'ok' | 'error' } | undefined {
  if (text.trim() === '') return undefined;
  try {
    const value = JSON.parse(text) as Partial<ResultLine> | null;
    if (value && typeof value === 'object' && typeof value.id === 'string' && (value.status === 'ok' || value.status === 'error')) {
      return { id: value.id, status: value.status };
    }
  } catch {
    // Not JSON: a torn or foreign line, reported by the caller.
  }
  return undefined;
}

/** Where the line that counts for one id lives. */
interface Winner {
  file: number;
  offset: number;
  ok: boolean;
}

export interface OutputIndex {
  /** The line that counts for each id, in the order ids first appeared. */
  winners: Map<string, Winner>;
  /** Result lines read. */
  lines: number;
  /** Lines that are not results (blank, not JSON, no id/status); dropped by compaction. */
  invalid: number;
  /** Ids with more than one `ok` line: work that was paid for twice (e.g. overlapping shards). */
  duplicateOk: Set<string>;
}

/** Reads one or more output files and picks the line that counts for each id. */
export async function indexOutputs(files: string[]): Promise<OutputIndex> {
  const index: OutputIndex = { winners: new Map(), lines: 0, invalid: 0, duplicateOk: new Set() };
  for (const [file, path] of files.entries()) {
    for await (const line of scanLines(path)) {
      const head = parseResultHead(line.text);
      if (!head) {
        if (line.text.trim() !== '') index.invalid++;
        continue;
      }
      index.lines++;
      const ok = head.status === 'ok';
      const previous = index.winners.get(head.id);
      if (previous?.ok && ok) index.duplicateOk.add(head.id);
      if (!previous || ok || !previous.ok) index.winners.set(head.id, { file, offset: line.offset, ok });
    }
  }
  return index;
}

/** Writes the winning line of every id to `out` (via a temp file and a rename, so a crash leaves the old file whole). */
export async function writeWinners(files: string[], index: OutputIndex, out: string): Promise<void> {
  const keep = files.map(() => new Set<number>());
  for (const winner of index.winners.values()) keep[winner.file]!.add(winner.offset);
  const temp = `${out}.tmp-${process.pid}`;
  const handle = await open(temp, 'w', 0o600);
  try {
    let buffered: string[] = [];
    let size = 0;
    const flush = async () => {
      if (buffered.length) await handle.write(buffered.join(''));
      buffered = [];
      size = 0;
    };
    for (const [file, path] of files.entries()) {
      const offsets = keep[file]!;
      for await (const line of scanLines(path)) {
        if (!offsets.has(line.offset)) continue;
        buffered.push(`${line.text}\n`);
        size += line.bytes;
        if (size > 1 << 20) await flush();
      }
    }
    await flush();
    await handle.sync();
  } catch (err) {
    await handle.close();
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  await handle.close();
  await rename(temp, out);
}

/** Rewrites an output file to one line per id (the line that counts). Returns how many lines were dropped. */
export async function compactOutput(path: string): Promise<{ lines: number; removed: number }> {
  const index = await indexOutputs([path]);
  const removed = index.lines - index.winners.size + index.invalid;
  if (removed > 0) await writeWinners([path], index, path);
  return { lines: index.winners.size, removed };
}

export interface CheckpointState {
  /** Ids with an `ok` line: skipped on resume. */
  done: Set<string>;
  /** Ids whose only lines are errors: run again on resume. */
  failed: Set<string>;
  lines: number;
  /** Lines that a compaction would drop (superseded errors, duplicates, junk). */
  superseded: number;
  /** What was done to a torn last line. */
  repair: 'none' | 'truncated' | 'completed';
  /** Bytes cut off the end by the repair. */
  truncatedBytes: number;
}

/**
 * Reads an existing output for --resume, streamed. A last line without a newline (a write cut by a
 * crash) is completed if it is a whole result, else cut off back to the last complete line.
 */
export async function readCheckpoint(path: string): Promise<CheckpointState> {
  const state: CheckpointState = { done: new Set(), failed: new Set(), lines: 0, superseded: 0, repair: 'none', truncatedBytes: 0 };
  let torn: ScannedLine | undefined;
  for await (const line of scanLines(path)) {
    if (!line.terminated) {
      torn = line;
      break;
    }
    countLine(state, line.text);
  }
  if (torn) {
    if (parseResultHead(torn.text)) {
      const handle = await open(path, 'a');
      await handle.write('\n');
      await handle.close();
      state.repair = 'completed';
      countLine(state, torn.text);
    } else {
      await truncate(path, torn.offset);
      state.repair = 'truncated';
      state.truncatedBytes = torn.bytes;
    }
  }
  return state;
}

function countLine(state: CheckpointState, text: string): void {
  const head = parseResultHead(text);
  if (!head) {
    if (text.trim() !== '') state.superseded++;
    return;
  }
  state.lines++;
  const seen = state.done.has(head.id) || state.failed.has(head.id);
  if (seen) state.superseded++;
  if (head.status === 'ok') {
    state.failed.delete(head.id);
    state.done.add(head.id);
  } else if (!state.done.has(head.id)) {
    state.failed.add(head.id);
  }
}

/** An open output file: the sink for results plus what an earlier run already finished. */
export interface Checkpoint {
  state: CheckpointState;
  writer: ResultSink;
  /** Flushes, closes and compacts to one line per id. Call it however the run ended. */
  close(): Promise<{ compacted: boolean }>;
}

/**
 * Takes `<out>.lock` so two runs never append to (and compact) the same output at once, which
 * would lose the lines one of them writes after the other renames the file. A lock whose process
 * is gone (kill -9) is taken over.
 */
async function lockOutput(path: string): Promise<() => Promise<void>> {
  const lock = `${path}.lock`;
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(lock, 'wx', 0o600);
      await handle.write(String(process.pid));
      await handle.close();
      return () => unlink(lock).catch(() => undefined);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw outputError(lock, err);
      if (attempt > 0) throw new GptError('usage', `cannot lock batch output ${path}: EEXIST`, {}, { cause: err });
      const owner = Number(await readFile(lock, 'utf8').catch(() => ''));
      if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) {
        throw new GptError('usage', `another gpt batch (pid ${owner}) is writing ${path}; wait for it, or remove ${lock} if that process is not gpt`);
      }
      await unlink(lock).catch(() => undefined);
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Opens --out for a run. Without `resume`, an existing non-empty file is refused (usage error)
 * rather than overwritten; with it, the file is repaired and read so finished ids can be skipped.
 */
export async function openCheckpoint(path: string, options: { resume: boolean }): Promise<Checkpoint> {
  const size = await stat(path).then(
    (s) => s.size,
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return 0;
      throw new GptError('usage', `cannot use ${path} as batch output: ${fileErrorReason(err)}`, {}, { cause: err });
    },
  );
  if (size > 0 && !options.resume) {
    throw new GptError('usage', `${path} already holds batch results; pass --resume to continue that run, or choose another --out`);
  }
  const unlock = await lockOutput(path);
  try {
    const state: CheckpointState =
      size > 0 ? await readCheckpoint(path) : { done: new Set(), failed: new Set(), lines: 0, superseded: 0, repair: 'none', truncatedBytes: 0 };
    const appender = await AppendWriter.open(path);
    let rewritten = state.superseded > 0;
    return {
      state,
      writer: {
        write(line) {
          if (state.done.has(line.id) || state.failed.has(line.id)) rewritten = true;
          return appender.write(line);
        },
      },
      async close() {
        try {
          await appender.close();
          if (!rewritten) return { compacted: false };
          // A failed compaction leaves the appended file as it was: still a valid checkpoint for --resume.
          await compactOutput(path).catch((err: unknown) => {
            throw outputError(path, err);
          });
          return { compacted: true };
        } finally {
          await unlock();
        }
      },
    };
  } catch (err) {
    await unlock();
    throw err;
  }
}
