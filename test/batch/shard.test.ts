import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readBatch } from '../../src/batch/reader.js';
import { inShard, mergeOutputs, parseShard, shardOf } from '../../src/batch/shard.js';
import type { ResultLine } from '../../src/batch/types.js';
import { serializeResult } from '../../src/batch/writer.js';
import { GptError, fnv1a32 } from '../../src/domain/index.js';
import { collect, fromArray } from './fakes.js';

describe('shards', () => {
  it('hash with FNV-1a 32 (published test vectors), so every machine agrees', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it('hash the UTF-8 bytes without a Buffer, giving the values earlier versions gave (shards stay put)', () => {
    // Outputs of the Buffer.from(text, 'utf8') implementation, recorded before it was replaced.
    const known: [string, number][] = [
      ['t0', 0x0944ee69],
      ['t123456', 0x8be814f4],
      ['q42', 0xb77c843e],
      ['héllo', 0x4aa48540],
      ['✓ check', 0xaa6270f0],
      ['😀', 0x33a29608],
      ['a\uD800b', 0x763177ed],
      ['\uDC00', 0x03479c4a],
      ['\uD83D', 0x03479c4a],
      ['x\uDE00\uD83D', 0xf73b3fc9],
      ['id-ß-中文-Ω', 0xa9d9dd1e],
    ];
    for (const [id, hash] of known) expect([id, fnv1a32(id)]).toEqual([id, hash]);
    const viaBuffer = (text: string) => {
      let hash = 0x811c9dc5;
      for (const byte of Buffer.from(text, 'utf8')) hash = Math.imul(hash ^ byte, 0x01000193);
      return hash >>> 0;
    };
    const samples = ['', 'abc', '\u007f\u0080\u07ff\u0800\uffff', '\uD800\uDC00\uDBFF\uDFFF', 'end\uD800', '\uDFFF\uD800\uDC00'];
    for (let cp = 0; cp < 0x11000; cp += 7) samples.push(`k${String.fromCharCode(cp & 0xffff)}${String.fromCodePoint(cp)}`);
    for (const id of samples) expect([id, fnv1a32(id)]).toEqual([id, viaBuffer(id)]);
  });

  it('put every id in exactly one shard, roughly evenly', () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => (i % 3 === 0 ? `row-${i}` : String(i)));
    for (const n of [1, 2, 3, 7]) {
      const sizes = new Array<number>(n).fill(0);
      const misplaced: string[] = [];
      for (const id of ids) {
        const owners = Array.from({ length: n }, (_, k) => k + 1).filter((k) => inShard(id, k, n));
        if (owners.length !== 1 || owners[0] !== shardOf(id, n)) misplaced.push(id);
        sizes[owners[0]! - 1]!++;
      }
      expect(misplaced).toEqual([]);
      for (const size of sizes) expect(Math.abs(size - ids.length / n)).toBeLessThan((ids.length / n) * 0.1);
    }
  });

  it.each([
    ['JSONL', (ids: string[]) => ids.map((id) => `${JSON.stringify({ id, prompt: 'p' })}\n`).join('')],
    ['CSV', (ids: string[]) => `id,prompt\n${ids.map((id) => `${id},p\n`).join('')}`],
  ])('read a %s input as one shard at a time: the shards partition it', async (_format, text) => {
    const ids = Array.from({ length: 50 }, (_, i) => `x${i}`);
    const parts = await Promise.all([1, 2, 3].map((k) => collect(readBatch(fromArray([text(ids)]), { keep: (id) => inShard(id, k, 3) }))));
    expect(parts.flat().map((e) => e.id).sort()).toEqual([...ids].sort());
    expect(parts.every((part) => part.length > 0 && part.length < ids.length)).toBe(true);
  });

  it.each([
    ['2/4', { index: 2, count: 4 }],
    ['1/1', { index: 1, count: 1 }],
    [' 3 / 3 ', { index: 3, count: 3 }],
  ])('parseShard(%j)', (text, shard) => {
    expect(parseShard(text)).toEqual(shard);
  });

  it.each(['0/4', '5/4', '2', 'a/b', '1/0', '-1/2', '1.5/3', ''])('parseShard(%j) is a usage error', (text) => {
    const err = (() => {
      try {
        parseShard(text);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(GptError);
    expect((err as GptError).kind).toBe('usage');
  });
});

const line = (id: string, status: 'ok' | 'error', text = id): string =>
  serializeResult({
    id,
    status,
    text: status === 'ok' ? text : null,
    usage: null,
    cost: null,
    error: status === 'ok' ? null : { status: 500, type: 'server_error', message: 'x' },
    attempts: 1,
  });

describe('mergeOutputs', () => {
  const dir = () => mkdtempSync(join(tmpdir(), 'gpt-batch-merge-'));

  it('writes one line per id and reports completeness against the input ids', async () => {
    const d = dir();
    const a = join(d, 'a.jsonl');
    const b = join(d, 'b.jsonl');
    writeFileSync(a, line('1', 'ok') + line('2', 'error') + line('3', 'ok'));
    // Shard b retried id 2 after a, and also (by mistake) ran id 3 again.
    writeFileSync(b, line('2', 'ok') + line('4', 'ok') + line('3', 'ok', 'again'));
    const out = join(d, 'merged.jsonl');
    const report = await mergeOutputs([a, b], out, ['1', '2', '3', '4']);
    expect(report).toEqual({ ids: 4, ok: 4, failed: [], missing: [], unexpected: [], duplicateOk: ['3'], invalid: 0, complete: true });
    const merged = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as ResultLine);
    expect(merged.map((l) => [l.id, l.status])).toEqual([
      ['1', 'ok'],
      ['2', 'ok'],
      ['4', 'ok'],
      ['3', 'ok'],
    ]);
    expect(new Set(merged.map((l) => l.id)).size).toBe(merged.length);
  });

  it('is incomplete when an input id is missing or only failed', async () => {
    const d = dir();
    const a = join(d, 'a.jsonl');
    writeFileSync(a, line('1', 'ok') + line('2', 'error') + line('9', 'ok') + 'torn{"id');
    const report = await mergeOutputs([a], join(d, 'out.jsonl'), new Set(['1', '2', '3']));
    expect(report).toMatchObject({ ids: 3, ok: 2, failed: ['2'], missing: ['3'], unexpected: ['9'], invalid: 1, complete: false });
  });

  it('refuses an empty file list', async () => {
    await expect(mergeOutputs([], join(dir(), 'o.jsonl'))).rejects.toBeInstanceOf(GptError);
  });
});
