/**
 * The duplicate-id pass over a batch input: every id read once and refused if it comes twice, kept in
 * flat memory (packed bytes, not a Map of strings) so a million-line input stays small.
 */
import { fnv1a32Bytes, usageError } from '../domain/index.js';
import type { BatchEntry } from './types.js';

/** Test hook: replaces the id hash (a constant forces every id into one collision chain). */
export interface ScanOptions {
  hash?: (id: string) => number;
}

/**
 * The cheap first pass: reads only ids and refuses duplicates up front (usage error naming both
 * lines). Returns each id's line, for progress totals and merge completeness checks.
 *
 * The result is a read-only Map in shape (callers iterate its ids), but the ids live packed in typed
 * arrays, about 20 bytes plus the id's UTF-8 length each, so a million-line input does not hold a
 * million strings and Map entries (~85 MiB for 1M short ids). A hash hit is confirmed against the stored
 * bytes, so a hash collision is never taken for a duplicate.
 */
export async function scanIds(entries: AsyncIterable<BatchEntry>, options: ScanOptions = {}): Promise<ReadonlyMap<string, number>> {
  const ids = new IdIndex(options.hash);
  for await (const entry of entries) {
    const first = ids.add(entry.id, entry.line);
    if (first !== undefined) {
      throw usageError(`duplicate id "${entry.id}" in the batch input: line ${first} and line ${entry.line}`);
    }
  }
  return ids;
}

/**
 * An insertion-ordered set of ids with a line each. Ids are stored as WTF-8 (UTF-8 that keeps lone
 * surrogates as their own 3-byte sequences, so every JS string round-trips exactly) in one byte
 * array; an open-addressing table of entry numbers indexes them by a 32-bit hash of those bytes.
 */
class IdIndex implements ReadonlyMap<string, number> {
  private bytes = new Uint8Array(1 << 16);
  private used = 0;
  /** Entry i's bytes are bytes[ends[i - 1] ?? 0, ends[i]). */
  private ends = new Uint32Array(1024);
  private lines = new Uint32Array(1024);
  private hashes = new Uint32Array(1024);
  /** Entry number + 1, or 0 for an empty slot; at most half full. */
  private table = new Int32Array(2048);
  private count = 0;

  constructor(private readonly hashOverride?: (id: string) => number) {}

  get size(): number {
    return this.count;
  }

  /** Adds an id; returns the line it already had (a duplicate, not added) or undefined. */
  add(id: string, line: number): number | undefined {
    const start = this.used;
    // Up to 3 bytes per UTF-16 code unit.
    if (start + id.length * 3 > this.bytes.length) this.bytes = grow(this.bytes, start + id.length * 3);
    const end = encodeInto(id, this.bytes, start);
    const hash = this.hashOverride ? this.hashOverride(id) >>> 0 : hashBytes(this.bytes, start, end);
    const found = this.find(hash, start, end);
    if (found >= 0) return this.lines[found];
    const n = this.count;
    if (n === this.ends.length) {
      this.ends = grow(this.ends, n + 1);
      this.lines = grow(this.lines, n + 1);
      this.hashes = grow(this.hashes, n + 1);
    }
    this.ends[n] = end;
    this.lines[n] = line;
    this.hashes[n] = hash;
    this.used = end;
    this.count = n + 1;
    if (this.count * 2 > this.table.length) this.rehash();
    else this.place(n, hash);
    return undefined;
  }

  get(id: string): number | undefined {
    const i = this.indexOf(id);
    return i < 0 ? undefined : this.lines[i];
  }

  has(id: string): boolean {
    return this.indexOf(id) >= 0;
  }

  *keys(): MapIterator<string> {
    for (let i = 0; i < this.count; i++) yield this.idAt(i);
  }

  *values(): MapIterator<number> {
    for (let i = 0; i < this.count; i++) yield this.lines[i]!;
  }

  *entries(): MapIterator<[string, number]> {
    for (let i = 0; i < this.count; i++) yield [this.idAt(i), this.lines[i]!];
  }

  [Symbol.iterator](): MapIterator<[string, number]> {
    return this.entries();
  }

  forEach(callback: (value: number, key: string, map: ReadonlyMap<string, number>) => void, thisArg?: unknown): void {
    for (let i = 0; i < this.count; i++) callback.call(thisArg, this.lines[i]!, this.idAt(i), this);
  }

