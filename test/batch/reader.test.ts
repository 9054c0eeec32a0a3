import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { scanIds } from '../../src/batch/ids.js';
import { MAX_LINE_BYTES, readBatch, readBatchFile, readCsv, readJsonl } from '../../src/batch/reader.js';
import { LineMeter } from '../../src/batch/spool.js';
import { isLineError, type BatchEntry, type BatchItem, type LineError } from '../../src/batch/types.js';
import { GptError, LineSplitter, LineTooLong, lineText } from '../../src/domain/index.js';
import { chunked, collect } from './fakes.js';

const jsonl = (text: string, template = false) => collect(readJsonl(chunked(text), { template }));
const csv = (text: string, template = false) => collect(readCsv(chunked(text), { template }));
const item = (entry: BatchEntry | undefined) => {
  if (!entry || isLineError(entry)) throw new Error(`expected an item, got ${JSON.stringify(entry)}`);
  return entry;
};
const lineError = (entry: BatchEntry | undefined): LineError => {
  if (!entry || !isLineError(entry)) throw new Error(`expected a line error, got ${JSON.stringify(entry)}`);
  return entry;
};

describe('LineSplitter', () => {
  it('keeps multi-byte characters whole when a chunk boundary cuts them, at every boundary', async () => {
    const text = 'héllo wörld ✓ 😀\r\nsecond\n\nthird';
    for (let size = 1; size <= 8; size++) {
      const splitter = new LineSplitter();
      const lines: Buffer[] = [];
      for await (const chunk of chunked(text, size)) lines.push(...splitter.push(chunk));
      lines.push(splitter.end()!);
      expect(lines.map(lineText)).toEqual(['héllo wörld ✓ 😀', 'second', '', 'third']);
    }
  });
});

describe('JSONL reader', () => {
  it('reads prompt and messages lines, with ids from the line or the line number', async () => {
    const entries = await jsonl(
      [
        '{"id":"a","prompt":"one"}',
        '{"prompt":"two"}',
        '{"id":7,"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"three"}]}',
      ].join('\n'),
    );
    expect(entries).toEqual([
      { id: 'a', line: 1, prompt: 'one', options: {} },
      { id: '2', line: 2, prompt: 'two', options: {} },
      {
        id: '7',
        line: 3,
        messages: [
          { role: 'system', content: 'be brief' },
          { role: 'user', content: 'three' },
        ],
        options: {},
      },
    ]);
  });

  it('takes per-line model and options in snake_case and camelCase', async () => {
    const [a, b] = await jsonl(
      [
        '{"prompt":"x","model":"gpt-5-mini","max_output_tokens":50,"temperature":0.2,"top_p":0.9,"stop":"END","seed":3,"effort":"low"}',
        '{"prompt":"y","maxOutputTokens":60,"presencePenalty":1,"frequency_penalty":-1,"system":"sys","stop":["a","b"],"max_tokens":70}',
      ].join('\n'),
    );
    expect(item(a)).toMatchObject({ model: 'gpt-5-mini', options: { maxOutputTokens: 50, temperature: 0.2, topP: 0.9, stop: ['END'], seed: 3, effort: 'low' } });
    // Later keys win, as in the object itself.
    expect(item(b).options).toEqual({ maxOutputTokens: 70, presencePenalty: 1, frequencyPenalty: -1, system: 'sys', stop: ['a', 'b'] });
  });

  it('turns bad lines into line errors that name the line, and keeps going', async () => {
    const entries = await jsonl(
      [
        '{"prompt":"ok"}',
        '{"prompt": "unterminated',
        '[1,2]',
        '{"id":"q","prompt":5}',
        '{"id":"r"}',
        '{"id":{"x":1},"prompt":"p"}',
        '{"prompt":"p","temperature":"hot"}',
        '{"prompt":"p","max_output_tokens":2.5}',
        '{"messages":[{"role":"robot","content":"x"}]}',
        '{"messages":[]}',
        '{"prompt":"a","messages":[{"role":"user","content":"b"}]}',
        '{"prompt":"last"}',
      ].join('\n'),
    );
    expect(entries).toHaveLength(12);
    expect(item(entries[0]).prompt).toBe('ok');
    expect(item(entries[11]).prompt).toBe('last');
    const errors = entries.slice(1, 11).map(lineError);
    expect(errors.map((e) => [e.id, e.line])).toEqual([
      ['2', 2],
      ['3', 3],
      ['q', 4],
      ['r', 5],
      ['6', 6],
      ['7', 7],
      ['8', 8],
      ['9', 9],
      ['10', 10],
      ['11', 11],
    ]);
    expect(errors[0]!.error).toMatch(/^line 2: invalid JSON/);
    expect(errors[1]!.error).toBe('line 3: not a JSON object');
    expect(errors[2]!.error).toMatch(/line 4: `prompt` must be a string/);
    expect(errors[3]!.error).toMatch(/line 5: no `prompt` or `messages`/);
    expect(errors[4]!.error).toMatch(/`id` must be/);
    expect(errors[5]!.error).toMatch(/`temperature` must be a number from 0 to 2/);
    expect(errors[6]!.error).toMatch(/`max_output_tokens` must be a whole number/);
    expect(errors[7]!.error).toMatch(/messages\[0\]\.role/);
    expect(errors[9]!.error).toMatch(/both `prompt` and `messages`/);
  });

  it('strips a BOM, accepts CRLF, skips blank lines but counts them in line numbers', async () => {
    const entries = await jsonl('\uFEFF{"prompt":"a"}\r\n\r\n{"prompt":"b"}\r\n');
    expect(entries).toEqual([
      { id: '1', line: 1, prompt: 'a', options: {} },
      { id: '3', line: 3, prompt: 'b', options: {} },
    ]);
  });

  it('with a template, every field is a variable and `vars` adds more', async () => {
    const [a, b] = await jsonl('{"id":1,"name":"Ada","age":36,"tags":["x"],"vars":{"extra":"e"}}\n{}', true);
    expect(item(a).vars).toEqual({ id: '1', name: 'Ada', age: '36', tags: '["x"]', extra: 'e' });
    expect(lineError(b).error).toMatch(/no prompt, messages or template variables/);
  });
});

