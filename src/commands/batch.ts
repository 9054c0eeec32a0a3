import { GptError } from '../errors.js';

export async function run(_positional: unknown[], _options: Record<string, unknown>): Promise<number> {
  throw new GptError('usage', '`gpt batch` is not built yet; see the README for what works today');
}
