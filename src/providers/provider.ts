/** Picks the backend for a profile and wraps it with what every backend shares. */
import { type Clock, GptError, type TextCounter, systemClock } from '../domain/index.js';
import { chatCompletionsStream, chatCompletionsWhole } from './chat-completions.js';
import type { HttpSettings } from './http.js';
import { compactResponses, responsesStream } from './responses.js';
import { DEFAULT_RETRIES, backoffDelayMs } from './retry.js';
import { createSimulateProvider } from './simulate.js';
import { type EndpointProfile, type Provider, type ProviderEvent, type ProviderRequest, apiFor } from './types.js';
import { believableUsage } from './usage.js';

export interface ProviderSettings {
  apiKey?: string;
  log?: (line: string) => void;
  connections?: number;
  clock?: Clock;
}

/** Failures after the headers that a fresh attempt can cure (resets, silence, a cut-off stream). */
const RESTARTABLE_CODES = new Set(['ECONNRESET', 'UND_ERR_SOCKET', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CLOSED', 'EPIPE', 'incomplete_stream', 'empty_body']);

/** The `retry` event announcing a fresh attempt after `error`, or the error itself when it may not be restarted. */
function restartAfter(error: unknown, restart: number, request: ProviderRequest, clock: Clock): Extract<ProviderEvent, { type: 'retry' }> {
  const code = error instanceof GptError ? error.details.code : undefined;
  if (!request.restartable || restart >= (request.options.retries ?? DEFAULT_RETRIES) || !code || !RESTARTABLE_CODES.has(code)) throw error;
  return { type: 'retry', attempt: restart + 2, delayMs: backoffDelayMs(restart, clock.random()), reason: (error as Error).message, restart: true };
}

/**
 * For requests nobody has seen yet (batch), a stream that breaks midway starts over; the
 * `retry` event with `restart: true` tells the consumer to drop what it collected.
 */
async function* restartOnBreak(
  once: (request: ProviderRequest) => AsyncGenerator<ProviderEvent>,
  request: ProviderRequest,
  clock: Clock,
): AsyncGenerator<ProviderEvent> {
  for (let restart = 0; ; restart++) {
    try {
      yield* once(request);
      return;
    } catch (error) {
      const retry = restartAfter(error, restart, request, clock);
      yield retry;
      await clock.sleep(retry.delayMs, request.signal);
    }
  }
}

/** What every adapter reports passes here: usage and cost that cannot be true are dropped, with one warning of each kind. */
async function* believable(events: AsyncIterable<ProviderEvent>, contextWindow: number | null): AsyncGenerator<ProviderEvent> {
  const warned = new Set<string>();
  for await (const event of events) {
    if (event.type !== 'usage') {
      yield event;
      continue;
    }
    const checked = believableUsage(event, contextWindow);
    if (checked.warning && !warned.has(checked.warning.kind)) {
      warned.add(checked.warning.kind);
      yield { type: 'warning', message: checked.warning.message };
    }
    if (checked.event) yield checked.event;
  }
}

/**
 * `restartOnBreak` and `believable` for a whole (non-streamed) answer, without generator layers: a
 * restartable failure is announced to `early` and the request made again; the events are checked as
 * `believable` checks them.
 */
async function wholeWithRestarts(once: () => Promise<ProviderEvent[]>, request: ProviderRequest, clock: Clock, contextWindow: number | null, early: (event: ProviderEvent) => void): Promise<ProviderEvent[]> {
  for (let restart = 0; ; restart++) {
    try {
      return believableList(await once(), contextWindow);
    } catch (error) {
      const retry = restartAfter(error, restart, request, clock);
      early(retry);
      await clock.sleep(retry.delayMs, request.signal);
    }
  }
}

/** `believable` over a list (a whole answer has at most one usage event). */
function believableList(events: ProviderEvent[], contextWindow: number | null): ProviderEvent[] {
  const i = events.findIndex((event) => event.type === 'usage');
  if (i < 0) return events;
  const checked = believableUsage(events[i] as Extract<ProviderEvent, { type: 'usage' }>, contextWindow);
  if (!checked.warning && checked.event === events[i]) return events; // believable as it came: no copy
  const replaced: ProviderEvent[] = checked.warning ? [{ type: 'warning', message: checked.warning.message }] : [];
  if (checked.event) replaced.push(checked.event);
  return [...events.slice(0, i), ...replaced, ...events.slice(i + 1)];
}

/** What a backend needs from the layers beside it, passed in (core/provider.ts wires config and accounting). */
export interface ProviderSetup {
  profile: EndpointProfile;
  /** The model's context window, to tell impossible usage from large usage; null when unknown. */
  contextWindow(model: string): number | null;
  /** The model's tokenizer, for the simulate provider's usage. */
  counterFor(model: string): Promise<TextCounter>;
}

export function createProvider(setup: ProviderSetup, settings: ProviderSettings = {}): Provider {
  const { profile } = setup;
  const clock = settings.clock ?? systemClock;
  if (profile.simulate) return createSimulateProvider({ counterFor: setup.counterFor, tokensPerSecond: profile.tokensPerSecond, clock });
  const httpFor = (request: ProviderRequest): HttpSettings => ({
    baseUrl: profile.baseUrl,
    apiKey: settings.apiKey,
    headers: profile.headers,
    timeoutSeconds: request.options.timeoutSeconds,
    retries: request.options.retries,
    connections: settings.connections,
    log: settings.log,
    clock,
  });
  return {
    compact: (request) => compactResponses(httpFor(request), request),
    stream(request: ProviderRequest): AsyncIterable<ProviderEvent> {
      const http = httpFor(request);
      const once = (r: ProviderRequest) => (apiFor(r, profile) === 'responses' ? responsesStream(http, r) : chatCompletionsStream(http, profile, r));
      return believable(restartOnBreak(once, request, clock), setup.contextWindow(request.model));
    },
    whole(request, early) {
      if (request.options.stream !== false || apiFor(request, profile) !== 'chat') return undefined;
      const http = httpFor(request);
      return wholeWithRestarts(() => chatCompletionsWhole(http, profile, request, early), request, clock, setup.contextWindow(request.model), early);
    },
  };
}
