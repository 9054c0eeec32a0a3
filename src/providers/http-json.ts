/**
 * Whole-body API calls (GET, JSON POST, multipart upload) for the Batch API, through the same
 * retry loop as model calls (`send` in http.ts); only the body handling differs.
 */
import { GptError } from '../domain/index.js';
import { type ApiCall, DEFAULT_TIMEOUT_SECONDS, type HttpSettings, readWhole, send } from './http.js';
import { type HeaderMap, isRetryableNetworkError } from './retry.js';

export type { ApiCall };

export interface ApiCallWithRetryHook extends ApiCall {
  /** Told before each wait for another attempt. */
  onRetry?: (retry: { attempt: number; delayMs: number; reason: string; status?: number }) => void;
}

export interface ApiAnswer {
  status: number;
  headers: HeaderMap;
  body: Buffer;
  attempts: number;
}

/** Sends one call through the shared retry loop (`send`) and returns the whole 2xx body. */
export async function callApi(http: HttpSettings, call: ApiCallWithRetryHook): Promise<ApiAnswer> {
  const attempts = send(http, call);
  for (;;) {
    const step = await attempts.next();
    if (step.done) {
      const response = step.value;
      const body = await readWhole(response, `${http.baseUrl}${call.path}`, http.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS, call.signal);
      return { status: response.status, headers: response.headers, body, attempts: response.attempts };
    }
    if (step.value.type === 'retry') {
      const { attempt, delayMs, reason, status } = step.value;
      call.onRetry?.({ attempt, delayMs, reason, ...(status !== undefined ? { status } : {}) });
    }
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
