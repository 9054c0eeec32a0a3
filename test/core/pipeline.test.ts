/**
 * The one-prompt pipeline in-process: a scripted provider (an async generator of ProviderEvents), a clock that only
 * moves when the script says so, and a word-counting tokenizer, so every figure below can be worked out by hand.
 */
import { describe, expect, it } from 'vitest';
import type { PromptEvent } from '../../src/core/events.js';
import { type PipelineDeps, type PromptSpec, runPipeline } from '../../src/core/pipeline.js';
import { type ChatMessage, GptError, type Price, type TextCounter } from '../../src/domain/index.js';
import type { Provider, ProviderEvent, ProviderRequest } from '../../src/providers/types.js';

/** One token per word; a chat costs its words plus 3 per message plus 3 (the cookbook's shape, smaller). */
const words = (text: string) => text.split(/\s+/).filter(Boolean).length;
const counter: TextCounter = {
  count: words,
  countChat: (messages) => messages.reduce((n, m) => n + words(m.content) + 3, 3),
};

/** $1 per input token, $2 per output token: costs read as token counts. */
const PRICE: Price = { input: 1_000_000, cachedInput: null, output: 2_000_000, batchInput: null, batchOutput: null };

type Step = ProviderEvent | { advance: number } | { fail: Error } | 'wait-for-abort';

class Clock {
  time = 1000;
  now(): number {
    return this.time;
  }
}

/** A provider that plays `steps`; 'wait-for-abort' hangs until the request's signal aborts, then fails as a request would. */
function scripted(steps: Step[], clock: Clock): Provider & { requests: ProviderRequest[]; played: number } {
  const provider = {
    requests: [] as ProviderRequest[],
    played: 0,
    async *stream(request: ProviderRequest): AsyncGenerator<ProviderEvent> {
      provider.requests.push(request);
      for (const step of steps) {
        provider.played++;
        if (step === 'wait-for-abort') {
          await new Promise((_, reject) => {
            const fail = () => reject(new GptError('api', 'the request was aborted', { code: 'aborted' }));
            if (request.signal!.aborted) fail();
            else request.signal!.addEventListener('abort', fail, { once: true });
          });
        } else if ('advance' in step) clock.time += step.advance;
        else if ('fail' in step) throw step.fail;
        else yield step;
      }
    },
  };
  return provider;
}

const text = (t: string): ProviderEvent => ({ type: 'text', text: t });
const usage = (input: number, output: number, providerCostUsd?: number): ProviderEvent => ({
  type: 'usage',
  usage: { input_tokens: input, cached_input_tokens: 0, output_tokens: output, reasoning_tokens: 0, total_tokens: input + output, estimated: false },
  ...(providerCostUsd !== undefined ? { providerCostUsd } : {}),
});

const MESSAGES: ChatMessage[] = [
  { role: 'system', content: 'be brief' },
  { role: 'user', content: 'say three words' },
];
// 3 + (2 + 3) + (3 + 3)
const INPUT_TOKENS = 14;

interface Run {
  events: PromptEvent[];
  counterLoads: number;
  provider: ReturnType<typeof scripted>;
  outcome: Awaited<ReturnType<typeof runPipeline>>;
}

async function run(steps: Step[], spec: Partial<PromptSpec> = {}, more: Partial<PipelineDeps> & { onEvent?: (e: PromptEvent) => void } = {}): Promise<Run> {
  const clock = new Clock();
  const provider = scripted(steps, clock);
  const events: PromptEvent[] = [];
  let counterLoads = 0;
  const outcome = await runPipeline(
    { model: 'test-model', messages: MESSAGES, options: {}, validate: true, ...spec },
    {
      provider,
      facts: { price: PRICE, contextWindow: 1000 },
      counter: async () => {
        counterLoads++;
        return counter;
      },
      clock,
      emit: (event) => {
        events.push(event);
        more.onEvent?.(event);
      },
      ...more,
    },
  );
  return { events, counterLoads, provider, outcome };
}

const types = (events: PromptEvent[]) => events.map((e) => e.type);

