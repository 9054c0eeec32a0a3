/**
 * One item's way through a batch: prepare (messages, model, options, price) → estimate → send → validate
 * → record. The item carries what it sends and what came back, so no step has to find it again.
 */
import { costOf } from '../accounting/cost.js';
import { lookupModel } from '../accounting/models.js';
import { countedUsage, type TokenCounter } from '../accounting/tokenizer.js';
import { type ChatMessage, type Clock, type Cost, type GenerationOptions, GptError, type Price, type Usage, withDefaultSystem, type PricingOverride } from '../domain/index.js';
import type { Provider, ProviderEvent, ProviderRequest } from '../providers/types.js';
import { type BatchEntry, type BatchItem, type ResultError, type ResultLine, errorResult, isLineError } from './types.js';

/** Builds the messages of an item (a compiled template); default: its own `messages`, else its `prompt`. */
export type Render = (item: BatchItem) => ChatMessage[] | Promise<ChatMessage[]>;

/** Token counters by model (the tokenizer loads once per encoding). */
export type CounterFor = (model: string) => Promise<TokenCounter>;

/** Checks an answer against a JSON schema; returns the problems found (none: it matches). */
export type SchemaCheck = (text: string, schema: NonNullable<GenerationOptions['schema']>) => Promise<string[]>;

/** The messages an item carries itself; a template-only item needs a `Render`. */
export function defaultMessages(item: BatchItem): ChatMessage[] {
  if (item.messages) return item.messages;
  if (item.prompt !== undefined) return [{ role: 'user', content: item.prompt }];
  throw new GptError('usage', `line ${item.line}: has only template variables but no template was given`);
}

/** Prices by model from the built-in table with config `pricing` over it, looked up once per model. */
export function priceBook(pricing?: Record<string, PricingOverride>): (model: string) => Price | null {
  const prices = new Map<string, Price | null>();
  return (model) => {
    let price = prices.get(model);
    if (price === undefined) prices.set(model, (price = lookupModel(model, pricing).price));
    return price;
  };
}

/** An item ready to send: the line's model and options over the command's, its messages, and the price it pays. */
export interface PreparedItem {
  id: string;
  line: number;
  model: string;
  options: GenerationOptions;
  messages: ChatMessage[];
  /** Per-1M prices of the model; null when none is known (its cost is then unpriced). */
  price: Price | null;
}

/** What prepare needs from the command: its model and options, the template, and the price table. */
export interface PrepareBase {
  model: string;
  options: GenerationOptions;
  render?: Render;
  priceOf: (model: string) => Price | null;
}

/** Prepares an item as both modes send it; a render failure (a missing template variable) is the line's error. */
export async function prepareItem(entry: BatchItem, base: PrepareBase): Promise<PreparedItem | { error: string }> {
  const options = { ...base.options, ...entry.options };
  try {
    const messages = withDefaultSystem(base.render ? await base.render(entry) : defaultMessages(entry), options.system);
    const model = entry.model ?? base.model;
    return { id: entry.id, line: entry.line, model, options, messages, price: base.priceOf(model) };
  } catch (err) {
    if (!(err instanceof GptError)) throw err;
    return { error: err.message };
  }
}

export interface IntakeOptions {
  /** Stops the read at once, even while waiting on a slow input. */
  signal?: AbortSignal;
  /** Ids already ok in the output (resume): counted as skipped, never prepared. */
  skipIds?: ReadonlySet<string>;
  /** Every entry read, before anything else looks at it. */
  onRead?: (entry: BatchEntry) => void;
  onSkip: () => void;
  /** An entry that cannot be sent: its error line (written before the next entry is read). */
  onReject: (line: ResultLine) => Promise<void>;
  /** A reason to refuse an item before it is prepared (Batch API mode: a duplicate id in one file). */
  refuse?: (item: BatchItem) => string | undefined;
  prepare: PrepareBase;
}

const invalid = (id: string, message: string): ResultLine => errorResult(id, { status: null, type: 'invalid_line', message }, 0);

/** The items of the input, prepared; bad lines and resumed ids are dealt with on the way. Ends when `signal` aborts. */
export async function* intake(entries: AsyncIterable<BatchEntry>, o: IntakeOptions): AsyncGenerator<PreparedItem> {
  const iterator = entries[Symbol.asyncIterator]();
  const reader = stoppable(iterator, o.signal);
  let pendingNext = false;
  try {
    for (;;) {
      pendingNext = true;
      const next = await reader.next();
      if (next === undefined) return; // stopped with a next() still pending
      pendingNext = false;
      if (next.done) return;
      const entry = next.value;
      o.onRead?.(entry);
      if (isLineError(entry)) {
        await o.onReject(invalid(entry.id, entry.error));
        continue;
      }
      if (o.skipIds?.has(entry.id)) {
        o.onSkip();
        continue;
      }
      const refused = o.refuse?.(entry);
      const prepared = refused === undefined ? await prepareItem(entry, o.prepare) : { error: refused };
      if ('error' in prepared) await o.onReject(invalid(entry.id, prepared.error));
      else yield prepared;
    }
  } finally {
    reader.dispose();
    // A next() still pending (stopped mid-read) would make return() wait for it; close in the background then.
    if (pendingNext) void Promise.resolve(iterator.return?.()).catch(() => undefined);
    else await Promise.resolve(iterator.return?.()).catch(() => undefined);
  }
}

