/**
 * One item's lifecycle (prepare → estimate → send → validate → record) step by step, with a fake provider,
 * a fake clock and a fake token counter: no network, no tokenizer, no real waiting.
 */
import { describe, expect, it } from 'vitest';
import type { UsageRecord } from '../../src/accounting/usage-log.js';
import { answerResult, intake, prepareItem, priceBook, sendItem, stoppable, type PreparedItem, type Work } from '../../src/batch/item.js';
import { collect, type CollectContext } from '../../src/batch/openai-batch-collect.js';
import type { RecordedBatch } from '../../src/batch/openai-batch-state.js';
import { runBatch } from '../../src/batch/runner.js';
import { Tally, exitErrorFor } from '../../src/batch/tally.js';
import type { BatchEntry, BatchItem, ResultLine } from '../../src/batch/types.js';
import { GptError, LineSplitter, systemClock } from '../../src/domain/index.js';
import type { ProviderRequest } from '../../src/providers/types.js';
import { FakeClock, FakeProvider, MemorySink, PRICING, fakeCounter, fromArray, priceOf, usageOf, type Reply } from './fakes.js';

const prices = priceBook(PRICING);
const item = (more: Partial<BatchItem> = {}): BatchItem => ({ id: 'a', line: 3, prompt: 'hello there', options: {}, ...more });

async function prepared(entry: BatchItem = item()): Promise<PreparedItem> {
  const result = await prepareItem(entry, { model: 'base-model', options: { temperature: 1, system: 'Be brief.' }, priceOf: prices });
  if ('error' in result) throw new Error(result.error);
  return result;
}

const work = async (entry?: BatchItem): Promise<Work> => ({ ...(await prepared(entry)), estimate: { input: 0, output: 0, usd: 0 }, attempts: 1 });

function sender(reply?: (request: ProviderRequest, call: number) => Reply) {
  const clock = new FakeClock();
  const provider = new FakeProvider(clock, reply, 40);
  const context = { provider, clock, counterFor: fakeCounter(7), signal: new AbortController().signal };
  const hooks = { retries: [] as number[], limits: [] as Record<string, string>[] };
  const on = { onRateLimit: (h: Record<string, string>) => hooks.limits.push(h), onRetry: (e: { delayMs: number }) => hooks.retries.push(e.delayMs) };
  return { clock, provider, context, hooks, on };
}

describe('prepare', () => {
  it('puts the line’s model and options over the command’s, the system prompt first, and the model’s price on the item', async () => {
    const p = await prepared(item({ model: 'line-model', options: { temperature: 0.2, stop: ['END'] } }));
    expect(p).toEqual({
      id: 'a',
      line: 3,
      model: 'line-model',
      options: { temperature: 0.2, system: 'Be brief.', stop: ['END'] },
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'hello there' },
      ],
      price: prices('line-model'),
    });
    expect(p.price).toMatchObject({ input: 1, output: 2 });
    expect((await prepared(item({ model: 'unpriced' }))).price).toBeNull();
  });

  it('a template that cannot render the line makes it that line’s error; other errors are not swallowed', async () => {
    const render = (entry: BatchItem) => {
      if (entry.id === 'bad') throw new GptError('usage', `line ${entry.line}: missing template variable: topic`);
      if (entry.id === 'bug') throw new TypeError('a bug');
      return [{ role: 'user' as const, content: 'x' }];
    };
    const base = { model: 'm', options: {}, render, priceOf: prices };
    expect(await prepareItem(item({ id: 'bad' }), base)).toEqual({ error: 'line 3: missing template variable: topic' });
    await expect(prepareItem(item({ id: 'bug' }), base)).rejects.toThrow(TypeError);
  });

  it('intake: counts reads, rejects bad lines and refused items with their error line, skips resumed ids, yields the rest prepared', async () => {
    const entries: BatchEntry[] = [item({ id: 'a' }), { id: '2', line: 2, error: 'line 2: invalid JSON' }, item({ id: 'done' }), item({ id: 'dup' }), item({ id: 'b' })];
    const rejected: ResultLine[] = [];
    let read = 0;
    let skipped = 0;
    const out: string[] = [];
    for await (const p of intake(fromArray(entries), {
      skipIds: new Set(['done']),
      onRead: () => read++,
      onSkip: () => skipped++,
      onReject: async (line) => void rejected.push(line),
      refuse: (entry) => (entry.id === 'dup' ? 'duplicate' : undefined),
      prepare: { model: 'm', options: {}, priceOf: prices },
    })) {
      out.push(p.id);
    }
    expect(out).toEqual(['a', 'b']);
    expect({ read, skipped }).toEqual({ read: 5, skipped: 1 });
    expect(rejected.map((l) => [l.id, l.error?.type, l.error?.message, l.attempts])).toEqual([
      ['2', 'invalid_line', 'line 2: invalid JSON', 0],
      ['dup', 'invalid_line', 'duplicate', 0],
    ]);
  });
});

