/**
 * Batch API mode, the last step: a finished batch's output and error files joined back to the ids on
 * `custom_id` (the files are in no order), one result line per request, priced at the batch rate.
 */
import { costOf } from '../accounting/cost.js';
import { LineSplitter, type Price } from '../domain/index.js';
import { type BatchApi, type BatchObject, batchAnswer } from '../providers/batch-api.js';
import type { Json } from '../providers/shape.js';
import { type CounterFor, countedLocally } from './item.js';
import type { RecordedBatch } from './openai-batch-state.js';
import { type ResultError, type ResultLine, errorResult } from './types.js';
import type { PaidAnswer } from './usage-log.js';

/** What collecting needs from the run. */
export interface CollectContext {
  api: Pick<BatchApi, 'download'>;
  signal?: AbortSignal;
  /** Ids whose line is already written (this run or, via skipIds, an earlier one). */
  written: ReadonlySet<string>;
  record(line: ResultLine, paid?: PaidAnswer): Promise<void>;
  log(line: string): void;
  priceOf(model: string): Price | null;
  contextWindow(model: string): number | null;
  counterFor: CounterFor;
  /** Whole-batch failures (validation), for the exit error. */
  problems: string[];
}

/** Writes one result line per request of a finished batch. */
export async function collect(batch: RecordedBatch, object: BatchObject, c: CollectContext): Promise<void> {
  if (object.status === 'failed') return collectFailed(batch, object, c);
  const ids = new Set(batch.customIds);
  let answered = 0;
  for (const fileId of [object.outputFileId, object.errorFileId]) {
    if (fileId === undefined) continue;
    for (const row of rowsOf(await c.api.download(fileId, c.signal))) {
      const text = row.toString('utf8').trim();
      if (text === '') continue;
      let line: Json;
      try {
        line = JSON.parse(text) as Json;
      } catch {
        c.log(`skipped a line of ${fileId} that is not JSON: ${text.slice(0, 80)}`);
        continue;
      }
      const id = typeof line.custom_id === 'string' ? line.custom_id : undefined;
      if (id === undefined || !ids.has(id) || c.written.has(id)) continue;
      answered++;
      await recordAnswer(id, line, batch, c);
    }
  }
  const missing = missingError(batch, object.status);
  for (const id of batch.customIds) {
    if (!c.written.has(id)) await c.record(errorResult(id, missing, 1));
  }
  c.log(`batch ${batch.id} ${object.status}: ${answered} of ${batch.customIds.length} requests answered`);
}

function rowsOf(body: Buffer): Buffer[] {
  const splitter = new LineSplitter();
  const rows = splitter.push(body);
  const last = splitter.end();
  if (last) rows.push(last);
  return rows;
}

/** A batch that failed validation ran nothing: each request gets its own validation error, else the batch's. */
async function collectFailed(batch: RecordedBatch, object: BatchObject, c: CollectContext): Promise<void> {
  const message = validationMessage(batch, object);
  c.problems.push(message);
  c.log(`batch ${batch.id} failed validation`);
  const byLine = new Map<number, { code: string; message: string }>();
  for (const e of object.errors) if (e.line !== undefined) byLine.set(e.line, e);
  for (const [index, id] of batch.customIds.entries()) {
    if (c.written.has(id)) continue;
    const own = byLine.get(index + 1);
    const error = own ? { status: null, type: own.code, message: `input line ${batch.inputLines[index]}: ${own.message}` } : { status: null, type: 'batch_failed', message };
    await c.record(errorResult(id, error, 1));
  }
}

/** The error of a request the batch ended without answering. */
function missingError(batch: RecordedBatch, status: string): ResultError {
  if (status === 'expired') return { status: null, type: 'batch_expired', message: `batch ${batch.id} expired before this request ran` };
  if (status === 'cancelled') return { status: null, type: 'batch_cancelled', message: `batch ${batch.id} was cancelled before this request ran` };
  return { status: null, type: 'missing_result', message: `batch ${batch.id} completed without a result for this request` };
}

/** One line of a result file as a result line; an answer is priced at the batch rate and recorded as paid for. */
async function recordAnswer(id: string, row: Json, batch: RecordedBatch, c: CollectContext): Promise<void> {
  const answer = batchAnswer(row, batch.endpoint, c.contextWindow(batch.model));
  if ('error' in answer) return c.record(errorResult(id, answer.error, 1));
  // A Batch API body always carries usage; a server that omits it gets the output counted and marked estimated.
  const usage = answer.usage ?? (await countedLocally(c.counterFor, batch.model, answer.text));
  const price = c.priceOf(batch.model);
  const cost = costOf(usage, price, { batch: true });
  await c.record({ id, status: 'ok', text: answer.text, usage, cost, error: null, attempts: 1 }, { requestedModel: batch.model, usage, price, cost });
}

/** The validation errors of a failed batch, each uploaded line named by its input line and id. */
function validationMessage(batch: RecordedBatch, object: BatchObject): string {
  const errors = object.errors;
  const shown = errors.slice(0, 10).map((e) => {
    if (e.line === undefined) return `${e.message} [${e.code}]`;
    const id = batch.customIds[e.line - 1];
    const inputLine = batch.inputLines[e.line - 1];
    const where = id === undefined ? `line ${e.line} of the batch file` : `line ${e.line} of the batch file (input line ${inputLine}, id "${id}")`;
    return `${where}: ${e.message} [${e.code}]`;
  });
  if (errors.length > shown.length) shown.push(`and ${errors.length - shown.length} more`);
  if (shown.length === 0) shown.push('no reason given');
  return `batch ${batch.id} (${batch.model}) failed validation: ${shown.join('; ')}`;
}
