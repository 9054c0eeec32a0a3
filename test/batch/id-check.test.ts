import { describe, expect, it } from 'vitest';
import { FingerprintSet, checkIds } from '../../src/batch/id-check.js';
import { readBatch, readJsonl, readJsonlIds } from '../../src/batch/reader.js';
import { inShard } from '../../src/batch/shard.js';
import { GptError } from '../../src/domain/index.js';
import { chunked, collect } from './fakes.js';

const idsOf = (text: string) => () => readJsonlIds(chunked(text));

describe('the duplicate-id pass of a run (fingerprints)', () => {
  it('names both lines of a duplicate, as a usage error', async () => {
    const text = '{"id":"a","prompt":"1"}\n{"id":"b","prompt":"2"}\n{"id":"a","prompt":"3"}\n';
    await expect(checkIds(idsOf(text))).rejects.toThrow('duplicate id "a" in the batch input: line 1 and line 3');
    await expect(checkIds(idsOf(text))).rejects.toBeInstanceOf(GptError);
  });

  it('an explicit id that equals another line number is a duplicate too; bad lines run under their line number', async () => {
    await expect(checkIds(idsOf('{"prompt":"1"}\n{"id":1,"prompt":"2"}\n'))).rejects.toThrow(/line 1 and line 2/);
    await expect(checkIds(idsOf('not json\n{"id":"1","prompt":"2"}\n'))).rejects.toThrow('duplicate id "1" in the batch input: line 1 and line 2');
    await expect(checkIds(idsOf('{"id":null,"prompt":"x"}\n\n{"id":"1"}\n{"id":"3","prompt":"y"}\n'))).rejects.toThrow(/line 1 and line 3/);
  });

  it('a fingerprint collision is not a duplicate; a real one is still found with both lines', async () => {
    const ids = Array.from({ length: 300 }, (_, i) => `id-${i}`);
    const text = ids.map((id) => JSON.stringify({ id, prompt: 'p' })).join('\n') + '\n';
    const constant = { fingerprint: (): [number, number] => [7, 7] };
    expect(await checkIds(idsOf(text), constant)).toBe(300);
    await expect(checkIds(idsOf(`${text}{"id":"id-150","prompt":"again"}\n`), constant)).rejects.toThrow('duplicate id "id-150" in the batch input: line 151 and line 301');
  });

  it('counts the entries of a shard, checking every id', async () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `k${i}`);
    const text = ids.map((id) => JSON.stringify({ id, prompt: 'p' })).join('\n');
    const shard = { index: 2, count: 3 };
    expect(await checkIds(idsOf(text), { shard })).toBe(ids.filter((id) => inShard(id, 2, 3)).length);
    expect(await checkIds(idsOf(text))).toBe(1000);
    await expect(checkIds(idsOf(`${text}\n{"id":"k999"}`), { shard })).rejects.toThrow('line 1000 and line 1001');
  });

  it('reads the ids the full reader runs under, also for CSV', async () => {
    const text = '\uFEFF{"id":"x","prompt":"a"}\n[1]\n{"id":2.5}\n{"id":""}\n\n  \n{"id":"y","prompt":"b"}';
    const chunks = await collect(readJsonlIds(chunked(text)));
    const entries = await collect(readJsonl(chunked(text)));
    expect(chunks.flatMap((c) => c.ids)).toEqual(entries.map((e) => e.id));
    expect(chunks.flatMap((c) => c.lines)).toEqual(entries.map((e) => e.line));
    const csv = await collect(readBatch(chunked('id,prompt\nb,x\n,y\n')));
    expect(csv.map((e) => [e.id, e.line])).toEqual([
      ['b', 1],
      ['2', 2],
    ]);
  });

  it('keeps ids exact: distinct non-ASCII and lone-surrogate ids are not duplicates', async () => {
    const ids = ['héllo', '中文', '😀', '\uD800', '\uDC00', '\uFFFD', 'a\uDBFFb'];
    const text = ids.map((id) => JSON.stringify({ id, prompt: 'p' })).join('\n');
    expect(await checkIds(idsOf(text))).toBe(ids.length);
    await expect(checkIds(idsOf(`${text}\n{"id":"\\uDC00","prompt":"q"}`))).rejects.toThrow(/line 5 and line 8/);
  });

  it('the JSONL reader skips unwanted ids before validating them', async () => {
    const text = '{"id":"a","prompt":"1"}\n{"id":"b"}\nnot json\n{"id":"c","prompt":"3"}\n';
    const kept = await collect(readJsonl(chunked(text), { keep: (id) => id !== 'b' && id !== '3' }));
    expect(kept.map((e) => e.id)).toEqual(['a', 'c']);
  });
});

describe('the shard filter in the JSONL reader', () => {
  const tricky = [
    '{"id":"a","prompt":"x"}',
    '{"id":"a","id":"b","prompt":"x"}',
    '{"id":"a","\\u0069d":"b","prompt":"x"}',
    '{"id":"a" broken',
    '{"id":"","prompt":"x"}',
    '{"id":"a\\"b","prompt":"x"}',
    '{"id":"a","prompt":"has \\"id\\" inside"}',
    '{"id":"a","nested":{"id":"z"},"prompt":"x"}',
    '{"id":"b","prompt":"y"}',
    '{"id":"c"}',
    '{"id":"d","prompt":"\\u00e9"}',
    ' {"id":"a","prompt":"x"}',
    '{"id":"b","prompt":"x"}trailing',
    '{"id":"z\u0001z","prompt":"x"}',
  ];
  const text = tricky.join('\n');

  it('drops exactly the entries the filter would drop after a full read, tricky lines included', async () => {
    const all = await collect(readJsonl(chunked(text)));
    const keeps: ((id: string) => boolean)[] = [
      (id) => id === 'a',
      (id) => id === 'b',
      (id) => id === '4' || id === 'z',
      (id) => /^\d+$/.test(id),
      (id) => inShard(id, 1, 2),
      (id) => inShard(id, 2, 3),
    ];
    for (const keep of keeps) expect(await collect(readJsonl(chunked(text), { keep }))).toEqual(all.filter((entry) => keep(entry.id)));
  });

  it('a shard of a large input is the same as filtering the full read', async () => {
    const lines = Array.from({ length: 3000 }, (_, i) => (i % 97 === 5 ? `{"id":"k${i}" oops` : JSON.stringify({ id: i % 13 === 0 ? i : `k${i}`, prompt: `p ${i}` })));
    const big = lines.join('\n');
    const keep = (id: string) => inShard(id, 3, 7);
    const all = await collect(readJsonl(chunked(big, 1 << 12)));
    expect(await collect(readJsonl(chunked(big, 1 << 12), { keep }))).toEqual(all.filter((entry) => keep(entry.id)));
  });
});

describe('FingerprintSet', () => {
  it('holds a million fingerprints and finds each again', () => {
    const set = new FingerprintSet();
    let added = 0;
    let found = 0;
    for (let i = 1; i <= 1_000_000; i++) if (set.add(i, i ^ 0x5bd1e995)) added++;
    for (let i = 1; i <= 1_000_000; i += 997) if (!set.add(i, i ^ 0x5bd1e995)) found++;
    expect(added).toBe(1_000_000);
    expect(found).toBe(Math.ceil(1_000_000 / 997));
    expect(set.add(1, 2)).toBe(true);
  });
});
