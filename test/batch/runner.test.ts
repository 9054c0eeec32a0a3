import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCheckpoint } from '../../src/batch/checkpoint.js';
import { scanIds } from '../../src/batch/ids.js';
import { readBatchFile } from '../../src/batch/reader.js';
import { createInterrupt, runBatch, type RunBatchOptions } from '../../src/batch/runner.js';
import type { BatchEntry, BatchItem, Progress, ResultLine } from '../../src/batch/types.js';
import { GptError } from '../../src/domain/index.js';
import { FakeClock, FakeProvider, MemorySink, PRICING, fakeCounter, fromArray, priceOf, usageOf, type Reply } from './fakes.js';

const items = (n: number, extra: Partial<BatchItem> = {}): BatchItem[] =>
  Array.from({ length: n }, (_, i) => ({ id: `i${i}`, line: i + 1, prompt: `p${i}`, options: {}, ...extra }));

function setup(reply?: (request: import('../../src/providers/types.js').ProviderRequest, call: number) => Reply, latencyMs = 50) {
  const clock = new FakeClock();
  const provider = new FakeProvider(clock, reply, latencyMs);
  const sink = new MemorySink();
  const base = (entries: BatchEntry[], more: Partial<RunBatchOptions> = {}): RunBatchOptions => ({
    items: fromArray(entries),
    provider,
    model: 'base-model',
    options: { temperature: 1, maxOutputTokens: 100 },
    concurrency: 4,
    counterFor: fakeCounter(10),
    pricing: PRICING,
    writer: sink,
    clock,
    ...more,
  });
  return { clock, provider, sink, base };
}

