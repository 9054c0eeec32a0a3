/**
 * Asking before a tool runs: on a terminal each call shows the tool and its arguments (pretty, truncated) on
 * stderr and reads y/n/always from the terminal. `--yes` and the user's `tools.approve.<name>: never` skip it;
 * with no terminal and no `--yes` the call is refused (exit 2), never run unasked.
 */
import type { ToolCall } from '../domain/index.js';
import { GptError, escapeControls, redact } from '../domain/index.js';

export interface ApprovalOptions {
  /** --yes. */
  yes: boolean;
  /** Tools the user's own config marks `approve: never`. */
  neverAsk: string[];
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: NodeJS.WritableStream & { isTTY?: boolean };
}

const MAX_SHOWN = 1200;

/** The arguments as a person reads them: indented JSON, cut after MAX_SHOWN characters, control characters shown. */
export function prettyArguments(args: Record<string, unknown>): string {
  const text = JSON.stringify(args, null, 2);
  const cut = text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}\n… (${text.length - MAX_SHOWN} more characters)` : text;
  return escapeControls(redact(cut)).replace(/\\n/g, '\n');
}

type Approve = (tool: { name: string; source: string }, call: ToolCall, args: Record<string, unknown>, signal?: AbortSignal) => Promise<boolean>;

export function approver(options: ApprovalOptions): Approve {
  const always = new Set(options.neverAsk);
  return async (tool, _call, args, signal) => {
    if (options.yes || always.has(tool.name)) return true;
    if (!options.input.isTTY || !options.output.isTTY) {
      throw new GptError('usage', `the model wants to run tool ${tool.name}, and there is no terminal to ask: pass --yes to allow tool calls`);
    }
    options.output.write(`\ngpt: the model wants to run ${escapeControls(tool.name)} (${escapeControls(tool.source)}) with:\n${prettyArguments(args)}\n`);
    const answer = await ask(options, 'run it? [y]es, [n]o, [a]lways for this tool: ', signal);
    if (answer === 'a' || answer === 'always') {
      always.add(tool.name);
      return true;
    }
    return answer === 'y' || answer === 'yes';
  };
}

/** One line from the terminal; Ctrl-C (the signal) answers no, and the loop then stops as interrupted. */
async function ask(options: ApprovalOptions, question: string, signal?: AbortSignal): Promise<string> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: options.input, output: options.output, terminal: false });
  try {
    options.output.write(question);
    const line = await new Promise<string>((resolve) => {
      rl.once('line', resolve);
      rl.once('close', () => resolve(''));
      if (signal?.aborted) resolve('');
      signal?.addEventListener('abort', () => resolve(''), { once: true });
    });
    return line.trim().toLowerCase();
  } finally {
    rl.close();
  }
}