describe('CSV reader', () => {
  it('handles quoted fields, embedded newlines and quotes, a BOM and CRLF', async () => {
    const text = '\uFEFFid,prompt,max_output_tokens\r\nx1,"Hello, ""world""\nsecond line",40\r\nx2,plain,\r\n';
    const entries = await csv(text);
    expect(entries).toEqual([
      { id: 'x1', line: 1, prompt: 'Hello, "world"\nsecond line', options: { maxOutputTokens: 40 } },
      { id: 'x2', line: 2, prompt: 'plain', options: {} },
    ]);
  });

  it('gives ragged rows a line error and reads the rows after them', async () => {
    const entries = await csv('prompt,model\na,m1\nb\nc,m2,extra\nd,m3\n');
    expect(item(entries[0])).toMatchObject({ id: '1', prompt: 'a', model: 'm1' });
    expect(lineError(entries[1])).toEqual({ id: '2', line: 2, error: 'line 2: has 1 fields but the header has 2 columns' });
    expect(lineError(entries[2]).line).toBe(3);
    expect(item(entries[3])).toMatchObject({ id: '4', line: 4, prompt: 'd', model: 'm3' });
  });

  it('with a template every column is a variable; without one a prompt column is required', async () => {
    const [a] = await csv('id,name,temperature\n9,Ada,0.5\n', true);
    expect(a).toEqual({ id: '9', line: 1, vars: { id: '9', name: 'Ada', temperature: '0.5' }, options: { temperature: 0.5 } });
    await expect(csv('name\nAda\n')).rejects.toThrow(/no `prompt` column.*--template/);
    await expect(csv('prompt,prompt\na,b\n')).rejects.toThrow(/appears twice/);
  });

  it('reports bad option cells as line errors', async () => {
    const [a] = await csv('prompt,temperature\nx,warm\n');
    expect(lineError(a).error).toMatch(/line 1: `temperature` must be a number/);
  });

  it('stops with a usage error on a malformed file (unclosed quote)', async () => {
    const err = await csv('prompt\n"never closed\n').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GptError);
    expect((err as GptError).kind).toBe('usage');
  });
});

