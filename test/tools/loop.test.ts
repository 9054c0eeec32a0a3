/** The tool loop end to end: the built CLI against the loopback server scripting tool calls, both APIs, streamed and not. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runGpt } from '../support/in-process.js';
import { useMockServer } from '../support/fixture.js';
import { TOOL_KEY, toolKit, weatherTool } from './support.js';

const KEY = TOOL_KEY;
const server = useMockServer();
const { newHome, gpt } = toolKit(runGpt, server);

function setup() {
  const home = newHome();
  return { home, tool: weatherTool(join(home, '.config/gpt/mine')), marker: join(home, '.config/gpt/mine', 'weather.ran') };
}

const bodies = () => server.requests.filter((r) => /\/(chat\/completions|responses)$/.test(r.path)).map((r) => r.body as Record<string, any>);

describe('chat completions', () => {
  it('streamed: two parallel calls whose arguments arrive in pieces; results go back by id; only the final answer on stdout', async () => {
    const { home, tool } = setup();
    server.enqueue(
      { kind: 'answer', toolCalls: [{ id: 'call_a', name: 'weather', chunks: ['{"ci', 'ty": "Ly', 'on"}'] }, { id: 'call_b', name: 'weather', chunks: ['{"city"', ':"Paris"}'] }], usage: { prompt_tokens: 100, completion_tokens: 20 } },
      { kind: 'answer', text: 'Take an umbrella.', usage: { prompt_tokens: 150, completion_tokens: 5 } },
    );
    const r = await gpt(home, ['chat', '-m', 'gpt-5.2', '-T', tool, '--yes', 'Umbrella in Lyon?']);
    expect(r.stderr).not.toMatch(/internal/);
    expect([r.code, r.stdout]).toEqual([0, 'Take an umbrella.']);
    const [first, second] = bodies();
    expect(first!.tools).toEqual([{ type: 'function', function: { name: 'weather', description: 'The weather forecast for a city', parameters: expect.objectContaining({ required: ['city'] }) } }]);
    expect(first!.tool_choice).toBe('auto');
    expect(second!.messages.slice(1)).toEqual([
      { role: 'assistant', content: null, tool_calls: [
        { id: 'call_a', type: 'function', function: { name: 'weather', arguments: '{"city": "Lyon"}' } },
        { id: 'call_b', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
      ] },
      { role: 'tool', tool_call_id: 'call_a', content: 'rain in Lyon' },
      { role: 'tool', tool_call_id: 'call_b', content: 'rain in Paris' },
    ]);
    expect(r.stderr).toMatch(/^tool weather \{"city": "Lyon"\} · \d+ ms · ok$/m);
    expect(r.stderr).toMatch(/^tool weather \{"city":"Paris"\} · \d+ ms · ok$/m);
    expect(r.stderr).toMatch(/^2 rounds · gpt-5\.2 · 250 in · 25 out · \$/m);
  });

  it('not streamed: --json gains rounds and tool_calls; the usage log has one record per request', async () => {
    const { home, tool } = setup();
    server.enqueue({ kind: 'answer', toolCalls: [{ name: 'weather', arguments: '{"city":"Lyon"}' }], usage: { prompt_tokens: 10, completion_tokens: 2 } }, { kind: 'answer', text: 'Yes.', usage: { prompt_tokens: 20, completion_tokens: 1 } });
    const r = await gpt(home, ['chat', '-m', 'gpt-5.2', '--no-stream', '--json', '-T', tool, '--yes', 'Umbrella?']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ text: 'Yes.', rounds: 2, usage: { input_tokens: 30, output_tokens: 3 }, tool_calls: [{ name: 'weather', arguments: { city: 'Lyon' }, ok: true }] });
    expect(typeof out.tool_calls[0].ms).toBe('number');
    expect(bodies()[1]!.messages.at(-1)).toEqual({ role: 'tool', tool_call_id: 'call_0', content: 'rain in Lyon' });
    const log = readFileSync(join(home, '.local/state/gpt/usage.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(log.map((l) => l.usage.input_tokens)).toEqual([10, 20]);
  });

  it('invalid arguments and an unknown tool are error results to the model, never a run', async () => {
    const { home, tool, marker } = setup();
    server.enqueue(
      { kind: 'answer', toolCalls: [{ id: 'c1', name: 'weather', arguments: '{"town":"Lyon"}' }, { id: 'c2', name: 'rm_rf', arguments: '{}' }, { id: 'c3', name: 'weather', arguments: '{not json' }] },
      { kind: 'answer', text: 'Sorry.' },
    );
    const r = await gpt(home, ['chat', '-T', tool, '--yes', '--json', 'Umbrella?']);
    expect(r.code).toBe(0);
    expect(existsSync(marker)).toBe(false);
    const replies = bodies()[1]!.messages.filter((m: any) => m.role === 'tool');
    expect(replies.map((m: any) => m.tool_call_id)).toEqual(['c1', 'c2', 'c3']);
    expect(replies[0].content).toMatch(/^error: invalid arguments: .*city/);
    expect(replies[1].content).toMatch(/^error: there is no tool named "rm_rf"/);
    expect(replies[2].content).toMatch(/^error: the arguments are not a JSON object/);
    expect(JSON.parse(r.stdout).tool_calls.map((c: any) => c.ok)).toEqual([false, false, false]);
  });

  it('a tool that fails (exit ≠ 0) sends its error back; the loop goes on', async () => {
    const { home } = setup();
    const failing = weatherTool(join(home, '.config/gpt/f'), { command: [process.execPath, '-e', 'process.stderr.write("no network");process.exit(3)'] });
    server.enqueue({ kind: 'answer', toolCalls: [{ name: 'weather', arguments: '{"city":"Lyon"}' }] }, { kind: 'answer', text: 'Unknown.' });
    const r = await gpt(home, ['chat', '-T', failing, '--yes', 'Umbrella?']);
    expect([r.code, r.stdout]).toEqual([0, 'Unknown.']);
    expect(bodies()[1]!.messages.at(-1).content).toBe('error: the tool failed (exit 3): no network');
    expect(r.stderr).toMatch(/^tool weather .* · error$/m);
  });

  it('--max-tool-rounds: a model that keeps calling is stopped with exit 7 and the transcript', async () => {
    const { home, tool, marker } = setup();
    server.setDefault({ kind: 'answer', toolCalls: [{ name: 'weather', arguments: '{"city":"Lyon"}' }] });
    const r = await gpt(home, ['chat', '-T', tool, '--yes', '--max-tool-rounds', '2', '--json', 'loop']);
    expect(r.code).toBe(7);
    expect(r.stderr).toMatch(/the model still called tools after 2 rounds \(--max-tool-rounds 2\)/);
    expect(bodies()).toHaveLength(2);
    expect(readFileSync(marker, 'utf8').trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ finish_reason: 'error', rounds: 2, tool_calls: [{ name: 'weather', ok: true }] });
  });

  it('--max-cost bounds the whole loop: checked before each round (exit 6)', async () => {
    const { home, tool } = setup();
    // gpt-5.2 input is $1.75/M: 100k tokens is $0.175, over a $0.1 cap once spent.
    server.enqueue({ kind: 'answer', toolCalls: [{ name: 'weather', arguments: '{"city":"Lyon"}' }], usage: { prompt_tokens: 100_000, completion_tokens: 10 } });
    const r = await gpt(home, ['chat', '-m', 'gpt-5.2', '-T', tool, '--yes', '--max-cost', '0.1', 'hi']);
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/stopped before tool round 2: the loop has cost ~\$0\.17\d+, --max-cost \$0\.1/);
    expect(bodies()).toHaveLength(1);
  });

  it('no terminal and no --yes: the call is refused with exit 2, the tool never runs', async () => {
    const { home, tool, marker } = setup();
    server.enqueue({ kind: 'answer', toolCalls: [{ name: 'weather', arguments: '{"city":"Lyon"}' }] });
    const r = await gpt(home, ['chat', '-T', tool, 'Umbrella?']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^gpt: the model wants to run tool weather, and there is no terminal to ask: pass --yes to allow tool calls$/m);
    expect(existsSync(marker)).toBe(false);
  });

  it('a long result is truncated to tools.maxResultTokens with a marker', async () => {
    const { home, tool } = setup();
    const { writeFileSync, mkdirSync } = await import('node:fs');
    mkdirSync(join(home, '.config/gpt'), { recursive: true });
    writeFileSync(join(home, '.config/gpt/config.yaml'), 'tools:\n  maxResultTokens: 3\n');
    server.enqueue({ kind: 'answer', toolCalls: [{ name: 'weather', arguments: '{"city":"Lyon and all of the Rhône valley down to the sea"}' }] }, { kind: 'answer', text: 'ok' });
    const r = await gpt(home, ['chat', '-T', tool, '--yes', 'x']);
    expect(r.code).toBe(0);
    expect(bodies()[1]!.messages.at(-1).content).toMatch(/^rain in Lyon[^\n]*\n\[gpt: tool result truncated: \d of \d+ tokens shown\]$/);
  });
});

describe('with other options', () => {
  it('--schema checks only the final answer; -q shows no tool lines and no footer', async () => {
    const { home, tool } = setup();
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(home, 'answer.json'), JSON.stringify({ type: 'object', properties: { umbrella: { type: 'boolean' } }, required: ['umbrella'], additionalProperties: false }));
    server.enqueue({ kind: 'answer', toolCalls: [{ name: 'weather', arguments: '{"city":"Lyon"}' }] }, { kind: 'answer', text: '{"umbrella":true}' });
    const r = await gpt(home, ['chat', '-q', '--schema', 'answer.json', '-T', tool, '--yes', 'Umbrella?']);
    expect([r.code, r.stdout, r.stderr]).toEqual([0, '{"umbrella":true}', '']);
    expect(bodies()[0]!.response_format).toMatchObject({ type: 'json_schema' });
  });
});

describe('responses API', () => {
  for (const stream of [true, false]) {
    it(`${stream ? 'streamed' : 'not streamed'}: function_call items in, function_call_output items back`, async () => {
      const { home, tool } = setup();
      server.enqueue(
        { kind: 'answer', toolCalls: [{ id: 'fc_1', name: 'weather', chunks: ['{"city":', '"Lyon"}'] }, { id: 'fc_2', name: 'weather', arguments: '{"city":"Nice"}' }] },
        { kind: 'answer', text: 'Umbrella: yes.' },
      );
      const r = await gpt(home, ['chat', '--api', 'responses', ...(stream ? [] : ['--no-stream']), '-T', tool, '--yes', 'Umbrella?']);
      expect([r.code, r.stdout]).toEqual([0, 'Umbrella: yes.']);
      const [first, second] = bodies();
      expect(first!.tools).toEqual([expect.objectContaining({ type: 'function', name: 'weather', parameters: expect.any(Object) })]);
      expect(second!.input).toEqual([
        { role: 'user', content: 'Umbrella?' },
        { type: 'function_call', call_id: 'fc_1', name: 'weather', arguments: '{"city":"Lyon"}' },
        { type: 'function_call', call_id: 'fc_2', name: 'weather', arguments: '{"city":"Nice"}' },
        { type: 'function_call_output', call_id: 'fc_1', output: 'rain in Lyon' },
        { type: 'function_call_output', call_id: 'fc_2', output: 'rain in Nice' },
      ]);
    });
  }
});

describe('offline', () => {
  it('the simulate profile calls the first tool with arguments from its schema, then answers', async () => {
    const { home, tool, marker } = setup();
    const r = await gpt(home, ['chat', '-p', 'simulate', '-T', tool, '--yes', '--json', 'Umbrella in Lyon?']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.rounds).toBe(2);
    expect(out.tool_calls).toEqual([expect.objectContaining({ name: 'weather', ok: true, arguments: { city: expect.any(String) } })]);
    expect(existsSync(marker)).toBe(true);
    expect(server.requests).toHaveLength(0);
    const again = await gpt(home, ['chat', '-p', 'simulate', '-T', tool, '--yes', '--json', 'Umbrella in Lyon?']);
    expect(JSON.parse(again.stdout).tool_calls[0].arguments).toEqual(out.tool_calls[0].arguments);
  });
});
