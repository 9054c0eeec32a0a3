import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { get_encoding, type Tiktoken } from 'tiktoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHAT_OVERHEAD, loadCounter, loadEncodingCounter } from '../../src/accounting/tokenizer.js';

let reference: Record<'o200k_base' | 'cl100k_base', Tiktoken>;
beforeAll(() => {
  reference = { o200k_base: get_encoding('o200k_base'), cl100k_base: get_encoding('cl100k_base') };
});
afterAll(() => {
  reference.o200k_base.free();
  reference.cl100k_base.free();
});

describe('loadCounter', () => {
  it('counts known strings (ids checked with tiktoken 1.0.22)', async () => {
    const o200k = await loadCounter('gpt-5.2');
    const cl100k = await loadCounter('gpt-3.5-turbo');
    expect([o200k.encoding, o200k.exact, cl100k.encoding, cl100k.exact]).toEqual(['o200k_base', true, 'cl100k_base', true]);
    expect(o200k.count('hello world')).toBe(2); // [24912, 2375]
    expect(cl100k.count('hello world')).toBe(2); // [15339, 1917]
    expect(o200k.count('You are a helpful assistant.')).toBe(6);
    expect(o200k.count('What is 2+2?')).toBe(7); // 2, +, 2 are separate digits/punctuation
    expect(o200k.count('')).toBe(0);
  });

  it('counts special-token text as ordinary text instead of throwing', async () => {
    const counter = await loadCounter('gpt-4o');
    expect(counter.count('<|endoftext|>')).toBe(7); // < | end of text | >
    expect(counter.count('a <|endofprompt|> b <|fim_prefix|>')).toBe(reference.o200k_base.encode_ordinary('a <|endofprompt|> b <|fim_prefix|>').length);
  });

  it('marks another vendor\'s model approximate', async () => {
    expect((await loadCounter('anthropic/claude-sonnet-4.5')).exact).toBe(false);
    expect((await loadCounter('some-unknown-model')).encoding).toBe('o200k_base');
  });

  it('shares one encoder per encoding', async () => {
    const a = await loadCounter('gpt-5.2');
    const b = await loadCounter('o3');
    expect(a.count).toBe(b.count);
  });

  it.each(['o200k_base', 'cl100k_base'] as const)('agrees with whole-text tiktoken on source files and tricky text (%s)', async (encoding) => {
    const counter = await loadEncodingCounter(encoding);
    const srcDir = join(import.meta.dirname, '../../src');
    const files = readdirSync(srcDir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    const texts = files.map((f) => readFileSync(join(srcDir, f), 'utf8'));
    texts.push(
      '\ufeffBOM at the start, and\ufeff inside', // U+FEFF is not whitespace to tiktoken (it is to JS's \s)
      'NEL\u0085between and\u00a0nbsp\u3000ideographic space',
      "I'LL DON'T it's WE'RE they'Ve",
      'Der Straße ÄÖÜ — naïve café, e\u0301 composed',
      '日本語のテキストと中文文本、한국어 텍스트',
      'שלום עולם مرحبا بالعالم',
      '👨‍👩‍👧 family 🏳️‍🌈 flags 😀🏽',
      '  \n\n  x\t\t\ny\r\n\r\n   z   ',
      '1234567890 3.14159 1,000,000',
      'path/to/file.ts:12:5\n/root\n./x',
      'lone \ud800 surrogate \udc00 here',
      '```ts\nconst x = { a: 1 };\n```\n',
    );
    const ref = reference[encoding];
    for (const text of texts) expect(counter.count(text), text.slice(0, 40)).toBe(ref.encode_ordinary(text).length);
  });

  it('agrees with whole-text tiktoken on random mixed-script strings', async () => {
    const counter = await loadEncodingCounter('o200k_base');
    const ranges = [[0x20, 0x7e], [0x09, 0x0d], [0xa0, 0x24f], [0x300, 0x36f], [0x370, 0x4ff], [0x590, 0x6ff], [0x2000, 0x206f], [0x3000, 0x30ff], [0xfe00, 0xfeff], [0x1f300, 0x1f6ff], [0x85, 0x85]] as const;
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let i = 0; i < 3000; i++) {
      let text = '';
      for (let k = 0, len = 1 + Math.floor(random() * 16); k < len; k++) {
        const [lo, hi] = random() < 0.5 ? ranges[Math.floor(random() * 2)]! : ranges[Math.floor(random() * ranges.length)]!;
        text += String.fromCodePoint(lo + Math.floor(random() * (hi - lo + 1)));
      }
      expect(counter.count(text), JSON.stringify(text)).toBe(reference.o200k_base.encode_ordinary(text).length);
    }
  });

  it('counts a long unbroken run in linear time, exactly for a uniform run', async () => {
    const counter = await loadEncodingCounter('o200k_base');
    const started = performance.now();
    expect(counter.count('a'.repeat(1 << 20))).toBe(131_072); // 8 letters a token, as whole-text tiktoken says for shorter runs
    expect(performance.now() - started).toBeLessThan(10_000); // whole-piece BPE takes minutes (quadratic) or crashes
    expect(reference.o200k_base.encode_ordinary('a'.repeat(4096)).length).toBe(512);
  });
});

describe('countChat', () => {
  it('adds 3 per message, the role and content tokens, 1 per name plus its tokens, and 3 for the reply primer', async () => {
    const counter = await loadCounter('gpt-4o');
    const messages = [
      { role: 'system' as const, content: 'You are a helpful assistant.' }, // 3 + 1 (system) + 6
      { role: 'user' as const, content: 'hello world' }, // 3 + 1 (user) + 2
    ];
    expect(counter.countChat(messages)).toBe(10 + 6 + 3);
    expect(counter.countChat([{ role: 'user', content: 'hello world', name: 'example_user' }])).toBe(
      3 + 1 + 2 + CHAT_OVERHEAD.perName + counter.count('example_user') + 3,
    );
    expect(counter.countChat([])).toBe(3);
  });

  it('reproduces the OpenAI cookbook example: 129 tokens on gpt-3.5/gpt-4, 124 on gpt-4o', async () => {
    const example = [
      { role: 'system' as const, content: 'You are a helpful, pattern-following assistant that translates corporate jargon into plain English.' },
      { role: 'system' as const, name: 'example_user', content: 'New synergies will help drive top-line growth.' },
      { role: 'system' as const, name: 'example_assistant', content: 'Things working well together will increase revenue.' },
      { role: 'system' as const, name: 'example_user', content: "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage." },
      { role: 'system' as const, name: 'example_assistant', content: "Let's talk later when we're less busy about how to do better." },
      { role: 'user' as const, content: "This late pivot means we don't have time to boil the ocean for the client deliverable." },
    ];
    expect((await loadCounter('gpt-3.5-turbo')).countChat(example)).toBe(129);
    expect((await loadCounter('gpt-4')).countChat(example)).toBe(129);
    expect((await loadCounter('gpt-4o')).countChat(example)).toBe(124);
    expect((await loadCounter('gpt-4o-mini')).countChat(example)).toBe(124);
  });
});
