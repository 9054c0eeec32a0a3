/** Reading piped stdin and composing it with the message arguments. */
import { GptError } from '../domain/index.js';

/** Piped stdin as text, or undefined when stdin is a terminal. Binary input is refused (exit 2). */
export async function readPipedStdin(stdin: NodeJS.ReadStream = process.stdin): Promise<string | undefined> {
  if (stdin.isTTY) return undefined;
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of stdin) chunks.push(chunk as Buffer);
  } catch {
    return undefined; // a closed or absent stdin is no input
  }
  const bytes = Buffer.concat(chunks);
  if (bytes.includes(0)) throw new GptError('usage', 'stdin looks like binary data (it contains NUL bytes); pipe text instead');
  return bytes.toString('utf8');
}

/** The message arguments, a blank line, then the piped text (as mods and llm do). */
export function composeMessage(args: string[], piped: string | undefined): string {
  const message = args.join(' ').trim();
  const input = piped?.replace(/\s+$/, '') ?? '';
  if (message && input) return `${message}\n\n${input}`;
  return message || input;
}
