/**
 * The one-prompt pipeline: messages → provider events → an answer with usage (reported, or counted here),
 * cost and latency, under the budget. It prints nothing and reads no real clock: its provider, clock, abort
 * signal and sinks are parameters, and what happens is told to the sinks as events (events.ts).
 */
import { type ChatMessage, type Clock, type GenerationOptions, GptError, type TextCounter, type ToolCall, type ToolSpec, type Usage, countedUsage } from '../domain/index.js';
import { modelTypoHint } from '../accounting/models.js';
import type { Provider, ProviderEvent } from '../providers/types.js';
import { type ModelFacts, answerCost, checkBeforeSending, countedInputTokens, spendMeter } from './budget.js';
import type { PromptEvent, PromptResult, PromptSink } from './events.js';
import { validateAnswer } from './schema.js';

export interface PromptSpec {
  model: string;
  /** The conversation so far, system prompt first; the last message is the new turn. */
  messages: ChatMessage[];
  options: GenerationOptions;
  /** Output length the simulate provider should produce (a template's `expect.output_tokens`). */
  expectedOutputTokens?: number;
  /** Refuse, or stop the answer, before spending more than this many USD. */
  maxCost?: number;
  /** Check the answer against `options.schema` when there is one. */
  validate: boolean;
  /** Functions offered to the model (core/tool-loop.ts runs the calls). */
  tools?: ToolSpec[];
}

export interface PipelineDeps {
  provider: Provider;
  /** Price and context window of the model asked for. */
  facts: ModelFacts;
  /** The model's tokenizer, loaded only when something must be counted. */
  counter: () => Promise<TextCounter>;
  /** Milliseconds on a monotonic clock, for latency. */
  clock: Pick<Clock, 'now'>;
  /** Aborting it stops the answer: the result is 'interrupted', with what came before it accounted. */
  signal?: AbortSignal;
  emit: PromptSink;
}

/** How a prompt ended: its result, and the error when it failed (the result then holds the part that came). */
export interface PromptOutcome {
  result: PromptResult;
  error?: unknown;
}

/** What one provider answer leaves behind as its events arrive. */
interface Collected {
  text: string;
  model: string;
  usage?: Usage;
  providerCostUsd?: number;
  finishReason: string;
  firstTextAt?: number;
  lastTextAt?: number;
  calls?: ToolCall[];
}

type Meter = (text: string) => GptError | undefined;

/** Runs one prompt to its end; failures are returned in the outcome (and told as a `failed` event), never thrown. */
export async function runPipeline(prompt: PromptSpec, deps: PipelineDeps): Promise<PromptOutcome> {
  const controller = new AbortController();
  const forward = () => controller.abort();
  if (deps.signal?.aborted) forward();
  deps.signal?.addEventListener('abort', forward, { once: true });
  try {
    return await answer(prompt, deps, controller);
  } finally {
    deps.signal?.removeEventListener('abort', forward);
  }
}

async function answer(prompt: PromptSpec, deps: PipelineDeps, controller: AbortController): Promise<PromptOutcome> {
  const collected: Collected = { text: '', model: prompt.model, finishReason: 'unknown' };
  let countedInput: number | undefined;
  let meter: Meter | undefined;
  const startedAt = deps.clock.now();
  try {
    countedInput = await checkBeforeSending({ ...prompt, maxOutputTokens: prompt.options.maxOutputTokens }, deps.facts, deps.counter);
    if (!deps.facts.price) deps.emit({ type: 'warning', message: `no price known for model '${prompt.model}'${modelTypoHint(prompt.model)}: cost will show as unknown (add pricing.${prompt.model} to your config)` });
    if (prompt.maxCost !== undefined && deps.facts.price) meter = spendMeter(await deps.counter(), deps.facts.price, countedInput ?? 0, prompt.maxCost);
  } catch (error) {
    return end(prompt, deps, { collected, startedAt, failure: error });
  }
  await deps.emit({ type: 'started', model: prompt.model });
  const sentAt = deps.clock.now();
  const failure = await collect(prompt, deps, controller, meter, collected);
  const outcome = await end(prompt, deps, { collected, startedAt: sentAt, failure, countedInput });
  // A stopped answer, or a reader that left during the last writes: nothing to warn about or validate.
  if (outcome.error !== undefined || controller.signal.aborted) return outcome;
  return afterAnswer(prompt, deps, outcome.result);
}

