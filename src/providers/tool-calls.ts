/** Tool calls in the two API shapes: the request's `tools` and messages, and calls assembled from answers. */
import { chatContent, responsesContent } from './parts.js';
import type { ChatMessage, ToolCall, ToolSpec } from '../domain/index.js';
import { type Json, isObject } from './shape.js';

/** Chat completions `tools`: `{type: function, function: {name, description, parameters}}`. */
export const chatTools = (tools: ToolSpec[]): Json[] =>
  tools.map((t) => ({ type: 'function', function: { name: t.name, description: t.description, parameters: t.parameters } }));

/** Responses `tools`: flat `{type: function, name, description, parameters}`. */
export const responsesTools = (tools: ToolSpec[]): Json[] =>
  tools.map((t) => ({ type: 'function', name: t.name, description: t.description, parameters: t.parameters, strict: false }));

/** One chat message as chat completions wants it: an assistant turn with its `tool_calls`, a `tool` reply with its id. */
export function chatMessage(m: ChatMessage): Json {
  if (m.role === 'tool') return { role: 'tool', tool_call_id: m.toolCallId ?? '', content: m.content };
  if (m.role === 'assistant' && m.toolCalls?.length) {
    return {
      role: 'assistant',
      content: m.content === '' ? null : m.content,
      tool_calls: m.toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } })),
    };
  }
  return { role: m.role, content: chatContent(m) };
}

/** Responses input items for a conversation with tool turns: messages, `function_call` and `function_call_output` items. */
export function responsesItems(messages: ChatMessage[]): Json[] {
  const items: Json[] = [];
  for (const m of messages) {
    if (m.item !== undefined) items.push(m.item as Json);
    else if (m.role === 'tool') items.push({ type: 'function_call_output', call_id: m.toolCallId ?? '', output: m.content });
    else {
      if (m.content !== '' || !m.toolCalls?.length) items.push({ role: m.role, content: responsesContent(m) });
      for (const c of m.toolCalls ?? []) items.push({ type: 'function_call', call_id: c.id, name: c.name, arguments: c.arguments });
    }
  }
  return items;
}

/** Streamed chat `tool_calls` deltas, joined by index: id and name come once, arguments in pieces. */
export class ToolCallAssembler {
  private readonly calls = new Map<number, ToolCall>();

  add(deltas: unknown): void {
    if (!Array.isArray(deltas)) return;
    for (const [position, delta] of deltas.entries()) {
      if (!isObject(delta)) continue;
      const index = typeof delta.index === 'number' ? delta.index : position;
      const call = this.calls.get(index) ?? { id: '', name: '', arguments: '' };
      const fn = isObject(delta.function) ? delta.function : {};
      if (typeof delta.id === 'string' && delta.id) call.id = delta.id;
      if (typeof fn.name === 'string') call.name += fn.name;
      if (typeof fn.arguments === 'string') call.arguments += fn.arguments;
      this.calls.set(index, call);
    }
  }

  /** The calls in index order; a call the server sent no id for gets one. */
  done(): ToolCall[] {
    return [...this.calls.entries()].sort(([a], [b]) => a - b).map(([index, call]) => ({ ...call, id: call.id || `call_${index}` }));
  }
}

/** The calls of a whole chat completion's message. */
export function chatMessageCalls(message: Json | undefined): ToolCall[] {
  const assembler = new ToolCallAssembler();
  assembler.add(message?.tool_calls);
  return assembler.done();
}

/** The `function_call` items of a Responses output list. */
export function responsesCalls(output: unknown): ToolCall[] {
  if (!Array.isArray(output)) return [];
  return output
    .filter((item): item is Json => isObject(item) && item.type === 'function_call')
    .map((item, i) => ({
      id: typeof item.call_id === 'string' ? item.call_id : `call_${i}`,
      name: typeof item.name === 'string' ? item.name : '',
      arguments: typeof item.arguments === 'string' ? item.arguments : '',
    }));
}
