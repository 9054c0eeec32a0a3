/** What a prompt is made of: messages with roles. */

export type Role = 'system' | 'developer' | 'user' | 'assistant' | 'tool';

/** A function the model may call: its name, what it does, and its arguments' JSON Schema. */
export interface ToolSpec {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

/** A call the model asked for; `arguments` is the JSON text as the model wrote it (maybe not valid). */
export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

export interface ChatMessage {
  role: Role;
  /** The text; with `parts`, the text part that comes first. */
  content: string;
  /** An opaque Responses API input item sent as it is (a `/responses/compact` output item); other APIs never get one. */
  item?: unknown;
  /** An assistant turn that called tools. */
  toolCalls?: ToolCall[];
  /** A `tool` message: the call it answers. */
  toolCallId?: string;
  /** Images and files sent beside the text (`-a`); absent for the common text-only message. */
  parts?: ContentPart[];
}

/** How closely an image is looked at (`--detail`); it sets what the image costs. */
export type ImageDetail = 'low' | 'high' | 'auto';

/** An attachment as the wire carries it: a data URL (bytes read here) or a URL the API fetches itself. */
export type ContentPart =
  | { type: 'image'; url: string; detail: ImageDetail; name: string; width?: number; height?: number }
  | { type: 'file'; name: string; dataUrl?: string; url?: string };

/** Puts `system` first in place of a leading system message (so `-s` overrides a template's system prompt). */
export function withSystem(messages: ChatMessage[], system: string | undefined): ChatMessage[] {
  if (system === undefined) return messages;
  const rest = messages[0]?.role === 'system' ? messages.slice(1) : messages;
  return [{ role: 'system', content: system }, ...rest];
}

/**
 * Adds `system` first unless the messages already carry a system or developer message of their own
 * (a batch line's `messages`, a template's): a default fills a gap, it never replaces.
 */
export function withDefaultSystem(messages: ChatMessage[], system: string | undefined): ChatMessage[] {
  if (system === undefined || system === '' || messages.some((m) => m.role === 'system' || m.role === 'developer')) return messages;
  return [{ role: 'system', content: system }, ...messages];
}
