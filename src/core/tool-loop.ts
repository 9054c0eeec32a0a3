/**
 * The tool loop: the pipeline run round after round while the model calls tools. Each call's arguments are
 * checked against its tool's schema before it runs (invalid → an error result to the model, never a run),
 * approved, run, and its result (truncated to a cap) sent back; `--max-tool-rounds` and `--max-cost` bound the
 * whole loop. Like the pipeline it prints nothing: rounds and calls are told to the sinks as events.
 */
import { addCosts } from '../accounting/cost.js';
import { type ChatMessage, GptError, type TextCounter, type ToolCall, type Usage, addUsage } from '../domain/index.js';
import type { Tool, ToolResult } from '../tools/types.js';
import type { PromptResult, PromptSink, ToolCallRecord } from './events.js';
import { type PipelineDeps, type PromptOutcome, type PromptSpec, runPipeline } from './pipeline.js';

export const DEFAULT_MAX_TOOL_ROUNDS = 8;
export const DEFAULT_MAX_RESULT_TOKENS = 20_000;

export interface ToolLoopSpec {
  tools: Tool[];
  maxRounds: number;
  maxResultTokens: number;
}

export interface ToolLoopDeps extends PipelineDeps {
  /** Asks whether a call may run (false: declined, told to the model); throws to stop the loop (no TTY, no --yes). */
  approve(tool: Tool, call: ToolCall, args: Record<string, unknown>, signal?: AbortSignal): Promise<boolean>;
  /** The problems of `value` against `schema` (empty when it conforms). */
  checkArguments(schema: Record<string, unknown>, value: unknown): string[];
}

interface Loop {
  messages: ChatMessage[];
  rounds: PromptResult[];
  calls: ToolCallRecord[];
  startedAt: number;
}

/** Runs the prompt, and the tools it calls, to a final answer; failures are returned, never thrown (like runPipeline). */
export async function runToolLoop(prompt: PromptSpec, spec: ToolLoopSpec, deps: ToolLoopDeps): Promise<PromptOutcome> {
  const loop: Loop = { messages: [...prompt.messages], rounds: [], calls: [], startedAt: deps.clock.now() };
  const tools = spec.tools.map(({ name, description, parameters }) => ({ name, description, parameters }));
  for (let round = 1; ; round++) {
    const spent = totalCost(loop).total_usd;
    if (prompt.maxCost !== undefined && round > 1 && spent >= prompt.maxCost) {
      return fail(loop, deps, new GptError('budget', `stopped before tool round ${round}: the loop has cost ~$${spent.toFixed(6)}, --max-cost $${prompt.maxCost}`));
    }
    const outcome = await runPipeline(
      { ...prompt, messages: loop.messages, tools, ...(prompt.maxCost !== undefined ? { maxCost: Math.max(0, prompt.maxCost - spent) } : {}) },
      { ...deps, emit: roundSink(deps.emit, round) },
    );
    loop.rounds.push(outcome.result);
    const calls = outcome.result.calls ?? [];
    if (outcome.error !== undefined || calls.length === 0) return finish(loop, deps, outcome.error);
    if (round >= spec.maxRounds) {
      return fail(loop, deps, new GptError('api', `the model still called tools after ${spec.maxRounds} rounds (--max-tool-rounds ${spec.maxRounds}); stopped`, { code: 'max_tool_rounds' }));
    }
    loop.messages.push({ role: 'assistant', content: outcome.result.text, toolCalls: calls });
    try {
      for (const call of calls) {
        loop.messages.push({ role: 'tool', toolCallId: call.id, content: await runCall(call, spec, deps, loop) });
        if (deps.signal?.aborted) return fail(loop, deps, new GptError('interrupted', 'interrupted'));
      }
    } catch (error) {
      return fail(loop, deps, error);
    }
  }
}

/** Passes a round's events on, but its end becomes a `round` event: the loop tells the end of the whole. */
function roundSink(emit: PromptSink, round: number): PromptSink {
  return (event) => {
    if (event.type === 'finished' || event.type === 'failed') return emit({ type: 'round', round, result: event.result });
    return emit(event);
  };
}

