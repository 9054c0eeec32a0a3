/**
 * Sharding (`--shard K/N`: N machines share one input, split by a stable hash of the id) and
 * merging their outputs back into one file with exactly one line per id.
 */
import { fnv1a32, usageError } from '../domain/index.js';
import { indexOutputs, writeWinners } from './checkpoint.js';

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

/** The 1-based shard an id belongs to, out of `count`: FNV-1a of the id, stable across machines and runs. */
export function shardOf(id: string, count: number): number {
  return (fnv1a32(id) % count) + 1;
}

export function inShard(id: string, index: number, count: number): boolean {
  return shardOf(id, count) === index;
}

/** Parses `K/N` (1 ≤ K ≤ N); anything else is a usage error. */
export function parseShard(text: string): Shard {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!match) throw usageError(`--shard takes K/N, like 2/4 (shard 2 of 4), not '${text}'`);
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (count < 1 || !Number.isSafeInteger(count)) throw usageError(`--shard ${text}: N must be at least 1`);
  if (index < 1 || index > count) throw usageError(`--shard ${text}: K must be from 1 to ${count}`);
  return { index, count };
}

/** Only the entries of one shard, streamed. */

export interface MergeReport {
  /** Lines written: one per id. */
  ids: number;
  ok: number;
  /** Ids whose only lines are errors. */
  failed: string[];
  /** Input ids with no line at all (a shard that never ran, or stopped early). */
  missing: string[];
  /** Ids in the outputs that the input does not have. */
  unexpected: string[];
  /** Ids with more than one ok line (paid twice); one is kept. */
  duplicateOk: string[];
  /** Lines that were not results (torn or foreign) and were dropped. */
  invalid: number;
  /** True when every input id (or, without an input, every id seen) has exactly one ok line. */
  complete: boolean;
}

/**
 * Merges output files (shards, or several runs) into `out` with one line per id: an ok line wins
 * over error lines. With `inputIds`, also checks that every input id has an ok line.
 */
export async function mergeOutputs(files: string[], out: string, inputIds?: Iterable<string>): Promise<MergeReport> {
  if (files.length === 0) throw usageError('nothing to merge: give the output files to merge');
  const index = await indexOutputs(files);
  await writeWinners(files, index, out);
  const report: MergeReport = {
    ids: index.winners.size,
    ok: 0,
    failed: [],
    missing: [],
    unexpected: [],
    duplicateOk: [...index.duplicateOk],
    invalid: index.invalid,
    complete: false,
  };
  for (const [id, winner] of index.winners) {
    if (winner.ok) report.ok++;
    else report.failed.push(id);
  }
  if (inputIds) {
    const expected = new Set(inputIds);
    for (const id of expected) if (!index.winners.has(id)) report.missing.push(id);
    for (const id of index.winners.keys()) if (!expected.has(id)) report.unexpected.push(id);
  }
  report.complete = report.failed.length === 0 && report.missing.length === 0;
  return report;
}
