/** `-a/--attach` for chat, run and cost: read, checked against where the prompt goes, added to the last user turn. */
import { type Attachment, loadAttachments } from '../../attachments/load.js';
import { checkAttachments, withAttachments } from '../../attachments/apply.js';
import type { ResolvedConfig } from '../../config/types.js';
import type { ChatMessage, GenerationOptions, ImageDetail } from '../../domain/index.js';
import { apiFor } from '../../providers/types.js';

/** All of stdin as bytes (for `-a -`). */
async function stdinBytes(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The attachments, read once (no I/O at all without -a). */
export function readAttachments(sources: readonly string[], cwd = process.cwd()): Promise<Attachment[]> {
  return sources.length === 0 ? Promise.resolve([]) : loadAttachments(sources, { cwd, readStdin: stdinBytes });
}

/** `-a -` takes stdin, so it is not also the message. */
export const attachTakesStdin = (sources: readonly string[]) => sources.includes('-');

/** The messages with the attachments; a bad combination (a PDF URL to chat completions, an image to a text model) throws exit 2. */
export function attachAll(
  messages: ChatMessage[],
  attachments: readonly Attachment[],
  where: { config: ResolvedConfig; model: string; options: GenerationOptions; detail?: ImageDetail },
  warn: (message: string) => void,
): ChatMessage[] {
  if (attachments.length === 0) return messages;
  const api = apiFor({ options: where.options }, where.config.profile);
  for (const message of checkAttachments(attachments, { model: where.model, api, profileName: where.config.profileName })) warn(message);
  return withAttachments(messages, attachments, where.detail ?? 'auto');
}
