/**
 * HTTP for every provider: one keep-alive undici Agent, the shared retry policy, timeouts
 * (time to headers, and the longest silence while a body streams), and redacted --verbose logs.
 * Retries happen only before a response is handed over; once a body is being read, nothing is.
 */
import type { Dispatcher, FormData } from 'undici';
import { type Clock, GptError, redact, registerSecret, systemClock } from '../domain/index.js';
import {
  DEFAULT_RETRIES,
  MAX_RETRY_AFTER_MS,
  type HeaderMap,
  httpError,
  isRetryableNetworkError,
  networkError,
  parseErrorBody,
  retryDelayMs,
  shouldRetry,
} from './retry.js';
import { isObject, typeOf, unexpectedEvent } from './shape.js';
import { MAX_SSE_LINE_BYTES } from './sse.js';
import { type LeanUndici, loadUndici } from './undici.js';
import type { ProviderEvent } from './types.js';

export const DEFAULT_TIMEOUT_SECONDS = 600;

export interface HttpSettings {
  baseUrl: string;
  apiKey?: string;
  headers?: Record<string, string>;
  timeoutSeconds?: number;
  retries?: number;
  /** Concurrent connections per origin (batch raises it to its concurrency). */
  connections?: number;
  log?: (line: string) => void;
  clock?: Clock;
}

export interface OpenResponse {
  status: number;
  headers: HeaderMap;
  body: Dispatcher.ResponseData['body'];
  attempts: number;
}

export function interrupted(): GptError {
  return new GptError('interrupted', 'interrupted');
}

export function isAbort(error: unknown, signal?: AbortSignal): boolean {
  if (signal?.aborted) return true;
  const code = (error as { code?: string }).code;
  return code === 'UND_ERR_ABORTED' || (error as { name?: string }).name === 'AbortError';
}

const RATE_LIMIT_PREFIX = 'x-ratelimit-';

export function rateLimitHeaders(headers: HeaderMap): Record<string, string> | undefined {
  let out: Record<string, string> | undefined;
  // for…in, not Object.entries: no pair arrays for every header of every answer (batch reads thousands).
  for (const name in headers) {
    const value = headers[name];
    if (name.startsWith(RATE_LIMIT_PREFIX) && typeof value === 'string') (out ??= {})[name] = value;
  }
  return out;
}

function headerValue(headers: HeaderMap, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export interface ApiCall {
  method: 'GET' | 'POST';
  /** Appended to the base URL, e.g. `/chat/completions`. */
  path: string;
  /** A JSON body (POST). */
  json?: unknown;
  /** A multipart body, built again for each attempt because a sent body is consumed. */
  form?: () => FormData | Promise<FormData>;
  signal?: AbortSignal;
  /** Overrides the settings' retry count for this call (0: one attempt). */
  retries?: number;
}

/** --verbose shows which headers were sent, never a value a profile configured (it may be a key) nor the key. */
function loggedHeaders(headers: Record<string, string>, configured: Record<string, string> | undefined): Record<string, string> {
  const shown: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) shown[name] = name === 'authorization' ? 'Bearer ***' : configured && Object.hasOwn(configured, name) ? '***' : value;
  return shown;
}

/** A call made ready once for all its attempts: URL, body, headers, and the transport. */
interface Prepared {
  http: HttpSettings;
  call: ApiCall;
  clock: Clock;
  retries: number;
  timeoutSeconds: number;
  url: string;
  json: string | undefined;
  headers: Record<string, string>;
  transport: Transport;
}

interface Transport {
  dispatcher: Dispatcher;
  request: LeanUndici['request'];
}

/** The process's one Agent (connections are reused across requests and batch items), replaced by a wider one when asked. */
let shared: { connections: number; loading: Promise<Transport>; ready?: Transport } | undefined;

/** The shared Agent and undici's request(), without an await once loaded (batch asks thousands of times). */
function transportFor(connections: number): Transport | Promise<Transport> {
  if (!shared || connections > shared.connections) {
    const entry: NonNullable<typeof shared> = {
      connections,
      loading: loadUndici().then(({ Agent, request }) => (entry.ready = { dispatcher: new Agent({ connections, keepAliveTimeout: 30_000, pipelining: 1 }), request })),
    };
    shared = entry;
  }
  return shared.ready ?? shared.loading;
}

function prepare(http: HttpSettings, call: ApiCall): Prepared | Promise<Prepared> {
  const transport = transportFor(http.connections ?? 16);
  return transport instanceof Promise ? transport.then((loaded) => prepared(http, call, loaded)) : prepared(http, call, transport);
}

