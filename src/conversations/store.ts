/**
 * Conversation files: `$XDG_DATA_HOME/gpt/conversations/<id>.jsonl` (0600 in a 0700 dir), append-only. Each record is
 * one line written with one write(2) on an O_APPEND descriptor, so `kill -9` loses at most the turn in flight.
 */
import { createReadStream } from 'node:fs';
import { chmod, mkdir, open, readdir, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { GptError } from '../domain/index.js';
import type { CompactionRecord, Conversation, ConversationRecord, ConversationSummary, HeaderRecord, TurnRecord } from './types.js';

/** `$XDG_DATA_HOME/gpt/conversations` (default ~/.local/share/gpt/conversations). */
export function conversationsDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_DATA_HOME || join(env.HOME || homedir(), '.local', 'share'), 'gpt', 'conversations');
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * A ULID: the time in ms (10 characters) then 80 random bits (16), in Crockford's base 32, so ids sort by time.
 * Written here rather than taken from the ulid package, which loads node:crypto on import (~8 ms of every saved
 * chat against a local server): a file name must be unique, not unguessable (the files are 0600 in a 0700
 * folder), and V8 seeds Math.random from the OS.
 */
export function newConversationId(now = Date.now()): string {
  let time = '';
  for (let t = now, i = 0; i < 10; i++, t = Math.floor(t / 32)) time = CROCKFORD[t % 32]! + time;
  let random = '';
  for (let i = 0; i < 16; i++) random += CROCKFORD[Math.floor(Math.random() * 32)]!;
  return time + random;
}

/** The first prompt cut to one line of at most 80 characters. */
export function titleOf(prompt: string): string {
  const line = prompt.trim().split(/\r?\n/)[0]!.trim();
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
}

const ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const fileOf = (dir: string, id: string) => join(dir, `${id}.jsonl`);

/** Appends records as whole lines (one write), creating the 0700 dir and the 0600 file when needed. */
export async function appendRecords(dir: string, id: string, records: ConversationRecord[]): Promise<void> {
  const created = await mkdir(dir, { recursive: true, mode: 0o700 });
  if (created !== undefined) await chmod(dir, 0o700);
  const bytes = Buffer.from(records.map((r) => `${JSON.stringify(r)}\n`).join(''), 'utf8');
  const handle = await open(fileOf(dir, id), 'a', 0o600);
  try {
    const { bytesWritten } = await handle.write(bytes, 0, bytes.length);
    if (bytesWritten !== bytes.length) throw new Error(`short write (${bytesWritten} of ${bytes.length} bytes)`);
  } finally {
    await handle.close();
  }
}

/** Every record of a file, streamed; a torn or foreign line is reported to `skip` with its line number. */
async function* readRecords(path: string, skip: (line: number) => void): AsyncIterable<ConversationRecord> {
  // node:readline loads when a file is read, not at start-up: a one-shot `gpt chat` only appends.
  const lines = process.getBuiltinModule('node:readline').createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    n += 1;
    if (line.trim() === '') continue;
    const record = parseRecord(line);
    if (record) yield record;
    else skip(n);
  }
}

function parseRecord(line: string): ConversationRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const r = value as Partial<ConversationRecord> & Record<string, unknown>;
  if (r.type === 'conversation' && typeof r.id === 'string' && typeof r.model === 'string') return r as HeaderRecord;
  if (r.type === 'turn' && Array.isArray(r.messages) && typeof r.answer === 'string' && typeof r.usage === 'object' && r.usage !== null) return r as TurnRecord;
  if (r.type === 'compaction' && typeof r.replaces === 'number') return r as CompactionRecord;
  return undefined;
}

/** Loads a whole conversation (to continue or show it); torn lines are skipped and listed in `skipped`. */
export async function loadConversation(dir: string, id: string): Promise<Conversation> {
  const path = fileOf(dir, id);
  const skipped: number[] = [];
  let header: HeaderRecord | undefined;
  const turns: TurnRecord[] = [];
  const compactions: CompactionRecord[] = [];
  for await (const record of readRecords(path, (line) => skipped.push(line))) {
    if (record.type === 'conversation') header ??= record;
    else if (record.type === 'turn') turns.push(record);
    else compactions.push(record);
  }
  if (!header) throw new GptError('usage', `${path}: not a conversation file (no header line)`);
  return { header, turns, compactions, path, skipped };
}

/** Ids of the stored conversations, newest first (ids sort by creation time). */
export async function conversationIds(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return names
    .filter((name) => name.endsWith('.jsonl') && ID.test(name.slice(0, -6)))
    .map((name) => name.slice(0, -6))
    .sort()
    .reverse();
}

/** The id a full id or unique prefix names; none or several → exit 2 naming the candidates. */
export async function resolveId(dir: string, prefix: string): Promise<string> {
  const wanted = prefix.trim().toUpperCase();
  if (wanted === '') throw new GptError('usage', 'empty conversation id');
  const matches = (await conversationIds(dir)).filter((id) => id.startsWith(wanted));
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) throw new GptError('usage', `no conversation matches '${prefix}' (see gpt history)`);
  const shown = matches.slice(0, 10).join(', ');
  throw new GptError('usage', `'${prefix}' is ambiguous: ${matches.length} conversations match (${shown}${matches.length > 10 ? ', …' : ''}); give more of the id`);
}

/** The conversation written to last (what `-c` continues); undefined when none is stored. */
export async function lastConversationId(dir: string): Promise<string | undefined> {
  let best: { id: string; mtime: number } | undefined;
  for (const id of await conversationIds(dir)) {
    const { mtimeMs } = await stat(fileOf(dir, id));
    if (!best || mtimeMs > best.mtime) best = { id, mtime: mtimeMs };
  }
  return best?.id;
}

/** A listing row, streamed line by line: the header and the sums of the stored per-turn usage (no recounting). */
export async function summarize(dir: string, id: string, search?: string): Promise<ConversationSummary | undefined> {
  const path = fileOf(dir, id);
  const needle = search?.toLowerCase();
  let found = needle === undefined;
  let header: HeaderRecord | undefined;
  const sum = { turns: 0, tokens: 0, usd: 0, priced: true, updated: '' };
  for await (const record of readRecords(path, () => {})) {
    if (record.type === 'conversation') {
      header ??= record;
      if (!found && (record.title.toLowerCase().includes(needle!) || (record.system ?? '').toLowerCase().includes(needle!))) found = true;
    } else if (record.type === 'turn') {
      sum.turns += 1;
      sum.tokens += record.usage.total_tokens;
      sum.usd += record.cost.total_usd;
      if (!record.cost.priced) sum.priced = false;
      sum.updated = record.at;
      if (!found && (record.answer.toLowerCase().includes(needle!) || record.messages.some((m) => m.content.toLowerCase().includes(needle!)))) found = true;
    } else {
      sum.tokens += record.usage.total_tokens;
      sum.usd += record.cost.total_usd;
    }
  }
  if (!header || !found) return undefined;
  return { header, ...sum, updated: sum.updated || header.created, path };
}

export async function removeConversation(dir: string, id: string): Promise<void> {
  await rm(fileOf(dir, id), { force: true });
}

export const conversationPath = fileOf;
