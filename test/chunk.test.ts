/** `--chunk` end to end against the loopback server: request count, each request under the window, reduce input = map outputs, summed cost. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadEncodingCounter } from '../src/accounting/tokenizer.js';
import { makeHome, type CliOptions } from './support/cli.js';
import { runGpt } from './support/in-process.js';
import { useMockServer } from './support/fixture.js';

const server = useMockServer();

function gpt(args: string[], options: CliOptions = {}) {
  return runGpt(args, { ...options, env: { OPENAI_API_KEY: 'sk-test-CHUNK0123456789', OPENAI_BASE_URL: server.url, ...options.env } });
}

function homeWith(files: Record<string, string>): string {
  const home = makeHome();
  for (const [name, text] of Object.entries(files)) writeFileSync(join(home, name), text);
  return home;
}

const paragraph = (i: number) => `Paragraph ${i}: ${'the quick brown fox jumps over the lazy dog '.repeat(40).trim()}`;
const book = Array.from({ length: 40 }, (_, i) => paragraph(i + 1)).join('\n\n'); // ~14,000 tokens
const userText = (body: any) => body.messages.at(-1).content as string;

describe('gpt run --chunk', () => {
  it('maps each piece, reduces over the answers, and sums the cost of every request in the footer', async () => {
    const home = homeWith({ 'sum.md': 'Summarise this text:\n\n{{input}}' });
    const counter = await loadEncodingCounter('cl100k_base');
    // gpt-4: an 8,192-token window; with 1,000 output tokens each request may carry 7,192 input tokens.
    const mapAnswers = Array.from({ length: 3 }, (_, i) => `summary-${i + 1}`);
    for (const text of mapAnswers) server.enqueue({ kind: 'answer', text, usage: { prompt_tokens: 5000, completion_tokens: 100 } });
    server.enqueue({ kind: 'answer', text: 'FINAL', usage: { prompt_tokens: 200, completion_tokens: 50 } });
    const r = await gpt(['run', './sum.md', '-m', 'gpt-4', '--max-output-tokens', '1000', '--chunk'], { home, stdin: book });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('FINAL');
    const bodies = server.requests.map((q) => q.body as any);
    expect(bodies).toHaveLength(4);
    for (const body of bodies) expect(counter.countChat(body.messages)).toBeLessThanOrEqual(8192 - 1000);
    // Every paragraph went to exactly one map request, in order.
    const mapped = bodies.slice(0, 3).map(userText).join('\n\n');
    for (let i = 1; i <= 40; i++) expect(mapped.split(`Paragraph ${i}:`).length).toBe(2);
    // The reduce request holds the three map answers.
    const reduce = userText(bodies[3]);
    expect(reduce.startsWith('Summarise this text:')).toBe(true);
    for (const answer of mapAnswers) expect(reduce).toContain(answer);
    // 15,200 input tokens at $30/M + 350 output at $60/M = $0.477
    expect(r.stderr).toMatch(/--chunk total: 4 requests · 15,200 in · 350 out · \$0\.477\d*\n/);
  });

  it('--dry-run prints the plan and its estimate and sends nothing; input that fits just runs once', async () => {
    const home = homeWith({ 'sum.md': 'Summarise this text:\n\n{{input}}' });
    const dry = await gpt(['run', './sum.md', '-m', 'gpt-4', '--max-output-tokens', '1000', '--chunk', '--dry-run'], { home, stdin: book });
    expect(dry.code).toBe(0);
    expect(dry.stderr).toMatch(/--chunk: 3 pieces of at most [\d,]+ tokens → ~4 requests on gpt-4, ~[\d,]+ input \+ ~4,000 output tokens, ~\$\d/);
    expect(server.requests).toHaveLength(0);
    const once = await gpt(['run', './sum.md', '-m', 'gpt-4', '--chunk'], { home, stdin: 'short text' });
    expect(once.code).toBe(0);
    expect(server.requests).toHaveLength(1);
    expect(userText(server.requests[0]!.body)).toBe('Summarise this text:\n\nshort text');
  });

  it('--chunk-tokens smaller than the template is exit 2 before any request', async () => {
    const home = homeWith({ 'sum.md': `${'Read this carefully and answer in French. '.repeat(10)}\n\n{{input}}` });
    const r = await gpt(['run', './sum.md', '-m', 'gpt-4', '--chunk', '--chunk-tokens', '20'], { home, stdin: book });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^gpt: --chunk-tokens 20 is too small for the prompt: its own text is \d+ tokens/);
    expect(server.requests).toHaveLength(0);
  });
});

describe('gpt chat --chunk', () => {
  it('the message is the instruction and piped stdin the input', async () => {
    const r = await gpt(['chat', '-m', 'gpt-4', '--max-output-tokens', '1000', '--chunk', '--chunk-tokens', '3000', 'List the animals'], { stdin: book });
    expect(r.code).toBe(0);
    const bodies = server.requests.map((q) => q.body as any);
    expect(bodies.length).toBeGreaterThanOrEqual(6); // ≥ 5 pieces of 3,000 tokens, then a reduce
    for (const body of bodies.slice(0, -1)) expect(userText(body).startsWith('List the animals\n\nParagraph')).toBe(true);
    expect(userText(bodies.at(-1))).toContain('--- part 1 of');
  });
});

describe('gpt cost --chunk', () => {
  it('prices the whole plan per model, as run --chunk would cut it; nothing is sent', async () => {
    const home = homeWith({ 'sum.md': 'Summarise this text:\n\n{{input}}' });
    const r = await gpt(['cost', './sum.md', '--chunk', '--json', '-m', 'gpt-4,gpt-5.2', '--max-output-tokens', '1000'], { home, stdin: book });
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout).chunk;
    expect(rows.map((row: any) => [row.model, row.pieces, row.requests, row.output_tokens])).toEqual([
      ['gpt-4', 3, 4, 4000],
      ['gpt-5.2', 1, 1, 1000],
    ]);
    // 3 map requests + 1 reduce; input = the book once + the prompt 3 times + 3 answers in the reduce (+ its prompt)
    expect(rows[0].cost_usd).toBeCloseTo((rows[0].input_tokens * 30 + 4000 * 60) / 1e6, 6);
    expect(server.requests).toHaveLength(0);
  });
});

describe('template chunk: {map, reduce}', () => {
  it('the map prompt runs over each piece and the reduce prompt over the answers', async () => {
    const template = ['---', 'chunk:', '  map: "Extract the facts from:\\n\\n{{input}}"', '  reduce: "Merge these fact lists:\\n\\n{{input}}"', '---', 'Summarise: {{input}}'].join('\n');
    const home = homeWith({ 'facts.md': template });
    const r = await gpt(['run', './facts.md', '-m', 'gpt-4', '--max-output-tokens', '1000', '--chunk'], { home, stdin: book });
    expect(r.code).toBe(0);
    const texts = server.requests.map((q) => userText(q.body));
    expect(texts).toHaveLength(4);
    for (const text of texts.slice(0, 3)) expect(text.startsWith('Extract the facts from:\n\nParagraph')).toBe(true);
    expect(texts[3]!.startsWith('Merge these fact lists:\n\nThe input was too long')).toBe(true);
  });

  it('an unknown key under chunk is a usage error naming the file', async () => {
    const home = homeWith({ 'bad.md': '---\nchunk:\n  mapp: "x {{input}}"\n---\nbody' });
    const r = await gpt(['run', './bad.md', '--chunk'], { home, stdin: 'x' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.md.*unknown key 'mapp' in chunk \(did you mean 'map'\?\)/);
  });
});
