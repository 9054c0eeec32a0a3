/**
 * Batch input readers: JSONL and CSV, streamed line by line so a million-line file stays in flat
 * memory. Each line is validated once into a BatchItem, or a LineError that names the line.
 */
import { createReadStream } from 'node:fs';
import { Readable, pipeline } from 'node:stream';
import { parse as parseCsv } from 'csv-parse';
import { GptError, checkOptionValue, usageError, type ChatMessage, type GenerationOptions, type OptionName, type Role } from '../domain/index.js';
import { LineSplitter, LineTooLong, MAX_LINE_BYTES, lineText } from './lines.js';
import type { BatchEntry, BatchItem, LineError } from './types.js';

export type InputFormat = 'jsonl' | 'csv';

export interface ReadOptions {
  /** Sniffed from the first byte when absent: `{` means JSONL, anything else CSV. */
  format?: InputFormat;
  /** True when the batch runs with --template: line fields become template variables. */
  template?: boolean;
  /** How errors name the input: the path given, or stdin. */
  name?: string;
}

type Chunks = AsyncIterable<Buffer | string>;

/** The format a path's extension names, or undefined for stdin and unknown extensions (sniffed then). */
export function formatForPath(path: string): InputFormat | undefined {
  const lower = path.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson') || lower.endsWith('.json')) return 'jsonl';
  return undefined;
}

/** The raw bytes of a batch input; `-` is stdin. An unreadable file is a usage error (exit 2). */
export async function* openInput(path: string, stdin: AsyncIterable<Buffer | string> = process.stdin): AsyncGenerator<Buffer | string> {
  const source: AsyncIterable<Buffer | string> = path === '-' ? stdin : createReadStream(path);
  try {
    yield* source;
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new GptError('usage', `cannot read batch input ${path === '-' ? 'stdin' : path}: ${reason}`, {}, { cause: err });
  }
}

/** Reads a batch file (or `-` for stdin): the entry point the `gpt batch` command uses. */
export function readBatchFile(path: string, options: ReadOptions & { stdin?: AsyncIterable<Buffer | string> } = {}): AsyncGenerator<BatchEntry> {
  const format = options.format ?? (path === '-' ? undefined : formatForPath(path));
  const name = options.name ?? (path === '-' ? 'stdin' : path);
  return readBatch(openInput(path, options.stdin), { ...options, format, name });
}

/** Streams entries from raw input chunks, in input order. */
export async function* readBatch(source: Chunks, options: ReadOptions = {}): AsyncGenerator<BatchEntry> {
  const iterator = source[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) return;
  const rest: Chunks = (async function* () {
    yield first.value;
    // Hand-rolled rather than yield* so an early stop by the consumer still closes the file.
    try {
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
    } finally {
      await iterator.return?.();
    }
  })();
  const format = options.format ?? sniffFormat(first.value);
  if (format === 'csv') yield* readCsv(rest, options);
  else yield* readJsonl(rest, options);
}

function sniffFormat(chunk: Buffer | string): InputFormat {
  const text = (typeof chunk === 'string' ? chunk : chunk.subarray(0, 1024).toString('utf8')).replace(/^\uFEFF/, '');
  return text.trimStart().startsWith('{') ? 'jsonl' : 'csv';
}

