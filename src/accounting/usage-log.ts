/** The usage log (SPEC: Accounting): one JSON line per real API call in `<stateDir>/usage.jsonl`. */
import { chmod, mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import type { Usage, Cost, Price } from '../domain/index.js';

export interface UsageRecord {
  /** ISO 8601 time the call finished. */
  ts: string;
  command: 'chat' | 'run' | 'batch';
  profile: string;
  /** The model the API reported, else the one requested. */
  model: string;
  requested_model: string;
  template?: string;
  usage: Usage;
  /** The per-1M prices applied, so a later price change never rewrites history. */
  prices: Price | null;
  cost: Cost;
  latency_ms?: number;
  batch_id?: string;
}

export function usageLogPath(stateDir: string): string {
  return join(stateDir, 'usage.jsonl');
}

/**
 * Appends one record as one line with one write(2) on an O_APPEND descriptor: the kernel places
 * each write at the end of the file whole, so concurrent gpt processes never interleave lines.
 */
export async function appendUsageRecord(stateDir: string, record: UsageRecord): Promise<void> {
  const created = await mkdir(stateDir, { recursive: true, mode: 0o700 });
  if (created !== undefined) await chmod(stateDir, 0o700); // the umask may have widened it; only dirs we made
  const line = Buffer.from(`${JSON.stringify(record)}\n`, 'utf8');
  const handle = await open(usageLogPath(stateDir), 'a', 0o600);
  try {
    const { bytesWritten } = await handle.write(line, 0, line.length);
    if (bytesWritten !== line.length) throw new Error(`usage log: short write (${bytesWritten} of ${line.length} bytes)`);
  } finally {
    await handle.close();
  }
}

function isUsageRecord(value: unknown): value is UsageRecord {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Partial<UsageRecord>;
  return (
    typeof record.ts === 'string' &&
    typeof record.model === 'string' &&
    typeof record.usage === 'object' &&
    record.usage !== null &&
    typeof record.cost === 'object' &&
    record.cost !== null
  );
}

/** Streams the log line by line; a torn or foreign line is skipped, a missing log yields nothing. */
export async function* readUsageLog(stateDir: string): AsyncIterable<UsageRecord> {
  let handle;
  try {
    handle = await open(usageLogPath(stateDir), 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  // node:readline loads when the log is read (`--max-cost` totals, reports), not for every run that appends.
  const lines = process.getBuiltinModule('node:readline').createInterface({ input: handle.createReadStream({ encoding: 'utf8' }), crlfDelay: Infinity });
  try {
    for await (const line of lines) {
      if (!line.trim()) continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        continue;
      }
      if (isUsageRecord(parsed)) yield parsed;
    }
  } finally {
    lines.close();
    await handle.close().catch(() => {});
  }
}