  /** Looks an id up without adding it: encodes it past the used bytes, which add() would overwrite anyway. */
  private indexOf(id: string): number {
    const start = this.used;
    if (start + id.length * 3 > this.bytes.length) this.bytes = grow(this.bytes, start + id.length * 3);
    const end = encodeInto(id, this.bytes, start);
    const hash = this.hashOverride ? this.hashOverride(id) >>> 0 : hashBytes(this.bytes, start, end);
    return this.find(hash, start, end);
  }

  /** The entry whose bytes equal bytes[start, end), or -1. */
  private find(hash: number, start: number, end: number): number {
    const mask = this.table.length - 1;
    const bytes = this.bytes;
    const length = end - start;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const held = this.table[slot]!;
      if (held === 0) return -1;
      const i = held - 1;
      if (this.hashes[i] !== hash) continue;
      const from = i === 0 ? 0 : this.ends[i - 1]!;
      if (this.ends[i]! - from !== length) continue;
      let same = true;
      for (let k = 0; k < length; k++) {
        if (bytes[from + k] !== bytes[start + k]) {
          same = false;
          break;
        }
      }
      if (same) return i;
    }
  }

  private place(i: number, hash: number): void {
    const mask = this.table.length - 1;
    let slot = hash & mask;
    while (this.table[slot] !== 0) slot = (slot + 1) & mask;
    this.table[slot] = i + 1;
  }

  private rehash(): void {
    this.table = new Int32Array(this.table.length * 2);
    for (let i = 0; i < this.count; i++) this.place(i, this.hashes[i]!);
  }

  private idAt(i: number): string {
    return decode(this.bytes, i === 0 ? 0 : this.ends[i - 1]!, this.ends[i]!);
  }
}

function grow<T extends Uint8Array | Uint32Array>(array: T, atLeast: number): T {
  let length = array.length * 2;
  while (length < atLeast) length *= 2;
  const bigger = new (array.constructor as new (n: number) => T)(length);
  bigger.set(array);
  return bigger;
}

/** Writes `text` as WTF-8 at `at` (room for 3 bytes per code unit is the caller's); returns the end. */
function encodeInto(text: string, out: Uint8Array, at: number): number {
  let o = at;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      out[o++] = c;
    } else if (c < 0x800) {
      out[o++] = 0xc0 | (c >> 6);
      out[o++] = 0x80 | (c & 0x3f);
    } else {
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
        const next = text.charCodeAt(i + 1);
        if (next >= 0xdc00 && next <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
          i++;
          out[o++] = 0xf0 | (c >> 18);
          out[o++] = 0x80 | ((c >> 12) & 0x3f);
          out[o++] = 0x80 | ((c >> 6) & 0x3f);
          out[o++] = 0x80 | (c & 0x3f);
          continue;
        }
      }
      // Lone surrogates included: kept as themselves, not U+FFFD, so distinct ids stay distinct.
      out[o++] = 0xe0 | (c >> 12);
      out[o++] = 0x80 | ((c >> 6) & 0x3f);
      out[o++] = 0x80 | (c & 0x3f);
    }
  }
  return o;
}

function decode(bytes: Uint8Array, start: number, end: number): string {
  let text = '';
  const units: number[] = [];
  for (let i = start; i < end; ) {
    const b = bytes[i]!;
    if (b < 0x80) {
      units.push(b);
      i += 1;
    } else if (b < 0xe0) {
      units.push(((b & 0x1f) << 6) | (bytes[i + 1]! & 0x3f));
      i += 2;
    } else if (b < 0xf0) {
      units.push(((b & 0x0f) << 12) | ((bytes[i + 1]! & 0x3f) << 6) | (bytes[i + 2]! & 0x3f));
      i += 3;
    } else {
      const c = (((b & 0x07) << 18) | ((bytes[i + 1]! & 0x3f) << 12) | ((bytes[i + 2]! & 0x3f) << 6) | (bytes[i + 3]! & 0x3f)) - 0x10000;
      units.push(0xd800 + (c >> 10), 0xdc00 + (c & 0x3ff));
      i += 4;
    }
    if (units.length >= 4096) {
      text += String.fromCharCode(...units);
      units.length = 0;
    }
  }
  return text + String.fromCharCode(...units);
}

/** FNV-1a over the bytes, then murmur3's finaliser so the low bits (the table slot) are well mixed. */
function hashBytes(bytes: Uint8Array, start: number, end: number): number {
  let h = fnv1a32Bytes(bytes, start, end);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