function prepared(http: HttpSettings, call: ApiCall, transport: Transport): Prepared {
  const json = call.json === undefined ? undefined : JSON.stringify(call.json);
  return {
    http,
    call,
    clock: http.clock ?? systemClock,
    retries: call.retries ?? http.retries ?? DEFAULT_RETRIES,
    timeoutSeconds: http.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
    url: `${http.baseUrl}${call.path}`,
    json,
    headers: requestHeaders(http, json !== undefined),
    transport,
  };
}

let lastHeaders: { apiKey: string | undefined; configured: Record<string, string> | undefined; json: boolean; headers: Record<string, string> } | undefined;

/** The headers of a request; the same object again while key and profile headers stay (undici only reads it). */
function requestHeaders(http: HttpSettings, json: boolean): Record<string, string> {
  if (lastHeaders && lastHeaders.apiKey === http.apiKey && lastHeaders.configured === http.headers && lastHeaders.json === json) return lastHeaders.headers;
  const headers: Record<string, string> = { accept: 'application/json, text/event-stream', 'user-agent': 'gpt-cli', ...http.headers };
  if (json) headers['content-type'] = 'application/json';
  if (http.apiKey) headers.authorization = `Bearer ${http.apiKey}`;
  if (http.headers) for (const value of Object.values(http.headers)) registerSecret(value);
  lastHeaders = { apiKey: http.apiKey, configured: http.headers, json, headers: Object.freeze(headers) as Record<string, string> };
  return headers;
}

type RetryEvent = Extract<ProviderEvent, { type: 'retry' }>;

/**
 * One attempt under the one retry policy: the open response once a 2xx arrives, else the `retry` event to
 * announce before waiting `delayMs`. Throws a GptError whose kind maps to the exit code when it gives up.
 */
async function attempt(p: Prepared, attempt: number): Promise<OpenResponse | RetryEvent> {
  const { call, url, json, headers, clock, retries, timeoutSeconds } = p;
  const { signal, method } = call;
  const log = p.http.log;
  if (signal?.aborted) throw interrupted();
  log?.(redact(`→ ${method} ${url} (attempt ${attempt})${call.form ? ' multipart' : ''} ${JSON.stringify(loggedHeaders(headers, p.http.headers))}`));
  if (json !== undefined) log?.(redact(`→ ${json.length > 4000 ? `${json.slice(0, 4000)}… (${json.length} bytes)` : json}`));
  try {
    const body = call.form ? await call.form() : json;
    const res = await p.transport.request(p.transport.dispatcher, url, {
      method,
      headers,
      body,
      signal,
      headersTimeout: timeoutSeconds * 1000,
      bodyTimeout: timeoutSeconds * 1000,
    });
    log?.(`← ${res.statusCode} ${headerValue(res.headers, 'content-type') ?? ''}${headerValue(res.headers, 'x-request-id') ? ` x-request-id=${headerValue(res.headers, 'x-request-id')}` : ''}`);
    if (res.statusCode >= 200 && res.statusCode < 300) return { status: res.statusCode, headers: res.headers, body: res.body, attempts: attempt };
    const text = await res.body.text().catch(() => '');
    log?.(redact(`← ${text.length > 2000 ? `${text.slice(0, 2000)}…` : text}`));
    const parsed = parseErrorBody(text);
    const final = httpError(res.statusCode, res.headers, text, attempt);
    if (attempt > retries || !shouldRetry(res.statusCode, res.headers, parsed, text)) throw final;
    const delayMs = retryDelayMs(attempt - 1, res.headers, clock.now(), clock.random());
    if (delayMs > MAX_RETRY_AFTER_MS) {
      throw new GptError(final.kind, `${final.message} (the server asks to wait ${Math.round(delayMs / 1000)}s; not waiting that long)`, final.details);
    }
    return { type: 'retry', attempt: attempt + 1, delayMs, reason: `${res.statusCode}${parsed?.message ? ` ${parsed.message}` : ''}`, status: res.statusCode };
  } catch (error) {
    if (error instanceof GptError) throw error;
    if (isAbort(error, signal)) throw interrupted();
    const final = networkError(error, url, timeoutSeconds, attempt);
    log?.(`← ${final.message}`);
    if (attempt > retries || !isRetryableNetworkError(error)) throw final;
    return { type: 'retry', attempt: attempt + 1, delayMs: retryDelayMs(attempt - 1, {}, clock.now(), clock.random()), reason: final.message, status: undefined };
  }
}

const isRetry = (outcome: OpenResponse | RetryEvent): outcome is RetryEvent => (outcome as RetryEvent).type === 'retry';

