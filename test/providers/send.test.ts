/**
 * `send()`, the one retry loop, in-process against the loopback server with a fake clock: every wait is
 * recorded, none is slept.
 */
import { describe, expect, it } from 'vitest';
import { GptError } from '../../src/domain/index.js';
import { send, type HttpSettings, type OpenResponse } from '../../src/providers/http.js';
import type { ProviderEvent } from '../../src/providers/types.js';
import { type MockServer } from '../support/mock-server.js';
import { useMockServer } from '../support/fixture.js';

const KEY = 'sk-test-SENDUNIT0123456789';
const server = useMockServer();

function fakeClock() {
  const slept: number[] = [];
  let now = 1_000_000;
  return {
    slept,
    clock: {
      now: () => now,
      random: () => 0.5,
      sleep: async (ms: number, signal?: AbortSignal) => {
        slept.push(ms);
        now += ms;
        if (signal?.aborted) throw new GptError('interrupted', 'interrupted');
      },
    },
  };
}

/** Runs send() to the end: the events it yielded and the response (or the error it threw). */
async function drive(http: HttpSettings, signal?: AbortSignal): Promise<{ events: ProviderEvent[]; response?: OpenResponse; error?: GptError }> {
  const events: ProviderEvent[] = [];
  const gen = send(http, { method: 'POST', path: '/chat/completions', json: { model: 'gpt-5-mini', messages: [{ role: 'user', content: 'hi' }] }, signal });
  try {
    for (;;) {
      const step = await gen.next();
      if (step.done) {
        await step.value.body.dump();
        return { events, response: step.value };
      }
      events.push(step.value);
    }
  } catch (error) {
    return { events, error: error as GptError };
  }
}

describe('send()', () => {
  it('waits what Retry-After says (on the injected clock), then returns the 2xx response', async () => {
    const { clock, slept } = fakeClock();
    server.enqueue({ kind: 'error', status: 429, headers: { 'retry-after': '7' } });
    const { events, response } = await drive({ baseUrl: server.url, apiKey: KEY, clock });
    expect(response?.status).toBe(200);
    expect(response?.attempts).toBe(2);
    expect(slept).toEqual([7000]);
    expect(events).toEqual([expect.objectContaining({ type: 'retry', attempt: 2, delayMs: 7000, status: 429 })]);
    expect(server.requests.map((r) => r.headers.authorization)).toEqual([`Bearer ${KEY}`, `Bearer ${KEY}`]);
  });

  it('backs off exponentially on 5xx and gives up after --retries with the API kind (exit 7)', async () => {
    const { clock, slept } = fakeClock();
    server.enqueue(...Array.from({ length: 3 }, () => ({ kind: 'error' as const, status: 503 })));
    const { error, events } = await drive({ baseUrl: server.url, clock, retries: 2 });
    expect(error).toBeInstanceOf(GptError);
    expect(error?.kind).toBe('api');
    expect(server.requests).toHaveLength(3);
    expect(events.filter((e) => e.type === 'retry')).toHaveLength(2);
    expect(slept).toHaveLength(2);
    expect(slept[1]!).toBeGreaterThan(slept[0]!);
  });

  it('never retries a 401: one request, the auth kind (exit 4)', async () => {
    const { clock, slept } = fakeClock();
    server.enqueue({ kind: 'error', status: 401 });
    const { error } = await drive({ baseUrl: server.url, apiKey: KEY, clock });
    expect([error?.kind, server.requests.length, slept.length]).toEqual(['auth', 1, 0]);
    expect(error?.message).not.toContain(KEY);
  });

  it('refuses at once a Retry-After longer than ten minutes rather than hanging', async () => {
    const { clock, slept } = fakeClock();
    server.enqueue({ kind: 'error', status: 429, headers: { 'retry-after': '3600' } });
    const { error } = await drive({ baseUrl: server.url, clock });
    expect(error?.kind).toBe('rate_limit');
    expect(error?.message).toContain('not waiting that long');
    expect(slept).toEqual([]);
  });

  it('an abort during the wait ends with the interrupted kind (exit 130), no further request', async () => {
    const controller = new AbortController();
    const { clock } = fakeClock();
    const sleep = clock.sleep;
    clock.sleep = async (ms, signal) => {
      controller.abort();
      return sleep(ms, signal);
    };
    server.enqueue({ kind: 'error', status: 500 });
    const { error } = await drive({ baseUrl: server.url, clock }, controller.signal);
    expect(error?.kind).toBe('interrupted');
    expect(server.requests).toHaveLength(1);
  });

  it('--verbose logs the request with the key and configured header values masked', async () => {
    const { clock } = fakeClock();
    const lines: string[] = [];
    await drive({ baseUrl: server.url, apiKey: KEY, headers: { 'x-api-token': 'hdr-SECRET-value-99' }, clock, log: (l) => lines.push(l) });
    const log = lines.join('\n');
    expect(log).toContain('"authorization":"Bearer ***"');
    expect(log).toContain('"x-api-token":"***"');
    expect(log).not.toContain(KEY);
    expect(log).not.toContain('hdr-SECRET-value-99');
  });
});