/**
 * The iterator's entries, each `next()` settled with undefined as soon as `signal` aborts: a stop must not
 * wait on a slow input (a pipe that stays open). One abort listener serves the whole read, not one an entry.
 */
export function stoppable<T>(iterator: AsyncIterator<T>, signal?: AbortSignal): { next(): Promise<IteratorResult<T> | undefined>; dispose(): void } {
  if (!signal) return { next: () => iterator.next(), dispose: () => undefined };
  let wake: ((stopped: undefined) => void) | undefined;
  const onStop = () => wake?.(undefined);
  signal.addEventListener('abort', onStop, { once: true });
  return {
    next() {
      if (signal.aborted) return Promise.resolve(undefined);
      return new Promise((resolve, reject) => {
        wake = resolve; // settling twice is a no-op: whichever of the entry and the stop comes first wins
        iterator.next().then(resolve, reject);
      });
    },
    dispose: () => signal.removeEventListener('abort', onStop),
  };
}

/** Expected tokens of one request, and what they would cost: what the budget and the TPM bucket hold back. */
export interface Estimate {
  input: number;
  output: number;
  usd: number;
}

/** What came back for an item: the answer, what it used and cost, and what the usage log notes. */
export interface Answer {
  text: string;
  usage: Usage;
  cost: Cost;
  /** The model the API says answered (often a dated snapshot of the one requested). */
  reportedModel?: string;
  latencyMs: number;
}

/** A live item from its start to its result line. */
export interface Work extends PreparedItem {
  estimate: Estimate;
  /** Tries so far, retries and restarts included. */
  attempts: number;
  answer?: Answer;
}

/** What the runner learns while an item streams. */
export interface StreamHooks {
  /** The x-ratelimit-* headers of an accepted request. */
  onRateLimit(headers: Record<string, string>): void;
  onRetry(event: Extract<ProviderEvent, { type: 'retry' }>, work: Work): void;
}

export interface SendContext {
  provider: Provider;
  clock: Clock;
  counterFor: CounterFor;
  signal: AbortSignal;
  /** Passed to the provider (the simulate provider's answer length). */
  expectedOutputTokens?: number;
}

/** Sends an item and prices what came back; usage the API did not report is counted here, marked estimated. */
export async function sendItem(work: Work, ctx: SendContext, hooks: StreamHooks): Promise<Answer> {
  const started = ctx.clock.now();
  let text = '';
  let reported: Usage | undefined;
  let providerCostUsd: number | undefined;
  let reportedModel: string | undefined;
  const request: ProviderRequest = { model: work.model, messages: work.messages, options: work.options, signal: ctx.signal, restartable: true };
  if (ctx.expectedOutputTokens !== undefined) request.expectedOutputTokens = ctx.expectedOutputTokens;
  const take = (event: ProviderEvent): void => {
    if (event.type === 'text') text += event.text;
    else if (event.type === 'usage') {
      reported = event.usage;
      providerCostUsd = event.providerCostUsd;
    } else if (event.type === 'model') reportedModel = event.model;
    else if (event.type === 'start') {
      if (event.rateLimit) hooks.onRateLimit(event.rateLimit);
    } else if (event.type === 'retry') {
      work.attempts++;
      // A stream that broke midway starts over: what it delivered so far is not the answer.
      if (event.restart) {
        text = '';
        reported = undefined;
        providerCostUsd = undefined;
      }
      hooks.onRetry(event, work);
    }
  };
  // A non-streamed answer comes whole when the provider can read it so (no event stream to walk).
  const whole = ctx.provider.whole?.(request, take);
  if (whole) for (const event of await whole) take(event);
  else for await (const event of ctx.provider.stream(request)) take(event);
  const latencyMs = ctx.clock.now() - started;
  const usage = reported ?? (await countedLocally(ctx.counterFor, work.model, text, work.messages));
  let cost = costOf(usage, work.price);
  if (providerCostUsd !== undefined) cost = { ...cost, total_usd: providerCostUsd, priced: true, source: 'provider' };
  return { text, usage, cost, latencyMs, ...(reportedModel !== undefined ? { reportedModel } : {}) };
}

/** Usage an API did not report, counted here and marked estimated; the input too when its messages are known. */
export async function countedLocally(counterFor: CounterFor, model: string, text: string, messages?: ChatMessage[]): Promise<Usage> {
  const counter = await counterFor(model);
  return messages ? countedUsage(counter, messages, text) : countedUsage(counter, [], text, true, 0);
}

/** The result line of an answered item: ok, or a billed schema_validation error when the answer does not match (checked asynchronously). */
export function answerResult(work: Work, answer: Answer, check: SchemaCheck | undefined): ResultLine | Promise<ResultLine> {
  const schema = work.options.schema;
  if (!check || !schema) return okResult(work, answer);
  return check(answer.text, schema).then((problems) => {
    if (problems.length === 0) return okResult(work, answer);
    const message = `the answer does not match schema ${schema.name}: ${problems.slice(0, 5).join('; ')}`;
    return { ...okResult(work, answer), status: 'error', error: { status: null, type: 'schema_validation', message } };
  });
}

function okResult(work: Work, { text, usage, cost }: Answer): ResultLine {
  return { id: work.id, status: 'ok', text, usage, cost, error: null, attempts: work.attempts };
}

/** A failed request as its result line says it: the HTTP status, the API's error type (else code, else kind), the message. */
export function resultErrorOf(err: GptError, status: number | null = err.details.status ?? null): ResultError {
  return { status, type: err.details.type ?? err.details.code ?? err.kind, message: err.message };
}
