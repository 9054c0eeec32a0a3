/**
 * stdout can fail. A reader that closes it early (`gpt chat … | head -c 5`: EPIPE) ends gpt quietly with
 * exit 0, as ripgrep does; any other failure (ENOSPC, EIO) is one line naming stdout and exit 9. A command
 * with a paid answer in flight claims the failure, so it can stop the request and still do its accounting.
 */
import { isClosedPipe, writeFailure } from '../domain/index.js';

type Handler = (error: NodeJS.ErrnoException) => void;

let claimed: Handler | undefined;

/** While claimed, a stdout failure goes to `handler` instead of ending the process; returns the release. */
export function claimStdoutFailure(handler: Handler): () => void {
  claimed = handler;
  return () => {
    if (claimed === handler) claimed = undefined;
  };
}

/** Installed once at start-up; a command that listens on stdout itself (batch) handles its own failures. */
export function guardStdout(stream: NodeJS.WriteStream = process.stdout, stderr: NodeJS.WriteStream = process.stderr): void {
  const guard = (error: NodeJS.ErrnoException) => {
    if (claimed) return claimed(error);
    if (stream.listenerCount('error') > 1) return;
    if (isClosedPipe(error)) process.exit(0);
    stderr.write(`gpt: ${writeFailure('to stdout', error).message}\n`);
    process.exit(9);
  };
  stream.on('error', guard);
}
