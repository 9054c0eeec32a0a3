import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { costOf } from '../../src/accounting/cost.js';
import { lookupModel } from '../../src/accounting/models.js';
import { runOpenAIBatch, type OpenAIBatchOptions } from '../../src/batch/openai-batch.js';
import type { Progress } from '../../src/batch/types.js';
import { withDefaultSystem as withSystem } from '../../src/domain/index.js';
import type { BatchEntry, BatchItem } from '../../src/batch/types.js';
import type { ProfileConfig, ResolvedConfig } from '../../src/config/types.js';
import { chatCompletionsBody } from '../../src/providers/chat-completions.js';
import { responsesBody } from '../../src/providers/responses.js';
import { type RecordedRequest, parseMultipart, startMockServer } from '../support/mock-server.js';
import { useMockServer } from '../support/fixture.js';
import { FakeClock, MemorySink, fromArray } from './fakes.js';

const server = useMockServer();
let stateDir: string;
beforeEach(() => {
  // Each answer names the prompt it answers, so a wrong custom_id join shows.
  server.setDefault((request) => {
    const body = request.body as { messages?: { content: string }[]; input?: string };
    const prompt = body.messages?.at(-1)?.content ?? body.input ?? '';
    return { kind: 'answer', text: `answer to ${prompt}`, usage: { prompt_tokens: 1000, completion_tokens: 500, cached_tokens: 0 } };
  });
  stateDir = mkdtempSync(join(tmpdir(), 'gpt-openai-batch-test-'));
});

function configFor(profile: Partial<ProfileConfig> = {}): ResolvedConfig {
  return {
    profileName: 'test',
    profile: { baseUrl: server.url, api: 'chat', ...profile },
    model: 'gpt-5-mini',
    defaults: {},
    pricing: {},
    templatePaths: [],
    trust: { dirs: [], untrustedTemplatePaths: [] },
    budget: {},
    conversations: { save: true, keepTurns: 4 },
    configDir: stateDir,
    stateDir,
    files: [],
    sources: {},
    warnings: [],
  };
}

const items = (n: number, extra: Partial<BatchItem> = {}): BatchItem[] =>
  Array.from({ length: n }, (_, i) => ({ id: `i${i}`, line: i + 1, prompt: `p${i}`, options: {}, ...extra }));

function setup(entries: BatchEntry[], more: Partial<OpenAIBatchOptions> = {}) {
  const sink = new MemorySink();
  const logs: string[] = [];
  const progress: Progress[] = [];
  const opts: OpenAIBatchOptions = {
    entries: fromArray(entries),
    config: configFor(),
    apiKey: 'sk-test-key-0123456789',
    model: 'gpt-5-mini',
    options: { temperature: 0.5, maxOutputTokens: 100, system: 'Be brief.' },
    writer: sink,
    skipIds: new Set(),
    pollIntervalMs: 5,
    clock: new FakeClock(),
    stateDir,
    stateKey: join(stateDir, 'out.jsonl'),
    log: (line) => logs.push(line),
    onProgress: (p) => progress.push(p),
    ...more,
  };
  return { sink, logs, progress, opts, byId: () => new Map(sink.lines.map((l) => [l.id, l])) };
}

const calls = (method: string, path: RegExp | string): RecordedRequest[] =>
  server.requests.filter((r) => r.method === method && (typeof path === 'string' ? r.path === path : path.test(r.path)));