describe('send', () => {
  it('collects the answer, the usage and the reported model, times it on the injected clock, and prices it', async () => {
    const { context, on } = sender(() => ({ text: 'an answer', usage: usageOf(12, 3) }));
    const w = await work();
    const answer = await sendItem(w, context, on);
    expect(answer).toEqual({ text: 'an answer', usage: usageOf(12, 3), cost: priceOf('base-model', usageOf(12, 3)), reportedModel: 'base-model-2026-01-01', latencyMs: 40 });
    expect(w.attempts).toBe(1);
  });

  it('counts every retry as an attempt, drops what a broken stream delivered, and reports rate-limit hints and retries', async () => {
    const { context, on, hooks } = sender(() => ({
      text: 'whole',
      rateLimit: { 'x-ratelimit-remaining-requests': '9' },
      retries: [
        { delayMs: 100, reason: '429 Too Many Requests', status: 429 },
        { delayMs: 200, reason: 'ECONNRESET', restart: true },
      ],
    }));
    const w = await work();
    const answer = await sendItem(w, context, on);
    expect(answer.text).toBe('whole');
    expect(answer.latencyMs).toBe(340);
    expect(w.attempts).toBe(3);
    expect(hooks.retries).toEqual([100, 200]);
    expect(hooks.limits).toEqual([{ 'x-ratelimit-remaining-requests': '9' }]);
  });

  it('usage the API did not report is counted locally (input from the messages, output from the text), marked estimated', async () => {
    const { context, on } = sender(() => ({ text: 'three words here', usage: null }));
    const answer = await sendItem(await work(), context, on);
    expect(answer.usage).toEqual({ input_tokens: 7, cached_input_tokens: 0, output_tokens: 3, reasoning_tokens: 0, total_tokens: 10, estimated: true });
  });

  it('a cost the provider reports replaces the computed one', async () => {
    const { context, on } = sender(() => ({ providerCostUsd: 0.25 }));
    const answer = await sendItem(await work(), context, on);
    expect(answer.cost).toMatchObject({ total_usd: 0.25, priced: true, source: 'provider' });
  });
});

describe('stoppable reads', () => {
  it('passes entries through, settles a pending read with undefined on a stop, and reads nothing after it', async () => {
    let release: (() => void) | undefined;
    async function* slow(): AsyncGenerator<number> {
      yield 1;
      yield 2;
      await new Promise<void>((resolve) => (release = resolve));
      yield 3;
    }
    const stop = new AbortController();
    const reader = stoppable(slow(), stop.signal);
    expect(await reader.next()).toEqual({ value: 1, done: false });
    expect(await reader.next()).toEqual({ value: 2, done: false });
    const pending = reader.next();
    await new Promise((resolve) => setImmediate(resolve));
    stop.abort();
    expect(await pending).toBeUndefined();
    expect(await reader.next()).toBeUndefined();
    reader.dispose();
    release?.();
  });
});

describe('validate', () => {
  it('an answer that does not match the schema is an error line that keeps its text, usage and cost (it was paid for)', async () => {
    const w = await work(item({ options: { schema: { name: 'label', schema: { type: 'object' } } } }));
    const answer = { text: 'not json', usage: usageOf(1, 2), cost: priceOf('base-model', usageOf(1, 2)), latencyMs: 1 };
    const line = await answerResult(w, answer, async () => ['not JSON', 'a', 'b', 'c', 'd', 'e']);
    expect(line).toEqual({
      id: 'a',
      status: 'error',
      text: 'not json',
      usage: answer.usage,
      cost: answer.cost,
      error: { status: null, type: 'schema_validation', message: 'the answer does not match schema label: not JSON; a; b; c; d' },
      attempts: 1,
    });
    expect((await answerResult(w, answer, async () => [])).status).toBe('ok');
    // Without a schema the check is never asked.
    expect((await answerResult(await work(), answer, async () => ['x'])).status).toBe('ok');
  });
});

