import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Agent, FormData, request } from 'undici';
import {
  DEFAULT_TEXT,
  DONE_EVENT,
  chatDeltaEvent,
  chatFinishEvent,
  chatUsageEvent,
  sseEvent,
  mockPromptTokens,
  mockTokens,
  sseData,
  startMockServer,
  type MockServer,
} from './mock-server.js';

let server: MockServer;
let agent: Agent;

beforeAll(async () => {
  server = await startMockServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.reset();
  // A fresh pool per test, so a socket a fault test broke is never reused by the next one.
  agent = new Agent();
});
afterEach(async () => {
  await agent.destroy();
});

interface Received {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  bytes: Buffer;
  dataEvents: Buffer[];
  error?: Error & { code?: string };
}

/** Sends a request with the real undici stack and collects every 'data' event, plus the error that ended it. */
async function call(path: string, body?: unknown, options: { method?: string; headersTimeout?: number; bodyTimeout?: number } = {}): Promise<Received> {
  const response = await request(`${server.url}${path}`, {
    method: (options.method ?? (body === undefined ? 'GET' : 'POST')) as 'GET' | 'POST',
    headers: { authorization: 'Bearer sk-test-secret-1234', 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    dispatcher: agent,
    headersTimeout: options.headersTimeout,
    bodyTimeout: options.bodyTimeout,
  });
  const dataEvents: Buffer[] = [];
  const error = await new Promise<(Error & { code?: string }) | undefined>((resolve) => {
    response.body.on('data', (chunk: Buffer) => dataEvents.push(chunk));
    response.body.on('end', () => resolve(undefined));
    response.body.on('error', (err) => resolve(err));
  });
  const bytes = Buffer.concat(dataEvents);
  return { status: response.statusCode, headers: response.headers, text: bytes.toString('utf8'), bytes, dataEvents, error };
}

/** Splits an SSE body into events of {event?, data}. */
function parseSse(text: string): { event?: string; data: string }[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim())
    .map((block) => {
      const lines = block.split('\n');
      const event = lines.find((line) => line.startsWith('event: '))?.slice(7);
      const data = lines.filter((line) => line.startsWith('data: ')).map((line) => line.slice(6)).join('\n');
      return event === undefined ? { data } : { event, data };
    });
}

