/** `gpt chat [message...]`: one-shot when given a message or piped stdin, else an interactive session. */
import { resolve } from 'node:path';
import { loadConfig } from '../config/load.js';
import type { ResolvedConfig } from '../config/types.js';
import { composeMessage, readPipedStdin } from '../core/input.js';
import { runPrompt, warn } from '../core/prompt.js';
import { messageRequest } from '../core/template-request.js';
import { GptError, type ChatMessage, type GenerationOptions } from '../domain/index.js';
import { escapeControls } from '../ui/term.js';

const out = { stdout: process.stdout, stderr: process.stderr };

/** A --schema file, read and checked once, before anything is sent. */
async function withSchemaFlag(options: GenerationOptions, flags: Record<string, unknown>): Promise<GenerationOptions> {
  if (typeof flags.schema !== 'string') return options;
  const source = `--schema ${flags.schema}`;
  const { checkSchema, loadSchemaFile } = await import('../templates/schema.js');
  const schema = await loadSchemaFile(resolve(flags.schema), source);
  await checkSchema(schema.schema, source);
  return { ...options, schema };
}

export async function run(positional: unknown[], flags: Record<string, unknown>): Promise<number> {
  const args = (positional[0] as string[] | undefined) ?? [];
  const config = await loadConfig(flags);
  for (const message of config.warnings) warn(out, flags, message);
  const piped = await readPipedStdin();
  if (args.length === 0 && piped === undefined) return interactive(config, flags, await withSchemaFlag(messageRequest('', config, flags).options, flags));

  const message = composeMessage(args, piped);
  if (message === '') throw new GptError('usage', piped !== undefined ? 'empty message: stdin was empty and no message was given' : 'empty message');
  const request = messageRequest(message, config, flags);
  const options = await withSchemaFlag(request.options, flags);
  await runPrompt({ command: 'chat', config, flags, model: config.model, messages: request.messages, options });
  return 0;
}

/** A multi-turn session on a terminal: each line is a turn; Ctrl-C stops an answer, Ctrl-D or /exit leaves. */
async function interactive(config: ResolvedConfig, flags: Record<string, unknown>, options: GenerationOptions): Promise<number> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  const history: ChatMessage[] = options.system ? [{ role: 'system', content: options.system }] : [];
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
      const result = await runPrompt({ command: 'chat', config, flags: { ...flags, json: false }, model: config.model, messages: history, options });
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