describe('record (the runner)', () => {
  const runWith = async (reply: (request: ProviderRequest, call: number) => Reply, more: { writer?: MemorySink | { write(): Promise<void> } } = {}) => {
    const clock = new FakeClock();
    const records: UsageRecord[] = [];
    const summary = await runBatch({
      items: fromArray([item({ id: 'a', prompt: 'p0' }), item({ id: 'b', prompt: 'p1', model: 'line-model' }), item({ id: 'c', prompt: 'p2' })]),
      provider: new FakeProvider(clock, reply, 25),
      model: 'base-model',
      options: {},
      concurrency: 1,
      writer: more.writer ?? new MemorySink(),
      clock,
      pricing: PRICING,
      counterFor: fakeCounter(),
      usageLog: { sink: { add: (r) => records.push(r) }, profile: 'work', template: 'classify' },
    });
    return { summary, records };
  };

  it('logs one usage record per ok answer, with the model it asked for and the one that answered, its price, latency and template', async () => {
    const { records, summary } = await runWith((req) => (req.messages[0]!.content === 'p2' ? { error: new GptError('api', 'boom', { status: 500 }) } : { usage: usageOf(10, 5) }));
    expect(summary).toMatchObject({ ok: 2, failed: 1 });
    expect(records).toHaveLength(2);
    expect(records[1]).toEqual({
      ts: new Date(50).toISOString(),
      command: 'batch',
      profile: 'work',
      model: 'line-model-2026-01-01',
      requested_model: 'line-model',
      usage: usageOf(10, 5),
      prices: prices('line-model'),
      cost: priceOf('line-model', usageOf(10, 5)),
      template: 'classify',
      latency_ms: 25,
    });
  });

  it('an answer whose line cannot be written is still logged as paid for', async () => {
    const writer = {
      async write() {
        throw new GptError('output', 'cannot write out.jsonl: no space left on device');
      },
    };
    const { records, summary } = await runWith(() => ({}), { writer });
    expect(summary.stopReason).toBe('fatal');
    expect(records).toHaveLength(1);
    expect(summary.usage.total_tokens).toBe(30);
  });

  it('estimates each item with its own model’s counter, and the output by the answers so far once there are some', async () => {
    const asked: string[] = [];
    const counter = fakeCounter(100);
    const run = (expectedOutputTokens?: number) => {
      const clock = new FakeClock();
      return runBatch({
        items: fromArray([item({ id: 'a' }), item({ id: 'b', model: 'line-model' }), ...Array.from({ length: 8 }, (_, i) => item({ id: `c${i}` }))]),
        provider: new FakeProvider(clock, () => ({ usage: usageOf(100, 40) }), 10),
        model: 'base-model',
        options: { maxOutputTokens: 1000 },
        concurrency: 1,
        // Each answer costs $0.00018 (100 in + 40 out); an estimate of 100 in + 500 out is $0.0011.
        maxCostUsd: 0.0025,
        writer: new MemorySink(),
        clock,
        pricing: PRICING,
        counterFor: (model) => {
          asked.push(model);
          return counter(model);
        },
        ...(expectedOutputTokens !== undefined ? { expectedOutputTokens } : {}),
      });
    };
    // 500 out until the first answer, then its mean of 40: all ten fit.
    expect(await run()).toMatchObject({ ok: 10, stopReason: 'completed' });
    expect(new Set(asked)).toEqual(new Set(['base-model', 'line-model']));
    // A template that expects 500 output tokens keeps every estimate at $0.0011: the budget stops it early.
    const fixed = await run(500);
    expect(fixed.stopReason).toBe('budget');
    expect(fixed.ok).toBeLessThan(10);
  });
});

describe('collect (Batch API mode)', () => {
  const batch: RecordedBatch = { id: 'batch_1', inputFileId: 'file-1', endpoint: '/v1/chat/completions', model: 'base-model', customIds: ['a', 'b', 'c'], inputLines: [1, 2, 3], createdAt: 0 };
  const row = (id: string, body: unknown, status = 200) => JSON.stringify({ custom_id: id, response: { status_code: status, request_id: 'req_1', body } });

  it('joins result rows on custom_id, prices answers at the batch rate, counts missing usage locally, and fills in the rows that never came', async () => {
    const lines: ResultLine[] = [];
    const paid: unknown[] = [];
    const written = new Set<string>();
    const context: CollectContext = {
      api: { download: async () => Buffer.from([row('b', { choices: [{ message: { content: 'two words' } }] }), row('a', { choices: [{ message: { content: 'A' } }], usage: { prompt_tokens: 10, completion_tokens: 2 } })].join('\r\n')) },
      written,
      record: async (line, answer) => {
        lines.push(line);
        written.add(line.id);
        if (answer) paid.push(answer);
      },
      log: () => undefined,
      priceOf: prices,
      contextWindow: () => null,
      counterFor: fakeCounter(),
      problems: [],
    };
    await collect(batch, { id: 'batch_1', status: 'expired', done: true, counts: { total: 3, completed: 2, failed: 0 }, outputFileId: 'file-out', errors: [] }, context);
    const byId = new Map(lines.map((l) => [l.id, l]));
    expect(byId.get('a')).toMatchObject({ status: 'ok', text: 'A', usage: { input_tokens: 10, output_tokens: 2, estimated: false }, cost: { input_usd: 0.000005, output_usd: 0.000002 } });
    expect(byId.get('b')).toMatchObject({ status: 'ok', usage: { input_tokens: 0, output_tokens: 2, total_tokens: 2, estimated: true } });
    expect(byId.get('c')).toMatchObject({ status: 'error', attempts: 1, error: { type: 'batch_expired', message: 'batch batch_1 expired before this request ran' } });
    expect(lines).toHaveLength(3);
    expect(paid).toHaveLength(2);
  });
});

