/**
 * The answer on stdout as it streams: the bytes as sent (pipes, files, --raw), or rendered Markdown for a person
 * at a colour terminal. One stdout write per event-loop turn, not per token: a network read carries many events.
 */
import { type PromptSink, isEnd } from '../core/events.js';

/** Turns streamed text into what the terminal shows (ui/markdown's MarkdownStream). */
export interface TextRenderer {
  write(text: string): string;
  end(): string;
}

export interface AnswerOptions {
  /** Markdown for a colour terminal; absent: the bytes as sent. */
  renderer?: TextRenderer;
  /** True once stdout failed (a reader that left, a full disk): nothing more is written. */
  stdoutFailed: () => boolean;
}

export function answerPresenter(stdout: Pick<NodeJS.WriteStream, 'write' | 'isTTY'>, { renderer, stdoutFailed }: AnswerOptions): PromptSink {
  let pending = '';
  let flushScheduled = false;
  const flush = () => {
    flushScheduled = false;
    if (pending !== '' && !stdoutFailed()) stdout.write(pending);
    pending = '';
  };
  const finish = async (text: string) => {
    flush();
    // Writes are synchronous for files and pipes, but their errors arrive on the next tick.
    await new Promise(setImmediate);
    if (stdoutFailed()) return;
    const rest = renderer?.end() ?? '';
    if (rest !== '') stdout.write(rest);
    // A terminal's prompt must not start on the answer's last line.
    if (text !== '' && stdout.isTTY && !text.endsWith('\n')) stdout.write('\n');
  };
  return (event) => {
    if (event.type === 'text') {
      if (stdoutFailed()) return;
      pending += renderer ? renderer.write(event.text) : event.text;
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flush);
      }
      return;
    }
    if (isEnd(event)) return finish(event.result.text);
  };
}