export async function* readJsonl(source: Chunks, options: ReadOptions = {}): AsyncGenerator<BatchEntry> {
  const splitter = new LineSplitter(MAX_LINE_BYTES);
  const split = (chunk: Buffer | string): Buffer[] => {
    try {
      return splitter.push(chunk);
    } catch (err) {
      throw err instanceof LineTooLong ? tooLongError(err, options.name) : err;
    }
  };
  const template = options.template ?? false;
  let line = 0;
  // Lines of a chunk are handled in one synchronous pass: an async step per line would cost more than the parse.
  const entries = function* (raws: Buffer[]): Generator<BatchEntry> {
    for (const raw of raws) {
      line++;
      const text = line === 1 ? lineText(raw).replace(/^\uFEFF/, '') : lineText(raw);
      if (text.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (err) {
        yield lineError(String(line), line, `invalid JSON (${(err as Error).message})`);
        continue;
      }
      yield jsonLineToEntry(value, line, template);
    }
  };
  for await (const chunk of source) yield* entries(split(chunk));
  const last = splitter.end();
  if (last) yield* entries([last]);
}

/** One line holds one prompt: a line past the cap means the wrong input, so the read stops (exit 2) instead of buffering it. */
export function tooLongError(err: LineTooLong, name: string | undefined): GptError {
  return new GptError('usage', `batch input${name ? ` ${name}` : ''}: ${err.message}, the most one line may hold`, {}, { cause: err });
}

function lineError(id: string, line: number, message: string): LineError {
  return { id, line, error: `line ${line}: ${message}` };
}

const ROLES: readonly Role[] = ['system', 'developer', 'user', 'assistant'];

/** Validates one parsed JSONL value into an item; exported for callers that already hold objects. */
export function jsonLineToEntry(value: unknown, line: number, template: boolean): BatchEntry {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return lineError(String(line), line, 'not a JSON object');
  }
  const record = value as Record<string, unknown>;
  let id = String(line);
  if (record.id !== undefined && record.id !== null) {
    if (typeof record.id === 'string' && record.id !== '') id = record.id;
    else if (typeof record.id === 'number' && Number.isFinite(record.id)) id = String(record.id);
    else return lineError(id, line, '`id` must be a non-empty string or a number');
  }
  try {
    const item: BatchItem = { id, line, options: {} };
    if (record.prompt !== undefined) {
      if (typeof record.prompt !== 'string') throw new LineProblem('`prompt` must be a string');
      item.prompt = record.prompt;
    }
    if (record.messages !== undefined) item.messages = parseMessages(record.messages);
    if (record.model !== undefined) {
      if (typeof record.model !== 'string' || record.model === '') throw new LineProblem('`model` must be a non-empty string');
      item.model = record.model;
    }
    // for…in rather than Object.entries: no array of pairs per line (JSON.parse objects have only own keys).
    for (const key in record) {
      const spec = OPTION_KEYS[key];
      const raw = record[key];
      if (spec && raw !== null) setOption(item.options, key, spec, raw, false);
    }
    if (template) {
      // Every field is a variable (as every CSV column is), so {{id}} or {{model}} work in a template too.
      const vars: Record<string, string> = {};
      for (const [key, raw] of Object.entries(record)) {
        if (key !== 'vars' && key !== 'messages') vars[key] = varValue(key, raw);
      }
      if (record.vars !== undefined) {
        if (record.vars === null || typeof record.vars !== 'object' || Array.isArray(record.vars)) {
          throw new LineProblem('`vars` must be an object');
        }
        for (const [key, raw] of Object.entries(record.vars)) vars[key] = varValue(`vars.${key}`, raw);
      }
      item.vars = vars;
    }
    return finishItem(item, template);
  } catch (err) {
    if (err instanceof LineProblem) return lineError(id, line, err.message);
    throw err;
  }
}

/** A validation failure of one line; caught and turned into a LineError. */
class LineProblem extends Error {}

function finishItem(item: BatchItem, template: boolean): BatchEntry {
  if (item.prompt !== undefined && item.messages !== undefined && !template) {
    return lineError(item.id, item.line, 'has both `prompt` and `messages`; give one');
  }
  if (template) {
    if (item.prompt === undefined && item.messages === undefined && Object.keys(item.vars ?? {}).length === 0) {
      return lineError(item.id, item.line, 'no prompt, messages or template variables');
    }
  } else if (item.messages === undefined && (item.prompt === undefined || item.prompt === '')) {
    const why = item.prompt === '' ? 'empty `prompt`' : 'no `prompt` or `messages` (use --template to fill a template from its fields)';
    return lineError(item.id, item.line, why);
  }
  return item;
}

function parseMessages(raw: unknown): ChatMessage[] {
  if (!Array.isArray(raw) || raw.length === 0) throw new LineProblem('`messages` must be a non-empty array');
  return raw.map((m: unknown, i) => {
    const msg = m as Record<string, unknown> | null;
    if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) throw new LineProblem(`messages[${i}] must be an object`);
    if (typeof msg.role !== 'string' || !ROLES.includes(msg.role as Role)) {
      throw new LineProblem(`messages[${i}].role must be one of ${ROLES.join(', ')}`);
    }
    if (typeof msg.content !== 'string') throw new LineProblem(`messages[${i}].content must be a string`);
    return { role: msg.role as Role, content: msg.content };
  });
}

