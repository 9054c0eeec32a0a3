/**
 * A whole (non-streamed) response body read with stream events: no async iterator, generator or
 * end-of-stream helper per answer (together most of a small body's read cost). The same errors and cap
 * as `readText` in http.ts.
 */
import { GptError } from '../domain/index.js';
import { type OpenResponse, interrupted, isAbort } from './http.js';
import { networkError } from './retry.js';
import { MAX_SSE_LINE_BYTES } from './sse.js';

export function readWholeBody(response: OpenResponse, url: string, timeoutSeconds: number, signal?: AbortSignal, maxBytes = MAX_SSE_LINE_BYTES): Promise<string> {
  const body = response.body;
  return new Promise<string>((resolve, reject) => {
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
      resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'));
    });
    body.on('error', fail);
    // Closed with neither its end nor an error: cut short, as the async iterator reports it.
    body.on('close', () => {
      if (!settled) fail(Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' })); // no Error (and its stack) for every answer
    });
  });
}
