/**
 * Whole-body API calls (GET, JSON POST, multipart upload) for the Batch API, under the same retry
 * policy as `postJson`; streamed model calls stay in http.ts.
 */
import type { FormData } from 'undici';
import { GptError } from '../errors.js';
import { redact } from '../redact.js';
import { DEFAULT_TIMEOUT_SECONDS, type HttpSettings, interrupted, realClock } from './http.js';
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

export interface ApiCall {
  method: 'GET' | 'POST';
  /** Appended to the base URL, e.g. `/batches/batch_abc`. */
  path: string;
  /** A JSON body (POST). */
  json?: unknown;
  /** A multipart body, built again for each attempt because a sent body is consumed. */
  form?: () => FormData | Promise<FormData>;
  signal?: AbortSignal;
  /** Overrides the settings' retry count for this call (0: one attempt). */
  retries?: number;
  /** Told before each wait for another attempt. */
  onRetry?: (retry: { attempt: number; delayMs: number; reason: string; status?: number }) => void;
}

export interface ApiAnswer {
  status: number;
  headers: HeaderMap;
  body: Buffer;
  attempts: number;
}

function headerValue(headers: HeaderMap, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function isAbort(error: unknown, signal?: AbortSignal): boolean {
  if (signal?.aborted) return true;
  const code = (error as { code?: string }).code;
  return code === 'UND_ERR_ABORTED' || (error as { name?: string }).name === 'AbortError';
}

/** Sends one call and returns the whole 2xx body; gives up with the GptError the user sees. */
export async function callApi(http: HttpSettings, call: ApiCall): Promise<ApiAnswer> {
  const clock = http.clock ?? realClock;
  const retries = call.retries ?? http.retries ?? DEFAULT_RETRIES;
  const timeoutSeconds = http.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  const url = `${http.baseUrl}${call.path}`;
  const json = call.json === undefined ? undefined : JSON.stringify(call.json);
  const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'gpt-cli', ...http.headers };
  if (json !== undefined) headers['content-type'] = 'application/json';
  if (http.apiKey) headers.authorization = `Bearer ${http.apiKey}`;
  const { request } = await import('undici');
  const log = http.log;

  for (let attempt = 1; ; attempt++) {
    if (call.signal?.aborted) throw interrupted();
    log?.(redact(`→ ${call.method} ${url} (attempt ${attempt})${call.form ? ' multipart' : ''}`));
    if (json !== undefined) log?.(redact(`→ ${json.length > 4000 ? `${json.slice(0, 4000)}… (${json.length} bytes)` : json}`));
    let failure: { delayMs: number; reason: string; status?: number; final: GptError };
    try {
      const body = call.form ? await call.form() : json;
      const res = await request(url, {
        method: call.method,
        headers,
        body,
        signal: call.signal,
        headersTimeout: timeoutSeconds * 1000,
        bodyTimeout: timeoutSeconds * 1000,
      });
      const requestId = headerValue(res.headers, 'x-request-id');
      log?.(`← ${res.statusCode} ${headerValue(res.headers, 'content-type') ?? ''}${requestId ? ` x-request-id=${requestId}` : ''}`);
      const bytes = Buffer.from(await res.body.arrayBuffer());
      if (res.statusCode >= 200 && res.statusCode < 300) return { status: res.statusCode, headers: res.headers, body: bytes, attempts: attempt };
      const text = bytes.toString('utf8');
      log?.(redact(`← ${text.length > 2000 ? `${text.slice(0, 2000)}…` : text}`));
      const parsed = parseErrorBody(text);
      const final = httpError(res.statusCode, res.headers, text, attempt);
      if (attempt > retries || !shouldRetry(res.statusCode, res.headers, parsed, text)) throw final;
      const delayMs = retryDelayMs(attempt - 1, res.headers, clock.now(), clock.random());
      if (delayMs > MAX_RETRY_AFTER_MS) {
        throw new GptError(final.kind, `${final.message} (the server asks to wait ${Math.round(delayMs / 1000)}s; not waiting that long)`, final.details);
      }
      failure = { delayMs, reason: `${res.statusCode}${parsed?.message ? ` ${parsed.message}` : ''}`, status: res.statusCode, final };
    } catch (error) {
      if (error instanceof GptError) throw error;
      if (isAbort(error, call.signal)) throw interrupted();
      const final = networkError(error, url, timeoutSeconds, attempt);
      log?.(`← ${final.message}`);
      if (attempt > retries || !isRetryableNetworkError(error)) throw final;
      failure = { delayMs: retryDelayMs(attempt - 1, {}, clock.now(), clock.random()), reason: final.message, final };
    }
    call.onRetry?.({ attempt: attempt + 1, delayMs: failure.delayMs, reason: failure.reason, ...(failure.status !== undefined ? { status: failure.status } : {}) });
    await clock.sleep(failure.delayMs, call.signal);
  }
}

/** `callApi` for endpoints that answer a JSON object. */
export async function callJson<T = Record<string, unknown>>(http: HttpSettings, call: ApiCall): Promise<T> {
  const answer = await callApi(http, call);
  const text = answer.body.toString('utf8');
  try {
    const value = JSON.parse(text) as unknown;
    if (value !== null && typeof value === 'object') return value as T;
  } catch {
    // Reported below with the same message as a non-object.
  }
  throw new GptError('api', `${call.method} ${call.path} answered ${answer.status} with a body that is not a JSON object: ${text.slice(0, 80)}`);
}

/** Whether a failure from `callApi` might not have reached the server's state (worth checking, then trying again). */
export function isTransientFailure(error: unknown): boolean {
  if (!(error instanceof GptError) || error.kind === 'auth' || error.kind === 'interrupted') return false;
  const status = error.details.status;
  if (status !== undefined) return status === 408 || status === 409 || status === 429 || status >= 500;
  return isRetryableNetworkError(error.cause) || (error.details.code !== undefined && isRetryableNetworkError({ code: error.details.code }));
}
