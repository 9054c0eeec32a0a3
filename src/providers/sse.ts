/**
 * Server-Sent Events decoding, hand-written because it is small and on the hot path: bytes are
 * cut into lines first and only complete lines become text, so a UTF-8 character split across
 * two network chunks still decodes whole. One framing pass; lines and events up to a cap.
 */
import { GptError } from '../domain/index.js';

export interface SseEvent {
  event: string | undefined;
  data: string;
}

const LF = 0x0a;
const CR = 0x0d;

/** The longest line (and event) accepted: far above any real answer, far below the 512 MiB a string can hold. */
export const MAX_SSE_LINE_BYTES = 64 * 1024 * 1024;

const MIB = 1024 * 1024;
const size = (bytes: number) => (bytes % MIB === 0 ? `${bytes / MIB} MiB` : `${bytes} bytes`);

/** A server that never ends a line (or an event) is broken or hostile: stop before memory runs out. */
function overCap(what: 'line' | 'event', cap: number): GptError {
  return new GptError('api', `the API sent a stream ${what} over ${size(cap)}; giving up on the answer`, { code: 'sse_too_long' });
}

/** Splits a byte stream into lines at LF, CRLF or a lone CR, wherever the chunks are cut. */
export class LineDecoder {
  // Pieces of an unfinished line, joined only once its end arrives (linear for huge lines).
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #skipLeadingLf = false;

  constructor(readonly maxLineBytes = MAX_SSE_LINE_BYTES) {}

  decode(chunk: Uint8Array): string[] {
    let buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.#skipLeadingLf) {
      this.#skipLeadingLf = false;
      if (buf.length > 0 && buf[0] === LF) buf = buf.subarray(1);
    }
    if (buf.indexOf(LF) === -1 && buf.indexOf(CR) === -1) {
      if (buf.length > 0) this.#hold(buf);
      return [];
    }
    if (this.#pending.length > 0) {
      buf = Buffer.concat([...this.#pending, buf]);
      this.#pending = [];
      this.#pendingBytes = 0;
    }
    const lines: string[] = [];
    let start = 0;
    if (buf.indexOf(CR) === -1) {
      // Fast path (almost every server): LF only, found with the native indexOf.
      for (let i = buf.indexOf(LF); i !== -1; i = buf.indexOf(LF, start)) {
        if (i - start > this.maxLineBytes) throw overCap('line', this.maxLineBytes);
        lines.push(buf.toString('utf8', start, i));
        start = i + 1;
      }
      if (start < buf.length) this.#hold(buf.subarray(start));
      return lines;
    }
    for (let i = 0; i < buf.length; i++) {
      const byte = buf[i];
      if (byte !== LF && byte !== CR) continue;
      if (i - start > this.maxLineBytes) throw overCap('line', this.maxLineBytes);
      lines.push(buf.toString('utf8', start, i));
      if (byte === CR) {
        if (i + 1 < buf.length) {
          if (buf[i + 1] === LF) i++;
        } else this.#skipLeadingLf = true; // a CR at the end of a chunk: the next chunk may open with its LF
      }
      start = i + 1;
    }
    if (start < buf.length) this.#hold(buf.subarray(start));
    return lines;
  }

  /** Keeps the start of an unfinished line, refusing one that is already over the cap. */
  #hold(piece: Uint8Array): void {
    this.#pendingBytes += piece.length;
    if (this.#pendingBytes > this.maxLineBytes) throw overCap('line', this.maxLineBytes);
    this.#pending.push(Buffer.from(piece));
  }

  /** The last line, when the stream ended without a newline. */
  flush(): string[] {
    const rest = Buffer.concat(this.#pending);
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#skipLeadingLf = false;
    return rest.length > 0 ? [rest.toString('utf8')] : [];
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
