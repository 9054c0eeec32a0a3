import { describe, expect, it } from 'vitest';
import { LineDecoder, SseDecoder, type SseEvent } from '../../src/providers/sse.js';

const enc = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));

function decodeLines(chunks: Uint8Array[]): string[] {
  const decoder = new LineDecoder();
  const lines = chunks.flatMap((c) => decoder.decode(c));
  return [...lines, ...decoder.flush()];
}

function decodeEvents(chunks: Uint8Array[]): SseEvent[] {
  const decoder = new SseDecoder();
  return [...chunks.flatMap((c) => decoder.push(c)), ...decoder.end()];
}

/** Every way of cutting `bytes` in two, plus one byte at a time. */
function splits(bytes: Uint8Array): Uint8Array[][] {
  const out: Uint8Array[][] = [[bytes]];
  for (let i = 1; i < bytes.length; i++) out.push([bytes.subarray(0, i), bytes.subarray(i)]);
  out.push(Array.from(bytes, (_b, i) => bytes.subarray(i, i + 1)));
  return out;
}

describe('LineDecoder', () => {
  it.each([
    ['LF', 'a\nb\n', ['a', 'b']],
    ['CRLF', 'a\r\nb\r\n', ['a', 'b']],
    ['lone CR', 'a\rb\r', ['a', 'b']],
    ['LF, CRLF and a lone CR mixed', 'a\r\nb\rc\n', ['a', 'b', 'c']],
    ['blank lines kept', 'a\n\nb\n', ['a', '', 'b']],
    ['CRLF blank line', 'a\r\n\r\nb\r\n', ['a', '', 'b']],
    ['no final newline', 'a\nlast', ['a', 'last']],
    ['multi-byte UTF-8', 'héllo 👋 世界\n', ['héllo 👋 世界']],
  ])('%s, cut at every byte boundary', (_name, text, expected) => {
    for (const chunks of splits(enc(text))) expect(decodeLines(chunks)).toEqual(expected);
  });

  it('decodes a very large line (8 MiB), under the default cap', () => {
    const big = 'x'.repeat(8 * 1024 * 1024);
    const bytes = enc(`${big}\n`);
    const chunks = [];
    for (let i = 0; i < bytes.length; i += 65536) chunks.push(bytes.subarray(i, i + 65536));
    const lines = decodeLines(chunks);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.length).toBe(big.length);
  });
});

describe('the line cap', () => {
  const cap = 16;
  const line = (n: number) => enc(`${'x'.repeat(n)}\n`);

  it.each([
    ['in one chunk', [line(17)]],
    ['cut into pieces', [enc('x'.repeat(9)), enc('x'.repeat(9))]],
    ['after a CR-framed line', [enc(`a\r${'x'.repeat(17)}\r`)]],
  ])('a line over it is refused %s', (_how, chunks) => {
    const decoder = new LineDecoder(cap);
    expect(() => chunks.forEach((c) => decoder.decode(c))).toThrow(/a stream line over 16 bytes/);
  });

  it('a line at the cap is fine', () => {
    const decoder = new LineDecoder(cap);
    expect([...decoder.decode(line(16)), ...decoder.decode(enc('y'.repeat(16))), ...decoder.flush()]).toEqual(['x'.repeat(16), 'y'.repeat(16)]);
  });

  it('an event whose data lines add up to more is refused too', () => {
    const decoder = new SseDecoder(cap);
    expect(() => decoder.push(enc('data: 12345678\ndata: 12345678\n'))).toThrow(/a stream event over 16 bytes/);
  });

  it('the refusal is an API error (exit 7)', () => {
    expect(() => new LineDecoder(cap).decode(line(17))).toThrow(expect.objectContaining({ kind: 'api', exitCode: 7 }));
  });
});

describe('SseDecoder', () => {
  const stream = [
    ': keep-alive comment\n\n',
    'data: {"a":1}\n\n',
    'event: response.output_text.delta\ndata: {"delta":"é"}\n\n',
    'data: line one\ndata: line two\n\n',
    'data:no-space\n\n',
    'id: 7\nretry: 100\ndata: x\n\n',
    'data: [DONE]\n\n',
  ].join('');
  const expected: SseEvent[] = [
    { event: undefined, data: '{"a":1}' },
    { event: 'response.output_text.delta', data: '{"delta":"é"}' },
    { event: undefined, data: 'line one\nline two' },
    { event: undefined, data: 'no-space' },
    { event: undefined, data: 'x' },
    { event: undefined, data: '[DONE]' },
  ];

  it('parses fields, comments, multi-line data and [DONE] whatever the cuts', () => {
    for (const chunks of splits(enc(stream))) expect(decodeEvents(chunks)).toEqual(expected);
  });

  it('handles CRLF framing the same way', () => {
    const crlf = enc(stream.replace(/\n/g, '\r\n'));
    for (const chunks of splits(crlf)) expect(decodeEvents(chunks)).toEqual(expected);
  });

  it('delivers a last event that lacks its blank line', () => {
    expect(decodeEvents([enc('data: {"a":1}\n\ndata: tail')])).toEqual([
      { event: undefined, data: '{"a":1}' },
      { event: undefined, data: 'tail' },
    ]);
  });

  it('an event line without data is not an event', () => {
    expect(decodeEvents([enc('event: ping\n\ndata: 1\n\n')])).toEqual([{ event: undefined, data: '1' }]);
  });
});

describe('any cut of any stream', () => {
  /** A small deterministic PRNG, so a failure can be replayed. */
  function prng(seed: number): () => number {
    let s = seed >>> 0;
    return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  }
  const pieces = ['data: ', 'data:', 'event: x', ': c', 'é', '👋', '世', 'a', '{"k":"v"}', '\n', '\r\n', '\r', '\n\n', 'id: 1'];

  it('gives the same events whole or cut into random pieces (500 streams)', () => {
    for (let seed = 1; seed <= 500; seed++) {
      const random = prng(seed);
      let text = '';
      for (let i = 0; i < 40; i++) text += pieces[Math.floor(random() * pieces.length)];
      const bytes = enc(text);
      const cuts: Uint8Array[] = [];
      for (let at = 0; at < bytes.length; ) {
        const size = 1 + Math.floor(random() * 7);
        cuts.push(bytes.subarray(at, at + size));
        at += size;
      }
      expect(decodeEvents(cuts), `seed ${seed}`).toEqual(decodeEvents([bytes]));
    }
  });
});
