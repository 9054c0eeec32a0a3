/** `gpt chat [message...]`: one-shot when given a message or piped stdin, else an interactive session. */
import { loadConfig } from '../config/load.js';
import type { ResolvedConfig } from '../config/types.js';
import { composeMessage, readPipedStdin } from '../core/input.js';
import { messageRequest } from '../core/template-request.js';
import { GptError, type ChatMessage, type GenerationOptions, escapeControls } from '../domain/index.js';
import { warn } from '../ui/status.js';
import { type PromptFlags, readPromptFlags, texts } from './prompt/options.js';
import { type ShownPrompt, runPrompt } from './prompt/runner.js';

const out = { stdout: process.stdout, stderr: process.stderr };

/** `gpt chat`'s flags, read once. */
export interface ChatOptions extends PromptFlags {
  /** The message arguments (piped stdin is appended to them). */
  message: string[];
  /** False with --no-validate. */
  validate: boolean;
}

export function parseChatOptions(positional: unknown[], flags: Record<string, unknown>): ChatOptions {
  return { message: texts(positional[0]), validate: flags.validate !== false, ...readPromptFlags(flags) };
}

export async function run(positional: unknown[], flags: Record<string, unknown>): Promise<number> {
  const o = parseChatOptions(positional, flags);
  const config = await loadConfig(o.config);
  for (const message of config.warnings) warn(out, o.display, message);
  const piped = await readPipedStdin();
  if (o.message.length === 0 && piped === undefined) return interactive(config, o, await withSchemaFlag(messageRequest('', config, o.generation).options, o));

  const message = composeMessage(o.message, piped);
  if (message === '') throw new GptError('usage', piped !== undefined ? 'empty message: stdin was empty and no message was given' : 'empty message');
  const request = messageRequest(message, config, o.generation);
  const options = await withSchemaFlag(request.options, o);
  await runPrompt(job(config, o, request.messages, options));
  return 0;
}

/** A --schema file, read and checked once, before anything is sent (loaded only then: chat stays free of the template code). */
async function withSchemaFlag(options: GenerationOptions, o: ChatOptions): Promise<GenerationOptions> {
  if (o.schemaFile === undefined) return options;
  const { schemaFromFlag } = await import('../templates/schema.js');
  return { ...options, schema: await schemaFromFlag(o.schemaFile, process.cwd()) };
}

function job(config: ResolvedConfig, o: ChatOptions, messages: ChatMessage[], options: GenerationOptions): ShownPrompt {
  return { command: 'chat', config, model: config.model, messages, options, display: o.display, validate: o.validate, ...(o.maxCost !== undefined ? { maxCost: o.maxCost } : {}) };
}

/** A multi-turn session on a terminal: each line is a turn; Ctrl-C stops an answer, Ctrl-D or /exit leaves. */
async function interactive(config: ResolvedConfig, o: ChatOptions, options: GenerationOptions): Promise<number> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  const history: ChatMessage[] = options.system ? [{ role: 'system', content: options.system }] : [];
  const session = { ...o, display: { ...o.display, json: false } };
  process.stderr.write(`gpt chat · ${config.profileName} · ${config.model} — Ctrl-D or /exit to leave, Ctrl-C stops an answer\n`);
  let closed = false;
  rl.on('close', () => {
    closed = true;
  });
  while (!closed) {
    let line: string;
    try {
      line = (await rl.question('> ')).trim();
    } catch {
      break; // Ctrl-D or Ctrl-C at the prompt
    }
    if (line === '/exit' || line === '/quit') break;
    if (line === '') continue;
    history.push({ role: 'user', content: line });
    // Cooked mode while answering, so Ctrl-C is a real SIGINT that stops the answer, not a keypress for readline.
    rl.pause();
    if (process.stdin.isTTY) process.stdin.setRawMode(false);
    try {
      const result = await runPrompt(job(config, session, history, options));
      history.push({ role: 'assistant', content: result.text });
    } catch (error) {
      history.pop();
      if (error instanceof GptError && error.kind === 'interrupted') process.stderr.write('\n(interrupted)\n');
      else if (error instanceof GptError && error.kind !== 'config') process.stderr.write(`gpt: ${escapeControls(error.message)}\n`);
      else throw error;
    } finally {
      if (process.stdin.isTTY) process.stdin.setRawMode(true);
      rl.resume();
    }
  }
  rl.close();
  return 0;
}
