/** Compaction: a small threshold triggers it; the next request is smaller and carries the summary or the compaction item. */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeHome } from '../support/cli.js';
import { runGpt } from '../support/in-process.js';
import { useMockServer } from '../support/fixture.js';

const server = useMockServer();
const env = () => ({ OPENAI_API_KEY: 'sk-test-COMPACT0123456789ab', OPENAI_BASE_URL: server.url });
const gpt = (home: string, args: string[], stdin?: string) => runGpt(args, { home, env: env(), ...(stdin !== undefined ? { stdin } : {}) });
const config = (home: string, yaml: string) => {
  mkdirSync(join(home, '.config', 'gpt'), { recursive: true });
  writeFileSync(join(home, '.config', 'gpt', 'config.yaml'), yaml);
};
const records = (home: string) => {
  const dir = join(home, '.local', 'share', 'gpt', 'conversations');
  const [file] = readdirSync(dir);
  return readFileSync(join(dir, file!), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
};
const usageLog = (home: string) => readFileSync(join(home, '.local', 'state', 'gpt', 'usage.jsonl'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
const long = (n: number) => `Fact ${n}: ${'the quick brown fox jumps over the lazy dog '.repeat(8).trim()}`;

describe('compaction', () => {
  it('summarising path: past conversations.compactAt the older turns are summarised and the next request is smaller', async () => {
    const home = makeHome();
    for (let i = 1; i <= 3; i++) {
      server.enqueue({ kind: 'answer', text: `Noted ${i}.` });
      expect((await gpt(home, ['chat', ...(i > 1 ? ['-c'] : ['-s', 'Keep notes.']), long(i)])).code).toBe(0);
    }
    const uncompacted = server.requests.at(-1)!.rawBody.length;
    config(home, 'conversations:\n  compactAt: 200\n  keepTurns: 1\n  compactModel: gpt-5-nano\n');
    server.enqueue({ kind: 'answer', text: 'Facts: 1 and 2 are about a fox.', usage: { prompt_tokens: 300, completion_tokens: 12 } }, { kind: 'answer', text: 'Done.' });
    const r = await gpt(home, ['chat', '-c', 'and now?']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/compacted 2 turns \(summary by gpt-5-nano\): [\d,]+ → [\d,]+ tokens sent · \$/);
    const [summaryRequest, next] = server.requests.slice(-2).map((q) => q.body as { model: string; messages: Array<{ role: string; content: string }> });
    expect(summaryRequest!.model).toBe('gpt-5-nano');
    expect(summaryRequest!.messages[0]!.content).toMatch(/Facts, Decisions, Open questions/);
    expect(summaryRequest!.messages[1]!.content).toContain('User: Fact 1');
    expect(summaryRequest!.messages[1]!.content).toContain('Assistant: Noted 2.');
    expect(summaryRequest!.messages[1]!.content).not.toContain('Fact 3');
    expect(next!.messages).toEqual([
      { role: 'system', content: 'Keep notes.' },
      { role: 'user', content: 'Summary of our conversation so far (older turns were compacted):\n\nFacts: 1 and 2 are about a fox.' },
      { role: 'assistant', content: 'Understood; I will continue from that summary.' },
      { role: 'user', content: long(3) },
      { role: 'assistant', content: 'Noted 3.' },
      { role: 'user', content: 'and now?' },
    ]);
    expect(server.requests.at(-1)!.rawBody.length).toBeLessThan(uncompacted);
    const file = records(home);
    expect(file.map((x) => x.type)).toEqual(['conversation', 'turn', 'turn', 'turn', 'compaction', 'turn']);
    expect(file[4]).toMatchObject({ replaces: 2, summary: 'Facts: 1 and 2 are about a fox.', model: 'gpt-5-nano', usage: { input_tokens: 300, output_tokens: 12 } });
    expect(file[4].tokens_after).toBeLessThan(file[4].tokens_before);
    expect(usageLog(home).map((x) => x.requested_model)).toContain('gpt-5-nano');
    // The file keeps every turn: history show still has them all.
    expect((await gpt(home, ['history', 'show', file[0].id])).stdout).toContain('Fact 1');
  });

  it('Responses API path: -c --compact calls /responses/compact and the next request starts from the compaction item', async () => {
    const home = makeHome();
    config(home, 'conversations:\n  keepTurns: 1\n');
    for (let i = 1; i <= 3; i++) await gpt(home, ['chat', '--api', 'responses', ...(i > 1 ? ['-c'] : []), long(i)]);
    const r = await gpt(home, ['chat', '--api', 'responses', '-c', '--compact', 'next']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/compacted 2 turns \(Responses API \/responses\/compact\): [\d,]+ → [\d,]+ tokens sent/);
    const compact = server.requests.find((q) => q.path === '/v1/responses/compact')!.body as { model: string; input: unknown[] };
    expect(compact.model).toBe('gpt-5-mini');
    expect(compact.input).toHaveLength(4);
    const next = server.requests.at(-1)!.body as { input: unknown[] };
    expect(next.input).toEqual([
      { id: 'cmp_001', type: 'compaction', encrypted_content: 'gAAAA-mock-compaction-of-4-items' },
      { role: 'user', content: long(3) },
      { role: 'assistant', content: 'Hello from the mock.' },
      { role: 'user', content: 'next' },
    ]);
    const file = records(home);
    expect(file.at(-2)).toMatchObject({ type: 'compaction', replaces: 2, items: [{ type: 'compaction' }] });
    expect(usageLog(home)).toHaveLength(5);
    // The chat API cannot read the item: it is sent the turns instead.
    await gpt(home, ['chat', '--api', 'chat', '-c', 'plain']);
    expect((server.requests.at(-1)!.body as { messages: unknown[] }).messages).toHaveLength(9);
  });

  it('/compact in a session; nothing to compact says so', async () => {
    const home = makeHome();
    config(home, 'conversations:\n  keepTurns: 1\n');
    server.enqueue({ kind: 'answer', text: 'a' }, { kind: 'answer', text: 'b' }, { kind: 'answer', text: 'SUMMARY' }, { kind: 'answer', text: 'c' });
    const r = await gpt(home, ['chat', '-i'], '/compact\none\ntwo\n/compact\nthree\n');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('nothing to compact');
    expect(r.stderr).toMatch(/compacted 1 turns/);
    const last = server.requests.at(-1)!.body as { messages: Array<{ content: string }> };
    expect(last.messages.map((m) => m.content)).toEqual([expect.stringContaining('SUMMARY'), 'Understood; I will continue from that summary.', 'two', 'b', 'three']);
  });
});