const chatBody = { model: 'gpt-5.2', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Say hi' }] };

describe('chat completions', () => {
  it('answers non-stream JSON with counted usage, echoes the model and records the request', async () => {
    const result = await call('/chat/completions', chatBody);
    expect(result.status).toBe(200);
    const json = JSON.parse(result.text);
    expect(json.object).toBe('chat.completion');
    expect(json.model).toBe('gpt-5.2');
    expect(json.choices[0].message.content).toBe(DEFAULT_TEXT);
    expect(json.choices[0].finish_reason).toBe('stop');
    const prompt = 3 + (3 + mockTokens('system') + mockTokens('Be brief.')) + (3 + mockTokens('user') + mockTokens('Say hi'));
    expect(mockPromptTokens('/v1/chat/completions', chatBody)).toBe(prompt);
    expect(json.usage).toMatchObject({ prompt_tokens: prompt, completion_tokens: mockTokens(DEFAULT_TEXT), total_tokens: prompt + mockTokens(DEFAULT_TEXT) });
    expect(result.headers['x-request-id']).toMatch(/^req_/);
    const recorded = server.lastRequest()!;
    expect(recorded).toMatchObject({ method: 'POST', path: '/v1/chat/completions', body: chatBody });
    expect(recorded.headers.authorization).toBe('Bearer sk-test-secret-1234');
    expect(recorded.rawBody.toString()).toBe(JSON.stringify(chatBody));
  });

  it('streams role, one chunk per word, finish, and no usage chunk unless include_usage', async () => {
    server.enqueue({ kind: 'answer', text: 'one two  three' });
    const result = await call('/chat/completions', { ...chatBody, stream: true });
    expect(result.headers['content-type']).toMatch(/^text\/event-stream/);
    const events = parseSse(result.text);
    expect(events.at(-1)!.data).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((event) => JSON.parse(event.data));
    expect(chunks[0].choices[0].delta).toMatchObject({ role: 'assistant', content: '' });
    expect(chunks.slice(1, -1).map((chunk) => chunk.choices[0].delta.content)).toEqual(['one ', 'two  ', 'three']);
    expect(chunks.at(-1).choices[0].finish_reason).toBe('stop');
    expect(chunks.every((chunk) => !('usage' in chunk))).toBe(true);
  });

  it('sends the usage chunk with choices: [] just before [DONE] when include_usage is set', async () => {
    server.enqueue({ kind: 'answer', usage: { prompt_tokens: 100, cached_tokens: 40, reasoning_tokens: 7 }, cost: 0.0123 });
    const result = await call('/chat/completions', { ...chatBody, stream: true, stream_options: { include_usage: true } });
    const events = parseSse(result.text);
    expect(events.at(-1)!.data).toBe('[DONE]');
    const usageChunk = JSON.parse(events.at(-2)!.data);
    expect(usageChunk.choices).toEqual([]);
    expect(usageChunk.usage).toMatchObject({
      prompt_tokens: 100,
      completion_tokens: mockTokens(DEFAULT_TEXT) + 7,
      prompt_tokens_details: { cached_tokens: 40 },
      completion_tokens_details: { reasoning_tokens: 7 },
      cost: 0.0123,
    });
    expect(JSON.parse(events[0]!.data).usage).toBeNull();
  });

  it('sends no usage at all when usage is null, and honours model, finishReason, headers and chunks', async () => {
    server.enqueue({
      kind: 'answer',
      chunks: ['a', 'bc'],
      usage: null,
      model: 'gpt-5.2-2025-12-11',
      finishReason: 'length',
      headers: { 'x-extra': 'yes' },
      rateLimitHeaders: { 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '1s' },
    });
    const result = await call('/chat/completions', { ...chatBody, stream: true, stream_options: { include_usage: true } });
    expect(result.headers['x-extra']).toBe('yes');
    expect(result.headers['x-ratelimit-reset-requests']).toBe('1s');
    const chunks = parseSse(result.text).slice(0, -1).map((event) => JSON.parse(event.data));
    expect(chunks.every((chunk) => chunk.model === 'gpt-5.2-2025-12-11' && !('usage' in chunk))).toBe(true);
    expect(chunks.map((chunk) => chunk.choices[0].delta.content ?? null)).toEqual(['', 'a', 'bc', null]);
    expect(chunks.at(-1).choices[0].finish_reason).toBe('length');
    server.enqueue({ kind: 'answer', usage: null });
    expect(JSON.parse((await call('/chat/completions', chatBody)).text)).not.toHaveProperty('usage');
  });

  it('can put usage on the finish chunk or send it unasked', async () => {
    server.enqueue({ kind: 'answer', streamUsage: 'finish-chunk' }, { kind: 'answer', streamUsage: 'always' });
    const onFinish = parseSse((await call('/chat/completions', { ...chatBody, stream: true })).text).slice(0, -1).map((e) => JSON.parse(e.data));
    expect(onFinish.at(-1).choices[0].finish_reason).toBe('stop');
    expect(onFinish.at(-1).usage.completion_tokens).toBe(mockTokens(DEFAULT_TEXT));
    const always = parseSse((await call('/chat/completions', { ...chatBody, stream: true })).text);
    expect(JSON.parse(always.at(-2)!.data).choices).toEqual([]);
  });
});

describe('responses API', () => {
  const responsesBody = { model: 'gpt-5.2', instructions: 'Be brief.', input: [{ role: 'user', content: [{ type: 'input_text', text: 'Say hi' }] }] };

  it('answers a non-stream response object with output_text and usage', async () => {
    const json = JSON.parse((await call('/responses', responsesBody)).text);
    expect(json).toMatchObject({ object: 'response', status: 'completed', model: 'gpt-5.2' });
    expect(json.output[0]).toMatchObject({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: DEFAULT_TEXT }] });
    const prompt = 3 + (3 + mockTokens('system') + mockTokens('Be brief.')) + (3 + mockTokens('user') + mockTokens('Say hi'));
    expect(json.usage).toMatchObject({ input_tokens: prompt, output_tokens: mockTokens(DEFAULT_TEXT), input_tokens_details: { cached_tokens: 0 } });
    expect(mockPromptTokens('/v1/responses', { input: 'Say hi' })).toBe(3 + 3 + mockTokens('user') + mockTokens('Say hi'));
  });

  it('streams the documented event sequence with sequence numbers and no [DONE]', async () => {
    server.enqueue({ kind: 'answer', text: 'Hi there' });
    const events = parseSse((await call('/responses', { ...responsesBody, stream: true })).text);
    expect(events.map((event) => event.event)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const payloads = events.map((event) => JSON.parse(event.data));
    expect(payloads.map((payload) => payload.sequence_number)).toEqual(payloads.map((_, index) => index));
    expect(payloads.every((payload, index) => payload.type === events[index]!.event)).toBe(true);
    expect(payloads.filter((p) => p.type === 'response.output_text.delta').map((p) => p.delta).join('')).toBe('Hi there');
    expect(payloads[0].response.usage).toBeNull();
    expect(payloads.at(-1).response.usage.output_tokens).toBe(mockTokens('Hi there'));
  });

  it("ends with response.incomplete when the answer was cut by finishReason 'length'", async () => {
    server.enqueue({ kind: 'answer', finishReason: 'length' });
    const events = parseSse((await call('/responses', { ...responsesBody, stream: true })).text);
    const last = JSON.parse(events.at(-1)!.data);
    expect(last.type).toBe('response.incomplete');
    expect(last.response).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } });
  });
});