/** Streams the provider's answer into `collected`; returns the failure that ended it, if any. */
async function collect(prompt: PromptSpec, deps: PipelineDeps, controller: AbortController, meter: Meter | undefined, collected: Collected): Promise<unknown> {
  const { model, messages, options, expectedOutputTokens, tools } = prompt;
  try {
    for await (const event of deps.provider.stream({ model, messages, options, signal: controller.signal, expectedOutputTokens, ...(tools?.length ? { tools } : {}) })) {
      if (event.type !== 'text') {
        take(event, collected, deps.emit);
        continue;
      }
      const now = deps.clock.now();
      collected.firstTextAt ??= now;
      collected.lastTextAt = now;
      collected.text += event.text;
      deps.emit(event);
      const over = meter?.(event.text);
      if (over) {
        controller.abort();
        return over;
      }
    }
    return undefined;
  } catch (error) {
    // Our own abort (Ctrl-C, a reader that left) surfaces as whatever the request was doing: call it an interruption.
    return error instanceof GptError && controller.signal.aborted ? new GptError('interrupted', 'interrupted') : error;
  }
}

/** Every provider event but text: what it says is kept, or passed on to the sinks. */
function take(event: Exclude<ProviderEvent, { type: 'text' }>, collected: Collected, emit: PromptSink): void {
  switch (event.type) {
    case 'model':
      collected.model = event.model;
      break;
    case 'usage':
      collected.usage = event.usage;
      collected.providerCostUsd = event.providerCostUsd;
      break;
    case 'finish':
      collected.finishReason = event.reason;
      break;
    case 'tool_calls':
      collected.calls = event.calls;
      break;
    case 'retry':
      emit({ type: 'retry', attempt: event.attempt, delayMs: event.delayMs, reason: event.reason });
      break;
    case 'warning':
      emit(event);
      break;
    default:
      break;
  }
}

interface Ending {
  collected: Collected;
  startedAt: number;
  failure: unknown;
  countedInput?: number;
}

/** Accounts for the answer (reported usage, else counted here), tells the sinks how it ended and returns the outcome. */
async function end(prompt: PromptSpec, deps: PipelineDeps, { collected, startedAt, failure, countedInput }: Ending): Promise<PromptOutcome> {
  // Nothing reached the model when the failure came before any answer: then there is nothing to account.
  const answered = collected.text !== '' || collected.usage !== undefined || collected.calls !== undefined;
  let usage = collected.usage;
  if (!usage && (answered || failure === undefined)) {
    const counter = await deps.counter();
    // Messages, images by their formula and the functions offered (the API's reported usage, when it came, wins).
    usage = countedUsage(counter, prompt.messages, collected.text, true, countedInput ?? countedInputTokens(counter, prompt));
  }
  const { firstTextAt, lastTextAt } = collected;
  const shown = usage ?? noUsage();
  const result: PromptResult = {
    text: collected.text,
    model: collected.model,
    usage: shown,
    cost: answerCost(shown, deps.facts.price, collected.providerCostUsd),
    finishReason: collected.finishReason,
    accounted: usage !== undefined,
    latency: {
      totalMs: deps.clock.now() - startedAt,
      firstTokenMs: firstTextAt !== undefined ? firstTextAt - startedAt : null,
      ...(firstTextAt !== undefined && lastTextAt !== undefined ? { generationMs: lastTextAt - firstTextAt } : {}),
    },
    ...(collected.calls ? { calls: collected.calls } : {}),
  };
  const event: PromptEvent = failure === undefined ? { type: 'finished', result } : { type: 'failed', error: failure, result };
  await deps.emit(event);
  return failure === undefined ? { result } : { result, error: failure };
}

/** The usage of a prompt that never reached the model. */
const noUsage = (): Usage => ({ input_tokens: 0, cached_input_tokens: 0, output_tokens: 0, reasoning_tokens: 0, total_tokens: 0, estimated: true });

/** After a complete answer: say when it was cut at the output limit, and check it against its schema. */
async function afterAnswer(prompt: PromptSpec, deps: PipelineDeps, result: PromptResult): Promise<PromptOutcome> {
  if (result.finishReason === 'length') deps.emit({ type: 'warning', message: 'the answer was cut off at the output token limit (--max-output-tokens)' });
  if (result.calls?.length && !prompt.tools?.length) {
    const names = [...new Set(result.calls.map((c) => c.name))].slice(0, 5).join(', ');
    deps.emit({ type: 'warning', message: `the API asked to call ${names} though no tools were offered; not run (offer tools with -T or --mcp)` });
  }
  const schema = prompt.options.schema;
  // A round that called tools is not the answer yet: only the final one is checked.
  if (!schema || !prompt.validate || result.calls) return { result };
  const problems = await validateAnswer(result.text, schema);
  if (problems.length === 0) return { result };
  const error = new GptError('api', `the answer does not match schema ${schema.name}: ${problems.slice(0, 5).join('; ')} (use --no-validate to accept it anyway)`, { code: 'schema_validation' });
  return { result, error };
}