describe('the one-prompt pipeline', () => {
  it('accumulates the streamed text and keeps the usage and model the API reported', async () => {
    const { outcome, events, provider, counterLoads } = await run([
      { type: 'model', model: 'test-model-2026' },
      { advance: 200 },
      text('one '),
      { advance: 50 },
      text('two '),
      { advance: 50 },
      text('three'),
      { type: 'finish', reason: 'stop' },
      usage(20, 3),
    ]);
    expect(outcome.error).toBeUndefined();
    expect(types(events)).toEqual(['started', 'text', 'text', 'text', 'finished']);
    expect(events.filter((e) => e.type === 'text').map((e) => (e as { text: string }).text)).toEqual(['one ', 'two ', 'three']);
    const { result } = outcome;
    expect(result).toMatchObject({ text: 'one two three', model: 'test-model-2026', finishReason: 'stop', accounted: true });
    expect(result.usage).toEqual({ input_tokens: 20, cached_input_tokens: 0, output_tokens: 3, reasoning_tokens: 0, total_tokens: 23, estimated: false });
    expect(result.cost).toEqual({ input_usd: 20, cached_input_usd: 0, output_usd: 6, total_usd: 26, priced: true });
    expect(result.latency).toEqual({ totalMs: 300, firstTokenMs: 200, generationMs: 100 });
    expect(events.at(-1)).toEqual({ type: 'finished', result });
    expect(provider.requests[0]).toMatchObject({ model: 'test-model', messages: MESSAGES });
    expect(counterLoads).toBe(0); // reported usage and no budget: nothing to count
  });

  it('counts the usage locally, marked estimated, when the API reports none', async () => {
    const { outcome } = await run([text('alpha beta '), text('gamma'), { type: 'finish', reason: 'stop' }]);
    expect(outcome.result.usage).toEqual({ input_tokens: INPUT_TOKENS, cached_input_tokens: 0, output_tokens: 3, reasoning_tokens: 0, total_tokens: INPUT_TOKENS + 3, estimated: true });
    expect(outcome.result.cost.total_usd).toBe(INPUT_TOKENS + 6);
  });

  it('takes the cost the provider reported over the price table', async () => {
    const { outcome } = await run([text('hi'), usage(10, 1, 0.5)]);
    expect(outcome.result.cost).toMatchObject({ total_usd: 0.5, priced: true, source: 'provider', input_usd: 10, output_usd: 2 });
  });

  it('passes retries and provider warnings on to the sinks, and warns that an unpriced model has an unknown cost', async () => {
    const { events, outcome } = await run(
      [{ type: 'retry', attempt: 2, delayMs: 1500, reason: 'rate limited', status: 429 }, { type: 'warning', message: 'skipped a malformed frame' }, text('ok'), usage(1, 1)],
      {},
      { facts: { price: null, contextWindow: null } },
    );
    expect(events.slice(0, 4)).toEqual([
      { type: 'warning', message: "no price known for model 'test-model': cost will show as unknown (add pricing.test-model to your config)" },
      { type: 'started', model: 'test-model' },
      { type: 'retry', attempt: 2, delayMs: 1500, reason: 'rate limited' },
      { type: 'warning', message: 'skipped a malformed frame' },
    ]);
    expect(outcome.result.cost.priced).toBe(false);
  });

  it('--max-cost stops the answer once its running cost passes the limit, keeping the part that came (exit 6)', async () => {
    // Input: 14 tokens = $14. Each word out costs $2: the 4th word makes $22 > $21.
    const { outcome, events, provider } = await run([text('a '), text('b '), text('c '), text('d '), text('e '), text('f'), usage(99, 99)], { maxCost: 21 });
    expect(outcome.error).toBeInstanceOf(GptError);
    expect(outcome.error).toMatchObject({ kind: 'budget', exitCode: 6, message: 'stopped: the answer reached ~$22.00, over --max-cost $21.00' });
    expect(outcome.result.text).toBe('a b c d ');
    expect(provider.requests[0]!.signal!.aborted).toBe(true);
    expect(provider.played).toBe(4); // nothing read after the chunk that crossed the line
    expect(outcome.result).toMatchObject({ accounted: true, usage: { input_tokens: INPUT_TOKENS, output_tokens: 4, estimated: true } });
    expect(types(events)).toEqual(['started', 'text', 'text', 'text', 'text', 'failed']);
  });

  it('--max-cost refuses a prompt whose input alone is over, before anything is sent', async () => {
    const { outcome, events, provider } = await run([text('never')], { maxCost: 13 });
    expect(outcome.error).toMatchObject({ kind: 'budget', message: 'the prompt alone would cost $14.00 on test-model, over --max-cost $13.00; nothing was sent' });
    expect(provider.requests).toHaveLength(0);
    expect(types(events)).toEqual(['failed']);
    expect(outcome.result.accounted).toBe(false);
  });

  it('counts the functions offered as input: in --max-cost before sending, and in the local count', async () => {
    // Their JSON, one token per word here: `[{"name":"weather","description":"the`, `weather`, `in`, `a`, `city","parameters":{}}]`.
    const tools = [{ name: 'weather', description: 'the weather in a city', parameters: {} }];
    const local = await run([text('alpha'), { type: 'finish', reason: 'stop' }], { tools });
    expect(local.outcome.result.usage).toMatchObject({ input_tokens: INPUT_TOKENS + 5, output_tokens: 1, estimated: true });
    // $14 of messages (and $2 of answer) pass a $16.50 cap alone; with the functions ($19) it is refused, nothing sent.
    expect((await run([text("ok"), usage(1, 1)], { maxCost: 16.5 })).outcome.error).toBeUndefined();
    const refused = await run([text("never")], { maxCost: 16.5, tools });
    expect(refused.outcome.error).toMatchObject({ kind: 'budget', message: 'the prompt alone would cost $19.00 on test-model, over --max-cost $16.50; nothing was sent' });
    expect(refused.provider.requests).toHaveLength(0);
  });

  it('warns (and runs nothing) when the API asks for calls though no tools were offered', async () => {
    const calls = [{ id: 'c1', name: 'rm_rf', arguments: '{}' }, { id: 'c2', name: 'rm_rf', arguments: '{}' }];
    const { outcome, events } = await run([text('done'), { type: 'tool_calls', calls }, { type: 'finish', reason: 'tool_calls' }, usage(1, 1)]);
    expect(outcome.error).toBeUndefined();
    expect(events).toContainEqual({ type: 'warning', message: 'the API asked to call rm_rf though no tools were offered; not run (offer tools with -T or --mcp)' });
    const offered = await run([{ type: 'tool_calls', calls }, { type: 'finish', reason: 'tool_calls' }, usage(1, 1)], { tools: [{ name: 'rm_rf', description: 'x', parameters: {} }] });
    expect(offered.events.filter((e) => e.type === 'warning')).toEqual([]);
  });

  it('an abort mid-answer is an interruption: the partial text is kept and its usage counted (estimated)', async () => {
    const abort = new AbortController();
    const { outcome, events } = await run([text('first '), text('second '), 'wait-for-abort', text('never')], {}, {
      signal: abort.signal,
      onEvent: (event) => {
        if (event.type === 'text' && event.text === 'second ') abort.abort();
      },
    });
    expect(outcome.error).toBeInstanceOf(GptError);
    expect((outcome.error as GptError).kind).toBe('interrupted');
    expect(outcome.result).toMatchObject({ text: 'first second ', accounted: true, usage: { input_tokens: INPUT_TOKENS, output_tokens: 2, estimated: true } });
    expect(events.at(-1)).toMatchObject({ type: 'failed', error: outcome.error, result: outcome.result });
  });

  it('a failure before any text accounts for nothing (nothing reached the model)', async () => {
    const refused = new GptError('auth', 'invalid API key', { status: 401 });
    const { outcome, events, counterLoads } = await run([{ fail: refused }]);
    expect(outcome.error).toBe(refused);
    expect(outcome.result).toMatchObject({ text: '', accounted: false, usage: { input_tokens: 0, output_tokens: 0 }, cost: { total_usd: 0 } });
    expect(types(events)).toEqual(['started', 'failed']);
    expect(counterLoads).toBe(0);
  });

  it('a failure after some text keeps it and counts it', async () => {
    const reset = new GptError('api', 'connection reset', { code: 'ECONNRESET' });
    const { outcome } = await run([text('half an '), { fail: reset }]);
    expect(outcome.error).toBe(reset);
    expect(outcome.result).toMatchObject({ text: 'half an ', accounted: true, usage: { output_tokens: 2, estimated: true } });
  });

  it("says when the answer was cut off at the output limit (finish 'length'), after the result", async () => {
    const { outcome, events } = await run([text('cut'), { type: 'finish', reason: 'length' }, usage(5, 1)]);
    expect(outcome.error).toBeUndefined();
    expect(outcome.result.finishReason).toBe('length');
    expect(events.slice(-2)).toEqual([
      { type: 'finished', result: outcome.result },
      { type: 'warning', message: 'the answer was cut off at the output token limit (--max-output-tokens)' },
    ]);
  });

  describe('structured output', () => {
    const schema = { name: 'point', schema: { type: 'object', required: ['x'], properties: { x: { type: 'number' } } } };

    it('an answer that breaks the schema fails after it was shown, with the problems', async () => {
      const { outcome, events } = await run([text('{"x": "left"}'), usage(5, 3)], { options: { schema } });
      expect(types(events)).toEqual(['started', 'text', 'finished']);
      expect(outcome.result.text).toBe('{"x": "left"}');
      expect(outcome.error).toMatchObject({ kind: 'api', details: { code: 'schema_validation' } });
      expect((outcome.error as Error).message).toBe('the answer does not match schema point: /x must be number (use --no-validate to accept it anyway)');
    });

    it('a valid answer passes, and validate: false accepts an invalid one', async () => {
      expect((await run([text('{"x": 1}')], { options: { schema } })).outcome.error).toBeUndefined();
      expect((await run([text('not json')], { options: { schema }, validate: false })).outcome.error).toBeUndefined();
    });
  });

  it('awaits an async sink at the start and the end before going on', async () => {
    const seen: string[] = [];
    const clock = new Clock();
    await runPipeline(
      { model: 'm', messages: MESSAGES, options: {}, validate: true },
      {
        provider: scripted([text('x'), usage(1, 1)], clock),
        facts: { price: PRICE, contextWindow: null },
        counter: async () => counter,
        clock,
        emit: (event) => {
          seen.push(event.type);
          if (event.type === 'started' || event.type === 'finished') return new Promise<void>((r) => setTimeout(() => (seen.push(`${event.type} done`), r()), 5));
        },
      },
    );
    expect(seen).toEqual(['started', 'started done', 'text', 'finished', 'finished done']);
  });
});
