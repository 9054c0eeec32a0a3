/**
 * The answer on stdout as it streams: the bytes as sent (pipes, files, --raw), or rendered Markdown for a person
 * at a colour terminal. One stdout write per event-loop turn, not per token: a network read carries many events.
 */
import { type PromptSink, isEnd } from '../core/events.js';
import { TerminalLine } from './line.js';

/** Turns streamed text into what the terminal shows (ui/markdown's MarkdownStream). */
export interface TextRenderer {
  write(text: string): string;
  /** The rest; what it returns leaves the cursor at the start of a line. */
  end(): string;
}

export interface AnswerOptions {
  /** Markdown for a colour terminal (or its module still loading, in parallel with the request); absent: the bytes as sent. */
  renderer?: TextRenderer | Promise<TextRenderer>;
  /** True once stdout failed (a reader that left, a full disk): nothing more is written. */
  stdoutFailed: () => boolean;
  /** Told every stdout write, so the footer can start on a line of its own. */
  line?: TerminalLine;
}

export function answerPresenter(stdout: Pick<NodeJS.WriteStream, 'write' | 'isTTY'>, { renderer: given, stdoutFailed, line = new TerminalLine(false, false) }: AnswerOptions): PromptSink {
  let renderer = given instanceof Promise ? undefined : given;
  let loading = given instanceof Promise ? given.then((r) => void (renderer = r)) : undefined;
  void loading?.then(() => (loading = undefined));
  let pending = '';
  let flushScheduled = false;
  const write = (text: string) => {
    if (text === '') return;
    stdout.write(text);
    line.wrote(text);
  };
  const flush = (): void => {
    if (loading) return void loading.then(flush); // text before the renderer is loaded waits for it
    flushScheduled = false;
    const text = pending;
    pending = '';
    if (text !== '' && !stdoutFailed()) write(renderer ? renderer.write(text) : text);
  };
  const finish = async () => {
    await loading;
    flush();
    // Writes are synchronous for files and pipes, but their errors arrive on the next tick.
    await new Promise(setImmediate);
    if (stdoutFailed()) return;
    if (renderer) {
      const rest = renderer.end();
      if (rest !== '') stdout.write(rest);
      line.wrote(rest === '' ? '' : '\n');
      return;
    }
    // A terminal's prompt must not start on the answer's last line.
    if (stdout.isTTY && !line.answerAtLineStart) write('\n');
  };
  return (event) => {
    if (event.type === 'text') {
      if (stdoutFailed()) return;
      pending += event.text;
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flush);
      }
      return;
    }
    if (isEnd(event)) return finish();
  };
}
