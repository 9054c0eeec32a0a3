/**
 * A streamed body as provider events, one network read at a time: every SSE event a read carried is
 * handled synchronously by the adapter, adjacent text is joined into one event, and only then does the
 * generator step. A long answer is hundreds of thousands of events but only hundreds of reads, so the
 * async layers above (retries, usage checks, the pipeline) run per read, not per token.
 */
import { type OpenResponse, readBody } from './http.js';
import { type SseEvent, SseDecoder } from './sse.js';
import type { ProviderEvent } from './types.js';

/** An adapter's reading of one SSE event: tells `out` what it means; true when the answer is complete. */
export type FrameHandler = (event: SseEvent, out: FrameOut) => boolean | void;

/** The events of one network read, in order, with adjacent text (or reasoning) joined into one event. */
export class FrameOut {
  #events: ProviderEvent[] = [];
  #kind: 'text' | 'reasoning' | undefined;
  /** The pieces of the text event being joined: one join per read, so the pieces die young (a += per token kept ~200k rope nodes alive). */
  #pieces: string[] = [];

  text(kind: 'text' | 'reasoning', text: string): void {
    if (kind !== this.#kind) this.#close();
    this.#kind = kind;
    this.#pieces.push(text);
  }

  push(event: ProviderEvent): void {
    this.#close();
    this.#events.push(event);
  }

  /** What was told since the last take. */
  take(): ProviderEvent[] {
    this.#close();
    const events = this.#events;
    this.#events = [];
    return events;
  }

  #close(): void {
    if (this.#kind === undefined) return;
    this.#events.push({ type: this.#kind, text: this.#pieces.length === 1 ? this.#pieces[0]! : this.#pieces.join('') });
    this.#kind = undefined;
    this.#pieces = [];
  }
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
  const out = new FrameOut();
  for await (const batch of readEventBatches(response, url, timeoutSeconds, signal)) {
    let complete = false;
    try {
      for (const event of batch) {
        if (handle(event, out) === true) {
          complete = true;
          break;
        }
      }
    } catch (error) {
      yield* out.take();
      throw error;
    }
    yield* out.take();
    if (complete) return true;
  }
  return false;
}
