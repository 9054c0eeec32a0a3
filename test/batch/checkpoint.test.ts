import { appendFileSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compactOutput, openCheckpoint, readCheckpoint } from '../../src/batch/checkpoint.js';
import type { ResultLine } from '../../src/batch/types.js';
import { AppendWriter, serializeResult, type AppendFile } from '../../src/batch/writer.js';
import { GptError } from '../../src/domain/index.js';
import { usageOf } from './fakes.js';

const tempFile = (name = 'out.jsonl') => join(mkdtempSync(join(tmpdir(), 'gpt-batch-ckpt-')), name);

const ok = (id: string, text = `answer ${id}`): ResultLine => ({
  id,
  status: 'ok',
  text,
  usage: usageOf(1, 2),
  cost: { input_usd: 0, cached_input_usd: 0, output_usd: 0, total_usd: 0, priced: true },
  error: null,
  attempts: 1,
});
const failed = (id: string): ResultLine => ({
  id,
  status: 'error',
  text: null,
  usage: null,
  cost: null,
  error: { status: 500, type: 'server_error', message: 'boom' },
  attempts: 3,
});

const linesOf = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as ResultLine);

describe('AppendWriter', () => {
  it('creates the file 0600 and writes whole lines in the SPEC field order, even when writes overlap', async () => {
    const path = tempFile();
    const writer = await AppendWriter.open(path);
    await Promise.all(Array.from({ length: 200 }, (_, i) => writer.write(ok(`id${i}`, 'x'.repeat(i * 50)))));
    await writer.close();
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const lines = linesOf(path);
    expect(lines).toHaveLength(200);
    expect(new Set(lines.map((l) => l.id)).size).toBe(200);
    expect(Object.keys(lines[0]!)).toEqual(['id', 'status', 'text', 'usage', 'cost', 'error', 'attempts']);
  });

  it('appends the lines of one event-loop turn to a regular file together, each reported once it is in the file', async () => {
    const path = tempFile();
    const writer = await AppendWriter.open(path);
    const turn = ['a', 'b', 'c'].map((id) => writer.write(ok(id)));
    expect(readFileSync(path, 'utf8')).toBe('');
    await turn[0];
    expect(linesOf(path).map((l) => l.id)).toEqual(['a', 'b', 'c']);
    await Promise.all(turn);
    await writer.write(ok('d'));
    expect(linesOf(path).map((l) => l.id)).toEqual(['a', 'b', 'c', 'd']);
    await writer.close();
    await expect(writer.write(ok('e'))).rejects.toThrow(/already closed/);
  });

  /** The real file, with every write call recorded; `hold` makes writes wait until `step` or `release`. */
  async function watchedFile(path: string, options: { maxBytesPerWrite?: number; failOnWrite?: number } = {}) {
    const handle = await open(path, 'a', 0o600);
    const writes: string[] = [];
    const gates: (() => void)[] = [];
    let hold = false;
    const file: AppendFile = {
      async write(buffer, offset, length) {
        if (hold) await new Promise<void>((resolve) => gates.push(resolve));
        if (writes.length + 1 === options.failOnWrite) {
          writes.push('');
          throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
        }
        const n = Math.min(length, options.maxBytesPerWrite ?? length);
        const result = await handle.write(buffer, offset, n);
        writes.push(buffer.subarray(offset, offset + result.bytesWritten).toString('utf8'));
        return result;
      },
      close: () => handle.close(),
    };
    return {
      writer: new AppendWriter(file, path),
      writes,
      hold: () => (hold = true),
      /** Lets the waiting writes go and keeps holding later ones. */
      step: () => {
        for (const go of gates.splice(0)) go();
      },
      release: () => {
        hold = false;
        for (const go of gates.splice(0)) go();
      },
    };
  }

  it('coalesces lines that finish while a write is in flight into one write of whole lines, in completion order', async () => {
    const path = tempFile();
    const { writer, writes } = await watchedFile(path);
    await Promise.all(Array.from({ length: 200 }, (_, i) => writer.write(ok(`id${i}`, 'x'.repeat(i * 50)))));
    await writer.close();
    expect(linesOf(path).map((l) => l.id)).toEqual(Array.from({ length: 200 }, (_, i) => `id${i}`));
    // The first line goes out at once; the 199 that came while it was in flight share the next write.
    expect(writes).toHaveLength(2);
    expect(writes.every((w) => w.endsWith('\n'))).toBe(true);
  });

  it('a line is reported written only once its bytes are in the file', async () => {
    const path = tempFile();
    const { writer, writes, hold, step, release } = await watchedFile(path);
    const tick = () => new Promise((resolve) => setImmediate(resolve));
    hold();
    const done: string[] = [];
    const pending = ['a', 'b', 'c', 'd'].map((id) => writer.write(ok(id)).then(() => done.push(id)));
    await tick();
    expect(done).toEqual([]);
    expect(readFileSync(path, 'utf8')).toBe('');
    step();
    await pending[0];
    await tick();
    expect(done).toEqual(['a']);
    expect(linesOf(path).map((l) => l.id)).toEqual(['a']);
    // b, c and d queued behind a's write: one write, then all three resolve together.
    release();
    await Promise.all(pending);
    expect(done).toEqual(['a', 'b', 'c', 'd']);
    expect(writes).toHaveLength(2);
    expect(writes[1]).toBe(serializeResult(ok('b')) + serializeResult(ok('c')) + serializeResult(ok('d')));
    await writer.close();
  });

  it('finishes a short write before anything else, so lines never interleave', async () => {
    const path = tempFile();
    const { writer, writes } = await watchedFile(path, { maxBytesPerWrite: 7 });
    await Promise.all(Array.from({ length: 30 }, (_, i) => writer.write(ok(`id${i}`))));
    await writer.close();
    expect(linesOf(path).map((l) => l.id)).toEqual(Array.from({ length: 30 }, (_, i) => `id${i}`));
    expect(writes.length).toBeGreaterThan(30);
  });

  it('a failed write fails its lines and every later one with one error naming the file (exit 9), and writes nothing more', async () => {
    const path = tempFile();
    const { writer, writes, hold, release } = await watchedFile(path, { failOnWrite: 3 });
    await writer.write(ok('a'));
    hold();
    // b goes out alone; c and d wait for it and then share the third write, which fails.
    const second = writer.write(ok('b'));
    const third = writer.write(ok('c'));
    const fourth = writer.write(ok('d'));
    release();
    await expect(second).resolves.toBeUndefined();
    const full = { kind: 'output', exitCode: 9, message: `cannot write ${path}: no space left on device (ENOSPC)` };
    await expect(third).rejects.toMatchObject(full);
    await expect(fourth).rejects.toMatchObject(full);
    await expect(writer.write(ok('e'))).rejects.toMatchObject(full);
    expect(writes).toHaveLength(3);
    expect(linesOf(path).map((l) => l.id)).toEqual(['a', 'b']);
    await writer.close();
    await expect(writer.write(ok('f'))).rejects.toThrow(/closed|no space/);
  });

  it('serialises a line as one JSON object and a newline', () => {
    const text = serializeResult(failed('a'));
    expect(text.endsWith('\n')).toBe(true);
    expect(text.indexOf('\n')).toBe(text.length - 1);
    expect(JSON.parse(text)).toEqual({ id: 'a', status: 'error', text: null, usage: null, cost: null, error: { status: 500, type: 'server_error', message: 'boom' }, attempts: 3 });
  });
});