describe('runBatch', () => {
  it('runs every item, writes one result line each, and sums usage and cost', async () => {
    const { provider, sink, base } = setup((req) => (req.messages[0]!.content === 'p1' ? { usage: usageOf(100, 50), providerCostUsd: 0.5 } : {}));
    const progress: Progress[] = [];
    const summary = await runBatch(base(items(5), { total: 5, onProgress: (p) => progress.push(p) }));
    expect(summary).toMatchObject({ read: 5, ok: 5, failed: 0, skipped: 0, stopReason: 'completed', notRun: 0 });
    expect(summary.exitError).toBeUndefined();
    expect(summary.usage).toMatchObject({ input_tokens: 140, output_tokens: 130, total_tokens: 270, estimated: false });
    expect(summary.cost.total_usd).toBeCloseTo(0.5 + 4 * (10 / 1e6 + 40 / 1e6), 12);
    expect(summary.wallMs).toBe(100);
    expect(summary.requestsPerSec).toBe(50);
    expect(provider.requests[0]).toMatchObject({ model: 'base-model', messages: [{ role: 'user', content: 'p0' }], options: { temperature: 1, maxOutputTokens: 100 } });
    const byId = new Map(sink.lines.map((l) => [l.id, l]));
    expect(byId.get('i0')).toEqual({
      id: 'i0',
      status: 'ok',
      text: 'answer to p0',
      usage: usageOf(10, 20),
      cost: priceOf('base-model', usageOf(10, 20)),
      error: null,
      attempts: 1,
    });
    expect(byId.get('i1')!.cost).toMatchObject({ total_usd: 0.5, source: 'provider' });
    const last = progress.at(-1)!;
    expect(last).toMatchObject({ total: 5, done: 5, ok: 5, failed: 0, inFlight: 0, etaMs: 0 });
    expect(last.tokensPerSec).toBeGreaterThan(0);
    expect(progress.some((p) => p.etaMs !== undefined && p.etaMs > 0)).toBe(true);
  });

  it('applies per-line model and options over the command ones', async () => {
    const { provider, base } = setup();
    await runBatch(base([{ id: 'x', line: 1, prompt: 'hi', model: 'line-model', options: { temperature: 0.1, stop: ['END'] } }]));
    expect(provider.requests[0]).toMatchObject({ model: 'line-model', options: { temperature: 0.1, maxOutputTokens: 100, stop: ['END'] } });
  });

  it('puts the system option first unless the messages bring their own; asks for restartable streams', async () => {
    const { provider, base } = setup();
    await runBatch(
      base(
        [
          { id: 'a', line: 1, prompt: 'hi', options: {} },
          { id: 'b', line: 2, messages: [{ role: 'developer', content: 'own' }, { role: 'user', content: 'yo' }], options: {} },
          { id: 'c', line: 3, prompt: 'hey', options: { system: 'line system' } },
        ],
        { options: { system: 'cmd system' }, concurrency: 1, expectedOutputTokens: 33 },
      ),
    );
    expect(provider.requests.map((r) => r.messages.map((m) => `${m.role}:${m.content}`))).toEqual([
      ['system:cmd system', 'user:hi'],
      ['developer:own', 'user:yo'],
      ['system:line system', 'user:hey'],
    ]);
    expect(provider.requests.every((r) => r.restartable === true && r.expectedOutputTokens === 33)).toBe(true);
  });

  it('drops what a broken stream delivered when the provider restarts it', async () => {
    const { sink, base } = setup(() => ({ text: 'whole answer', retries: [{ delayMs: 5, reason: 'ECONNRESET', restart: true }] }));
    await runBatch(base(items(1)));
    expect(sink.lines[0]).toMatchObject({ status: 'ok', text: 'whole answer', attempts: 2 });
  });

  it('slows down on retries whose status is 429, not on other retries', async () => {
    const { base } = setup((_r, call) =>
      call === 0 ? { retries: [{ delayMs: 10, reason: 'Too Many Requests', status: 429 }] } : call === 1 ? { retries: [{ delayMs: 10, reason: 'HTTP 500 (429 tokens)', status: 500 }] } : {},
    );
    const summary = await runBatch(base(items(3), { concurrency: 1 }));
    expect(summary.rateLimited).toBe(1);
  });

  it('follows x-ratelimit-* hints from the start event: an exhausted bucket pauses dispatch until reset', async () => {
    const { provider, base } = setup((_r, call) => (call === 0 ? { rateLimit: { 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '2s' } } : {}), 10);
    await runBatch(base(items(3), { concurrency: 1 }));
    // The hint arrives with the first answer at 10 ms.
    expect(provider.starts).toEqual([0, 2_010, 2_020]);
  });

  it('writes error lines for bad input lines and failed requests, counts retries as attempts, and exits 8', async () => {
    const { sink, base } = setup((req) => {
      if (req.messages[0]!.content === 'p1') return { error: new GptError('api', 'HTTP 500: upstream exploded', { status: 500, type: 'server_error' }), retries: [{ delayMs: 10, reason: '500' }, { delayMs: 20, reason: '500' }] };
      if (req.messages[0]!.content === 'p2') return { retries: [{ delayMs: 10, reason: '503 Service Unavailable' }] };
      return {};
    });
    const entries: BatchEntry[] = [...items(3), { id: '9', line: 9, error: 'line 9: invalid JSON (Unexpected token)' }];
    const summary = await runBatch(base(entries));
    expect(summary).toMatchObject({ ok: 2, failed: 2, stopReason: 'completed' });
    expect(summary.exitError?.kind).toBe('batch_failed');
    expect(summary.exitError?.exitCode).toBe(8);
    const byId = new Map(sink.lines.map((l) => [l.id, l]));
    expect(byId.get('i1')).toEqual({ id: 'i1', status: 'error', text: null, usage: null, cost: null, error: { status: 500, type: 'server_error', message: 'HTTP 500: upstream exploded' }, attempts: 3 });
    expect(byId.get('i2')).toMatchObject({ status: 'ok', attempts: 2 });
    expect(byId.get('9')).toMatchObject({ status: 'error', attempts: 0, error: { status: null, type: 'invalid_line', message: 'line 9: invalid JSON (Unexpected token)' } });
  });

  it('renders items with the caller’s template renderer; a render error is that line’s error', async () => {
    const { provider, sink, base } = setup();
    const entries: BatchItem[] = [
      { id: 'a', line: 1, vars: { name: 'Ada' }, options: {} },
      { id: 'b', line: 2, vars: {}, options: {} },
    ];
    const render = async (item: BatchItem) => {
      if (!item.vars?.name) throw new GptError('usage', `line ${item.line}: missing template variable: name`);
      return [{ role: 'user' as const, content: `Hello ${item.vars.name}` }];
    };
    await runBatch(base(entries, { render }));
    expect(provider.requests.map((r) => r.messages[0]!.content)).toEqual(['Hello Ada']);
    expect(sink.lines.find((l) => l.id === 'b')).toMatchObject({ status: 'error', error: { type: 'invalid_line', message: 'line 2: missing template variable: name' } });
  });

  it('estimates usage locally (marked estimated) when the API reports none', async () => {
    const { sink, base } = setup(() => ({ usage: null, text: 'twelve chars' }));
    const summary = await runBatch(base(items(1)));
    expect(sink.lines[0]!.usage).toEqual({ input_tokens: 10, cached_input_tokens: 0, output_tokens: 2, reasoning_tokens: 0, total_tokens: 12, estimated: true });
    expect(summary.usage.estimated).toBe(true);
  });

  it('--max-cost: stops scheduling before spend (done + in flight) would pass the budget, finishes in-flight work, exits 6', async () => {
    const { provider, sink, base } = setup();
    // Each request is estimated at, and costs, $0.00005 (10 in + 20 out at $1/$2 per 1M).
    const summary = await runBatch(base(items(100), { maxCostUsd: 0.00052, total: 100, expectedOutputTokens: 20 }));
    expect(provider.requests).toHaveLength(10);
    expect(sink.lines).toHaveLength(10);
    expect(sink.lines.every((l) => l.status === 'ok')).toBe(true);
    expect(summary.cost.total_usd).toBeLessThanOrEqual(0.00052);
    expect(summary).toMatchObject({ stopReason: 'budget', ok: 10, notRun: 90 });
    expect(summary.exitError?.kind).toBe('budget');
    expect(summary.exitError?.exitCode).toBe(6);
  });

  it('--max-cost with a first item already over budget sends nothing', async () => {
    const { provider, base } = setup();
    const summary = await runBatch(base(items(3), { maxCostUsd: 0.00001 }));
    expect(provider.requests).toHaveLength(0);
    expect(summary.stopReason).toBe('budget');
  });

  it('--fail-fast stops starting new items at the first failure and lets in-flight ones finish', async () => {
    const { provider, sink, base } = setup((_r, call) => (call === 2 ? { error: new GptError('api', 'bad request', { status: 400, type: 'invalid_request_error' }), latencyMs: 10 } : {}));
    const summary = await runBatch(base(items(50), { failFast: true, concurrency: 4 }));
    expect(provider.requests).toHaveLength(4);
    expect(sink.lines).toHaveLength(4);
    expect(summary).toMatchObject({ stopReason: 'fail_fast', ok: 3, failed: 1 });
    expect(summary.exitError?.kind).toBe('batch_failed');
  });

  it('stops the whole batch on an error every request would hit (bad key)', async () => {
    const { provider, base } = setup((_r, call) => (call === 0 ? { error: new GptError('auth', '401: invalid API key', { status: 401 }), latencyMs: 5 } : {}));
    const summary = await runBatch(base(items(40), { concurrency: 2 }));
    expect(provider.requests.length).toBeLessThanOrEqual(3);
    expect(summary.stopReason).toBe('fatal');
    expect(summary.exitError?.kind).toBe('auth');
  });

  describe('the API unreachable', () => {
    const refused = () => new GptError('api', 'cannot connect to api.example:443: connection refused after 3 attempts', { code: 'ECONNREFUSED' });
    // As the HTTP client reports it: two network retries (no status), then the final error.
    const down = (error = refused()): Reply => ({ error, latencyMs: 5, retries: [{ delayMs: 500, reason: error.message }, { delayMs: 1_000, reason: error.message }] });

    it('stops after 20 items in a row fail to connect (exit 7, one line saying why); in-flight ones are cut, the rest not started', async () => {
      const { provider, sink, base } = setup(() => down());
      const summary = await runBatch(base(items(1_000), { concurrency: 4, total: 1_000 }));
      expect(summary).toMatchObject({ stopReason: 'fatal', failed: 20, ok: 0, aborted: 3, notRun: 980 });
      expect(sink.lines).toHaveLength(20);
      expect(sink.lines.every((l) => l.status === 'error' && l.error?.type === 'ECONNREFUSED')).toBe(true);
      // The 20 that failed and the 3 in flight when the stop came; nothing started after it.
      expect(provider.requests).toHaveLength(23);
      expect(provider.aborted).toBe(3);
      expect(summary.exitError?.kind).toBe('api');
      expect(summary.exitError?.exitCode).toBe(7);
      expect(summary.exitError?.message).toBe(
        'batch stopped: the last 20 requests all failed with network errors (cannot connect to api.example:443: connection refused after 3 attempts); 980 not run, rerun with --resume once the API is reachable',
      );
      expect(summary.exitError?.message).not.toContain('\n');
    });

    it('waits for two full waves at high concurrency, and counts any network code (DNS, connect timeout)', async () => {
      const codes = ['ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'ECONNREFUSED'];
      const { provider, sink, base } = setup((_r, call) => down(new GptError('api', `network failure ${codes[call % 4]}`, { code: codes[call % 4] })));
      const summary = await runBatch(base(items(1_000), { concurrency: 50 }));
      expect(summary.stopReason).toBe('fatal');
      expect(sink.lines).toHaveLength(100);
      // The rest of the second wave was cut in flight: no line, and it runs again on resume.
      expect(provider.requests.length).toBe(100 + summary.aborted);
      expect(summary.aborted).toBeGreaterThan(0);
      expect(summary.exitError?.message).toMatch(/^batch stopped: the last 100 requests all failed with network errors \(network failure /);
      expect(summary.exitError?.exitCode).toBe(7);
    });

    it('a success or an HTTP error in between resets the count: a short outage only fails its own items (exit 8)', async () => {
      // Calls 10–28 (19 in a row) cannot connect, then one 500, then 19 more; everything else answers.
      const { sink, base } = setup((_r, call) => {
        if (call === 29) return { error: new GptError('api', 'API error 500: boom', { status: 500, type: 'server_error' }), latencyMs: 5 };
        if (call >= 10 && call < 49) return down();
        return {};
      });
      const summary = await runBatch(base(items(200), { concurrency: 1 }));
      expect(summary).toMatchObject({ stopReason: 'completed', ok: 161, failed: 39 });
      expect(sink.lines).toHaveLength(200);
      expect(summary.exitError?.kind).toBe('batch_failed');
    });

    it('errors with a code that is not a network code do not count (a mid-stream API error)', async () => {
      const { base } = setup(() => ({ error: new GptError('api', 'the stream ended before the answer was complete', { code: 'incomplete_stream' }), latencyMs: 5 }));
      const summary = await runBatch(base(items(60), { concurrency: 2 }));
      expect(summary).toMatchObject({ stopReason: 'completed', failed: 60 });
    });
  });

  it('first interrupt drains: no new starts, in-flight results are written, exit 130', async () => {
    const { provider, sink, base } = setup();
    const ctrl = createInterrupt();
    let startedBefore = -1;
    const summary = await runBatch(
      base(items(100), {
        signal: ctrl.signal,
        abortSignal: ctrl.abortSignal,
        concurrency: 4,
        onProgress: (p) => {
          if (p.done === 6 && startedBefore < 0) {
            startedBefore = provider.requests.length;
            expect(provider.active).toBeGreaterThan(0);
            expect(ctrl.interrupt()).toBe('drain');
          }
        },
      }),
    );
    expect(provider.requests).toHaveLength(startedBefore);
    expect(sink.lines).toHaveLength(startedBefore);
    expect(sink.lines.every((l) => l.status === 'ok')).toBe(true);
    expect(summary).toMatchObject({ stopReason: 'interrupted', ok: startedBefore, aborted: 0 });
    expect(summary.exitError?.exitCode).toBe(130);
  });

  it('second interrupt aborts in-flight requests; they get no line and stay for resume', async () => {
    const { provider, sink, base } = setup();
    const ctrl = createInterrupt();
    let inFlight = -1;
    const summary = await runBatch(
      base(items(100), {
        signal: ctrl.signal,
        abortSignal: ctrl.abortSignal,
        concurrency: 4,
        onProgress: (p) => {
          if (p.done === 5 && inFlight < 0) {
            inFlight = provider.active;
            ctrl.interrupt();
            expect(ctrl.interrupt()).toBe('abort');
          }
        },
      }),
    );
    expect(inFlight).toBeGreaterThan(0);
    expect(summary).toMatchObject({ stopReason: 'interrupted', ok: 5, aborted: inFlight });
    expect(provider.aborted).toBe(inFlight);
    expect(provider.requests).toHaveLength(5 + inFlight);
    expect(sink.lines).toHaveLength(5);
  });

  it('a drain also stops a read that is waiting on slow input', async () => {
    const { base } = setup();
    const ctrl = createInterrupt();
    async function* stalled(): AsyncGenerator<BatchEntry> {
      yield items(1)[0]!;
      await new Promise(() => undefined);
    }
    setTimeout(() => ctrl.interrupt(), 20);
    const summary = await runBatch(base([], { items: stalled(), signal: ctrl.signal }));
    expect(summary).toMatchObject({ stopReason: 'interrupted', ok: 1 });
  });

  it('skips ids already done, counting them as skipped', async () => {
    const { provider, base } = setup();
    const summary = await runBatch(base(items(5), { skipIds: new Set(['i1', 'i3']), total: 5 }));
    expect(provider.requests.map((r) => r.messages[0]!.content)).toEqual(['p0', 'p2', 'p4']);
    expect(summary).toMatchObject({ ok: 3, skipped: 2, notRun: 0 });
  });

  it('a failing writer stops the batch instead of losing results silently', async () => {
    const { base } = setup();
    let writes = 0;
    const writer = {
      async write() {
        if (++writes === 3) throw new Error('ENOSPC: no space left on device');
      },
    };
    const summary = await runBatch(base(items(20), { writer, concurrency: 2 }));
    expect(summary.stopReason).toBe('fatal');
    expect(summary.exitError?.message).toMatch(/ENOSPC/);
    expect(writes).toBeLessThan(6);
  });

  it('a failing writer cuts the requests in flight: their answers would be paid for with nowhere to go', async () => {
    const { provider, base } = setup((request) => ({ latencyMs: request.messages[0]!.content === 'p0' ? 10 : 1000 }));
    const full = new GptError('output', 'cannot write out.jsonl: no space left on device');
    const writer = {
      async write() {
        throw full;
      },
    };
    const summary = await runBatch(base(items(20), { writer, concurrency: 4, total: 20 }));
    expect(summary).toMatchObject({ stopReason: 'fatal', ok: 0, aborted: 3, notRun: 20, wallMs: 10 });
    expect(summary.exitError).toBe(full);
    expect(provider.completed).toHaveLength(1);
  });
});

/** A small deterministic PRNG, so the random failures are the same on every run. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('resume end to end (file reader → runner → checkpoint)', () => {
  it('1,000 items with random failures, a crash and an abort end with exactly one ok line per id, none paid twice', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpt-batch-resume-'));
    const input = join(dir, 'in.jsonl');
    const out = join(dir, 'out.jsonl');
    writeFileSync(input, Array.from({ length: 1000 }, (_, i) => JSON.stringify({ id: `q${i}`, prompt: `question ${i}` })).join('\n') + '\n');
    const ids = await scanIds(readBatchFile(input));
    expect(ids.size).toBe(1000);

    const random = mulberry32(42);
    const clock = new FakeClock();
    const provider = new FakeProvider(
      clock,
      (req) => {
        if (random() < 0.3) return { error: new GptError('api', 'HTTP 503', { status: 503, type: 'server_error' }), latencyMs: 1 + Math.floor(random() * 50) };
        const id = req.messages[0]!.content.replace('question ', 'q');
        return { text: `answer ${id}`, latencyMs: 1 + Math.floor(random() * 50) };
      },
      10,
    );

    let runs = 0;
    for (; runs < 30; runs++) {
      const checkpoint = await openCheckpoint(out, { resume: runs > 0 });
      if (runs > 0 && checkpoint.state.done.size === 1000) {
        await checkpoint.close();
        break;
      }
      const ctrl = createInterrupt();
      const summary = await runBatch({
        items: readBatchFile(input),
        provider,
        model: 'm',
        options: {},
        concurrency: 16,
        skipIds: checkpoint.state.done,
        total: ids.size,
        pricing: PRICING,
        writer: checkpoint.writer,
        clock,
        signal: ctrl.signal,
        abortSignal: ctrl.abortSignal,
        // Run 2 is cut hard in the middle, as a second Ctrl-C would.
        onProgress: (p) => {
          if (runs === 1 && p.done === 100) {
            ctrl.interrupt();
            ctrl.interrupt();
          }
        },
      });
      expect(summary.ok + summary.failed + summary.skipped + (summary.notRun ?? 0)).toBe(1000);
      await checkpoint.close();
      // After run 3, simulate a kill -9 in the middle of a write: a torn line at the end.
      if (runs === 2) appendFileSync(out, '{"id":"q1","status":"ok","text":"answ');
    }
    expect(runs).toBeGreaterThan(3);
    expect(runs).toBeLessThan(30);

    const lines = readFileSync(out, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as ResultLine);
    expect(lines).toHaveLength(1000);
    expect(new Set(lines.map((l) => l.id)).size).toBe(1000);
    expect(lines.every((l) => l.status === 'ok' && l.text === `answer ${l.id}`)).toBe(true);
    const paidFor = new Map<string, number>();
    for (const req of provider.completed) paidFor.set(req.messages[0]!.content, (paidFor.get(req.messages[0]!.content) ?? 0) + 1);
    expect(paidFor.size).toBe(1000);
    expect([...paidFor.values()].every((n) => n === 1)).toBe(true);
  });
});
