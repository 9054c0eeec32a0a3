import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { type FrameHandler, streamFrames } from '../../src/providers/frames.js';
import type { OpenResponse } from '../../src/providers/http.js';
import type { ProviderEvent } from '../../src/providers/types.js';

/** An open response whose body arrives in exactly these reads. */
function response(reads: string[]): OpenResponse {
  const body = Readable.from(reads.map((r) => Buffer.from(r)), { objectMode: false });
  return { status: 200, headers: {}, body: body as unknown as OpenResponse['body'], attempts: 1 };
}

/** A handler for `data: kind:text` frames: `done` completes, `boom` throws. */
const handle: FrameHandler = (event, out) => {
  if (event.data === 'done') return true;
  if (event.data === 'boom') throw new Error('boom');
  const [kind, text] = event.data.split(':') as ['text' | 'reasoning' | 'warning', string];
  if (kind === 'warning') out.push({ type: 'warning', message: text });
  else out.text(kind, text);
  return false;
};

async function collect(reads: string[]): Promise<{ events: ProviderEvent[]; done?: boolean; error?: Error }> {
  const events: ProviderEvent[] = [];
  const stream = streamFrames(response(reads), 'http://127.0.0.1/x', 5, undefined, handle);
  try {
    for (;;) {
      const step = await stream.next();
      if (step.done) return { events, done: step.value };
      events.push(step.value);
    }
  } catch (error) {
    return { events, error: error as Error };
  }
}

const frames = (...data: string[]) => data.map((d) => `data: ${d}\n\n`).join('');

describe('streamFrames', () => {
  it('joins the text of one read into one event, keeping the order of other kinds', async () => {
    const { events, done } = await collect([frames('text:a', 'text:b', 'reasoning:r', 'reasoning:s', 'text:c', 'warning:w', 'text:d')]);
    expect(events).toEqual([
      { type: 'text', text: 'ab' },
      { type: 'reasoning', text: 'rs' },
      { type: 'text', text: 'c' },
      { type: 'warning', message: 'w' },
      { type: 'text', text: 'd' },
    ]);
    expect(done).toBe(false);
  });

  it('steps once per read, and a frame cut between reads is whole in the later one', async () => {
    const all = frames('text:a', 'text:b', 'text:c');
    const { events } = await collect([all.slice(0, 20), all.slice(20)]);
    expect(events).toEqual([
      { type: 'text', text: 'a' },
      { type: 'text', text: 'bc' },
    ]);
  });

  it('stops at the frame that completes the answer and says so', async () => {
    const { events, done } = await collect([frames('text:a', 'done', 'text:after')]);
    expect(events).toEqual([{ type: 'text', text: 'a' }]);
    expect(done).toBe(true);
  });

  it('yields what came before a failing frame of the same read, then throws', async () => {
    const { events, error } = await collect([frames('text:paid'), frames('text:also paid', 'boom', 'text:never')]);
    expect(events).toEqual([
      { type: 'text', text: 'paid' },
      { type: 'text', text: 'also paid' },
    ]);
    expect(error?.message).toBe('boom');
  });
});