describe('the tally and the one exit decision', () => {
  const summaryOf = (reason: 'completed' | 'budget' | 'fail_fast' | 'interrupted' | 'fatal', ok = 3, failed = 1) => {
    const tally = new Tally();
    tally.read = ok + failed;
    for (let i = 0; i < ok; i++) tally.count({ id: `o${i}`, status: 'ok', text: '', usage: null, cost: null, error: null, attempts: 1 });
    for (let i = 0; i < failed; i++) tally.count({ id: `f${i}`, status: 'error', text: null, usage: null, cost: null, error: null, attempts: 1 });
    tally.spend(usageOf(10, 5), priceOf('unpriced', usageOf(10, 5)));
    return tally.summary({ wallMs: 2_000, stopReason: reason, rateLimited: 0, total: 10 });
  };

  it('sums usage, counts lines, and notes an unpriced model', () => {
    const s = summaryOf('completed');
    expect(s).toMatchObject({ read: 4, ok: 3, failed: 1, notRun: 6, unpriced: true, requestsPerSec: 2, usage: usageOf(10, 5) });
  });

  it.each([
    ['completed', 3, 1, 'batch_failed', 8, '1 of 4 batch items failed; the output file says which'],
    ['completed', 3, 0, undefined, undefined, undefined],
    ['fail_fast', 3, 1, 'batch_failed', 8, '1 of 4 batch items failed (stopped by --fail-fast, 6 not run); the output file says which'],
    ['interrupted', 3, 1, 'interrupted', 130, 'batch interrupted: 3 ok, 1 failed, 6 not run; rerun with --resume to continue'],
    ['budget', 3, 0, 'budget', 6, 'batch stopped before exceeding --max-cost $1.00: spent $0.00, 6 not run; rerun with --resume and a higher --max-cost to continue'],
  ] as const)('%s with %i ok and %i failed exits %s', (reason, ok, failed, kind, code, message) => {
    const error = exitErrorFor(summaryOf(reason, ok, failed), { left: '6 not run', maxCostUsd: 1 });
    expect(error?.kind).toBe(kind);
    expect(error?.exitCode).toBe(code);
    expect(error?.message).toBe(message);
  });

  it('a fatal stop exits with its own error (an unknown one as internal); whole-run problems make a completed run an API failure', () => {
    const auth = new GptError('auth', 'bad key');
    expect(exitErrorFor(summaryOf('fatal'), { fatal: auth, left: '' })).toBe(auth);
    expect(exitErrorFor(summaryOf('fatal'), { fatal: new Error('disk'), left: '' })).toMatchObject({ kind: 'internal', message: 'batch stopped: disk' });
    expect(exitErrorFor(summaryOf('completed'), { left: '', problems: ['batch x failed validation', 'batch y failed validation'] })).toMatchObject({ kind: 'api', message: 'batch x failed validation\nbatch y failed validation' });
  });
});

describe('the shared pieces below batch', () => {
  it('the system clock’s sleep rejects as interrupted when aborted, before or during the wait', async () => {
    const before = new AbortController();
    before.abort();
    await expect(systemClock.sleep(10_000, before.signal)).rejects.toMatchObject({ kind: 'interrupted' });
    const during = new AbortController();
    setTimeout(() => during.abort(), 5);
    await expect(systemClock.sleep(10_000, during.signal)).rejects.toMatchObject({ kind: 'interrupted' });
    await expect(systemClock.sleep(1)).resolves.toBeUndefined();
  });

  it.each([
    ['LF only: a CR stays on its line', {}, 'a\r\nb\rc\n', ['a\r', 'b\rc']],
  ])('the one line splitter, %s, cut at every byte', (_name, options, text, expected) => {
    const bytes = Buffer.from(text);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const splitter = new LineSplitter(options);
      const lines = [...splitter.push(bytes.subarray(0, cut)), ...splitter.push(bytes.subarray(cut))];
      const last = splitter.end();
      if (last) lines.push(last);
      expect(lines.map((l) => l.toString())).toEqual(expected);
    }
  });
});
