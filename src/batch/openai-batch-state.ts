/**
 * Batch API mode: the state file of submitted batches. Every created batch is recorded before anything
 * waits on it, so re-running the same command after a crash or Ctrl-C re-attaches to the running batches
 * instead of paying for them twice.
 */
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { GptError, fileErrorReason, sha256 } from '../domain/index.js';
import type { BatchEndpoint } from '../providers/batch-api.js';

/** A submitted batch as the state file remembers it. */
export interface RecordedBatch {
  id: string;
  inputFileId: string;
  endpoint: BatchEndpoint;
  model: string;
  /** The custom_id of each uploaded line, in file order. */
  customIds: string[];
  /** The input line of each uploaded line, for validation errors. */
  inputLines: number[];
  createdAt: number;
}

interface StateJson {
  version: 1;
  baseUrl: string;
  batches: RecordedBatch[];
}

/** The batches of one run (named by its --out path, else by a hash of its input and options), in `<stateDir>/openai-batch/`. */
export class BatchState {
  private constructor(
    readonly path: string,
    private readonly baseUrl: string,
    private batches: RecordedBatch[],
  ) {}

  /** Reads the state of the run named `name` against `baseUrl`; an unreadable file is reported and ignored. */
  static async open(stateDir: string, baseUrl: string, name: string, log: (line: string) => void): Promise<BatchState> {
    const key = sha256(`${baseUrl}\n${name}`).slice(0, 32);
    const path = join(stateDir, 'openai-batch', `${key}.json`);
    return new BatchState(path, baseUrl, await readState(path, baseUrl, log));
  }

  get recorded(): readonly RecordedBatch[] {
    return this.batches;
  }

  async add(batch: RecordedBatch): Promise<void> {
    this.batches.push(batch);
    await this.write();
  }

  /** Drops a batch that needs nothing more from the server; the file goes with the last one. */
  async forget(batch: RecordedBatch): Promise<void> {
    this.batches = this.batches.filter((b) => b !== batch);
    await this.write();
  }

  /** Written whole through a temp file and a rename, so a crash never leaves half a state (0600: it names the user's batches). */
  private async write(): Promise<void> {
    if (this.batches.length === 0) {
      await unlink(this.path).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
      return;
    }
    await mkdir(join(this.path, '..'), { recursive: true, mode: 0o700 });
    const temp = `${this.path}.tmp-${process.pid}`;
    const state: StateJson = { version: 1, baseUrl: this.baseUrl, batches: this.batches };
    const handle = await open(temp, 'w', 0o600);
    try {
      await handle.write(JSON.stringify(state));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, this.path);
  }
}

async function readState(path: string, baseUrl: string, log: (line: string) => void): Promise<RecordedBatch[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new GptError('internal', `cannot read the batch state ${path}: ${fileErrorReason(err)}`);
  }
  try {
    const state = JSON.parse(text) as StateJson;
    if (state.version === 1 && state.baseUrl === baseUrl && Array.isArray(state.batches)) return state.batches;
  } catch {
    // Unreadable: reported below, then ignored.
  }
  log(`ignoring an unreadable batch state file ${path}`);
  return [];
}
