/**
 * The one retry policy, as pure functions: what is worth retrying, how long to wait, and what
 * error the user sees when it is not. Clock, sleep and randomness are the caller's.
 */
import { GptError, type ErrorKind } from '../domain/index.js';

export type HeaderMap = Record<string, string | string[] | undefined>;

export const DEFAULT_RETRIES = 2;
/** A server asking us to wait longer than this is treated as a refusal, not a pause. */
export const MAX_RETRY_AFTER_MS = 10 * 60_000;

function header(headers: HeaderMap, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export interface ApiErrorBody {
  message?: string;
  type?: string;
  code?: string;
}

/** Pulls `{error: {message, type, code}}` (OpenAI, OpenRouter, CometAPI, Ollama) out of a body. */
export function parseErrorBody(text: string): ApiErrorBody | null {
  try {
    const parsed = JSON.parse(text) as { error?: unknown; message?: unknown };
    const error = parsed.error ?? parsed;
    if (typeof error === 'string') return { message: error };
    if (typeof error !== 'object' || error === null) return null;
    const e = error as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined);
    return { message: str(e.message), type: str(e.type), code: str(e.code) };
  } catch {
    return null;
  }
}

const NEVER_RETRY_CODES = new Set([
  'insufficient_quota',
  'credit_balance_exhausted',
  'organization_spend_limit_exceeded',
  'project_spend_limit_exceeded',
  'invalid_request', // CometAPI answers a malformed request with 500 + this code
]);

/** Whether a failed HTTP answer is worth another attempt (openai-node's rules plus known non-retryable codes). */
export function shouldRetry(status: number, headers: HeaderMap, body: ApiErrorBody | null, message = ''): boolean {
  const explicit = header(headers, 'x-should-retry');
  if (explicit === 'true') return true;
  if (explicit === 'false') return false;
  if (body?.code && NEVER_RETRY_CODES.has(body.code)) return false;
  if (body?.type && NEVER_RETRY_CODES.has(body.type)) return false;
  if (status === 429 && /request too large/i.test(body?.message ?? message)) return false;
  if (status === 402) return header(headers, 'retry-after') !== undefined; // OpenRouter: out of credits
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/** The server's requested delay in ms (`retry-after-ms`, then `retry-after` as seconds or a date), if any. */
export function serverRetryDelayMs(headers: HeaderMap, now: number): number | null {
  const ms = Number.parseFloat(header(headers, 'retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const raw = header(headers, 'retry-after');
  if (raw === undefined) return null;
  const seconds = Number.parseFloat(raw);
  if (Number.isFinite(seconds) && /^\s*[\d.]+\s*$/.test(raw)) return Math.max(0, seconds * 1000);
  const date = Date.parse(raw);
  return Number.isFinite(date) ? Math.max(0, date - now) : null;
}

/** Exponential backoff with jitter: 0.5 s × 2^n capped at 8 s, times 0.75–1. */
export function backoffDelayMs(retriesDone: number, random: number): number {
  return Math.min(500 * 2 ** retriesDone, 8000) * (1 - random * 0.25);
}

export function retryDelayMs(retriesDone: number, headers: HeaderMap, now: number, random: number): number {
  return serverRetryDelayMs(headers, now) ?? backoffDelayMs(retriesDone, random);
}

/** Turns a final (not retried, or out of retries) HTTP failure into the error the user sees. */
export function httpError(status: number, headers: HeaderMap, bodyText: string, attempts: number): GptError {
  const body = parseErrorBody(bodyText);
  const requestId = header(headers, 'x-request-id');
  let kind: ErrorKind = 'api';
  if (status === 401 || status === 403) kind = 'auth';
  else if (status === 429 || status === 402) kind = 'rate_limit';
  const apiMessage = body?.message ?? summariseBody(bodyText, headers);
  let what: string;
  if (status === 401) what = 'authentication refused (401): check the API key';
  else if (status === 403) what = 'permission refused (403)';
  else if (status === 402) what = 'payment required (402): out of credits or quota';
  else if (status === 429) {
    const quota = body?.code === 'insufficient_quota' || body?.type === 'insufficient_quota' || /quota|billing/i.test(apiMessage);
    what = quota ? 'quota exhausted (429 insufficient_quota): check your plan and billing' : 'rate limited (429)';
  } else what = `API error ${status}`;
  const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
  const id = requestId ? ` [request ${requestId}]` : '';
  return new GptError(kind, `${what}${tries}: ${apiMessage}${id}`, {
    status,
    type: body?.type,
    code: body?.code,
    requestId,
  });
}

/** A one-line description of a body that is not an API error object (an HTML proxy page, say). */
function summariseBody(text: string, headers: HeaderMap): string {
  const trimmed = text.trim();
  if (trimmed === '') return 'empty response body';
  const type = header(headers, 'content-type') ?? '';
  if (type.includes('html') || trimmed.startsWith('<')) {
    const title = /<title>([^<]*)<\/title>/i.exec(trimmed)?.[1]?.trim();
    return `non-JSON response (HTML${title ? `: ${title}` : ''})`;
  }
  const line = trimmed.split('\n')[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

/** Network-level failures (undici error codes, never message text) that are worth another attempt. */
const RETRYABLE_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/** Failures below HTTP, retryable or not: the request never got an answer (refused, DNS, reset, silence). */
const NETWORK_FAILURE_CODES = new Set([...RETRYABLE_NETWORK_CODES, 'ECONNABORTED', 'ENOTFOUND', 'EAI_FAIL', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN']);

/** A GptError from `networkError`: no HTTP status, a network code. */
export function isNetworkFailure(error: GptError): boolean {
  return error.kind === 'api' && error.details.status === undefined && error.details.code !== undefined && NETWORK_FAILURE_CODES.has(error.details.code);
}

export function networkErrorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

export function isRetryableNetworkError(error: unknown): boolean {
  const code = networkErrorCode(error);
  return code !== undefined && RETRYABLE_NETWORK_CODES.has(code);
}

export function networkError(error: unknown, url: string, timeoutSeconds: number, attempts: number): GptError {
  const code = networkErrorCode(error);
  const host = (() => {
    try {
      return new URL(url).host;
    } catch {
      return url;
    }
  })();
  const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
  let what: string;
  switch (code) {
    case 'ECONNREFUSED':
      what = `cannot connect to ${host}: connection refused`;
      break;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      what = `cannot resolve host ${host}`;
      break;
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      what = `no response from ${host} within ${timeoutSeconds}s (--timeout)`;
      break;
    case 'UND_ERR_BODY_TIMEOUT':
      what = `the stream from ${host} went silent for ${timeoutSeconds}s (--timeout)`;
      break;
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
    case 'EPIPE':
    case 'UND_ERR_CLOSED':
      what = `connection to ${host} was reset`;
      break;
    default:
      what = `network error talking to ${host}${code ? ` (${code})` : ''}`;
  }
  return new GptError('api', `${what}${tries}`, { code }, { cause: error });
}
