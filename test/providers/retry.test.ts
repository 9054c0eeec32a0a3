import { describe, expect, it } from 'vitest';
import {
  backoffDelayMs,
  httpError,
  isRetryableNetworkError,
  parseErrorBody,
  retryDelayMs,
  serverRetryDelayMs,
  shouldRetry,
} from '../../src/providers/retry.js';

const body = (code?: string, type?: string, message = 'x') => ({ code, type, message });

describe('shouldRetry', () => {
  it.each([
    [408, {}, null, true],
    [409, {}, null, true],
    [429, {}, body('rate_limit_exceeded', 'requests'), true],
    [500, {}, null, true],
    [502, {}, null, true],
    [503, {}, null, true],
    [504, {}, null, true],
    [524, {}, null, true],
    [400, {}, body('context_length_exceeded'), false],
    [401, {}, body('invalid_api_key'), false],
    [403, {}, null, false],
    [404, {}, body('model_not_found'), false],
    [422, {}, null, false],
    [429, {}, body('insufficient_quota', 'insufficient_quota'), false],
    [429, {}, body('rate_limit_exceeded', 'tokens', 'Request too large for gpt-5.2 on tokens per min'), false],
    [500, {}, body('invalid_request', 'comet_api_error'), false],
    [402, {}, null, false],
    [402, { 'retry-after': '3' }, null, true],
    [400, { 'x-should-retry': 'true' }, null, true],
    [503, { 'x-should-retry': 'false' }, null, false],
  ])('status %i headers %j body %j → %s', (status, headers, parsed, expected) => {
    expect(shouldRetry(status, headers, parsed)).toBe(expected);
  });
});

describe('retry delays', () => {
  const now = Date.parse('2026-11-25T12:00:00Z');
  it('prefers retry-after-ms, then retry-after seconds, then an HTTP date', () => {
    expect(serverRetryDelayMs({ 'retry-after-ms': '1500.5', 'retry-after': '9' }, now)).toBe(1500.5);
    expect(serverRetryDelayMs({ 'retry-after': '2' }, now)).toBe(2000);
    expect(serverRetryDelayMs({ 'retry-after': 'Wed, 25 Nov 2026 12:00:30 GMT' }, now)).toBe(30_000);
    expect(serverRetryDelayMs({}, now)).toBeNull();
    expect(serverRetryDelayMs({ 'retry-after': 'soon' }, now)).toBeNull();
  });

  it('honours a long Retry-After instead of capping it', () => {
    expect(retryDelayMs(0, { 'retry-after': '120' }, now, 0.5)).toBe(120_000);
  });

  it('backs off 0.5 s × 2^n, capped at 8 s, with up to 25 % jitter', () => {
    expect(backoffDelayMs(0, 0)).toBe(500);
    expect(backoffDelayMs(1, 0)).toBe(1000);
    expect(backoffDelayMs(2, 0.999)).toBeCloseTo(2000 * 0.75025, 1);
    expect(backoffDelayMs(10, 0)).toBe(8000);
  });
});

describe('errors', () => {
  it('maps statuses to kinds and keeps the API message and request id', () => {
    const auth = httpError(401, { 'x-request-id': 'req_1' }, '{"error":{"message":"Incorrect API key provided","code":"invalid_api_key"}}', 1);
    expect(auth.kind).toBe('auth');
    expect(auth.exitCode).toBe(4);
    expect(auth.message).toContain('Incorrect API key provided');
    expect(auth.message).toContain('req_1');
    expect(httpError(403, {}, '', 1).exitCode).toBe(4);
    const quota = httpError(429, {}, '{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}}', 1);
    expect(quota.exitCode).toBe(5);
    expect(quota.message).toMatch(/quota exhausted/);
    const rate = httpError(429, {}, '{"error":{"message":"Rate limit reached","code":"rate_limit_exceeded"}}', 3);
    expect(rate.message).toMatch(/^rate limited \(429\) after 3 attempts/);
    expect(httpError(400, {}, '{"error":{"message":"bad"}}', 1).exitCode).toBe(7);
    expect(httpError(502, { 'content-type': 'text/html' }, '<html><title>502 Bad Gateway</title></html>', 3).message).toContain('HTML: 502 Bad Gateway');
  });

  it('parses OpenRouter numeric codes and plain-string errors', () => {
    expect(parseErrorBody('{"error":{"code":402,"message":"Insufficient credits"}}')).toEqual({ code: '402', message: 'Insufficient credits', type: undefined });
    expect(parseErrorBody('{"error":"model not found"}')).toEqual({ message: 'model not found' });
    expect(parseErrorBody('<html>')).toBeNull();
  });

  it('retries network failures by error code, not by message text', () => {
    expect(isRetryableNetworkError(Object.assign(new Error('whatever'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isRetryableNetworkError(new Error('socket hang up ECONNRESET'))).toBe(false);
    expect(isRetryableNetworkError(Object.assign(new Error('x'), { cause: { code: 'UND_ERR_SOCKET' } }))).toBe(true);
    expect(isRetryableNetworkError(Object.assign(new Error('x'), { code: 'ENOTFOUND' }))).toBe(false);
  });
});
