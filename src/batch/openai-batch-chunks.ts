/**
 * Batch API mode, step 1: the request lines, written to temp files grouped by endpoint and model (one
 * model per batch is the API's rule) and cut at the file limits.
 */
import { type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';
import { type BatchEndpoint, batchRequestLine } from '../providers/batch-api.js';
import type { EndpointProfile } from '../providers/types.js';
import { scanLines } from './checkpoint.js';
import type { PreparedItem } from './item.js';

/** The API's limits per input file (openai-api.md §4); bytes in decimal MB, the cautious reading. */
export const MAX_REQUESTS_PER_FILE = 50_000;
export const MAX_BYTES_PER_FILE = 200_000_000;

/** The requests of one input file: where it is, and the id and input line of each of its lines, in order. */
export interface ChunkLines {
  path: string;
  ids: string[];
  inputLines: number[];
  bytes: number;
}

/** One Batch API input file being written to disk (bodies can add up to far more than memory). */
export class ChunkFile implements ChunkLines {
  readonly ids: string[] = [];
  readonly inputLines: number[] = [];
  bytes = 0;
  private pending: string[] = [];
  private pendingBytes = 0;

  private constructor(
    readonly path: string,
    readonly endpoint: BatchEndpoint,
    readonly model: string,
    private readonly handle: FileHandle,
  ) {}

  static async create(path: string, endpoint: BatchEndpoint, model: string): Promise<ChunkFile> {
    return new ChunkFile(path, endpoint, model, await open(path, 'w', 0o600));
  }

  async add(id: string, inputLine: number, text: string, bytes: number): Promise<void> {
    this.ids.push(id);
    this.inputLines.push(inputLine);
    this.bytes += bytes;
    this.pending.push(text);
    this.pendingBytes += bytes;
    if (this.pendingBytes > 1 << 20) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.pending.length) await this.handle.write(this.pending.join(''));
    this.pending = [];
    this.pendingBytes = 0;
  }

  async close(): Promise<void> {
    await this.flush();
    await this.handle.close();
  }
}

export interface ChunkerOptions {
  workDir: string;
  profile: EndpointProfile;
  maxRequests: number;
  maxBytes: number;
  log: (line: string) => void;
}

/** Sorts prepared items into input files; `add` says why an item cannot go in one. */
export class Chunker {
  readonly chunks: ChunkFile[] = [];
  private readonly open = new Map<string, ChunkFile>();
  private readonly ids = new Set<string>();
  private readonly warned = new Set<string>();

  constructor(private readonly o: ChunkerOptions) {}

  /** True when an item with this id is already in a file. */
  has(id: string): boolean {
    return this.ids.has(id);
  }

  /** Adds an item's request line; returns the problem when it is too large for any file. */
  async add(item: PreparedItem): Promise<string | undefined> {
    const { endpoint, text, dropped } = batchRequestLine(item.id, { model: item.model, messages: item.messages, options: item.options }, this.o.profile);
    const fresh = dropped.filter((flag) => !this.warned.has(flag));
    for (const flag of fresh) this.warned.add(flag);
    if (fresh.length) this.o.log(`the responses API has no ${fresh.join(', ')}; ignored (use --api chat)`);
    const bytes = Buffer.byteLength(text);
    if (bytes > this.o.maxBytes) return `line ${item.line}: the request is ${bytes} bytes, more than a batch file may hold (${this.o.maxBytes})`;
    this.ids.add(item.id);
    const group = `${endpoint} ${item.model}`;
    let chunk = this.open.get(group);
    if (chunk && (chunk.ids.length >= this.o.maxRequests || chunk.bytes + bytes > this.o.maxBytes)) {
      await chunk.close();
      chunk = undefined;
    }
    if (!chunk) {
      chunk = await ChunkFile.create(join(this.o.workDir, `${this.chunks.length + 1}.jsonl`), endpoint, item.model);
      this.chunks.push(chunk);
      this.open.set(group, chunk);
    }
    await chunk.add(item.id, item.line, text, bytes);
    return undefined;
  }

  async close(): Promise<void> {
    for (const chunk of this.open.values()) await chunk.close();
    this.open.clear();
  }
}

/** A chunk without the ids an earlier run already submitted (rewritten only on re-attach). */
export async function withoutCovered(chunk: ChunkFile, covered: ReadonlySet<string>, workDir: string, index: number): Promise<ChunkLines> {
  if (!chunk.ids.some((id) => covered.has(id))) return chunk;
  const keep: ChunkLines = { path: join(workDir, `${index + 1}-rest.jsonl`), ids: [], inputLines: [], bytes: 0 };
  const handle = await open(keep.path, 'w', 0o600);
  try {
    let row = 0;
    for await (const line of scanLines(chunk.path)) {
      const id = chunk.ids[row]!;
      const inputLine = chunk.inputLines[row]!;
      row++;
      if (covered.has(id)) continue;
      await handle.write(`${line.text}\n`);
      keep.ids.push(id);
      keep.inputLines.push(inputLine);
      keep.bytes += line.bytes + 1;
    }
  } finally {
    await handle.close();
  }
  return keep;
}
