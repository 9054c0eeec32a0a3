/** `gpt batch --merge`: shard outputs (or several runs) joined into one output with one line per id. */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { scanIds } from '../../batch/ids.js';
import { readBatchFile } from '../../batch/reader.js';
import { mergeOutputs } from '../../batch/shard.js';
import { type Output, warn } from '../../ui/status.js';
import { GptError, usageError, formatInt as int } from '../../domain/index.js';
import type { BatchOptions } from './options.js';

const plural = (n: number, word: string) => `${int(n)} ${n === 1 ? word : `${word}s`}`;

/**
 * Joins outputs (shards, or several runs) into --out with one line per id, an ok line winning over
 * error lines. Incomplete (an id failed, or an --input id has no line) exits 8 like a batch with
 * failures: the merged file is written either way, and rerunning the shards with --resume fills it in.
 */
export async function merge(o: BatchOptions, out: Output): Promise<number> {
  const { inputs: files, out: outPath } = o;
  if (!outPath) throw usageError('--merge needs --out: the file to write the merged results to');
  if (files.length === 0) throw usageError('--merge needs the output files to merge, e.g. gpt batch --merge a.jsonl b.jsonl --out all.jsonl');
  for (const file of files) {
    const info = await stat(file).catch((err: NodeJS.ErrnoException) => {
      throw new GptError('usage', `cannot read ${file} to merge: ${err.code ?? err.message}`);
    });
    if (!info.isFile()) throw usageError(`cannot merge ${file}: not a file`);
  }
  const outExists = await stat(outPath).then(
    (s) => s.size > 0,
    () => false,
  );
  if (outExists && !files.some((f) => resolve(f) === resolve(outPath))) {
    throw usageError(`${outPath} already exists; merge into a new file (or list ${outPath} among the files to merge)`);
  }
  // Template mode accepts any columns, so a CSV without a prompt column still yields its ids.
  const inputIds = o.mergeInput !== undefined ? (await scanIds(readBatchFile(o.mergeInput, { template: true }))).keys() : undefined;
  const report = await mergeOutputs(files, outPath, inputIds);

  if (report.duplicateOk.length) warn(out, o.flags, `${plural(report.duplicateOk.length, 'id')} had more than one ok line (overlapping runs paid twice); one was kept: ${sample(report.duplicateOk)}`);
  if (report.unexpected.length) warn(out, o.flags, `${plural(report.unexpected.length, 'id')} in the outputs ${report.unexpected.length === 1 ? 'is' : 'are'} not in ${o.mergeInput}: ${sample(report.unexpected)}`);
  if (report.invalid) warn(out, o.flags, `dropped ${plural(report.invalid, 'line')} that ${report.invalid === 1 ? 'is' : 'are'} not results (torn or foreign)`);
  if (o.json) {
    out.stdout.write(`${JSON.stringify({ out: outPath, ids: report.ids, ok: report.ok, failed: report.failed, missing: report.missing, unexpected: report.unexpected, duplicate_ok: report.duplicateOk, invalid: report.invalid, complete: report.complete }, null, 2)}\n`);
  }
  if (!o.quiet) {
    const parts = [`${int(report.ids)} ids`, `${int(report.ok)} ok`, `${int(report.failed.length)} failed`];
    if (inputIds) parts.push(`${int(report.missing.length)} missing`);
    out.stderr.write(`merged ${plural(files.length, 'file')} into ${outPath}: ${parts.join(' · ')}\n`);
  }
  if (!report.complete) {
    const problems: string[] = [];
    if (report.failed.length) problems.push(`${plural(report.failed.length, 'id')} failed (${sample(report.failed)})`);
    if (report.missing.length) problems.push(`${plural(report.missing.length, 'input id')} ${report.missing.length === 1 ? 'has' : 'have'} no result (${sample(report.missing)})`);
    throw new GptError('batch_failed', `merged output is incomplete: ${problems.join('; ')}; rerun the shards with --resume, then merge again`);
  }
  return 0;
}

function sample(ids: string[]): string {
  const shown = ids.slice(0, 5).map((id) => JSON.stringify(id)).join(', ');
  return ids.length > 5 ? `${shown}, …` : shown;
}
