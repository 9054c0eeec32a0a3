/** The conversation files: append-only lines, torn lines skipped, ids by unique prefix, listings from stored usage. */
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConversationWriter, historyMessages } from '../../src/conversations/history.js';
import { conversationIds, lastConversationId, loadConversation, newConversationId, resolveId, summarize, titleOf } from '../../src/conversations/store.js';
import type { TurnRecord } from '../../src/conversations/types.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'gpt-conv-'));
  dirs.push(dir);
  return join(dir, 'gpt', 'conversations');
};

const turn = (user: string, answer: string, tokens = 10, usd = 0.001): TurnRecord => ({
  type: 'turn',
  at: '2026-12-03T00:00:00.000Z',
  messages: [{ role: 'user', content: user }],
  answer,
  model: 'gpt-5.2',
  model_reported: 'gpt-5.2-x',
  usage: { input_tokens: tokens - 2, cached_input_tokens: 0, output_tokens: 2, reasoning_tokens: 0, total_tokens: tokens, estimated: false },
  cost: { input_usd: usd, cached_input_usd: 0, output_usd: 0, total_usd: usd, priced: true },
  finish_reason: 'stop',
  latency_ms: 5,
});

describe('conversation store', () => {
  it('writes a header with the first turn, one line per turn, 0600 in 0700', async () => {
    const dir = tempDir();
    const writer = new ConversationWriter(dir, { profile: 'openai', model: 'gpt-5.2', system: 'Be terse.' });
    const id = await writer.appendTurn(turn('my name is Zed\nsecond line', 'ok'), new Date(1_700_000_000_000));
    await writer.appendTurn(turn('what is my name?', 'Zed'));
    const file = join(dir, `${id}.jsonl`);
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.type)).toEqual(['conversation', 'turn', 'turn']);
    expect(lines[0]).toMatchObject({ id, profile: 'openai', model: 'gpt-5.2', system: 'Be terse.', title: 'my name is Zed', created: '2023-11-14T22:13:20.000Z' });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const loaded = await loadConversation(dir, id);
    expect(historyMessages(loaded, loaded.header.system)).toEqual([
      { role: 'system', content: 'Be terse.' },
      { role: 'user', content: 'my name is Zed\nsecond line' },
      { role: 'assistant', content: 'ok' },
      { role: 'user', content: 'what is my name?' },
      { role: 'assistant', content: 'Zed' },
    ]);
  });

  it('skips a torn last line and a foreign line, keeping the rest', async () => {
    const dir = tempDir();
    const writer = new ConversationWriter(dir, { profile: 'openai', model: 'm' });
    const id = await writer.appendTurn(turn('one', 'a'));
    appendFileSync(join(dir, `${id}.jsonl`), '"just a string"\n');
    await writer.appendTurn(turn('two', 'b'));
    appendFileSync(join(dir, `${id}.jsonl`), '{"type":"turn","at":"2026-12-03T00:0');
    const loaded = await loadConversation(dir, id);
    expect(loaded.turns.map((t) => t.answer)).toEqual(['a', 'b']);
    expect(loaded.skipped).toEqual([3, 5]);
  });

  it('resolves unique prefixes; unknown and ambiguous ones are exit 2 naming the candidates', async () => {
    const dir = tempDir();
    const a = await new ConversationWriter(dir, { profile: 'p', model: 'm' }).appendTurn(turn('a', 'a'), new Date(1_700_000_000_000));
    const b = await new ConversationWriter(dir, { profile: 'p', model: 'm' }).appendTurn(turn('b', 'b'), new Date(1_700_000_000_001));
    expect(a.slice(0, 9)).toBe(b.slice(0, 9));
    expect(await conversationIds(dir)).toEqual([b, a]);
    expect(await resolveId(dir, a.toLowerCase())).toBe(a);
    await expect(resolveId(dir, a.slice(0, 9))).rejects.toMatchObject({ kind: 'usage', message: expect.stringContaining(`${b}, ${a}`) });
    await expect(resolveId(dir, 'ZZZ')).rejects.toMatchObject({ kind: 'usage', message: expect.stringContaining("no conversation matches 'ZZZ'") });
    expect(await lastConversationId(dir)).toBeDefined();
    expect(await lastConversationId(join(dir, 'none'))).toBeUndefined();
  });

  it('summaries sum the stored usage and search titles and contents', async () => {
    const dir = tempDir();
    const writer = new ConversationWriter(dir, { profile: 'p', model: 'm' });
    const id = await writer.appendTurn(turn('Tell me about otters', 'They hold hands', 10, 0.25));
    await writer.appendTurn(turn('and beavers?', 'They build dams', 30, 0.5));
    expect(await summarize(dir, id)).toMatchObject({ turns: 2, tokens: 40, usd: 0.75, header: { title: 'Tell me about otters' } });
    expect(await summarize(dir, id, 'DAMS')).toBeDefined();
    expect(await summarize(dir, id, 'walrus')).toBeUndefined();
    expect(titleOf('  x'.repeat(100)).length).toBe(80);
  });
});

describe('conversation ids', () => {
  it('are ULIDs: the time in Crockford base 32 (the spec example), then 16 random characters', () => {
    const id = newConversationId(1469918176385);
    expect(id).toMatch(/^01ARYZ6S41[0-9A-HJKMNP-TV-Z]{16}$/);
    expect(newConversationId(0)).toMatch(/^0{10}/);
  });

  it('sort by time, and differ within one millisecond', () => {
    const ids = [1, 2, 1000, 1764000000000, 1764000000001].map((t) => newConversationId(t));
    expect([...ids].sort()).toEqual(ids);
    const same = new Set(Array.from({ length: 1000 }, () => newConversationId(1764000000000)));
    expect(same.size).toBe(1000);
  });
});
