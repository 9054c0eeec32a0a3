/**
 * The fault matrix (issue #5): every fault the loopback server can inject, against chat in each
 * shape (chat completions and responses, streamed and not) and against `gpt run`. Each row checks
 * the documented exit code, a one-line message, partial output where some was sent, accounting
 * printed, no stack trace, and no control character on stderr.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { networkError } from '../src/providers/retry.js';
import { makeHome } from './support/cli.js';
import { runGpt } from './support/in-process.js';
import { type Reply, type ReplyScript, sseData, sseEvent } from './support/mock-server.js';
import { useMockServer } from './support/fixture.js';

const KEY = 'sk-test-FAULTMATRIX01ghij';
const server = useMockServer();

type Shape = { name: string; args: string[] };
const SHAPES: Shape[] = [
  { name: 'chat stream', args: [] },
  { name: 'chat no-stream', args: ['--no-stream'] },
  { name: 'responses stream', args: ['--api', 'responses'] },
  { name: 'responses no-stream', args: ['--api', 'responses', '--no-stream'] },
];

interface Row {
  fault: string;
  replies: ReplyScript[];
  code: number;
  message?: RegExp;
  /** Exact stdout, or a check on it. */
  stdout?: string | ((out: string, shape: Shape) => boolean);
  requests?: number;
  extra?: string[];
  /** Rows that only make sense for streamed answers. */
  streamOnly?: boolean;
  /** How many `gpt: warning:` lines stderr must hold. */
  warnings?: number;
}

// What a hostile server might slip into text a terminal shows: set the window title, clear the screen.
const HOSTILE = 'Bad \u001b]0;pwned\u0007 title \u001b[2J cleared';
const HOSTILE_SHOWN = /Bad \\x1b\]0;pwned\\x07 title \\x1b\[2J cleared/;
// C0 (but \t, \n) and C1 controls: with NO_COLOR, nothing on stderr may move the cursor or talk to the terminal.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
const json = (check: (body: { usage: Record<string, number | boolean>; cost: Record<string, unknown> }) => boolean) => (out: string) => check(JSON.parse(out));
const countedLocally = json(({ usage, cost }) => usage.estimated === true && (usage.input_tokens as number) > 0 && (usage.output_tokens as number) > 0 && typeof cost.total_usd === 'number');
const impossibleUsage = (usage: Record<string, number>, fault: string): Row => ({
  fault,
  replies: [{ kind: 'answer', text: 'ok', usage }],
  code: 0,
  extra: ['--json'],
  stdout: countedLocally,
  message: /warning: the API reported impossible usage .*; counting tokens locally/,
  warnings: 1,
});
/** A 200 of the wrong shape for whichever endpoint was called. */
const wrongShape = (chat: string, responses: string): ReplyScript => (request) => ({ kind: 'raw-200', body: request.path.includes('/responses') ? responses : chat });

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
  { fault: 'an error body with terminal escapes (shown escaped)', replies: [{ kind: 'error', status: 400, message: HOSTILE }], code: 7, message: HOSTILE_SHOWN, requests: 1 },
  { fault: 'an answer with terminal escapes reaches a pipe byte for byte', replies: [{ kind: 'answer', text: HOSTILE }], code: 0, stdout: HOSTILE },
  impossibleUsage({ prompt_tokens: -5 }, 'negative usage: counted locally, marked, one warning'),
  impossibleUsage({ completion_tokens: 2.5 }, 'fractional usage: counted locally'),
  impossibleUsage({ prompt_tokens: 1e300 }, 'usage of 1e300: counted locally, cost a number'),
  impossibleUsage({ completion_tokens: 4_000_001 }, "usage over 10× the model's context window: counted locally"),
  // Only chat completions carry a provider cost (OpenRouter's usage.cost); for responses the row checks the footer alone.
  { fault: 'a negative provider cost: priced from the table instead', replies: [{ kind: 'answer', text: 'ok', cost: -99 }], code: 0, stdout: 'ok', message: /· \$0\.0\d+ · / },
  { fault: 'a 200 of the wrong shape', replies: [wrongShape('{"choices":5}', '{"output":5}')], code: 7, message: /unexpected body: (choices|output) is a number, not a list/, requests: 1 },
  { fault: 'a 200 whose first choice has no message', replies: [wrongShape('{"choices":[{"text":"hi"}]}', '{"output":[{"type":"message","content":"hi"}]}')], code: 7, message: /unexpected body: .* is (missing|a string)/ },
  { fault: 'a 200 of JSON null', replies: [{ kind: 'raw-200', body: 'null' }], code: 7, message: /unexpected body: the body is null, not an object/ },
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
    { fault: 'a malformed frame with terminal escapes (warned, escaped)', replies: [{ kind: 'raw-sse', events: [delta('a'), `data: {${HOSTILE}\n\n`, delta('b'), ...end] }], code: 0, stdout: 'ab', message: HOSTILE_SHOWN, warnings: 1 },
    {
      fault: 'a frame of the wrong shape',
      replies: [{ kind: 'raw-sse', events: [delta('a'), responses ? sseEvent('response.output_text.delta', { type: 'response.output_text.delta', delta: 5 }) : sseData({ choices: 5 }), delta('b'), ...end] }],
      code: 7,
      message: /unexpected (body|stream event): .* is a number/,
      stdout: 'a',
    },
    { fault: 'a frame of JSON null', replies: [{ kind: 'raw-sse', events: [delta('a'), 'data: null\n\n', ...end] }], code: 7, message: /unexpected stream event: an event is null, not an object/, stdout: 'a' },
    { fault: 'an SSE line over 64 MiB', replies: [{ kind: 'huge-line', bytes: 65 * 1024 * 1024 }], code: 7, message: /a stream line over 64 MiB/ },
    // Any bytes count as activity for --timeout, so comment lines keep a slow stream alive.
    { fault: '`: keep-alive` comments keep a slow stream alive', replies: [{ kind: 'raw-sse', events: [...Array(4).fill(': keep-alive\n\n'), delta('a'), ...end], delayMs: 150 }], extra: ['--timeout', '0.4'], code: 0, stdout: 'a' },
  ];
}