/** One call: parsed, checked, approved, run; the text to send back (an error result when any step fails). */
async function runCall(call: ToolCall, spec: ToolLoopSpec, deps: ToolLoopDeps, loop: Loop): Promise<string> {
  const started = deps.clock.now();
  const tool = spec.tools.find((t) => t.name === call.name);
  const parsed = parseArguments(call.arguments);
  let result: ToolResult;
  if (!tool) result = { ok: false, output: `error: there is no tool named ${JSON.stringify(call.name)} (tools: ${spec.tools.map((t) => t.name).join(', ')})` };
  else if ('error' in parsed) result = { ok: false, output: `error: the arguments are not a JSON object: ${parsed.error}` };
  else {
    const problems = deps.checkArguments(tool.parameters, parsed.value);
    if (problems.length > 0) result = { ok: false, output: `error: invalid arguments: ${problems.slice(0, 5).join('; ')}` };
    else if (!(await deps.approve(tool, call, parsed.value, deps.signal))) result = { ok: false, output: 'error: the user declined to run this call' };
    else result = await tool.invoke(parsed.value, deps.signal);
  }
  const record: ToolCallRecord = { name: call.name, arguments: 'error' in parsed ? call.arguments : parsed.value, ok: result.ok, ms: Math.round(deps.clock.now() - started) };
  loop.calls.push(record);
  await deps.emit({ type: 'tool', call: record, summary: shortArguments(call.arguments) });
  const output = await capped(result.output, spec.maxResultTokens, deps.counter);
  return result.ok ? output : output.startsWith('error: ') ? output : `error: ${output}`;
}

function parseArguments(text: string): { value: Record<string, unknown> } | { error: string } {
  try {
    const value: unknown = JSON.parse(text === '' ? '{}' : text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return { error: 'not an object' };
    return { value: value as Record<string, unknown> };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** Arguments on one short line for the activity line. */
export function shortArguments(text: string, max = 60): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** A result over `maxTokens` is cut to about that many tokens, with a marker saying so. */
export async function capped(output: string, maxTokens: number, counter: () => Promise<TextCounter>): Promise<string> {
  if (output.length <= maxTokens) return output; // a token is at least one character
  const count = await counter();
  const total = count.count(output);
  if (total <= maxTokens) return output;
  let cut = output.slice(0, maxTokens * 4);
  while (cut.length > 0 && count.count(cut) > maxTokens) cut = cut.slice(0, Math.floor(cut.length * 0.9));
  return `${cut}\n[gpt: tool result truncated: ${count.count(cut)} of ${total} tokens shown]`;
}

function totalCost(loop: Loop) {
  const accounted = loop.rounds.filter((r) => r.accounted);
  return accounted.length === 0 ? { input_usd: 0, cached_input_usd: 0, output_usd: 0, total_usd: 0, priced: true } : accounted.map((r) => r.cost).reduce(addCosts);
}

/** The loop's result: the last answer, with the usage and cost of every round and the calls made. */
function combined(loop: Loop, deps: ToolLoopDeps): PromptResult {
  const last = loop.rounds.at(-1)!;
  const accounted = loop.rounds.filter((r) => r.accounted);
  const usage = accounted.length === 0 ? last.usage : accounted.map((r) => r.usage).reduce(addUsage);
  const { calls: _calls, ...rest } = last;
  return {
    ...rest,
    usage,
    cost: accounted.length === 0 ? last.cost : totalCost(loop),
    accounted: accounted.length > 0,
    latency: { ...last.latency, totalMs: deps.clock.now() - loop.startedAt },
    tools: { rounds: loop.rounds.length, calls: loop.calls },
  };
}

async function finish(loop: Loop, deps: ToolLoopDeps, error: unknown): Promise<PromptOutcome> {
  const result = combined(loop, deps);
  // A schema check after the answer fails the prompt, but the answer itself came: it ends as `finished`.
  const schemaFailure = error instanceof GptError && error.details.code === 'schema_validation';
  await deps.emit(error === undefined || schemaFailure ? { type: 'finished', result } : { type: 'failed', error, result });
  return error === undefined ? { result } : { result, error };
}

async function fail(loop: Loop, deps: ToolLoopDeps, error: unknown): Promise<PromptOutcome> {
  const result = combined(loop, deps);
  await deps.emit({ type: 'failed', error, result });
  return { result, error };
}
