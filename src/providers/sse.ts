/**
 * Server-Sent Events decoding, hand-written because it is small and on the hot path: bytes are
 * cut into lines first and only complete lines become text, so a UTF-8 character split across
 * two network chunks still decodes whole. One framing pass; events of any size.
 */

export interface SseEvent {
  event: string | undefined;
  data: string;
}

const LF = 0x0a;
const CR = 0x0d;

/** Splits a byte stream into lines at LF, CRLF or a lone CR, wherever the chunks are cut. */
export class LineDecoder {
  // Pieces of an unfinished line, joined only once its end arrives (linear for huge lines).
  #pending: Buffer[] = [];
  #skipLeadingLf = false;

  decode(chunk: Uint8Array): string[] {
    let buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.#skipLeadingLf) {
      this.#skipLeadingLf = false;
      if (buf.length > 0 && buf[0] === LF) buf = buf.subarray(1);
    }
    if (buf.indexOf(LF) === -1 && buf.indexOf(CR) === -1) {
      if (buf.length > 0) this.#pending.push(Buffer.from(buf));
      return [];
    }
    if (this.#pending.length > 0) {
      buf = Buffer.concat([...this.#pending, buf]);
      this.#pending = [];
    }
    const lines: string[] = [];
    let start = 0;
    if (buf.indexOf(CR) === -1) {
      // Fast path (almost every server): LF only, found with the native indexOf.
      for (let i = buf.indexOf(LF); i !== -1; i = buf.indexOf(LF, start)) {
        lines.push(buf.toString('utf8', start, i));
        start = i + 1;
      }
      if (start < buf.length) this.#pending.push(Buffer.from(buf.subarray(start)));
      return lines;
    }
    for (let i = 0; i < buf.length; i++) {
      const byte = buf[i];
      if (byte !== LF && byte !== CR) continue;
      lines.push(buf.toString('utf8', start, i));
      if (byte === CR) {
        if (i + 1 < buf.length) {
          if (buf[i + 1] === LF) i++;
        } else this.#skipLeadingLf = true; // a CR at the end of a chunk: the next chunk may open with its LF
      }
      start = i + 1;
    }
    if (start < buf.length) this.#pending.push(Buffer.from(buf.subarray(start)));
    return lines;
  }

  /** The last line, when the stream ended without a newline. */
  flush(): string[] {
    const rest = Buffer.concat(this.#pending);
    this.#pending = [];
    this.#skipLeadingLf = false;
    return rest.length > 0 ? [rest.toString('utf8')] : [];
  }
}

/** Turns SSE lines into events: `data:` lines are joined with \n, comments skipped, blank line dispatches. */
export class SseDecoder {
  #lines = new LineDecoder();
  #data: string[] = [];
  #event: string | undefined;

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
      if (field === 'data') this.#data.push(value);
      else if (field === 'event') this.#event = value;
      // `id` and `retry` are for reconnecting EventSource clients; a completion cannot be resumed.
    }
    return events;
  }

  #dispatch(): SseEvent | null {
    if (this.#data.length === 0) {
      this.#event = undefined;
      return null;
    }
    const event = { event: this.#event, data: this.#data.join('\n') };
    this.#data = [];
    this.#event = undefined;
    return event;
  }
}
