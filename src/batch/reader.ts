/**
 * Batch input readers: JSONL and CSV, streamed line by line so a million-line file stays in flat
 * memory. Each line is validated once into a BatchItem, or a LineError that names the line. The
 * duplicate-id pass over them is in ids.ts.
 */
import { createReadStream } from 'node:fs';
import { Readable, pipeline } from 'node:stream';
import { parse as parseCsv } from 'csv-parse';
import { GptError, LineSplitter, fileErrorReason, LineTooLong, checkOptionValue, lineText, usageError, type ChatMessage, type GenerationOptions, type OptionName, type Role } from '../domain/index.js';
import type { BatchEntry, BatchItem, LineError } from './types.js';

/** The longest line a batch input may hold: anything longer is the wrong file (or /dev/zero), not a prompt. */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

export type InputFormat = 'jsonl' | 'csv';

export interface ReadOptions {
  /** Sniffed from the first byte when absent: `{` means JSONL, anything else CSV. */
  format?: InputFormat;
  /** True when the batch runs with --template: line fields become template variables. */
  template?: boolean;
  /** How errors name the input: the path given, or stdin. */
  name?: string;
  /** Only entries whose id this accepts are read (a shard's); JSONL lines of the others are skipped unvalidated. */
  keep?: (id: string) => boolean;
}

/** The ids of some input lines and their line numbers (JSONL: file lines; CSV: data rows). */
export interface IdChunk {
  ids: string[];
  lines: number[];
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
    throw new GptError('usage', `cannot read batch input ${path === '-' ? 'stdin' : path}: ${fileErrorReason(err)}`, {}, { cause: err });
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
  const { format, rest } = await openFormat(source, options);
  if (format === 'csv') yield* readCsv(rest, options);
  else if (format === 'jsonl') yield* readJsonl(rest, options);
}

/** Streams only the ids of a batch file and their lines (the duplicate-id pass); CSV rows are read whole. */
export async function* readBatchFileIds(path: string, options: ReadOptions & { stdin?: AsyncIterable<Buffer | string> } = {}): AsyncGenerator<IdChunk> {
  const name = options.name ?? (path === '-' ? 'stdin' : path);
  const opened = { ...options, format: options.format ?? (path === '-' ? undefined : formatForPath(path)), name };
  const { format, rest } = await openFormat(openInput(path, options.stdin), opened);
  if (format === 'jsonl') yield* readJsonlIds(rest, opened);
  else if (format === 'csv') for await (const entry of readCsv(rest, opened)) yield { ids: [entry.id], lines: [entry.line] };
}

/** The format of a source (given, else sniffed from its first chunk) and the source again from its start; no format when it is empty. */
async function openFormat(source: Chunks, options: ReadOptions): Promise<{ format: InputFormat | undefined; rest: Chunks }> {
  const iterator = source[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) return { format: undefined, rest: (async function* () {})() };
  const rest: Chunks = (async function* () {
    yield first.value;
    // Hand-rolled rather than yield* so an early stop by the consumer still closes the file.
    try {
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
    } finally {
      await iterator.return?.();
    }
  })();
  return { format: options.format ?? sniffFormat(first.value), rest };
}

function sniffFormat(chunk: Buffer | string): InputFormat {
  const text = (typeof chunk === 'string' ? chunk : chunk.subarray(0, 1024).toString('utf8')).replace(/^\uFEFF/, '');
  return text.trimStart().startsWith('{') ? 'jsonl' : 'csv';
}

