/**
 * The fault matrix (issue #5): every fault the loopback server can inject, against chat in each
 * shape (chat completions and responses, streamed and not) and against `gpt run`. Each row checks
 * the documented exit code, a one-line message, partial output where some was sent, accounting
 * printed, and no stack trace.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { networkError } from '../src/providers/retry.js';
import { runCli } from './support/cli.js';
import { type MockServer, type Reply, sseData, sseEvent, startMockServer } from './support/mock-server.js';

const KEY = 'sk-test-FAULTMATRIX01ghij';
let server: MockServer;

beforeAll(async () => {
  server = await startMockServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => server.reset());

type Shape = { name: string; args: string[] };
const SHAPES: Shape[] = [
  { name: 'chat stream', args: [] },
  { name: 'chat no-stream', args: ['--no-stream'] },
  { name: 'responses stream', args: ['--api', 'responses'] },
  { name: 'responses no-stream', args: ['--api', 'responses', '--no-stream'] },
];

interface Row {
  fault: string;
  replies: Reply[];
  code: number;
  message?: RegExp;
  /** Exact stdout, or a check on it. */
  stdout?: string | ((out: string, shape: Shape) => boolean);
  requests?: number;
  extra?: string[];
  /** Rows that only make sense for streamed answers. */
  streamOnly?: boolean;
}

const quick = { 'retry-after-ms': '1' };
const ROWS: Row[] = [
  { fault: '429 with Retry-After, then success', replies: [{ kind: 'error', status: 429, headers: { 'retry-after': '0' } }, { kind: 'answer', text: 'ok' }], code: 0, stdout: 'ok', requests: 2 },
  { fault: '429 without Retry-After (backoff), then success', replies: [{ kind: 'error', status: 429 }, { kind: 'answer', text: 'ok' }], code: 0, stdout: 'ok', requests: 2 },
  { fault: '429 insufficient_quota: no retry', replies: [{ kind: 'error', status: 429, type: 'insufficient_quota', code: 'insufficient_quota', message: 'You exceeded your current quota' }], code: 5, message: /quota exhausted/, requests: 1 },
  { fault: '429 after all retries', replies: [0, 1, 2].map(() => ({ kind: 'error', status: 429, headers: quick }) as Reply), code: 5, message: /rate limited \(429\) after 3 attempts/, requests: 3 },
  ...[500, 502, 503, 504].map(
    (status): Row => ({ fault: `${status} on every attempt`, replies: [0, 1, 2].map(() => ({ kind: 'error', status, headers: quick }) as Reply), code: 7, message: new RegExp(`API error ${status} after 3 attempts`), requests: 3 }),
  ),
  { fault: '503 then success', replies: [{ kind: 'error', status: 503, headers: quick }, { kind: 'answer', text: 'ok' }], code: 0, stdout: 'ok', requests: 2 },
  { fault: '400 with an OpenAI error body', replies: [{ kind: 'error', status: 400, message: "Unsupported value: 'temperature'", code: 'unsupported_value' }], code: 7, message: /API error 400: Unsupported value: 'temperature'/, requests: 1 },
  { fault: 'a non-JSON error body (HTML proxy page)', replies: [{ kind: 'error', status: 502, rawBody: '<!DOCTYPE html><html><head><title>Bad gateway</title></head></html>' }], code: 7, message: /non-JSON response \(HTML: Bad gateway\)/, extra: ['--retries', '0'], requests: 1 },
  { fault: 'reset before headers, then success', replies: [{ kind: 'reset-before-headers' }, { kind: 'answer', text: 'ok' }], code: 0, stdout: 'ok', requests: 2 },
  { fault: 'reset before headers on every attempt', replies: [{ kind: 'reset-before-headers' }], code: 7, message: /connection to 127\.0\.0\.1:\d+ was reset/, extra: ['--retries', '0'], requests: 1 },
  {
    fault: 'reset mid-stream',
    replies: [{ kind: 'reset-mid-stream', afterChunks: 2, text: 'alpha beta gamma delta' }],
    code: 7,
    message: /was reset/,
    stdout: (out) => out.length > 0 && 'alpha beta gamma delta'.startsWith(out),
    requests: 1,
    streamOnly: true,
  },
  {
    fault: 'stall before the first byte (--timeout)',
    replies: [{ kind: 'stall-before-headers' }],
    code: 7,
    message: /no response from .* within 0\.4s/,
    extra: ['--timeout', '0.4', '--retries', '0'],
    requests: 1,
  },
  {
    fault: 'stall mid-stream (idle timeout)',
    replies: [{ kind: 'stall-mid-stream', afterChunks: 1, text: 'alpha beta gamma' }],
    code: 7,
    message: /went silent for 0\.4s/,
    extra: ['--timeout', '0.4'],
    stdout: (out) => out.length > 0 && 'alpha beta gamma'.startsWith(out),
    streamOnly: true,
  },
  { fault: 'usage missing: counted locally and marked', replies: [{ kind: 'answer', text: 'no usage', usage: null }], code: 0, stdout: 'no usage', message: /\(estimated\)/ },
  { fault: 'a 200 with an empty body', replies: [{ kind: 'empty-200' }], code: 7, message: /empty body|ended before the answer was complete/ },
];

