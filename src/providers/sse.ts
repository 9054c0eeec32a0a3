/**
 * Server-Sent Events decoding, hand-written because it is small and on the hot path: bytes are
 * cut into lines first and only complete lines become text, so a UTF-8 character split across
 * two network chunks still decodes whole. One framing pass; lines and events up to a cap.
 */
import { GptError, LineSplitter, LineTooLong } from '../domain/index.js';

export interface SseEvent {
  event: string | undefined;
  data: string;
}

/** The longest line (and event) accepted: far above any real answer, far below the 512 MiB a string can hold. */
export const MAX_SSE_LINE_BYTES = 64 * 1024 * 1024;

const MIB = 1024 * 1024;
const size = (bytes: number) => (bytes % MIB === 0 ? `${bytes / MIB} MiB` : `${bytes} bytes`);

/** A server that never ends a line (or an event) is broken or hostile: stop before memory runs out. */
function overCap(what: 'line' | 'event', cap: number): GptError {
  return new GptError('api', `the API sent a stream ${what} over ${size(cap)}; giving up on the answer`, { code: 'sse_too_long' });
}

/** SSE lines: split at LF, CRLF or a lone CR wherever the chunks are cut (the one splitter in domain/lines), as text. */
export class LineDecoder {
  #lines: LineSplitter;

  constructor(readonly maxLineBytes = MAX_SSE_LINE_BYTES) {
    this.#lines = new LineSplitter({ maxBytes: maxLineBytes, crBreaks: true });
  }

  decode(chunk: Uint8Array): string[] {
    let lines: Buffer[];
    try {
      lines = this.#lines.push(chunk);
    } catch (err) {
      throw err instanceof LineTooLong ? overCap('line', this.maxLineBytes) : err;
    }
    return lines.map((line) => line.toString('utf8'));
  }

  /** The last line, when the stream ended without a newline. */
  flush(): string[] {
    const rest = this.#lines.end();
    return rest && rest.length > 0 ? [rest.toString('utf8')] : [];
  }
}

/** Turns SSE lines into events: `data:` lines are joined with \n, comments skipped, blank line dispatches. */
export class SseDecoder {
  #lines: LineDecoder;
  #data: string[] = [];
  #dataLength = 0;
  #event: string | undefined;

  constructor(readonly maxEventBytes = MAX_SSE_LINE_BYTES) {
    this.#lines = new LineDecoder(maxEventBytes);
  }

  push(chunk: Uint8Array): SseEvent[] {
    return this.#consume(this.#lines.decode(chunk));
  }

  /** Call at end of stream: a final event without its blank line is still delivered. */
  end(): SseEvent[] {
    const events = this.#consume(this.#lines.flush());
    const last = this.#dispatch();
    if (last) events.push(last);
    return events;
  }

  #consume(lines: string[]): SseEvent[] {
    const events: SseEvent[] = [];
    for (const line of lines) {
      if (line === '') {
        const event = this.#dispatch();
        if (event) events.push(event);
        continue;
      }
      if (line.charCodeAt(0) === 0x3a) continue; // ':' comment, e.g. keep-alives
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? '' : line.slice(colon + 1);
      if (value.charCodeAt(0) === 0x20) value = value.slice(1);
      if (field === 'data') this.#addData(value);
      else if (field === 'event') this.#event = value;
      // `id` and `retry` are for reconnecting EventSource clients; a completion cannot be resumed.
    }
    return events;
  }

  #addData(value: string): void {
    // Counted in characters, the unit of the string limit this guards against.
    this.#dataLength += value.length + (this.#data.length > 0 ? 1 : 0);
    if (this.#dataLength > this.maxEventBytes) throw overCap('event', this.maxEventBytes);
    this.#data.push(value);
  }

  #dispatch(): SseEvent | null {
    if (this.#data.length === 0) {
      this.#event = undefined;
      return null;
    }
    const event = { event: this.#event, data: this.#data.join('\n') };
    this.#data = [];
    this.#dataLength = 0;
    this.#event = undefined;
    return event;
  }
}
