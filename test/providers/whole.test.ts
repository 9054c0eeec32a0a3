/**
 * `provider.whole()`, the non-streamed chat path without generator layers, against `provider.stream()` on the
 * same replies: the same events in the same order (retry events through the callback, before each wait), the
 * same errors, restarts and usage checks.
 */
import { describe, expect, it } from 'vitest';
import { GptError } from '../../src/domain/index.js';
import { readWhole, send } from '../../src/providers/http.js';
import { createProvider } from '../../src/providers/provider.js';
import { abortHub } from '../../src/domain/index.js';
import type { ProviderEvent, ProviderRequest } from '../../src/providers/types.js';
import type { ReplyScript } from '../support/mock-server.js';
import { useMockServer } from '../support/fixture.js';

const server = useMockServer();

function provider(slept: number[]) {
  const clock = {
    now: () => 1_000_000,
    random: () => 0.5,
    sleep: async (ms: number) => {
      slept.push(ms);
    },
  };
  const setup = { profile: { baseUrl: server.url }, contextWindow: () => 1000, counterFor: () => Promise.reject(new Error('not counted here')) };
  return createProvider(setup, { apiKey: 'sk-test-WHOLE0123456789', clock });
}

const request = (stream: boolean): ProviderRequest => ({ model: 'gpt-5-mini', messages: [{ role: 'user', content: 'hi' }], options: { stream, retries: 2 }, restartable: true });

/** The server numbers its request ids across runs: only whether there is one is compared. */
const sameIds = (event: ProviderEvent) => (event.type === 'start' ? { ...event, requestId: typeof event.requestId } : event);

/** Events (or the error) of one request, both ways, each on a fresh queue of the same replies. */
async function both(replies: ReplyScript[]): Promise<{ whole: unknown; stream: unknown }> {
  const run = async (lean: boolean) => {
    server.reset();
    server.enqueue(...replies);
    const slept: number[] = [];
    const events: ProviderEvent[] = [];
    const p = provider(slept);
    try {
      if (lean) {
        const whole = p.whole?.(request(false), (event) => events.push(event));
        if (!whole) throw new Error('no whole path');
        events.push(...(await whole));
      } else for await (const event of p.stream(request(false))) events.push(event);
      return { events: events.map(sameIds), slept };
    } catch (error) {
      return { events: events.map(sameIds), slept, error: error instanceof GptError ? [error.kind, error.message.replace(/req_mock\d+/, 'req'), error.details.code] : String(error) };
    }
  };
  return { whole: await run(true), stream: await run(false) };
}

describe('provider.whole() (non-streamed chat, read whole)', () => {
  it.each<[string, ReplyScript[]]>([
    ['a plain answer with usage and rate-limit headers', [{ kind: 'answer', text: 'Hello there', rateLimitHeaders: { 'x-ratelimit-remaining-requests': '9' } }]],
    ['429 then an answer', [{ kind: 'error', status: 429, headers: { 'retry-after': '3' } }, { kind: 'answer', text: 'ok' }]],
    ['an empty 200 (restarted), then an answer', [{ kind: 'empty-200' }, { kind: 'answer', text: 'second' }]],
    ['impossible usage (a warning, usage dropped)', [{ kind: 'answer', text: 'x', usage: { prompt_tokens: 5_000_000 } }]],
    ['an impossible provider cost', [{ kind: 'answer', text: 'x', cost: -4 }]],
    ['a body of the wrong shape', [{ kind: 'raw-200', body: '{"choices":[]}' }]],
    ['an API error mid-body', [{ kind: 'raw-200', body: '{"error":{"message":"boom","code":"x"}}' }]],
    ['401', [{ kind: 'error', status: 401 }]],
    ['a body in one-byte writes, multi-byte characters cut', [{ kind: 'split-utf8', text: 'héllo 中文 😀' }]],
    ['a body cut by a reset, then an answer', [{ kind: 'reset-mid-stream', afterChunks: 1 }, { kind: 'answer', text: 'again' }]],
    ['a reset before headers, three times', [{ kind: 'reset-before-headers' }, { kind: 'reset-before-headers' }, { kind: 'reset-before-headers' }]],
  ])('%s: the same events as stream()', async (_, replies) => {
    const { whole, stream } = await both(replies);
    expect(whole).toEqual(stream);
  });

  it('a cut body restarts the request (the case above is not vacuous)', async () => {
    const { whole } = await both([{ kind: 'reset-mid-stream', afterChunks: 1 }, { kind: 'answer', text: 'again' }]);
    expect((whole as { events: ProviderEvent[] }).events.filter((e) => e.type === 'retry')).toEqual([expect.objectContaining({ restart: true })]);
  });

  it('a body over the cap is refused while it is read', async () => {
    const attempts = send({ baseUrl: server.url }, { method: 'POST', path: '/chat/completions', json: { model: 'gpt-5-mini', messages: [{ role: 'user', content: 'hi' }] } });
    let step = await attempts.next();
    while (!step.done) step = await attempts.next();
    await expect(readWhole(step.value, server.url, 5, undefined, 10)).rejects.toMatchObject({ kind: 'api', details: { code: 'body_too_long' } });
    expect(step.value.body.destroyed).toBe(true);
  });

  it('is offered only for non-streamed chat completions', () => {
    const p = provider([]);
    expect(p.whole?.(request(true), () => undefined)).toBeUndefined();
    expect(p.whole?.({ ...request(false), options: { stream: false, api: 'responses' } }, () => undefined)).toBeUndefined();
  });

  it('one abort signal shared by requests in flight cuts them all, waiting for headers or mid-body', async () => {
    server.reset();
    // By what is asked, not arrival order: the whole ones may reach the server first.
    const stall = (r: { body: unknown }) => ((r.body as { stream?: boolean }).stream ? { kind: 'stall-mid-stream' as const, afterChunks: 1 } : { kind: 'stall-before-headers' as const });
    server.enqueue(stall, stall, stall);
    const controller = new AbortController();
    const p = provider([]);
    const calls = [request(false), request(true), request(false)].map((r) => ({ ...r, signal: controller.signal }));
    let midBody!: () => void;
    const streaming = new Promise<void>((resolve) => (midBody = resolve));
    const streamed = async () => {
      for await (const event of p.stream(calls[1]!)) if (event.type === 'text') midBody();
    };
    const pending = [p.whole?.(calls[0]!, () => undefined), streamed(), p.whole?.(calls[2]!, () => undefined)];
    await Promise.all([server.waitForRequests(3), streaming]);
    controller.abort();
    const settled = await Promise.allSettled(pending);
    expect(settled.map((s) => (s.status === 'rejected' ? (s.reason as GptError).kind : s.status))).toEqual(['interrupted', 'interrupted', 'interrupted']);
  });

  it("abortHub: each listener once, a removed one never, the signal's own state", () => {
    const controller = new AbortController();
    const hub = abortHub(controller.signal);
    expect(abortHub(controller.signal)).toBe(hub);
    const calls: string[] = [];
    const a = () => calls.push('a');
    const b = () => calls.push('b');
    hub.once('abort', a).once('abort', b).removeListener('abort', b);
    expect(hub.aborted).toBe(false);
    controller.abort(new Error('stop'));
    controller.abort();
    expect(calls).toEqual(['a']);
    expect(hub.aborted).toBe(true);
    expect((hub.reason as Error).message).toBe('stop');
  });
});
