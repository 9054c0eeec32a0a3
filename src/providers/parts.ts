/** Content parts (images, files) in each API's shape: chat completions' `image_url`/`file`, Responses' `input_*`. */
import { type ChatMessage, type ContentPart, GptError } from '../domain/index.js';
import type { Json } from './shape.js';

function chatPart(part: ContentPart): Json {
  if (part.type === 'image') return { type: 'image_url', image_url: { url: part.url, detail: part.detail } };
  // Chat completions' file part has no URL field (openapi ChatCompletionRequestMessageContentPartFile).
  if (part.dataUrl === undefined) throw new GptError('usage', `${part.name}: a PDF by URL needs the Responses API; add --api responses`);
  return { type: 'file', file: { filename: part.name, file_data: part.dataUrl } };
}

function responsesPart(part: ContentPart): Json {
  if (part.type === 'image') return { type: 'input_image', image_url: part.url, detail: part.detail };
  return part.dataUrl !== undefined ? { type: 'input_file', filename: part.name, file_data: part.dataUrl } : { type: 'input_file', file_url: part.url! };
}

/** A message's content for chat completions: the plain string, or the text part then the attachments. */
export function chatContent(message: ChatMessage): string | Json[] {
  if (!message.parts?.length) return message.content;
  return [...(message.content !== '' ? [{ type: 'text', text: message.content }] : []), ...message.parts.map(chatPart)];
}

/** A message's content for the Responses API: the plain string, or `input_text` then the attachments. */
export function responsesContent(message: ChatMessage): string | Json[] {
  if (!message.parts?.length) return message.content;
  return [...(message.content !== '' ? [{ type: 'input_text', text: message.content }] : []), ...message.parts.map(responsesPart)];
}