/** The JSONL files uploaded with purpose=batch, parsed line by line. */
function uploadedLines(): { custom_id: string; method: string; url: string; body: Record<string, unknown> }[][] {
  return calls('POST', '/v1/files').map((request) => {
    const parts = parseMultipart(request.headers['content-type']!, request.rawBody);
    expect(parts.find((p) => p.name === 'purpose')?.data.toString()).toBe('batch');
    const file = parts.find((p) => p.name === 'file')!;
    expect(file.filename).toMatch(/\.jsonl$/);
    return file.data
      .toString('utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { custom_id: string; method: string; url: string; body: Record<string, unknown> });
  });
}

function stateFiles(): string[] {
  const dir = join(stateDir, 'openai-batch');
  return existsSync(dir) ? readdirSync(dir) : [];
}

describe('runOpenAIBatch', () => {
  it('uploads live-mode bodies, polls, and maps shuffled output back to ids at the batch price', async () => {
    const { sink, opts, progress, byId } = setup(items(8));
    const summary = await runOpenAIBatch(opts);

    expect(summary).toMatchObject({ read: 8, ok: 8, failed: 0, skipped: 0, notRun: 0, stopReason: 'completed', unpriced: false });
    expect(summary.exitError).toBeUndefined();
    expect(sink.lines).toHaveLength(8);
    for (let i = 0; i < 8; i++) {
      expect(byId().get(`i${i}`)).toMatchObject({ status: 'ok', text: `answer to p${i}`, error: null, attempts: 1 });
    }
    // The mock shuffles the output file: the join is on custom_id, not position.
    const output = [...server.files.values()].find((f) => f.purpose === 'batch_output')!;
    const outputOrder = output.content.toString().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { custom_id: string }).custom_id);
    expect(outputOrder).not.toEqual(items(8).map((i) => i.id));
    expect(new Set(outputOrder)).toEqual(new Set(items(8).map((i) => i.id)));

    // One upload, one batch, polled until completed, both files fetched.
    const [lines] = uploadedLines();
    expect(lines).toHaveLength(8);
    expect(calls('POST', '/v1/batches')).toHaveLength(1);
    const created = calls('POST', '/v1/batches')[0]!.body as Record<string, unknown>;
    expect(created).toEqual({ input_file_id: expect.stringMatching(/^file-/), endpoint: '/v1/chat/completions', completion_window: '24h' });
    expect(calls('GET', /^\/v1\/batches\/batch_/).length).toBeGreaterThanOrEqual(3);
    expect(calls('GET', /^\/v1\/files\/.*\/content$/)).toHaveLength(1);
    expect(server.requests.every((r) => r.headers.authorization === 'Bearer sk-test-key-0123456789')).toBe(true);

    // Each line's body is exactly what live mode sends, non-streaming.
    const line = lines!.find((l) => l.custom_id === 'i3')!;
    expect(line).toMatchObject({ method: 'POST', url: '/v1/chat/completions' });
    const live = chatCompletionsBody(
      { model: 'gpt-5-mini', messages: withSystem([{ role: 'user', content: 'p3' }], 'Be brief.'), options: opts.options },
      opts.config.profile,
      false,
    );
    expect(line.body).toEqual(live);
    expect(line.body).toMatchObject({ model: 'gpt-5-mini', temperature: 0.5, max_completion_tokens: 100, messages: [{ role: 'system' }, { role: 'user', content: 'p3' }] });
    expect(line.body.stream).toBeUndefined();

    // gpt-5-mini at the batch rate: $0.125 in, $1.00 out per 1M (half of 0.25 / 2.00).
    const one = byId().get('i0')!;
    expect(one.usage).toEqual({ input_tokens: 1000, cached_input_tokens: 0, output_tokens: 500, reasoning_tokens: 0, total_tokens: 1500, estimated: false });
    expect(one.cost).toEqual({ input_usd: 0.000125, cached_input_usd: 0, output_usd: 0.0005, total_usd: 0.000625, priced: true });
    expect(summary.cost.total_usd).toBeCloseTo(8 * 0.000625, 12);
    expect(summary.usage).toMatchObject({ input_tokens: 8000, output_tokens: 4000, total_tokens: 12000 });

    expect(progress.at(-1)).toMatchObject({ total: 8, done: 8, ok: 8, failed: 0, inFlight: 0 });
    expect(progress.some((p) => p.inFlight > 0)).toBe(true);
    // Nothing left to re-attach to.
    expect(stateFiles()).toEqual([]);
  });

  it('prices cached input at the batch cached rate', async () => {
    server.setDefault({ kind: 'answer', text: 'x', usage: { prompt_tokens: 10_000, cached_tokens: 4_000, completion_tokens: 2_000 } });
    const { opts, byId } = setup(items(1));
    await runOpenAIBatch(opts);
    // (6000 × 0.125 + 4000 × 0.0125 + 2000 × 1.00) / 1e6
    expect(byId().get('i0')!.cost).toEqual({ input_usd: 0.00075, cached_input_usd: 0.00005, output_usd: 0.002, total_usd: 0.0028, priced: true });
    const price = lookupModel('gpt-5-mini').price;
    expect(byId().get('i0')!.cost).toEqual(costOf(byId().get('i0')!.usage!, price, { batch: true }));
  });

  it('groups by model (one model per batch), lets lines override options, and splits at the request limit', async () => {
    const entries: BatchItem[] = [
      ...items(5),
      { id: 'n1', line: 6, prompt: 'nano one', model: 'gpt-5-nano', options: { temperature: 0.9 } },
      { id: 'n2', line: 7, messages: [{ role: 'user', content: 'nano two' }], model: 'gpt-5-nano', options: {} },
    ];
    const { opts, byId } = setup(entries, { limits: { maxRequests: 2 } });
    const summary = await runOpenAIBatch(opts);
    expect(summary).toMatchObject({ ok: 7, failed: 0, stopReason: 'completed' });

    const files = uploadedLines();
    expect(files.map((f) => f.length)).toEqual([2, 2, 1, 2]);
    for (const file of files) expect(new Set(file.map((l) => l.body.model)).size).toBe(1);
    expect(calls('POST', '/v1/batches')).toHaveLength(4);
    const n1 = files.flat().find((l) => l.custom_id === 'n1')!;
    expect(n1.body).toMatchObject({ model: 'gpt-5-nano', temperature: 0.9, max_completion_tokens: 100 });
    expect(byId().get('n2')).toMatchObject({ status: 'ok', text: 'answer to nano two' });
    // gpt-5-nano batch: 0.025 in, 0.20 out per 1M.
    expect(byId().get('n2')!.cost!.total_usd).toBeCloseTo((1000 * 0.025 + 500 * 0.2) / 1e6, 12);
  });

  it('splits at the byte limit and refuses a single request larger than a file may be', async () => {
    const entries: BatchItem[] = [...items(3), { id: 'big', line: 4, prompt: 'x'.repeat(2000), options: {} }];
    const { opts, byId } = setup(entries, { limits: { maxBytes: 600 } });
    const summary = await runOpenAIBatch(opts);
    expect(byId().get('big')).toMatchObject({ status: 'error', attempts: 0, error: { status: null, type: 'request_too_large' } });
    expect(uploadedLines().flat().map((l) => l.custom_id)).not.toContain('big');
    for (const file of calls('POST', '/v1/files')) expect(file.rawBody.length).toBeLessThan(600 + 400); // payload ≤ 600 plus multipart framing
    expect(summary).toMatchObject({ ok: 3, failed: 1 });
    expect(summary.exitError?.kind).toBe('batch_failed');
  });

  it('uses /v1/responses bodies and output_text when the profile speaks the Responses API', async () => {
    const { opts, byId } = setup(items(2), { config: configFor({ api: 'responses' }) });
    const summary = await runOpenAIBatch(opts);
    expect(summary.ok).toBe(2);
    const [lines] = uploadedLines();
    expect(lines![0]!.url).toBe('/v1/responses');
    expect(calls('POST', '/v1/batches')[0]!.body).toMatchObject({ endpoint: '/v1/responses' });
    const line = lines!.find((l) => l.custom_id === 'i1')!;
    expect(line.body).toEqual(responsesBody({ model: 'gpt-5-mini', messages: withSystem([{ role: 'user', content: 'p1' }], 'Be brief.'), options: opts.options }, false));
    expect(byId().get('i1')).toMatchObject({ status: 'ok', text: 'answer to p1', usage: { input_tokens: 1000, output_tokens: 500 } });
  });

  it('writes line errors and render failures at once, skips resumed ids, and submits only the rest', async () => {
    const entries: BatchEntry[] = [...items(3), { id: '9', line: 9, error: 'line 9: invalid JSON' }];
    const { opts, byId, sink } = setup(entries, {
      skipIds: new Set(['i0']),
      render: async (item) => {
        if (item.id === 'i2') throw new (await import('../../src/domain/index.js')).GptError('usage', 'line 3: missing variable "topic"');
        return [{ role: 'user', content: `rendered ${item.prompt}` }];
      },
    });
    const summary = await runOpenAIBatch(opts);
    expect(uploadedLines().flat().map((l) => l.custom_id)).toEqual(['i1']);
    expect(byId().get('9')).toMatchObject({ status: 'error', attempts: 0, error: { type: 'invalid_line', message: 'line 9: invalid JSON' } });
    expect(byId().get('i2')).toMatchObject({ status: 'error', error: { type: 'invalid_line', message: 'line 3: missing variable "topic"' } });
    expect(byId().get('i1')).toMatchObject({ status: 'ok', text: 'answer to rendered p1' });
    expect(byId().has('i0')).toBe(false);
    expect(sink.lines).toHaveLength(3);
    expect(summary).toMatchObject({ read: 4, ok: 1, failed: 2, skipped: 1, notRun: 0 });
    expect(summary.exitError?.kind).toBe('batch_failed');
  });

  it('turns failed and expired requests into error lines (exit batch_failed)', async () => {
    server.batchFailIds.add('i1');
    server.batchExpireIds.add('i3');
    const { opts, byId } = setup(items(5));
    const summary = await runOpenAIBatch(opts);
    expect(byId().get('i1')).toMatchObject({
      status: 'error',
      text: null,
      usage: null,
      cost: null,
      attempts: 1,
      error: { status: 500, type: 'server_error', message: expect.stringContaining('The server had an error') },
    });
    expect(byId().get('i1')!.error!.message).toMatch(/^API error 500: .*\[request req_mock\d+\]$/);
    expect(byId().get('i3')).toMatchObject({ status: 'error', error: { status: null, type: 'batch_expired', message: expect.stringContaining('completion window expired') } });
    expect(byId().get('i0')).toMatchObject({ status: 'ok', text: 'answer to p0' });
    expect(summary).toMatchObject({ ok: 3, failed: 2, stopReason: 'completed' });
    expect(summary.exitError?.kind).toBe('batch_failed');
    expect(summary.exitError?.exitCode).toBe(8);
    // Failed requests are not billed.
    expect(summary.cost.total_usd).toBeCloseTo(3 * 0.000625, 12);
  });

  it('reports a batch that failed validation as an API error naming the input lines (exit 7)', async () => {
    server.batchValidationErrors = [
      { code: 'invalid_request', message: 'Unsupported parameter: temperature.', param: 'body.temperature', line: 2 },
      { code: 'token_limit_exceeded', message: 'Enqueued token limit reached.', line: null },
    ];
    const entries = items(3).map((item, i) => ({ ...item, line: 10 + i }));
    const { opts, byId } = setup(entries);
    const summary = await runOpenAIBatch(opts);
    expect(summary.exitError?.kind).toBe('api');
    expect(summary.exitError?.exitCode).toBe(7);
    const message = summary.exitError!.message;
    expect(message).toMatch(/^batch batch_\w+ \(gpt-5-mini\) failed validation: /);
    expect(message).toContain('line 2 of the batch file (input line 11, id "i1"): Unsupported parameter: temperature. [invalid_request]');
    expect(message).toContain('Enqueued token limit reached. [token_limit_exceeded]');
    expect(byId().get('i1')).toMatchObject({ status: 'error', error: { type: 'invalid_request', message: 'input line 11: Unsupported parameter: temperature.' } });
    expect(byId().get('i0')).toMatchObject({ status: 'error', error: { type: 'batch_failed' } });
    expect(calls('GET', /\/content$/)).toHaveLength(0);
    expect(stateFiles()).toEqual([]);
  });

  it('records the batch before polling; after Ctrl-C a rerun re-attaches instead of submitting again', async () => {
    server.batchPollsPerStatus = 1_000_000; // stays "validating" until the test lets it move
    const controller = new AbortController();
    const first = setup(items(4), {
      signal: controller.signal,
      abortSignal: new AbortController().signal,
      cancelGraceMs: 50,
      log: (line) => {
        first.logs.push(line);
        if (line.startsWith('created batch')) setTimeout(() => controller.abort(), 20);
      },
      pollIntervalMs: 1_000,
    });
    const interrupted = await runOpenAIBatch(first.opts);
    expect(interrupted.stopReason).toBe('interrupted');
    expect(interrupted.exitError?.kind).toBe('interrupted');
    expect(interrupted.exitError?.message).toContain('--resume');
    expect(first.sink.lines).toHaveLength(0);
    const batchId = [...server.batches.keys()][0]!;
    expect(first.logs.join('\n')).toContain(`Batch ${batchId} keeps running on the server`);
    expect(first.logs.join('\n')).toContain('--resume');
    expect(calls('GET', /^\/v1\/batches\/batch_/).length).toBeGreaterThan(0);
    expect(calls('POST', /\/cancel$/)).toHaveLength(0);
    expect(server.batches.get(batchId)!.object.status).toBe('validating');

    // The state file names the batch, private to the user.
    const [state] = stateFiles();
    expect(state).toBeDefined();
    const statePath = join(stateDir, 'openai-batch', state!);
    expect(statSync(statePath).mode & 0o777).toBe(0o600);

    server.batchPollsPerStatus = 1;
    const second = setup(items(4));
    const summary = await runOpenAIBatch(second.opts);
    expect(summary).toMatchObject({ ok: 4, failed: 0, stopReason: 'completed' });
    expect(second.logs[0]).toMatch(new RegExp(`^re-attaching to batch ${batchId}`));
    expect(calls('POST', '/v1/files')).toHaveLength(1);
    expect(calls('POST', '/v1/batches')).toHaveLength(1);
    expect(second.byId().get('i2')).toMatchObject({ status: 'ok', text: 'answer to p2' });
    expect(stateFiles()).toEqual([]);
  });

  it('re-attaches even after results were partly written, writing only what is missing', async () => {
    server.batchPollsPerStatus = 1_000_000;
    const controller = new AbortController();
    // No stateKey: the run is known by a hash of its input, which must not change when ids get skipped.
    const first = setup(items(3), {
      stateKey: undefined,
      signal: controller.signal,
      log: (line) => {
        if (line.startsWith('created batch')) setTimeout(() => controller.abort(), 20);
      },
      pollIntervalMs: 1_000,
    });
    await runOpenAIBatch(first.opts);
    server.batchPollsPerStatus = 1;
    // i0 reached the output before the crash: resume skips it.
    const second = setup(items(3), { stateKey: undefined, skipIds: new Set(['i0']) });
    const summary = await runOpenAIBatch(second.opts);
    expect(calls('POST', '/v1/batches')).toHaveLength(1);
    expect(second.sink.lines.map((l) => l.id).sort()).toEqual(['i1', 'i2']);
    expect(summary).toMatchObject({ ok: 2, skipped: 1, stopReason: 'completed' });
  });

  it('cancels the running batch on a second Ctrl-C; a rerun collects it as cancelled', async () => {
    server.batchPollsPerStatus = 1_000_000;
    const drain = new AbortController();
    const hard = new AbortController();
    const first = setup(items(2), {
      signal: drain.signal,
      abortSignal: hard.signal,
      cancelGraceMs: 60_000,
      log: (line) => {
        first.logs.push(line);
        if (line.startsWith('created batch')) setTimeout(() => drain.abort(), 20);
        // Lands while the run waits out the grace period (virtual time moves only once the loop is idle).
        if (line.startsWith('stopped waiting')) queueMicrotask(() => hard.abort());
      },
      pollIntervalMs: 1_000,
    });
    const summary = await runOpenAIBatch(first.opts);
    expect(summary.exitError?.kind).toBe('interrupted');
    expect(calls('POST', /^\/v1\/batches\/batch_\w+\/cancel$/)).toHaveLength(1);
    expect(first.logs.some((l) => l.startsWith('cancelling batch'))).toBe(true);

    server.batchPollsPerStatus = 1;
    const second = setup(items(2));
    const rerun = await runOpenAIBatch(second.opts);
    expect(calls('POST', '/v1/batches')).toHaveLength(1);
    expect(second.byId().get('i0')).toMatchObject({ status: 'error', attempts: 1, error: { type: 'batch_cancelled' } });
    expect(rerun).toMatchObject({ ok: 0, failed: 2 });
    expect(stateFiles()).toEqual([]);
  });

  it('never creates a second batch when the create call breaks after the server acted', async () => {
    let broken = 0;
    const proxy = await startProxy(async (req, res, forward) => {
      const answer = await forward();
      if (req.method === 'POST' && req.url === '/v1/batches' && broken++ === 0) {
        res.socket?.destroy(); // the batch exists, but the client never hears so
        return;
      }
      if (req.method === 'GET' && /^\/v1\/batches\/batch_/.test(req.url ?? '') && broken++ === 1) {
        res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":{"message":"busy","type":"server_error"}}');
        return;
      }
      res.writeHead(answer.status, answer.headers).end(answer.body);
    });
    try {
      const { opts } = setup(items(3), { config: configFor({ baseUrl: proxy.url }) });
      const summary = await runOpenAIBatch(opts);
      expect(summary).toMatchObject({ ok: 3, failed: 0, stopReason: 'completed' });
      expect(broken).toBeGreaterThanOrEqual(2);
      expect(calls('POST', '/v1/batches')).toHaveLength(1);
      expect(server.batches.size).toBe(1);
      expect(calls('GET', /^\/v1\/batches\?/)).toHaveLength(1);
    } finally {
      await proxy.close();
    }
  });

  it('says so when the provider has no Batch API', async () => {
    const bare = await startMockServer({ batch: false });
    try {
      const { opts, sink } = setup(items(2), { config: { ...configFor(), profile: { baseUrl: bare.url, api: 'chat' } } });
      const summary = await runOpenAIBatch(opts);
      expect(summary.stopReason).toBe('fatal');
      expect(summary.exitError?.kind).toBe('api');
      expect(summary.exitError?.message).toContain('does not seem to offer the Batch API');
      expect(summary.exitError?.message).toContain('2 not submitted');
      expect(sink.lines).toHaveLength(0);
      expect(bare.requests.filter((r) => r.path === '/v1/batches')).toHaveLength(0);
    } finally {
      await bare.close();
    }
  });

  it('refuses the offline simulate profile', async () => {
    const { opts } = setup(items(1), { config: configFor({ simulate: true, baseUrl: 'simulate://local' }) });
    await expect(runOpenAIBatch(opts)).rejects.toMatchObject({ kind: 'usage' });
  });
});

/** A loopback proxy in front of the mock server, so a test can break a call after the server has acted on it. */
async function startProxy(
  handle: (req: IncomingMessage, res: ServerResponse, forward: () => Promise<{ status: number; headers: Record<string, string>; body: Buffer }>) => Promise<void>,
): Promise<{ url: string; close(): Promise<void> }> {
  const target = new URL(server.url);
  const proxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const forward = async () => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && !['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive'].includes(k)) headers[k] = v;
        const answer = await fetch(`${target.origin}${req.url}`, { method: req.method, headers, ...(chunks.length ? { body: Buffer.concat(chunks) } : {}) });
        const out: Record<string, string> = {};
        answer.headers.forEach((v, k) => {
          if (k !== 'content-length' && k !== 'transfer-encoding' && k !== 'connection' && k !== 'keep-alive') out[k] = v;
        });
        return { status: answer.status, headers: out, body: Buffer.from(await answer.arrayBuffer()) };
      };
      handle(req, res, forward).catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const { port } = proxy.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    close: () =>
      new Promise<void>((resolve) => {
        proxy.closeAllConnections();
        proxy.close(() => resolve());
      }),
  };
}