/** The non-blank lines of a JSONL source with their 1-based numbers, one chunk's worth per step (an async step per line would cost more than the parse). */
async function* jsonlLines(source: Chunks, name: string | undefined): AsyncGenerator<{ texts: string[]; lines: number[] }> {
  const splitter = new LineSplitter({ maxBytes: MAX_LINE_BYTES });
  let line = 0;
  const lines = (raws: Buffer[]) => {
    const texts: string[] = [];
    const numbers: number[] = [];
    for (const raw of raws) {
      line++;
      const text = line === 1 ? lineText(raw).replace(/^\uFEFF/, '') : lineText(raw);
      if (text.trim() === '') continue;
      texts.push(text);
      numbers.push(line);
    }
    return { texts, lines: numbers };
  };
  for await (const chunk of source) {
    let raws: Buffer[];
    try {
      raws = splitter.push(chunk);
    } catch (err) {
      throw err instanceof LineTooLong ? tooLongError(err, name) : err;
    }
    yield lines(raws);
  }
  const last = splitter.end();
  if (last) yield lines([last]);
}

export async function* readJsonl(source: Chunks, options: ReadOptions = {}): AsyncGenerator<BatchEntry> {
  const template = options.template ?? false;
  const keep = options.keep;
  for await (const { texts, lines } of jsonlLines(source, options.name)) {
    for (let i = 0; i < texts.length; i++) {
      const line = lines[i]!;
      if (keep && surelyDropped(texts[i]!, line, keep)) continue;
      let value: unknown;
      try {
        value = JSON.parse(texts[i]!);
      } catch (err) {
        if (!keep || keep(String(line))) yield lineError(String(line), line, `invalid JSON (${(err as Error).message})`);
        continue;
      }
      // Lines another shard runs are dropped before they are validated: only their id is needed.
      if (keep && !keep(jsonLineId(value, line))) continue;
      yield jsonLineToEntry(value, line, template);
    }
  }
}

const ID_PREFIX = '{"id":"';

/**
 * True when a line is dropped by `keep` whatever its parse gives, so it need not be parsed (a shard skips
 * most of the input). A line that opens `{"id":"…"` with a plain id (no escape) and no later `"id"` key
 * (plain or escaped) runs under that id if it is valid JSON, and under its line number if not: dropped
 * when both are.
 */
function surelyDropped(text: string, line: number, keep: (id: string) => boolean): boolean {
  if (!text.startsWith(ID_PREFIX)) return false;
  const end = text.indexOf('"', ID_PREFIX.length);
  // An escape in the id, or a later key that may read "id" (plainly or as `\u0069d`), takes the parse.
  if (end <= ID_PREFIX.length || text.lastIndexOf('\\', end) >= ID_PREFIX.length || text.includes('"id"', end) || text.includes('\\u', end)) return false;
  return !keep(text.slice(ID_PREFIX.length, end)) && !keep(String(line));
}

/** Only the ids of a JSONL source and their lines, a chunk at a time, for the duplicate-id pass (no entries built). */
export async function* readJsonlIds(source: Chunks, options: ReadOptions = {}): AsyncGenerator<IdChunk> {
  for await (const { texts, lines } of jsonlLines(source, options.name)) {
    const ids: string[] = new Array(texts.length);
    for (let i = 0; i < texts.length; i++) {
      let value: unknown;
      try {
        value = JSON.parse(texts[i]!);
      } catch {
        value = undefined; // an invalid line runs as an error under its line number
      }
      ids[i] = jsonLineId(value, lines[i]!);
    }
    yield { ids, lines };
  }
}

/** The id a JSONL line runs under: its `id` (a number as its text), else its line number (also when the id is unusable: the line is then an error). */
export function jsonLineId(value: unknown, line: number): string {
  const id = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as { id?: unknown }).id : undefined;
  if (typeof id === 'string' && id !== '') return id;
  if (typeof id === 'number' && Number.isFinite(id)) return String(id);
  return String(line);
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
    if (record.attachments !== undefined) {
      const list = record.attachments;
      if (!Array.isArray(list) || list.some((a) => typeof a !== 'string' || a === '')) throw new LineProblem('`attachments` must be an array of file paths or URLs');
      item.attachments = list as string[];
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
        if (key !== 'vars' && key !== 'messages' && key !== 'attachments') vars[key] = varValue(key, raw);
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
      const entry = csvRowToEntry(header, record, row, template);
      if (!options.keep || options.keep(entry.id)) yield entry;
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
