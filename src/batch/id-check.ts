/**
 * The duplicate-id pass of a live run: every id of the input is read once and refused if it comes twice
 * (a usage error naming both lines, even across shards), keeping only a 64-bit fingerprint per id in one
 * typed array (16 bytes an id) instead of the ids themselves. A fingerprint seen twice is confirmed by
 * reading the ids again up to that line, so a fingerprint collision is never taken for a duplicate; that
 * second read happens only for a duplicate (the run then stops) or a 1-in-2^64 collision.
 */
import { fnv1a32, usageError } from '../domain/index.js';
import type { IdChunk } from './reader.js';
import { inShard, type Shard } from './shard.js';

export interface IdCheckOptions {
  /** Count only the ids of this shard (all ids are still checked). */
  shard?: Shard;
  /** Test hook: the two 32-bit halves of an id's fingerprint (a constant forces every id to collide). */
  fingerprint?: (id: string) => [number, number];
}

/**
 * Reads the ids `read()` streams and throws on the first duplicate; returns how many entries this run has
 * (the shard's, with one). `read` is called again only to confirm a repeated fingerprint.
 */
export async function checkIds(read: () => AsyncIterable<IdChunk>, options: IdCheckOptions = {}): Promise<number> {
  const prints = new FingerprintSet();
  const { shard, fingerprint } = options;
  let count = 0;
  for await (const { ids, lines } of read()) {
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      const [a, b] = fingerprint ? fingerprint(id) : [fnv(id, FNV_OFFSET), fnv(id, SECOND_OFFSET)];
      if (!prints.add(a >>> 0 || 1, b >>> 0)) await refuseIfRepeated(read, id, lines[i]!);
      if (!shard || inShard(id, shard.index, shard.count)) count++;
    }
  }
  return count;
}

/** Reads the ids again up to `line`: an earlier line with the same id makes `id` a duplicate. */
async function refuseIfRepeated(read: () => AsyncIterable<IdChunk>, id: string, line: number): Promise<void> {
  for await (const { ids, lines } of read()) {
    for (let i = 0; i < ids.length; i++) {
      if (lines[i]! >= line) return;
      if (ids[i] === id) throw usageError(`duplicate id "${id}" in the batch input: line ${lines[i]} and line ${line}`);
    }
  }
}

const FNV_OFFSET = 0x811c9dc5;
/** A second offset basis: the same FNV-1a from another start gives the fingerprint's other 32 bits. */
const SECOND_OFFSET = 0x050c5d1f;

/** FNV-1a over the UTF-16 code units with a given basis (the first half is the shard hash's, over UTF-8). */
function fnv(text: string, basis: number): number {
  if (basis === FNV_OFFSET) return fnv1a32(text);
  let h = basis;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h;
}

/**
 * A set of 64-bit fingerprints in one Uint32Array, open addressing at most half full. Hand-written:
 * a Set of strings would hold every id (~85 MiB for a million short ones). The first half is never 0
 * (0 marks an empty slot).
 */
export class FingerprintSet {
  private slots = new Uint32Array(2 * 1024);
  private size = 0;

  /** False when the fingerprint is already there (a duplicate, or a collision for the caller to confirm). */
  add(a: number, b: number): boolean {
    if (4 * (this.size + 1) > this.slots.length) this.grow();
    const slots = this.slots;
    const mask = slots.length / 2 - 1;
    for (let i = mix(a) & mask; ; i = (i + 1) & mask) {
      const held = slots[2 * i]!;
      if (held === 0) {
        slots[2 * i] = a;
        slots[2 * i + 1] = b;
        this.size++;
        return true;
      }
      if (held === a && slots[2 * i + 1] === b) return false;
    }
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Uint32Array(old.length * 2);
    this.size = 0;
    for (let i = 0; i < old.length; i += 2) if (old[i] !== 0) this.add(old[i]!, old[i + 1]!);
  }
}

/** murmur3's finaliser, so the low bits (the slot) are well mixed. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