describe('errors and faults', () => {
  it('answers an OpenAI error body with the given status and headers, or a raw HTML page', async () => {
    server.enqueue(
      { kind: 'error', status: 429, headers: { 'retry-after': '2', 'x-should-retry': 'true' } },
      { kind: 'error', status: 502, rawBody: '<html><body>Bad gateway</body></html>' },
    );
    const limited = await call('/chat/completions', chatBody);
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('2');
    expect(JSON.parse(limited.text).error).toMatchObject({ type: 'requests', code: 'rate_limit_exceeded', param: null });
    const html = await call('/chat/completions', chatBody);
    expect(html.status).toBe(502);
    expect(html.headers['content-type']).toMatch(/text\/html/);
    expect(html.text).toContain('Bad gateway');
  });

  it('raw-sse every-byte writes each byte separately', async () => {
    const events = [': keep-alive\n\n', chatDeltaEvent('héllo'), 'event: mystery\ndata: {}\r\n\r\n', DONE_EVENT];
    server.enqueue({ kind: 'raw-sse', events, splitAt: 'every-byte' });
    const result = await call('/chat/completions', { ...chatBody, stream: true });
    expect(result.text).toBe(events.join(''));
    expect(result.dataEvents.length).toBe(result.bytes.length);
    expect(result.dataEvents.every((chunk) => chunk.length === 1)).toBe(true);
  });

  it('raw-sse cuts at given offsets, and end: reset kills the socket after the data', async () => {
    const events = [sseData('{"broken'), chatDeltaEvent('ok')];
    server.enqueue({ kind: 'raw-sse', events, splitAt: [3, 10] }, { kind: 'raw-sse', events, end: 'reset' });
    const cut = await call('/chat/completions', chatBody);
    expect(cut.dataEvents.map((chunk) => chunk.length)).toEqual([3, 7, cut.bytes.length - 10]);
    const reset = await call('/chat/completions', chatBody);
    expect(reset.text).toBe(events.join(''));
    expect(reset.error).toBeDefined();
  });

  it('the SSE helpers build well-formed events for raw-sse scripts', async () => {
    const events = [chatDeltaEvent('Hi'), chatFinishEvent('stop'), chatUsageEvent({ prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 }), DONE_EVENT];
    server.enqueue({ kind: 'raw-sse', events }, { kind: 'raw-sse', events: [sseEvent('response.created', { type: 'response.created' })] });
    const chunks = parseSse((await call('/chat/completions', chatBody)).text);
    expect(chunks.slice(0, 3).map((event) => JSON.parse(event.data).object)).toEqual(Array(3).fill('chat.completion.chunk'));
    expect(JSON.parse(chunks[2]!.data)).toMatchObject({ choices: [], usage: { total_tokens: 2 } });
    expect(parseSse((await call('/responses', {})).text)).toEqual([{ event: 'response.created', data: '{"type":"response.created"}' }]);
  });

  it('split-utf8 writes one byte per write so multi-byte characters are cut', async () => {
    server.enqueue({ kind: 'split-utf8', text: 'naïve 日本 🎉' });
    const result = await call('/chat/completions', { ...chatBody, stream: true });
    expect(result.dataEvents.length).toBe(result.bytes.length);
    const content = parseSse(result.text).slice(1, -2).map((event) => JSON.parse(event.data).choices[0].delta.content).join('');
    expect(content).toBe('naïve 日本 🎉');
    server.enqueue({ kind: 'answer', splitEveryByte: true, text: 'ü' });
    const plain = await call('/chat/completions', chatBody);
    expect(plain.dataEvents.every((chunk) => chunk.length === 1)).toBe(true);
    expect(JSON.parse(plain.text).choices[0].message.content).toBe('ü');
  });

  it('reset-before-headers gives the client a socket error', async () => {
    server.enqueue({ kind: 'reset-before-headers' });
    await expect(call('/chat/completions', chatBody)).rejects.toThrow();
    expect(server.requests).toHaveLength(1);
  });

  it('reset-mid-stream delivers the first chunks, then a socket error', async () => {
    server.enqueue({ kind: 'reset-mid-stream', afterChunks: 2, text: 'one two three four' });
    const result = await call('/chat/completions', { ...chatBody, stream: true });
    expect(result.status).toBe(200);
    expect(result.error).toBeDefined();
    const deltas = parseSse(result.text).map((event) => JSON.parse(event.data).choices[0].delta.content);
    expect(deltas).toEqual(['', 'one ', 'two ']);
  });

  it('stall-before-headers trips the headers timeout', async () => {
    server.enqueue({ kind: 'stall-before-headers' });
    await expect(call('/chat/completions', chatBody, { headersTimeout: 150 })).rejects.toMatchObject({ code: 'UND_ERR_HEADERS_TIMEOUT' });
  });

  it('stall-mid-stream sends some chunks then trips the body timeout', async () => {
    server.enqueue({ kind: 'stall-mid-stream', afterChunks: 1 });
    const result = await call('/responses', { model: 'gpt-5.2', input: 'hi', stream: true }, { bodyTimeout: 150 });
    expect(result.error?.code).toBe('UND_ERR_BODY_TIMEOUT');
    expect(parseSse(result.text).map((event) => event.event)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
    ]);
  });

  it('empty-200 answers 200 with no body', async () => {
    server.enqueue({ kind: 'empty-200' });
    const result = await call('/chat/completions', chatBody);
    expect(result.status).toBe(200);
    expect(result.bytes.length).toBe(0);
  });

  it('close() ends stalled connections at once', async () => {
    const own = await startMockServer();
    own.setDefault({ kind: 'stall-before-headers' });
    const pending = request(`${own.url}/chat/completions`, { method: 'POST', body: '{}', dispatcher: agent });
    pending.catch(() => {});
    await own.waitForRequests(1);
    const started = Date.now();
    await own.close();
    await expect(pending).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe('queue and routes', () => {
  it('consumes queued replies FIFO, then the default; reset restores the built-in default', async () => {
    server.setDefault({ kind: 'answer', text: 'default' });
    server.enqueue({ kind: 'answer', text: 'first' }, (req) => ({ kind: 'answer', text: `saw ${(req.body as { model: string }).model}` }));
    expect(server.queued).toBe(2);
    const texts: string[] = [];
    for (let i = 0; i < 3; i++) texts.push(JSON.parse((await call('/chat/completions', chatBody)).text).choices[0].message.content);
    expect(texts).toEqual(['first', 'saw gpt-5.2', 'default']);
    server.reset();
    expect(server.requests).toHaveLength(0);
    expect(JSON.parse((await call('/chat/completions', chatBody)).text).choices[0].message.content).toBe(DEFAULT_TEXT);
  });

  it('lists models, 404s unknown paths and 400s unparseable JSON', async () => {
    const models = JSON.parse((await call('/models')).text);
    expect(models.object).toBe('list');
    expect(models.data.map((model: { id: string }) => model.id)).toContain('gpt-5.2');
    const missing = await call('/nope', {});
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.text).error.message).toBe('Invalid URL (POST /v1/nope)');
    const broken = await request(`${server.url}/chat/completions`, { method: 'POST', body: '{not json', dispatcher: agent });
    expect(broken.statusCode).toBe(400);
    await broken.body.text();
  });

  it('latencyMs delays answers; fixedReply answers a constant reply', async () => {
    const slow = await startMockServer({ latencyMs: 60, fixedReply: true, recordRequests: false });
    try {
      const started = Date.now();
      const response = await request(`${slow.url}/chat/completions`, { method: 'POST', body: JSON.stringify(chatBody), dispatcher: agent });
      const json = (await response.body.json()) as { choices: { message: { content: string } }[]; usage: { prompt_tokens: number } };
      expect(Date.now() - started).toBeGreaterThanOrEqual(55);
      expect(json.choices[0]!.message.content).toBe('ok');
      expect(json.usage.prompt_tokens).toBe(10);
      expect(slow.requests).toHaveLength(0);
    } finally {
      await slow.close();
    }
  });
});

describe('Batch API', () => {
  const line = (customId: string, content: string): string =>
    JSON.stringify({ custom_id: customId, method: 'POST', url: '/v1/chat/completions', body: { model: 'gpt-5.2', messages: [{ role: 'user', content }] } });

  async function upload(content: string): Promise<{ id: string; bytes: number; purpose: string; filename: string }> {
    const form = new FormData();
    form.append('purpose', 'batch');
    form.append('file', new Blob([content], { type: 'application/jsonl' }), 'input.jsonl');
    const response = await request(`${server.url}/files`, { method: 'POST', body: form, dispatcher: agent });
    expect(response.statusCode).toBe(200);
    return (await response.body.json()) as { id: string; bytes: number; purpose: string; filename: string };
  }

  async function post(path: string, body: unknown): Promise<Record<string, any>> {
    return JSON.parse((await call(path, body)).text);
  }

  it('uploads, runs and completes a batch with shuffled output and an error file', async () => {
    const input = ['a', 'b', 'c', 'd', 'e'].map((id) => line(id, `prompt ${id}`)).join('\n') + '\n';
    const file = await upload(input);
    expect(file).toMatchObject({ object: 'file', bytes: Buffer.byteLength(input), purpose: 'batch', filename: 'input.jsonl' });
    expect(file.id).toMatch(/^file-/);
    expect(server.files.get(file.id)!.content.toString()).toBe(input);

    server.batchFailIds.add('c');
    server.batchExpireIds.add('e');
    server.enqueue({ kind: 'answer', text: 'answer for a' }, { kind: 'error', status: 400, code: 'context_length_exceeded' });
    const created = await post('/batches', { input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    expect(created).toMatchObject({ object: 'batch', status: 'validating', input_file_id: file.id });

    const statuses: string[] = [];
    let batch = created;
    while (batch.status !== 'completed' && statuses.length < 10) {
      batch = await post(`/batches/${created.id}`, undefined);
      statuses.push(batch.status);
    }
    expect(statuses).toEqual(['in_progress', 'finalizing', 'completed']);
    expect(batch.request_counts).toEqual({ total: 5, completed: 2, failed: 3 });
    expect(batch.usage.input_tokens).toBeGreaterThan(0);

    const output = (await call(`/files/${batch.output_file_id}/content`)).text.trim().split('\n').map((row) => JSON.parse(row));
    expect(output.map((row) => row.custom_id).sort()).toEqual(['a', 'd']);
    const byId = Object.fromEntries(output.map((row) => [row.custom_id, row]));
    expect(byId.a.response.status_code).toBe(200);
    expect(byId.a.response.body.choices[0].message.content).toBe('answer for a');
    expect(byId.a.id).toMatch(/^batch_req_/);
    expect(byId.d.response.body.choices[0].message.content).toBe(DEFAULT_TEXT);
    expect(byId.d.response.body.usage.prompt_tokens).toBe(mockPromptTokens('/v1/chat/completions', { messages: [{ role: 'user', content: 'prompt d' }] }));

    const errors = (await call(`/files/${batch.error_file_id}/content`)).text.trim().split('\n').map((row) => JSON.parse(row));
    const errorsById = Object.fromEntries(errors.map((row) => [row.custom_id, row]));
    expect(Object.keys(errorsById).sort()).toEqual(['b', 'c', 'e']);
    expect(errors.map((row) => row.custom_id)).not.toEqual(['b', 'c', 'e']);
    expect(errorsById.b.response).toMatchObject({ status_code: 400, body: { error: { code: 'context_length_exceeded' } } });
    expect(errorsById.c.response.status_code).toBe(500);
    expect(errorsById.e).toMatchObject({ response: null, error: { code: 'batch_expired' } });
  });

  it('fails validation when told to, or when a line does not match the endpoint', async () => {
    const file = await upload(line('x', 'hi') + '\n' + line('x', 'again') + '\n');
    server.batchValidationErrors = [{ code: 'token_limit_exceeded', message: 'Enqueued token limit reached.' }];
    const forced = await post('/batches', { input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    server.batchValidationErrors = null;
    const polled = await post(`/batches/${forced.id}`, undefined);
    expect(polled.status).toBe('failed');
    expect(polled.errors.data.map((error: { code: string }) => error.code)).toEqual(['token_limit_exceeded', 'duplicate_custom_id']);

    const mismatch = await post('/batches', { input_file_id: file.id, endpoint: '/v1/responses', completion_window: '24h' });
    const failed = await post(`/batches/${mismatch.id}`, undefined);
    expect(failed.errors.data[0]).toMatchObject({ code: 'url_mismatch', line: 1 });
  });

  it('cancels a batch in progress and rejects bad create requests', async () => {
    const file = await upload(line('only', 'hi'));
    const created = await post('/batches', { input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    expect((await post(`/batches/${created.id}/cancel`, {})).status).toBe('cancelling');
    expect((await post(`/batches/${created.id}`, undefined)).status).toBe('cancelled');
    const bad = await call('/batches', { input_file_id: 'file-missing', endpoint: '/v1/chat/completions', completion_window: '24h' });
    expect(bad.status).toBe(400);
    expect((await call('/files/file-missing/content')).status).toBe(404);
  });

  it('is absent when started with batch: false', async () => {
    const plain = await startMockServer({ batch: false });
    try {
      const response = await request(`${plain.url}/batches`, { method: 'POST', body: '{}', dispatcher: agent });
      expect(response.statusCode).toBe(404);
      await response.body.text();
    } finally {
      await plain.close();
    }
  });
});
