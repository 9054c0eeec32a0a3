/** Attachments into the last user message: images and PDFs as content parts, text files as fenced, named blocks. */
import { type ChatMessage, type ContentPart, type ImageDetail, GptError } from '../domain/index.js';
import type { Attachment } from './load.js';
import { visionOf } from './vision.js';

/** A fence longer than any run of backticks in the text, so the block cannot be closed early. */
export function fencedBlock(name: string, text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return `${name}:\n${fence}\n${text.replace(/\n$/, '')}\n${fence}`;
}

function partOf(a: Attachment, detail: ImageDetail): ContentPart {
  const dataUrl = a.data ? `data:${a.mime};base64,${a.data.toString('base64')}` : undefined;
  if (a.kind === 'image') {
    return { type: 'image', url: a.url ?? dataUrl!, detail, name: a.name, ...(a.width && a.height ? { width: a.width, height: a.height } : {}) };
  }
  return { type: 'file', name: a.name, ...(dataUrl ? { dataUrl } : { url: a.url! }) };
}

/** The messages with the attachments added to the last user message (one is added when there is none). */
export function withAttachments(messages: ChatMessage[], attachments: readonly Attachment[], detail: ImageDetail = 'auto'): ChatMessage[] {
  if (attachments.length === 0) return messages;
  const index = messages.findLastIndex((m) => m.role === 'user');
  const target: ChatMessage = index >= 0 ? messages[index]! : { role: 'user', content: '' };
  const texts = attachments.filter((a) => a.kind === 'text').map((a) => fencedBlock(a.name, a.data!.toString('utf8')));
  const parts = attachments.filter((a) => a.kind !== 'text').map((a) => partOf(a, detail));
  const content = [target.content, ...texts].filter((t) => t !== '').join('\n\n');
  const updated: ChatMessage = { ...target, content, ...(parts.length || target.parts?.length ? { parts: [...(target.parts ?? []), ...parts] } : {}) };
  return index >= 0 ? messages.map((m, i) => (i === index ? updated : m)) : [...messages, updated];
}

/** Where the request goes, as far as attachments care. */
export interface AttachmentTarget {
  model: string;
  api: 'chat' | 'responses';
  profileName: string;
}

/**
 * What the endpoint cannot take, as a usage error before anything is sent; what cannot be known (a model missing
 * from the vision list) comes back as warnings.
 */
export function checkAttachments(attachments: readonly Attachment[], target: AttachmentTarget): string[] {
  const warnings: string[] = [];
  const image = attachments.find((a) => a.kind === 'image');
  if (image) {
    const vision = visionOf(target.model);
    if (vision === false) throw new GptError('usage', `--attach ${image.source}: ${target.model} does not take images; use a vision model (e.g. -m gpt-5-mini)`);
    if (vision === undefined) warnings.push(`not known whether ${target.model} takes images; sending ${image.name} anyway`);
  }
  for (const pdf of attachments.filter((a) => a.kind === 'pdf')) {
    // Chat completions' file part carries bytes only; Ollama's chat endpoint has no file part at all.
    if (target.api === 'chat' && pdf.url !== undefined) throw new GptError('usage', `--attach ${pdf.source}: a PDF by URL needs the Responses API; add --api responses`);
    if (target.api === 'chat' && target.profileName === 'ollama') throw new GptError('usage', `--attach ${pdf.source}: the ollama profile's chat endpoint takes no PDF files; use a profile that serves --api responses`);
  }
  return warnings;
}