describe('input selection', () => {
  it('sniffs the format when the name does not say (stdin)', async () => {
    const stdin = Readable.from([Buffer.from('{"prompt":"from stdin"}\n')]);
    expect(await collect(readBatchFile('-', { stdin }))).toEqual([{ id: '1', line: 1, prompt: 'from stdin', options: {} }]);
    const csvStdin = Readable.from([Buffer.from('\uFEFFprompt\nhi\n')]);
    expect(await collect(readBatchFile('-', { stdin: csvStdin }))).toEqual([{ id: '1', line: 1, prompt: 'hi', options: {} }]);
    expect(await collect(readBatch(chunked('')))).toEqual([]);
  });

  it('reads files by extension, and an unreadable file is a usage error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpt-batch-reader-'));
    writeFileSync(join(dir, 'in.csv'), 'prompt\n{not json}\n');
    expect(item((await collect(readBatchFile(join(dir, 'in.csv'))))[0]).prompt).toBe('{not json}');
    const err = await collect(readBatchFile(join(dir, 'missing.jsonl'))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GptError);
    expect((err as GptError).kind).toBe('usage');
    expect((err as GptError).message).toMatch(/missing\.jsonl: no such file$/);
  });
});

describe('the 64 MiB line cap', () => {
  /** `head`, then `bytes` bytes of one line with no newline, in 1 MiB chunks as a file or a pipe delivers them. */
  async function* longLine(head: string, bytes: number, fill = 'x'): AsyncGenerator<Buffer> {
    yield Buffer.from(head);
    const mib = Buffer.alloc(1 << 20, fill);
    for (let left = bytes; left > 0; left -= mib.length) yield left >= mib.length ? mib : mib.subarray(0, left);
  }

  /** The error a read ends with, as kind and message (an entry list of 64 MiB is no test output). */
  const failure = async (entries: AsyncIterable<BatchEntry>) => {
    const err = await collect(entries).then(
      () => undefined,
      (e: unknown) => e,
    );
    return err instanceof GptError ? `${err.kind}: ${err.message}` : `no usage error (${String(err)})`;
  };

  it('a JSONL line over the cap stops the read with a usage error naming the input and the line', async () => {
    expect(await failure(readBatch(longLine('{"prompt":"fine"}\n\n', MAX_LINE_BYTES + 1), { format: 'jsonl', name: 'big.jsonl' }))).toBe(
      'usage: batch input big.jsonl: line 3 is longer than 64 MiB, the most one line may hold',
    );
  });

  it('a line of exactly the cap is still read (here: an invalid JSON line, which becomes a line error)', async () => {
    const entries = await collect(readBatch(longLine('{"prompt":"fine"}\n', MAX_LINE_BYTES), { format: 'jsonl', name: 'edge.jsonl' }));
    expect(entries).toHaveLength(2);
    expect(lineError(entries[1]).line).toBe(2);
  });

  it('a CSV record over the cap stops the read the same way', async () => {
    expect(await failure(readBatch(longLine('prompt\nshort\n', MAX_LINE_BYTES + 2), { format: 'csv', name: 'big.csv' }))).toBe(
      'usage: batch input big.csv: line 3 is longer than 64 MiB, the most one line may hold',
    );
  });

  it('LineMeter (the copy of a pipe) counts lines across chunks and stops at the first one over the cap', async () => {
    const meter = new LineMeter();
    let caught: unknown;
    try {
      for await (const chunk of longLine('one\ntw', 0)) meter.push(chunk);
      meter.push(Buffer.from('o\n'));
      for await (const chunk of longLine('', MAX_LINE_BYTES + 1, '\0')) meter.push(chunk);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(LineTooLong);
    expect(caught).toMatchObject({ line: 3, message: 'line 3 is longer than 64 MiB' });
  });
});

describe('duplicate ids', () => {
  it('are refused up front, naming both lines', async () => {
    const text = '{"id":"a","prompt":"1"}\n{"prompt":"2"}\n{"id":"a","prompt":"3"}\n';
    await expect(scanIds(readJsonl(chunked(text)))).rejects.toThrow('duplicate id "a" in the batch input: line 1 and line 3');
    await expect(scanIds(readJsonl(chunked(text)))).rejects.toBeInstanceOf(GptError);
  });

  it('an explicit id that equals another line number is a duplicate too', async () => {
    await expect(scanIds(readJsonl(chunked('{"prompt":"1"}\n{"id":1,"prompt":"2"}\n')))).rejects.toThrow(/line 1 and line 2/);
  });

  it('returns each id with its line otherwise', async () => {
    const ids = await scanIds(readCsv(chunked('id,prompt\nb,x\n,y\n')));
    expect([...ids]).toEqual([
      ['b', 1],
      ['2', 2],
    ]);
  });
});

describe('duplicate ids: the compact index', () => {
  it('a hash collision is not a duplicate: every id hashed alike still reads back, and a real duplicate is still found', async () => {
    const ids = Array.from({ length: 300 }, (_, i) => `id-${i}`);
    const text = ids.map((id) => JSON.stringify({ id, prompt: 'p' })).join('\n') + '\n';
    const constant = { hash: () => 7 };
    const index = await scanIds(readJsonl(chunked(text)), constant);
    expect(index.size).toBe(300);
    expect([...index.keys()]).toEqual(ids);
    expect(index.get('id-299')).toBe(300);
    expect(index.has('id-300')).toBe(false);
    await expect(scanIds(readJsonl(chunked(`${text}{"id":"id-150","prompt":"again"}\n`)), constant)).rejects.toThrow('duplicate id "id-150" in the batch input: line 151 and line 301');
  });

  it('finds duplicates far apart in a large input, naming both lines', async () => {
    const lines = 200_000;
    const body = Array.from({ length: lines }, (_, i) => `{"id":"t${i}","prompt":"item ${i}"}`);
    body.push('{"id":"t3","prompt":"late copy"}');
    await expect(scanIds(readJsonl(chunked(body.join('\n'), 1 << 16)))).rejects.toThrow(`duplicate id "t3" in the batch input: line 4 and line ${lines + 1}`);
    const index = await scanIds(readJsonl(chunked(body.slice(0, lines).join('\n'), 1 << 16)));
    expect(index.size).toBe(lines);
    let n = 0;
    for (const [id, line] of index) {
      if (id !== `t${n}` || line !== n + 1) throw new Error(`entry ${n} is ${id}@${line}`);
      n++;
    }
    expect(n).toBe(lines);
  });

  it('keeps ids exact: non-ASCII, astral and lone surrogates (distinct, not folded to U+FFFD), long ids', async () => {
    const ids = ['héllo', '中文', '😀', '\uD800', '\uDC00', '\uFFFD', 'a\uDBFFb', 'x'.repeat(70_000), `${'é'.repeat(5000)}😀`];
    const text = ids.map((id) => JSON.stringify({ id, prompt: 'p' })).join('\n');
    const index = await scanIds(readJsonl(chunked(text)));
    expect([...index]).toEqual(ids.map((id, i) => [id, i + 1]));
    await expect(scanIds(readJsonl(chunked(`${text}\n{"id":"\\uDC00","prompt":"q"}`)))).rejects.toThrow(/line 5 and line 10/);
  });
});

describe('big input', () => {
  it('streams a million lines in flat memory', async () => {
    const lines = 1_000_000;
    const perChunk = 5_000;
    let text = '';
    for (let i = 0; i < perChunk; i++) text += `{"id":"k${i}","prompt":"prompt number ${i} with some padding text"}\n`;
    const chunk = Buffer.from(text);
    // One chunk sent over and over: the test measures the reader, not the making of its input.
    async function* source(): AsyncGenerator<Buffer> {
      for (let sent = 0; sent < lines; sent += perChunk) yield chunk;
    }
    const before = process.memoryUsage().heapUsed;
    let count = 0;
    let peak = 0;
    let last: BatchItem | undefined;
    for await (const entry of readJsonl(source())) {
      count++;
      last = item(entry);
      if (count % 100_000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed - before);
    }
    expect(count).toBe(lines);
    expect(last).toMatchObject({ id: `k${perChunk - 1}`, line: lines });
    // Garbage between collections shows too (~50 MiB); holding every entry measured ~250 MiB.
    expect(peak).toBeLessThan(128 * 1024 * 1024);
  }, 30_000);
});
