/** The small pure pieces of tool calling: streamed call assembly, message shapes, result caps, argument display. */
import { describe, expect, it } from 'vitest';
import { capped, shortArguments } from '../../src/core/tool-loop.js';
import { ToolCallAssembler, chatMessage, responsesCalls, responsesItems } from '../../src/providers/tool-calls.js';
import { createSimulateProvider } from '../../src/providers/simulate.js';
import { splitCommand } from '../../src/tools/mcp.js';
import { prettyArguments } from '../../src/ui/approval.js';

const words = { count: (t: string) => t.split(/\s+/).filter(Boolean).length, countChat: () => 0 };

describe('tool calls', () => {
  it('streamed deltas join by index, in pieces and out of order; a call without an id gets one', () => {
    const a = new ToolCallAssembler();
    a.add([{ index: 1, id: 'b', function: { name: 'shout', arguments: '{"te' } }]);
    a.add([{ index: 0, function: { name: 'add', arguments: '' } }]);
    a.add([{ index: 1, function: { arguments: 'xt":"hi"}' } }, { index: 0, function: { arguments: '{"a":1}' } }]);
    a.add('junk');
    expect(a.done()).toEqual([
      { id: 'call_0', name: 'add', arguments: '{"a":1}' },
      { id: 'b', name: 'shout', arguments: '{"text":"hi"}' },
    ]);
  });

  it('messages with tool turns in both API shapes', () => {
    const turn = { role: 'assistant' as const, content: '', toolCalls: [{ id: 'c', name: 'f', arguments: '{}' }] };
    expect(chatMessage(turn)).toEqual({ role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] });
    expect(chatMessage({ role: 'tool', toolCallId: 'c', content: 'r' })).toEqual({ role: 'tool', tool_call_id: 'c', content: 'r' });
    expect(responsesItems([{ role: 'user', content: 'q' }, turn, { role: 'tool', toolCallId: 'c', content: 'r' }])).toEqual([
      { role: 'user', content: 'q' },
      { type: 'function_call', call_id: 'c', name: 'f', arguments: '{}' },
      { type: 'function_call_output', call_id: 'c', output: 'r' },
    ]);
    expect(responsesCalls([{ type: 'message' }, { type: 'function_call', call_id: 'x', name: 'f', arguments: '{"a":1}' }])).toEqual([{ id: 'x', name: 'f', arguments: '{"a":1}' }]);
  });

  it('the simulate provider calls the first tool until a tool result is in the messages', async () => {
    const provider = createSimulateProvider({ counterFor: async () => words, tokensPerSecond: 0 });
    const tools = [{ name: 'add', description: 'd', parameters: { type: 'object', properties: { a: { type: 'integer', minimum: 3 } } } }];
    const events = async (messages: Array<{ role: 'user' | 'tool'; content: string; toolCallId?: string }>) => {
      const out = [];
      for await (const e of provider.stream({ model: 'm', messages, options: {}, tools })) out.push(e);
      return out;
    };
    const first = await events([{ role: 'user', content: 'hi' }]);
    expect(first.find((e) => e.type === 'tool_calls')).toEqual({ type: 'tool_calls', calls: [{ id: expect.stringMatching(/^call_sim_/), name: 'add', arguments: '{"a":3}' }] });
    const second = await events([{ role: 'user', content: 'hi' }, { role: 'tool', toolCallId: 'x', content: '3' }]);
    expect(second.some((e) => e.type === 'tool_calls')).toBe(false);
    expect(second.some((e) => e.type === 'text')).toBe(true);
  });
});

describe('shown and sent', () => {
  it('a result over the cap is cut with a marker; one under it is untouched', async () => {
    const counter = async () => words;
    expect(await capped('one two three', 5, counter)).toBe('one two three');
    expect(await capped('a b c d e f g h i j', 4, counter)).toMatch(/^a b c d\S*\s*\S*\n\[gpt: tool result truncated: [1-4] of 10 tokens shown\]$/);
  });

  it('arguments on one short line, and pretty but bounded for approval', () => {
    expect(shortArguments('{\n  "city": "Lyon"\n}')).toBe('{ "city": "Lyon" }');
    expect(shortArguments(`{"text":"${'x'.repeat(100)}"}`)).toHaveLength(60);
    const pretty = prettyArguments({ text: 'y'.repeat(5000), esc: '\u001b[31m' });
    expect(pretty).toMatch(/… \(\d+ more characters\)$/);
    expect(pretty).not.toContain('\u001b');
  });

  it('--mcp command lines split on spaces, quotes keep them', () => {
    expect(splitCommand(`npx -y "@scope/server fs" '.'`)).toEqual(['npx', '-y', '@scope/server fs', '.']);
  });
});

describe('argument checks', () => {
  it('problems are named; a schema of another draft still checks; one ajv cannot compile is left to the server', async () => {
    const { argumentChecker } = await import('../../src/tools/schema.js');
    const check = await argumentChecker();
    const schema = { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', properties: { a: { type: 'number' } }, required: ['a'] };
    expect(check(schema, { a: 1 })).toEqual([]);
    expect(check(schema, { a: 'x' })).toEqual(['arguments/a must be number']);
    expect(check(schema, {})).toEqual(["arguments must have required property 'a'"]);
    expect(check({ type: 'object', properties: { a: { $ref: '#/nowhere' } } }, { a: 1 })).toEqual([]);
  });
});