function varValue(key: string, raw: unknown): string {
  if (typeof raw === 'string') return raw;
  if (typeof raw === 'number' || typeof raw === 'boolean') return String(raw);
  if (raw !== null && typeof raw === 'object') return JSON.stringify(raw);
  throw new LineProblem(`\`${key}\` is null; a template variable must be a string, number, boolean, object or array`);
}

/** Per-line generation options, in snake_case and camelCase (plus the OpenAI request names), checked with the one option table. */
const OPTION_KEYS: Record<string, OptionName> = {
  system: 'system',
  temperature: 'temperature',
  top_p: 'topP',
  topP: 'topP',
  max_output_tokens: 'maxOutputTokens',
  maxOutputTokens: 'maxOutputTokens',
  max_tokens: 'maxOutputTokens',
  max_completion_tokens: 'maxOutputTokens',
  effort: 'effort',
  reasoning_effort: 'effort',
  stop: 'stop',
  seed: 'seed',
  presence_penalty: 'presencePenalty',
  presencePenalty: 'presencePenalty',
  frequency_penalty: 'frequencyPenalty',
  frequencyPenalty: 'frequencyPenalty',
};

function setOption(options: GenerationOptions, key: string, name: OptionName, raw: unknown, fromText: boolean): void {
  const result = checkOptionValue(name, raw, fromText);
  if (!result.ok) throw new LineProblem(`\`${key}\` must be ${result.expected}`);
  (options as Record<OptionName, unknown>)[name] = result.value;
}

/** CSV rows: first row = column names; with a template every column is a variable, else `prompt` is the prompt. */
export async function* readCsv(source: Chunks, options: ReadOptions = {}): AsyncGenerator<BatchEntry> {
  const template = options.template ?? false;
  const parser = parseCsv({ bom: true, relax_column_count: true, skip_empty_lines: true, max_record_size: MAX_LINE_BYTES });
  // pipeline, so a read error reaches the parser and an early stop of the consumer closes the input.
  pipeline(Readable.from(source), parser, () => {});
  let header: string[] | undefined;
  let row = 0;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      if (!header) {
        header = checkHeader(record, template);
        continue;
      }
      row++;
      yield csvRowToEntry(header, record, row, template);
    }
  } catch (err) {
    if (err instanceof GptError) throw err;
    const csvError = err as { code?: string; lines?: number };
    if (csvError.code === 'CSV_MAX_RECORD_SIZE') throw tooLongError(new LineTooLong(csvError.lines ?? row + 1, MAX_LINE_BYTES), options.name);
    // A malformed file (an unclosed quote) cannot be resynchronised, so it stops the read.
    throw new GptError('usage', `cannot parse CSV batch input after data row ${row}: ${(err as Error).message}`, {}, { cause: err });
  } finally {
    parser.destroy();
  }
}

function checkHeader(columns: string[], template: boolean): string[] {
  const seen = new Set<string>();
  for (const [i, name] of columns.entries()) {
    if (name.trim() === '') throw usageError(`CSV batch input: column ${i + 1} of the header row has no name`);
    if (seen.has(name)) throw usageError(`CSV batch input: column "${name}" appears twice in the header row`);
    seen.add(name);
  }
  if (!template && !seen.has('prompt')) {
    throw usageError('CSV batch input has no `prompt` column; add one, or pass --template to use the columns as variables');
  }
  return columns;
}

function csvRowToEntry(header: string[], record: string[], row: number, template: boolean): BatchEntry {
  const idIndex = header.indexOf('id');
  const rawId = idIndex >= 0 ? record[idIndex] : undefined;
  const id = rawId !== undefined && rawId !== '' ? rawId : String(row);
  if (record.length !== header.length) {
    return lineError(id, row, `has ${record.length} fields but the header has ${header.length} columns`);
  }
  try {
    const item: BatchItem = { id, line: row, options: {} };
    const vars: Record<string, string> = {};
    for (const [i, name] of header.entries()) {
      const value = record[i]!;
      if (template) vars[name] = value;
      if (name === 'prompt') item.prompt = value;
      else if (name === 'model' && value !== '') item.model = value;
      else if (value !== '' && OPTION_KEYS[name]) setOption(item.options, name, OPTION_KEYS[name], value, true);
    }
    if (template) item.vars = vars;
    return finishItem(item, template);
  } catch (err) {
    if (err instanceof LineProblem) return lineError(id, row, err.message);
    throw err;
  }
}

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
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