/**
 * The one retry loop: sends a call and returns the open response once a 2xx arrives, yielding a
 * `retry` event before each wait. Throws a GptError whose kind maps to the exit code when it gives up.
 */
export async function* send(http: HttpSettings, call: ApiCall): AsyncGenerator<ProviderEvent, OpenResponse> {
  const p = await prepare(http, call);
  for (let n = 1; ; n++) {
    const outcome = await attempt(p, n);
    if (!isRetry(outcome)) return outcome;
    yield outcome;
    await p.clock.sleep(outcome.delayMs, call.signal);
  }
}

/** `send` without a generator (a whole answer, batch's path): each `retry` event goes to `early` before its wait. */
export async function sendWhole(http: HttpSettings, call: ApiCall, early: (event: ProviderEvent) => void): Promise<OpenResponse> {
  const ready = prepare(http, call);
  const p = ready instanceof Promise ? await ready : ready;
  for (let n = 1; ; n++) {
    const outcome = await attempt(p, n);
    if (!isRetry(outcome)) return outcome;
    early(outcome);
    await p.clock.sleep(outcome.delayMs, call.signal);
  }
}

/** POSTs a model request (JSON) under the retry policy; see `send`. */
export function postJson(http: HttpSettings, path: string, payload: unknown, signal?: AbortSignal): AsyncGenerator<ProviderEvent, OpenResponse> {
  return send(http, { method: 'POST', path, json: payload, signal });
}

/** Reads an SSE or JSON body chunk by chunk, turning undici's failures into GptErrors. */
export async function* readBody(
  response: OpenResponse,
  url: string,
  timeoutSeconds: number,
  signal?: AbortSignal,
): AsyncGenerator<Buffer> {
  try {
    // The stream's own async iterator: node:events on() was measured 1.5× slower when a server writes one event per packet.
    for await (const chunk of response.body) yield chunk as Buffer;
  } catch (error) {
    if (isAbort(error, signal)) throw interrupted();
    throw networkError(error, url, timeoutSeconds, 1);
  } finally {
    // Stopping early (Ctrl-C, an error event) must not leave the socket streaming.
    if (!response.body.destroyed) response.body.destroy();
  }
}

/** The first event of every answer: the request was accepted. */
export function startEvent(response: OpenResponse): ProviderEvent {
  const requestId = response.headers['x-request-id'];
  return { type: 'start', requestId: typeof requestId === 'string' ? requestId : undefined, rateLimit: rateLimitHeaders(response.headers) };
}

export function isEventStream(response: OpenResponse): boolean {
  return String(response.headers['content-type'] ?? '').includes('text/event-stream');
}

/**
 * A whole (non-streamed) body, with `readBody`'s errors, read with stream events: no async iterator or generator per
 * answer (most of a small body's read cost, which batch pays per request). Past `maxBytes` it is a server gone
 * wrong, not an answer.
 */
export function readWhole(response: OpenResponse, url: string, timeoutSeconds: number, signal?: AbortSignal, maxBytes = Infinity): Promise<Buffer> {
  const body = response.body;
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      // Stopping early (Ctrl-C, a body over the cap) must not leave the socket streaming.
      if (!body.destroyed) body.destroy();
      reject(error instanceof GptError ? error : isAbort(error, signal) ? interrupted() : networkError(error, url, timeoutSeconds, 1));
    };
    body.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) fail(new GptError('api', `the API answered with a body over ${Math.round(maxBytes / 1024 / 1024)} MiB; giving up on the answer`, { code: 'body_too_long' }));
      else chunks.push(chunk);
    });
    body.on('end', () => {
      if (settled) return;
      settled = true;
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    });
    body.on('error', fail);
    // Closed with neither its end nor an error: cut short, as the async iterator reports it.
    body.on('close', () => {
      if (!settled) fail(Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
    });
  });
}

/** A whole (non-streamed) answer as text; one bigger than the stream line cap is a server gone wrong, not an answer. */
export async function readText(response: OpenResponse, url: string, timeoutSeconds: number, signal?: AbortSignal): Promise<string> {
  return (await readWhole(response, url, timeoutSeconds, signal, MAX_SSE_LINE_BYTES)).toString('utf8');
}

/** One event's JSON object, or a warning when a frame is malformed (it is skipped, not fatal); other JSON is wrong (fatal). */
export function parseFrame(data: string): { payload: Record<string, unknown> } | { warning: ProviderEvent } {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return { warning: { type: 'warning', message: `skipped a malformed stream event: ${data.length > 80 ? `${data.slice(0, 80)}…` : data}` } };
  }
  if (!isObject(value)) throw unexpectedEvent(`an event is ${typeOf(value)}, not an object`);
  return { payload: value };
}