/** --no-stream: a whole body over the cap is a server gone wrong (exit 7), not a crash of gpt. */
const WHOLE_BODY_TOO_BIG: Row = { fault: 'a whole body over 64 MiB', replies: [{ kind: 'raw-200', body: `{"x":"${'a'.repeat(65 * 1024 * 1024)}"}` }], code: 7, message: /a body over 64 MiB/ };

describe.each(SHAPES)('gpt chat ($name)', (shape) => {
  const stream = !shape.args.includes('--no-stream');
  const rows = [...ROWS.filter((r) => stream || !r.streamOnly), ...(stream ? streamedFaults(shape) : [WHOLE_BODY_TOO_BIG])];
  it.each(rows)('$fault → exit $code', async (row) => {
    server.enqueue(...row.replies);
    const r = await runGpt(['chat', ...shape.args, ...(row.extra ?? []), 'hi'], { env: { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: server.url } });
    expect(r.code).toBe(row.code);
    if (row.message) expect(r.stderr).toMatch(row.message);
    if (typeof row.stdout === 'string') expect(r.stdout).toBe(row.stdout);
    else if (row.stdout) expect(row.stdout(r.stdout, shape)).toBe(true);
    if (row.requests !== undefined) expect(server.requests).toHaveLength(row.requests);
    const errorLines = r.stderr.split('\n').filter((l) => l.startsWith('gpt: ') && !l.startsWith('gpt: warning'));
    expect(errorLines.length).toBe(row.code === 0 ? 0 : 1);
    if (row.warnings !== undefined) expect(r.stderr.split('\n').filter((l) => l.startsWith('gpt: warning')).length).toBe(row.warnings);
    expect(r.stderr).not.toMatch(CONTROL);
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/); // no stack trace
    expect(r.stdout + r.stderr).not.toContain(KEY);
    if (r.stdout !== '') expect(r.stderr).toMatch(/ in · .* out · /); // accounting printed whenever an answer came
  });
});

describe('usage a server could not have meant', () => {
  it('never reaches the usage log: the record is counted locally and marked estimated', async () => {
    const home = makeHome();
    server.enqueue({ kind: 'answer', text: 'ok', usage: { prompt_tokens: -5, completion_tokens: -1 } });
    const r = await runGpt(['chat', 'hi'], { home, env: { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: server.url } });
    expect(r.code).toBe(0);
    const record = JSON.parse(readFileSync(join(home, '.local', 'state', 'gpt', 'usage.jsonl'), 'utf8').trim());
    expect(record.usage).toMatchObject({ estimated: true, input_tokens: expect.any(Number), output_tokens: 1 });
    expect(record.usage.input_tokens).toBeGreaterThan(0);
    expect(record.cost.total_usd).toBeGreaterThan(0);
  });
});

describe('gpt run under faults', () => {
  it.each([
    [{ kind: 'error', status: 401, message: 'bad key' } as Reply, 4],
    [{ kind: 'reset-mid-stream', afterChunks: 1, text: 'one two three' } as Reply, 7],
    [{ kind: 'error', status: 429, type: 'insufficient_quota', code: 'insufficient_quota' } as Reply, 5],
  ])('%j → exit %i', async (reply, code) => {
    server.enqueue(reply);
    const r = await runGpt(['run', 'summarize'], { stdin: 'Some article text.', env: { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: server.url } });
    expect(r.code).toBe(code);
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });
});

describe('failures that need no server', () => {
  it('connection refused: exit 7, one line', async () => {
    const r = await runGpt(['chat', '--retries', '0', 'hi'], { env: { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' } });
    expect(r.code).toBe(7);
    expect(r.stderr.trim()).toBe('gpt: cannot connect to 127.0.0.1:9: connection refused');
  });

  it('a DNS failure reads as one line naming the host (by error code, without a lookup here)', () => {
    const error = networkError(Object.assign(new Error('getaddrinfo ENOTFOUND api.example.invalid'), { code: 'ENOTFOUND' }), 'https://api.example.invalid/v1/chat/completions', 600, 1);
    expect([error.exitCode, error.message]).toEqual([7, 'cannot resolve host api.example.invalid']);
  });
});