function streamedFaults(shape: Shape): Row[] {
  const responses = shape.args.includes('responses');
  const delta = (text: string) =>
    responses ? sseEvent('response.output_text.delta', { type: 'response.output_text.delta', delta: text, item_id: 'm', output_index: 0, content_index: 0, sequence_number: 1 }) : sseData({ choices: [{ index: 0, delta: { content: text } }] });
  const end = responses
    ? [sseEvent('response.completed', { type: 'response.completed', sequence_number: 9, response: { id: 'r', status: 'completed', model: 'gpt-5.2', output: [], usage: { input_tokens: 3, output_tokens: 2, total_tokens: 5 } } })]
    : [sseData({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }), 'data: [DONE]\n\n'];
  return [
    { fault: 'a stream that ends without its terminal event', replies: [{ kind: 'raw-sse', events: [delta('cut ')] }], code: 7, message: /ended before the answer was complete/, stdout: 'cut ' },
    { fault: 'malformed JSON in one frame (skipped, warned)', replies: [{ kind: 'raw-sse', events: [delta('a'), 'data: {"choices": [\n\n', delta('b'), ...end] }], code: 0, stdout: 'ab', message: /skipped a malformed stream event/ },
    { fault: 'an event type the tool does not know (ignored)', replies: [{ kind: 'raw-sse', events: [delta('a'), sseEvent('response.future_thing', { type: 'response.future_thing', x: 1 }), delta('b'), ...end] }], code: 0, stdout: 'ab' },
    { fault: 'frames torn at every byte', replies: [{ kind: 'raw-sse', events: [delta('é👋'), delta(' ok'), ...end], splitAt: 'every-byte' }], code: 0, stdout: 'é👋 ok' },
  ];
}

describe.each(SHAPES)('gpt chat ($name)', (shape) => {
  const stream = !shape.args.includes('--no-stream');
  const rows = [...ROWS.filter((r) => stream || !r.streamOnly), ...(stream ? streamedFaults(shape) : [])];
  it.each(rows)('$fault → exit $code', async (row) => {
    server.enqueue(...row.replies);
    const r = await runCli(['chat', ...shape.args, ...(row.extra ?? []), 'hi'], { env: { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: server.url } });
    expect(r.code).toBe(row.code);
    if (row.message) expect(r.stderr).toMatch(row.message);
    if (typeof row.stdout === 'string') expect(r.stdout).toBe(row.stdout);
    else if (row.stdout) expect(row.stdout(r.stdout, shape)).toBe(true);
    if (row.requests !== undefined) expect(server.requests).toHaveLength(row.requests);
    const errorLines = r.stderr.split('\n').filter((l) => l.startsWith('gpt: ') && !l.startsWith('gpt: warning'));
    expect(errorLines.length).toBe(row.code === 0 ? 0 : 1);
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/); // no stack trace
    expect(r.stdout + r.stderr).not.toContain(KEY);
    if (r.stdout !== '') expect(r.stderr).toMatch(/ in · .* out · /); // accounting printed whenever an answer came
  });
});

describe('gpt run under faults', () => {
  it.each([
    [{ kind: 'error', status: 401, message: 'bad key' } as Reply, 4],
    [{ kind: 'reset-mid-stream', afterChunks: 1, text: 'one two three' } as Reply, 7],
    [{ kind: 'error', status: 429, type: 'insufficient_quota', code: 'insufficient_quota' } as Reply, 5],
  ])('%j → exit %i', async (reply, code) => {
    server.enqueue(reply);
    const r = await runCli(['run', 'summarize'], { stdin: 'Some article text.', env: { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: server.url } });
    expect(r.code).toBe(code);
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });
});

describe('failures that need no server', () => {
  it('connection refused: exit 7, one line', async () => {
    const r = await runCli(['chat', '--retries', '0', 'hi'], { env: { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' } });
    expect(r.code).toBe(7);
    expect(r.stderr.trim()).toBe('gpt: cannot connect to 127.0.0.1:9: connection refused');
  });

  it('a DNS failure reads as one line naming the host (by error code, without a lookup here)', () => {
    const error = networkError(Object.assign(new Error('getaddrinfo ENOTFOUND api.example.invalid'), { code: 'ENOTFOUND' }), 'https://api.example.invalid/v1/chat/completions', 600, 1);
    expect([error.exitCode, error.message]).toEqual([7, 'cannot resolve host api.example.invalid']);
  });
});
