/**
 * Server-Sent Events decoding, hand-written because it is small and on the hot path (a long answer is
 * hundreds of thousands of events): each network chunk is decoded to text once (a StringDecoder keeps a
 * UTF-8 character split across two chunks whole), cut at line ends with the native indexOf, and turned
 * into events without a per-line array. Lines and events are capped.
 */
import { StringDecoder } from 'node:string_decoder';
import { GptError } from '../domain/index.js';

export interface SseEvent {
  event: string | undefined;
  data: string;
}

/** The longest line (and event) accepted: far above any real answer, far below the 512 MiB a string can hold. */
export const MAX_SSE_LINE_BYTES = 64 * 1024 * 1024;

const MIB = 1024 * 1024;
const size = (bytes: number) => (bytes % MIB === 0 ? `${bytes / MIB} MiB` : `${bytes} bytes`);
const LF = 0x0a;
const CR = 0x0d;

/** A server that never ends a line (or an event) is broken or hostile: stop before memory runs out. */
function overCap(what: 'line' | 'event', cap: number): GptError {
  return new GptError('api', `the API sent a stream ${what} over ${size(cap)}; giving up on the answer`, { code: 'sse_too_long' });
}

/** SSE lines: split at LF, CRLF or a lone CR wherever the chunks are cut, as text. */
export class LineDecoder {
  #text = new StringDecoder('utf8');
  /** The start of a line whose end has not arrived, and its size in bytes. */
  #pending = '';
  #pendingBytes = 0;
  /** A CR ended the last chunk: the next chunk may open with its LF. */
  #skipLf = false;

  constructor(readonly maxLineBytes = MAX_SSE_LINE_BYTES) {}

  decode(chunk: Uint8Array): string[] {
    const lines: string[] = [];
    this.each(chunk, (line) => lines.push(line));
    return lines;
  }

  /** Calls `onLine` with each complete line in `chunk` (joined with what was held back). */
  each(chunk: Uint8Array, onLine: (line: string) => void): void {
    let text = this.#text.write(chunk as Buffer);
    if (this.#skipLf) {
      this.#skipLf = false;
      if (text.charCodeAt(0) === LF) text = text.slice(1);
    }
    let start = 0;
    if (text.indexOf('\r') === -1) {
      // Almost every stream: LF only.
      for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
        onLine(this.#line(text, start, nl));
        start = nl + 1;
      }
    } else {
      start = this.#eachCr(text, onLine);
    }
    if (start < text.length) this.#hold(text.slice(start));
  }

  /** The last line, when the stream ended without a newline. */
  flush(): string[] {
    const rest = this.#pending + this.#text.end();
    this.#pending = '';
    this.#pendingBytes = 0;
    this.#skipLf = false;
    return rest.length > 0 ? [rest] : [];
  }

  #eachCr(text: string, onLine: (line: string) => void): number {
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== LF && c !== CR) continue;
      onLine(this.#line(text, start, i));
      if (c === CR) {
        if (i + 1 < text.length) {
          if (text.charCodeAt(i + 1) === LF) i++;
        } else this.#skipLf = true;
      }
      start = i + 1;
    }
    return start;
  }

  #line(text: string, start: number, end: number): string {
    const piece = text.slice(start, end);
    // A character is at most 3 bytes per UTF-16 unit: count bytes only when the cap might be near.
    if (this.#pendingBytes + piece.length * 3 > this.maxLineBytes) this.#check(this.#pendingBytes + Buffer.byteLength(piece));
    if (this.#pending === '') return piece;
    const line = this.#pending + piece;
    this.#pending = '';
    this.#pendingBytes = 0;
    return line;
  }

  #hold(piece: string): void {
    this.#pendingBytes += Buffer.byteLength(piece);
    this.#check(this.#pendingBytes);
    this.#pending += piece;
  }

  #check(bytes: number): void {
    if (bytes > this.maxLineBytes) throw overCap('line', this.maxLineBytes);
  }
}

/** Turns SSE lines into events: `data:` lines are joined with \n, comments skipped, blank line dispatches. */
export class SseDecoder {
  #lines: LineDecoder;
  #data: string | undefined;
  #event: string | undefined;
  #out: SseEvent[] = [];
  readonly #onLine = (line: string): void => this.#take(line);

  constructor(readonly maxEventBytes = MAX_SSE_LINE_BYTES) {
    this.#lines = new LineDecoder(maxEventBytes);
  }

  /** The events complete in `chunk`, in order. */
  push(chunk: Uint8Array): SseEvent[] {
    this.#lines.each(chunk, this.#onLine);
    return this.#drain();
  }

  /** Call at end of stream: a final event without its blank line is still delivered. */
  end(): SseEvent[] {
    for (const line of this.#lines.flush()) this.#take(line);
    this.#dispatch();
    return this.#drain();
  }

  #drain(): SseEvent[] {
    const events = this.#out;
    this.#out = [];
    return events;
  }

  #take(line: string): void {
    if (line === '') return this.#dispatch();
    if (line.startsWith('data: ')) return this.#addData(line.slice(6)); // the usual line, first
    if (line.charCodeAt(0) === 0x3a) return; // ':' comment, e.g. keep-alives
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 0x20) value = value.slice(1);
    if (field === 'data') this.#addData(value);
    else if (field === 'event') this.#event = value;
    // `id` and `retry` are for reconnecting EventSource clients; a completion cannot be resumed.
  }

  #addData(value: string): void {
    const data = this.#data === undefined ? value : `${this.#data}\n${value}`;
    // Counted in characters, the unit of the string limit this guards against.
    if (data.length > this.maxEventBytes) throw overCap('event', this.maxEventBytes);
    this.#data = data;
  }

  #dispatch(): void {
    if (this.#data !== undefined) this.#out.push({ event: this.#event, data: this.#data });
    this.#data = undefined;
    this.#event = undefined;
  }
}
