/**
 * Where a session's messages come from: lines of piped stdin (one line = one message), or a line editor on a terminal
 * (node:readline) with persistent history, bracketed paste (a multi-line paste is one message), `"""` to open and close
 * a multi-line message, and Ctrl-C at an empty prompt that says how to leave before it leaves.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';

export interface LineSource {
  /** The next message; null when the input ends (Ctrl-D, end of the pipe, a second Ctrl-C). */
  next(): Promise<string | null>;
  /** While an answer streams: the terminal back in cooked mode, so Ctrl-C is a SIGINT that stops the answer. */
  pause(): void;
  resume(): void;
  close(): void;
}

const FENCE = '"""';
const PASTE_ON = '\u001b[?2004h';
const PASTE_OFF = '\u001b[?2004l';

/** Messages handed over in order; waits when there is none yet. */
class Mailbox {
  private readonly queue: Array<string | null> = [];
  private waiter: ((value: string | null) => void) | undefined;
  put(value: string | null): void {
    if (this.waiter) {
      const take = this.waiter;
      this.waiter = undefined;
      take(value);
    } else this.queue.push(value);
  }
  take(): Promise<string | null> {
    if (this.queue.length > 0) return Promise.resolve(this.queue.shift()!);
    return new Promise((resolve) => (this.waiter = resolve));
  }
}

/** Piped stdin: one line, one message (a `"""` line opens and closes a multi-line one). */
export function pipedLines(input: NodeJS.ReadableStream): LineSource {
  const box = new Mailbox();
  const rl = createInterface({ input, terminal: false, crlfDelay: Infinity });
  let block: string[] | undefined;
  rl.on('line', (line) => {
    if (block) {
      if (line.trim() === FENCE) {
        box.put(block.join('\n'));
        block = undefined;
      } else block.push(line);
    } else if (line.trim() === FENCE) block = [];
    else box.put(line);
  });
  rl.on('close', () => {
    if (block) box.put(block.join('\n'));
    box.put(null);
  });
  return { next: () => box.take(), pause: () => {}, resume: () => {}, close: () => rl.close() };
}

export interface EditorOptions {
  input: NodeJS.ReadStream;
  output: NodeJS.WriteStream;
  /** `$XDG_STATE_HOME/gpt/chat_history` (0600); undefined: no persistent history. */
  historyFile?: string;
  prompt?: string;
}

/** A line editor on a terminal. */
export function lineEditor({ input, output, historyFile, prompt = '> ' }: EditorOptions): LineSource {
  const rl = createInterface({ input, output, terminal: true, history: readHistory(historyFile), historySize: 1000, removeHistoryDuplicates: true, prompt });
  const box = new Mailbox();
  const state = { pasting: false, pasted: [] as string[], block: undefined as string[] | undefined, warned: false, closed: false };
  output.write(PASTE_ON);
  const ask = (text = prompt) => {
    rl.setPrompt(text);
    rl.prompt();
  };
  input.on('keypress', (_chunk: unknown, key: { name?: string } | undefined) => {
    if (key?.name === 'paste-start') state.pasting = true;
    else if (key?.name === 'paste-end') state.pasting = false;
    else if (key?.name !== undefined && key.name !== 'c') state.warned = false;
  });
  rl.on('line', (line) => onLine(line, state, box, ask));
  rl.on('history', (history: string[]) => writeHistory(historyFile, history));
  rl.on('SIGINT', () => {
    if (rl.line !== '' || state.pasted.length > 0 || state.block) {
      // Ctrl-C on a half-typed message drops it, as shells do.
      state.pasted = [];
      state.block = undefined;
      rl.write(null, { ctrl: true, name: 'u' });
      output.write('^C\n');
      ask();
    } else if (state.warned) {
      rl.close(); // the close handler ends the line
    } else {
      state.warned = true;
      output.write('^C\n(to leave: Ctrl-C again, Ctrl-D or /exit)\n');
      ask();
    }
  });
  rl.on('close', () => {
    if (!state.closed) output.write(`${PASTE_OFF}\n`); // Ctrl-D: the shell's prompt starts on its own line
    state.closed = true;
    box.put(null);
  });
  return {
    next: () => {
      if (!state.closed) ask();
      return box.take();
    },
    pause: () => {
      rl.pause();
      if (input.isTTY) input.setRawMode(false);
    },
    resume: () => {
      if (input.isTTY) input.setRawMode(true);
      rl.resume();
    },
    close: () => {
      if (state.closed) return;
      state.closed = true;
      output.write(PASTE_OFF);
      rl.close();
    },
  };
}

type EditorState = { pasting: boolean; pasted: string[]; block: string[] | undefined; warned: boolean };

/** A line ends a message unless it is part of a paste (kept until Enter) or inside a `"""` block. */
function onLine(line: string, state: EditorState, box: Mailbox, ask: (text?: string) => void): void {
  state.warned = false;
  if (state.pasting) {
    state.pasted.push(line);
    return;
  }
  if (state.block) {
    if (line.trim() === FENCE) {
      box.put(state.block.join('\n'));
      state.block = undefined;
    } else {
      state.block.push(line);
      ask('. ');
    }
    return;
  }
  if (state.pasted.length > 0) {
    const message = [...state.pasted, ...(line === '' ? [] : [line])].join('\n');
    state.pasted = [];
    box.put(message);
    return;
  }
  if (line.trim() === FENCE) {
    state.block = [];
    ask('. ');
    return;
  }
  box.put(line);
}

function readHistory(file: string | undefined): string[] {
  if (!file) return [];
  try {
    // The file is oldest first; readline wants newest first.
    return readFileSync(file, 'utf8').split('\n').filter((line) => line !== '').reverse().slice(0, 1000);
  } catch {
    return [];
  }
}

function writeHistory(file: string | undefined, history: string[]): void {
  if (!file) return;
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, `${[...history].reverse().join('\n')}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
  } catch {
    // A history that cannot be written is not worth interrupting a conversation for.
  }
}
