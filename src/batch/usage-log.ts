/**
 * The usage log of a batch: one record per answer that was paid for, appended through one descriptor for
 * the whole run. Shared by live and Batch API mode.
 */
import { chmod, mkdir, open, type FileHandle } from 'node:fs/promises';
import { usageLogPath, type UsageRecord } from '../accounting/usage-log.js';
import type { Cost, Price, Usage } from '../domain/index.js';

/** Where usage records go (the writer below; an array in tests). */
export interface UsageSink {
  add(record: UsageRecord): void;
}

/** What every record of one batch shares. */
export interface UsageContext {
  sink: UsageSink;
  profile: string;
  /** The template the batch runs, if any. */
  template?: string;
}

/** One paid-for answer, as the usage log needs it. */
export interface PaidAnswer {
  requestedModel: string;
  /** The model the API says answered; default: the one requested. */
  reportedModel?: string;
  usage: Usage;
  /** The per-1M prices of the requested model (so a later price change never rewrites history). */
  price: Price | null;
  cost: Cost;
  latencyMs?: number;
}

/** Adds the record of one paid-for answer, timed `now` (ms since the epoch). */
export function logAnswer(context: UsageContext, answer: PaidAnswer, now: number): void {
  const record: UsageRecord = {
    ts: new Date(now).toISOString(),
    command: 'batch',
    profile: context.profile,
    model: answer.reportedModel ?? answer.requestedModel,
    requested_model: answer.requestedModel,
    usage: answer.usage,
    prices: answer.price,
    cost: answer.cost,
  };
  if (context.template !== undefined) record.template = context.template;
  if (answer.latencyMs !== undefined) record.latency_ms = answer.latencyMs;
  context.sink.add(record);
}

/** Most bytes in one append: well under what a local file system writes in one piece. */
const USAGE_WRITE_MAX = 64 * 1024;
/** Records wait at most this long to share a write: a kill -9 can lose only that much accounting. */
const USAGE_FLUSH_MS = 100;

/**
 * Appends usage records through one O_APPEND descriptor, gathering those that finish within
 * USAGE_FLUSH_MS into one write: a batch at 1,000 answers a second makes ten writes a second, not a
 * thousand opens and closes. Each write holds whole lines, so concurrent gpt processes never interleave one.
 */
export class UsageLogWriter implements UsageSink {
  private pending: string[] = [];
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private handle: Promise<FileHandle> | undefined;
  private failed = false;

  constructor(
    private readonly stateDir: string,
    private readonly onError: (err: Error) => void,
  ) {}

  add(record: UsageRecord): void {
    if (this.failed) return;
    const line = `${JSON.stringify(record)}\n`;
    this.pending.push(line);
    this.pendingBytes += line.length;
    if (this.writing) return; // the running write picks it up
    if (this.pendingBytes >= USAGE_WRITE_MAX) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), USAGE_FLUSH_MS);
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length > 0) this.writing ??= this.drain();
  }

  private async openLog(): Promise<FileHandle> {
    const created = await mkdir(this.stateDir, { recursive: true, mode: 0o700 });
    if (created !== undefined) await chmod(this.stateDir, 0o700); // the umask may have widened it; only dirs we made
    return open(usageLogPath(this.stateDir), 'a', 0o600);
  }

  private async drain(): Promise<void> {
    try {
      const handle = await (this.handle ??= this.openLog());
      while (this.pending.length > 0) {
        let size = 0;
        let count = 0;
        while (count < this.pending.length && (count === 0 || size + this.pending[count]!.length <= USAGE_WRITE_MAX)) size += this.pending[count++]!.length;
        const bytes = Buffer.from(this.pending.splice(0, count).join(''), 'utf8');
        this.pendingBytes -= size;
        for (let offset = 0; offset < bytes.length; ) offset += (await handle.write(bytes, offset, bytes.length - offset)).bytesWritten;
      }
    } catch (err) {
      this.fail(err as Error);
    } finally {
      this.writing = undefined;
    }
  }

  /** A full or read-only state dir is one warning, never the batch's failure: later records are dropped. */
  private fail(err: Error): void {
    this.pending = [];
    this.pendingBytes = 0;
    if (this.failed) return;
    this.failed = true;
    this.onError(err);
  }

  /** Writes what is pending and closes the log. */
  async close(): Promise<void> {
    this.flush();
    await this.writing;
    const handle = this.handle;
    this.handle = undefined;
    if (handle) await (await handle.catch(() => undefined))?.close().catch((err: unknown) => this.fail(err as Error));
  }
}
