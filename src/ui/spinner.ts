/** The spinner on stderr while the model thinks: from sending until the first text or the end. Only for a person at a terminal. */
import type { PromptSink } from '../core/events.js';

export function spinnerPresenter(stderr: NodeJS.WriteStream, label: string): PromptSink {
  let spinner: { stop(): void } | undefined;
  let done = false;
  const start = async () => {
    const { default: ora } = await import('ora');
    if (!done) spinner = ora({ text: label, stream: stderr, discardStdin: false }).start();
  };
  // Not async itself: a promise per text event would make every sink after this one wait a microtask.
  return (event) => {
    if (event.type === 'started') return start();
    if (done || event.type === 'retry' || event.type === 'warning') return;
    done = true;
    spinner?.stop();
    spinner = undefined;
  };
}