describe('openCheckpoint', () => {
  it('refuses to overwrite a non-empty output without --resume (usage error, exit 2)', async () => {
    const path = tempFile();
    writeFileSync(path, serializeResult(ok('a')));
    const err = await openCheckpoint(path, { resume: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GptError);
    expect((err as GptError).exitCode).toBe(2);
    expect((err as GptError).message).toMatch(/--resume/);
    expect(readFileSync(path, 'utf8')).toBe(serializeResult(ok('a')));
  });

  it('accepts a missing or empty output file', async () => {
    const empty = tempFile();
    writeFileSync(empty, '');
    for (const path of [empty, tempFile()]) {
      const checkpoint = await openCheckpoint(path, { resume: false });
      await checkpoint.writer.write(ok('a'));
      expect(await checkpoint.close()).toEqual({ compacted: false });
      expect(linesOf(path).map((l) => l.id)).toEqual(['a']);
    }
  });

  it('on resume: cuts a torn last line, skips ok ids, retries error ids, and closes with one line per id', async () => {
    const path = tempFile();
    writeFileSync(path, serializeResult(ok('a')) + serializeResult(failed('b')) + serializeResult(ok('c')) + '{"id":"d","status":"ok","te');
    const checkpoint = await openCheckpoint(path, { resume: true });
    expect(checkpoint.state.repair).toBe('truncated');
    expect([...checkpoint.state.done]).toEqual(['a', 'c']);
    expect([...checkpoint.state.failed]).toEqual(['b']);
    expect(readFileSync(path, 'utf8').endsWith('\n')).toBe(true);

    await checkpoint.writer.write(ok('b'));
    await checkpoint.writer.write(ok('d'));
    expect(await checkpoint.close()).toEqual({ compacted: true });
    const lines = linesOf(path);
    expect(lines.map((l) => [l.id, l.status])).toEqual([
      ['a', 'ok'],
      ['c', 'ok'],
      ['b', 'ok'],
      ['d', 'ok'],
    ]);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('completes a last line that lost only its newline, instead of paying for it again', async () => {
    const path = tempFile();
    writeFileSync(path, serializeResult(ok('a')) + serializeResult(ok('b')).trimEnd());
    const state = await readCheckpoint(path);
    expect(state.repair).toBe('completed');
    expect([...state.done]).toEqual(['a', 'b']);
    expect(readFileSync(path, 'utf8')).toBe(serializeResult(ok('a')) + serializeResult(ok('b')));
  });

  it('a file left by a crash (superseded lines) is compacted on the next close even if nothing new is written', async () => {
    const path = tempFile();
    writeFileSync(path, serializeResult(failed('a')) + serializeResult(ok('a')) + serializeResult(failed('b')) + serializeResult(failed('b')));
    const checkpoint = await openCheckpoint(path, { resume: true });
    expect(checkpoint.state.superseded).toBe(2);
    expect(await checkpoint.close()).toEqual({ compacted: true });
    expect(linesOf(path).map((l) => [l.id, l.status])).toEqual([
      ['a', 'ok'],
      ['b', 'error'],
    ]);
  });
});

describe('output lock', () => {
  it('refuses a second run on the same output while the first is open, and takes over a dead one’s lock', async () => {
    const path = tempFile();
    const first = await openCheckpoint(path, { resume: true });
    const err = await openCheckpoint(path, { resume: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GptError);
    expect((err as GptError).message).toMatch(new RegExp(`another gpt batch \\(pid ${process.pid}\\)`));
    await first.close();
    expect(existsSync(`${path}.lock`)).toBe(false);

    // A lock left by a process that no longer exists (kill -9).
    writeFileSync(`${path}.lock`, '2147483646');
    const second = await openCheckpoint(path, { resume: true });
    await second.close();
    expect(existsSync(`${path}.lock`)).toBe(false);
  });
});

describe('compactOutput', () => {
  it('keeps an ok line over any error line for the same id, else the last line; drops junk', async () => {
    const path = tempFile();
    writeFileSync(
      path,
      serializeResult(ok('a', 'first')) +
        serializeResult(failed('a')) +
        'not json\n' +
        serializeResult(failed('b')) +
        serializeResult({ ...failed('b'), attempts: 9 }) +
        serializeResult(ok('c')),
    );
    expect(await compactOutput(path)).toEqual({ lines: 3, removed: 3 });
    const lines = linesOf(path);
    expect(lines.map((l) => [l.id, l.status, l.attempts])).toEqual([
      ['a', 'ok', 1],
      ['b', 'error', 9],
      ['c', 'ok', 1],
    ]);
    expect(lines[0]!.text).toBe('first');
  });

  it('leaves an already compact file untouched', async () => {
    const path = tempFile();
    writeFileSync(path, serializeResult(ok('a')));
    appendFileSync(path, serializeResult(failed('b')));
    const before = statSync(path).mtimeMs;
    expect(await compactOutput(path)).toEqual({ lines: 2, removed: 0 });
    expect(statSync(path).mtimeMs).toBe(before);
  });
});
