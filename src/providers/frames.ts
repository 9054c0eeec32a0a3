/**
 * A streamed body as provider events, one network read at a time: every SSE event a read carried is
 * handled synchronously by the adapter, adjacent text is joined into one event, and only then does the
 * generator step. A long answer is hundreds of thousands of events but only hundreds of reads, so the
 * async layers above (retries, usage checks, the pipeline) run per read, not per token.
 */
import { type OpenResponse, readBody } from './http.js';
import { type SseEvent, SseDecoder } from './sse.js';
import type { ProviderEvent } from './types.js';

/** An adapter's reading of one SSE event: pushes what it means onto `out`; true when the answer is complete. */
export type FrameHandler = (event: SseEvent, out: ProviderEvent[]) => boolean | void;

/** Adds text (or reasoning) to `out`, joined to the event before it when that one is of the same kind. */
export function pushText(out: ProviderEvent[], type: 'text' | 'reasoning', text: string): void {
  const last = out[out.length - 1];
  if (last !== undefined && last.type === type) last.text += text;
  else out.push({ type, text });
}

/** The SSE events of a streamed body, as many per step as one read delivered (the last one even without its blank line). */
export async function* readEventBatches(response: OpenResponse, url: string, timeoutSeconds: number, signal?: AbortSignal): AsyncGenerator<SseEvent[]> {
  const decoder = new SseDecoder();
  for await (const chunk of readBody(response, url, timeoutSeconds, signal)) {
    const events = decoder.push(chunk);
    if (events.length > 0) yield events;
  }
  const last = decoder.end();
  if (last.length > 0) yield last;
}

/**
 * Runs `handle` over a streamed body and yields what it pushed, read by read; returns true when the handler
 * said the answer is complete. What came before a failure is still yielded (a paid partial answer is kept).
 */
export async function* streamFrames(
  response: OpenResponse,
  url: string,
  timeoutSeconds: number,
  signal: AbortSignal | undefined,
  handle: FrameHandler,
): AsyncGenerator<ProviderEvent, boolean> {
  for await (const batch of readEventBatches(response, url, timeoutSeconds, signal)) {
    const out: ProviderEvent[] = [];
    let complete = false;
    try {
      for (const event of batch) {
        if (handle(event, out) === true) {
          complete = true;
          break;
        }
      }
    } catch (error) {
      yield* out;
      throw error;
    }
    yield* out;
    if (complete) return true;
  }
  return false;
}
