/**
 * Sharding (`--shard K/N`: N machines share one input, split by a stable hash of the id) and
 * merging their outputs back into one file with exactly one line per id.
 */
import { usageError } from '../domain/index.js';
import { indexOutputs, writeWinners } from './checkpoint.js';
import type { BatchEntry } from './types.js';

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

/**
 * FNV-1a, 32 bit, over the id's UTF-8 bytes: stable across machines, Node versions and runs. The bytes
 * are encoded inline (no Buffer per call), exactly as Buffer.from(text, 'utf8') would: a lone
 * surrogate becomes U+FFFD (EF BF BD).
 */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      hash = Math.imul(hash ^ c, 0x01000193);
      continue;
    }
    if (c < 0x800) {
      hash = Math.imul(hash ^ (0xc0 | (c >> 6)), 0x01000193);
      hash = Math.imul(hash ^ (0x80 | (c & 0x3f)), 0x01000193);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < n ? text.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
        hash = Math.imul(hash ^ (0xf0 | (c >> 18)), 0x01000193);
        hash = Math.imul(hash ^ (0x80 | ((c >> 12) & 0x3f)), 0x01000193);
        hash = Math.imul(hash ^ (0x80 | ((c >> 6) & 0x3f)), 0x01000193);
        hash = Math.imul(hash ^ (0x80 | (c & 0x3f)), 0x01000193);
        continue;
      }
      c = 0xfffd; // a lone surrogate
    }
    hash = Math.imul(hash ^ (0xe0 | (c >> 12)), 0x01000193);
    hash = Math.imul(hash ^ (0x80 | ((c >> 6) & 0x3f)), 0x01000193);
    hash = Math.imul(hash ^ (0x80 | (c & 0x3f)), 0x01000193);
  }
  return hash >>> 0;
}

/** The 1-based shard an id belongs to, out of `count`. */
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
export async function* filterShard(entries: AsyncIterable<BatchEntry>, shard: Shard): AsyncGenerator<BatchEntry> {
  for await (const entry of entries) if (inShard(entry.id, shard.index, shard.count)) yield entry;
}

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
