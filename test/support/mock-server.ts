/**
 * A loopback OpenAI-compatible API for tests and benches: chat completions, responses, models and a Batch API
 * subset, with scripted answers, usage and faults (torn SSE frames, resets, stalls, HTML error pages).
 * It speaks real HTTP on 127.0.0.1 so the CLI's own HTTP stack (undici) is exercised without mocking fetch.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { get_encoding, type Tiktoken } from 'tiktoken';

// ───────────────────────────── public types ─────────────────────────────

export interface RecordedRequest {
  method: string;
  /** The request target as received (path plus any query string), e.g. `/v1/chat/completions`. */
  path: string;
  /** Lower-case header names; repeated headers joined with `, `. */
  headers: Record<string, string>;
  /** Parsed JSON when the body is JSON, else the body as a UTF-8 string ('' when empty). */
  body: unknown;
  rawBody: Buffer;
  /** Date.now() when the request body had been fully received. */
  at: number;
}

export interface UsageSpec {
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens: number;
  reasoning_tokens: number;
}

/** The normal answer, shaped for the endpoint and for `stream` as the request asked. */
export interface AnswerReply {
  kind: 'answer';
  /** Default "Hello from the mock." */
  text?: string;
  /** Exact content deltas to stream (overrides `text`, which becomes their concatenation). */
  chunks?: string[];
  /** Missing fields are counted (prompt from the request, completion from the text); null sends no usage at all. */
  usage?: Partial<UsageSpec> | null;
  /** Reported model; default: the request's model. */
  model?: string;
  /** Default 'stop'. On /responses, 'length' and 'content_filter' make the response `incomplete`. */
  finishReason?: string;
  /** OpenRouter-style `usage.cost` in USD. */
  cost?: number;
  /** Wait before sending headers. */
  delayMs?: number;
  /** Wait between SSE events. */
  chunkDelayMs?: number;
  /** Streams only: after the preamble and this many text deltas, wait for `resume` before sending the rest. */
  pauseAfterChunks?: number;
  resume?: Promise<unknown>;
  headers?: Record<string, string>;
  /** `x-ratelimit-*` headers to send. */
  rateLimitHeaders?: Record<string, string>;
  /** Write the body one byte per write. */
  splitEveryByte?: boolean;
  /**
   * Chat streams only: 'requested' (default) sends a separate `choices: []` usage chunk only when
   * `stream_options.include_usage` is set; 'always' sends it regardless (OpenRouter); 'finish-chunk' puts usage
   * on the finish_reason chunk instead (seen on some gateways).
   */
  streamUsage?: 'requested' | 'always' | 'finish-chunk';
  /**
   * Function calls to answer with (the text is then '' unless given; chat's finish_reason 'tool_calls').
   * Streamed, each call's arguments come in its `chunks` (default: whole), one chat chunk or
   * `response.function_call_arguments.delta` event each.
   */
  toolCalls?: MockToolCall[];
}

export interface MockToolCall {
  /** Default `call_<n>`. */
  id?: string;
  name: string;
  /** The JSON text of the arguments (not checked: a test may send broken JSON). */
  arguments?: string;
  /** The arguments in pieces, as they stream (joined, they are the arguments). */
  chunks?: string[];
}

export interface ErrorReply {
  kind: 'error';
  status: number;
  /** JSON body; default `{error:{message,type,param,code}}` chosen by status (overridable field by field below). */
  body?: unknown;
  /** Sent verbatim instead of JSON (content-type text/html unless `headers` says otherwise). */
  rawBody?: string;
  /** e.g. retry-after, retry-after-ms, x-should-retry. */
  headers?: Record<string, string>;
  message?: string;
  type?: string;
  code?: string | null;
  param?: string | null;
  delayMs?: number;
}

export interface RawSseReply {
  kind: 'raw-sse';
  /** Exact bytes of each SSE event, separators included (see sseData/sseEvent). */
  events: string[];
  /** Default: one write per event. 'every-byte': one write per byte. Offsets: cut the byte stream there. */
  splitAt?: 'every-byte' | number[];
  /** Wait between writes (default: just yield to the event loop). */
  delayMs?: number;
  /** 'close' (default) ends the body cleanly; 'reset' destroys the socket; 'hang' keeps it open, silent. */
  end?: 'close' | 'reset' | 'hang';
  status?: number;
  headers?: Record<string, string>;
}

/** Destroys the socket (TCP RST) without answering. */
export interface ResetBeforeHeadersReply {
  kind: 'reset-before-headers';
}

/** A streamed answer cut by a TCP RST after its preamble (chat: role chunk; responses: created…content_part.added) and `afterChunks` text deltas. */
export interface ResetMidStreamReply {
  kind: 'reset-mid-stream';
  afterChunks: number;
  text?: string;
}

/** Never answers; the socket stays open until the client gives up or the server closes. */
export interface StallBeforeHeadersReply {
  kind: 'stall-before-headers';
}

/** A streamed answer that goes silent, socket open, after its preamble and `afterChunks` text deltas. */
export interface StallMidStreamReply {
  kind: 'stall-mid-stream';
  afterChunks: number;
  text?: string;
}

/** 200 with an empty body. */
export interface Empty200Reply {
  kind: 'empty-200';
}

/** 200 with a body sent verbatim (default content-type application/json): answers of the wrong shape. */
export interface Raw200Reply {
  kind: 'raw-200';
  body: string;
  contentType?: string;
}

/** A 200 event stream whose first line is `data: ` and `bytes` more bytes with no newline (a runaway or hostile server). */
export interface HugeLineReply {
  kind: 'huge-line';
  bytes: number;
}

/** A normal answer written one byte per write, so multi-byte UTF-8 characters are cut between writes. */
export interface SplitUtf8Reply {
  kind: 'split-utf8';
  text: string;
}

export type Reply =
  | AnswerReply
  | ErrorReply
  | RawSseReply
  | ResetBeforeHeadersReply
  | ResetMidStreamReply
  | StallBeforeHeadersReply
  | StallMidStreamReply
  | Empty200Reply
  | Raw200Reply
  | HugeLineReply
  | SplitUtf8Reply;

/** A reply, or a function choosing one from the request (for replies that depend on what was sent). */
export type ReplyScript = Reply | ((request: RecordedRequest) => Reply);

export interface BatchValidationError {
  code: string;
  message: string;
  param?: string | null;
  line?: number | null;
}

export interface MockFile {
  id: string;
  filename: string;
  purpose: string;
  bytes: number;
  created_at: number;
  content: Buffer;
}

export interface MockBatch {
  /** The batch object as last returned. */
  object: Record<string, unknown>;
  /** Polls served since the last status change. */
  polls: number;
  /** Result lines, computed when the batch leaves in_progress. */
  results?: BatchResultLine[];
  /** Validation errors forced by `batchValidationErrors` when the batch was created. */
  forcedErrors?: BatchValidationError[];
}

export interface BatchResultLine {
  id: string;
  custom_id: string;
  response: { status_code: number; request_id: string; body: unknown } | null;
  error: { code: string; message: string } | null;
}

export interface MockServerOptions {
  /** Serve the Batch API subset (/files, /batches). Default true; false answers those paths with 404. */
  batch?: boolean;
  /** Delay every answer and error reply by this much before headers (latency for benches). */
  latencyMs?: number;
  /** When nothing is queued, answer a constant small reply without tokenizing (throughput benches). */
  fixedReply?: boolean;
  /** Keep `requests` (default true); turn off for long benches. */
  recordRequests?: boolean;
  /** Ids served by GET /v1/models. */
  models?: string[];
  /** Polls a batch spends in each status before advancing (default 1). */
  batchPollsPerStatus?: number;
}

export interface MockServer {
  /** Base URL including /v1, e.g. http://127.0.0.1:43123/v1 */
  url: string;
  /** Every request received, in order. */
  requests: RecordedRequest[];
  /** Replies consumed one per /chat/completions or /responses request (and per batch line), FIFO. */
  enqueue(...replies: ReplyScript[]): void;
  /** The reply used when the queue is empty. */
  setDefault(reply: ReplyScript): void;
  /** Clears requests, queue, files, batches and batch faults; restores the default reply. */
  reset(): void;
  /** Closes the server and destroys every open socket, stalled ones included. */
  close(): Promise<void>;
  /** Replies still queued. */
  readonly queued: number;
  lastRequest(): RecordedRequest | undefined;
  /** Resolves once at least `count` requests have been received (rejects after timeoutMs, default 5000). */
  waitForRequests(count: number, timeoutMs?: number): Promise<RecordedRequest[]>;
  /** Uploaded and generated files by id. */
  files: Map<string, MockFile>;
  batches: Map<string, MockBatch>;
  /** custom_ids answered with a 500 `server_error` response (they land in the error file). */
  batchFailIds: Set<string>;
  /** custom_ids reported as `batch_expired` (`response: null`, in the error file). */
  batchExpireIds: Set<string>;
  /** When set, batches created from now on fail validation with these errors. */
  batchValidationErrors: BatchValidationError[] | null;
  batchPollsPerStatus: number;
}

export const DEFAULT_TEXT = 'Hello from the mock.';
export const DEFAULT_MODELS = ['gpt-5.2', 'gpt-5-mini', 'gpt-5-nano', 'gpt-4.1', 'gpt-4o-mini'];
export const DONE_EVENT = 'data: [DONE]\n\n';

// ───────────────────────────── SSE helpers (for raw-sse scripts) ─────────────────────────────

/** One `data:` event; a string payload is sent verbatim (e.g. '[DONE]' or deliberately broken JSON). */
export function sseData(payload: unknown): string {
  return `data: ${typeof payload === 'string' ? payload : JSON.stringify(payload)}\n\n`;
}

/** One event with an `event:` line, as the Responses API sends. */
export function sseEvent(type: string, payload: unknown): string {
  return `event: ${type}\n${sseData(payload)}`;
}

/** A chat.completion.chunk event carrying one content delta. */
export function chatDeltaEvent(content: string, model = 'gpt-5.2'): string {
  return sseData(chatChunk('chatcmpl-raw', model, 0, { content }, null));
}

/** A chat.completion.chunk event with finish_reason and, optionally, usage on the same chunk. */
export function chatFinishEvent(finishReason = 'stop', usage?: Record<string, unknown>, model = 'gpt-5.2'): string {
  const chunk = chatChunk('chatcmpl-raw', model, 0, {}, finishReason);
  return sseData(usage ? { ...chunk, usage } : chunk);
}

/** The trailing `choices: []` usage chunk of a chat stream. */
export function chatUsageEvent(usage: Record<string, unknown>, model = 'gpt-5.2'): string {
  return sseData({ ...chatChunk('chatcmpl-raw', model, 0, {}, null), choices: [], usage });
}

// ───────────────────────────── token counting ─────────────────────────────

let encoder: Tiktoken | undefined;

/** Tokens of a text with o200k_base, as the mock's default usage counts them. */
export function mockTokens(text: string): number {
  encoder ??= get_encoding('o200k_base');
  return encoder.encode_ordinary(text).length;
}

/** Prompt tokens the mock reports for a request body (cookbook formula: 3 per message + role + content, +3 primer). */
/**
 * `POST /responses/compact` (shape from the OpenAPI spec's CompactResource): the whole input becomes one `compaction`
 * item whose opaque content names how many items it replaced; usage counted from the request.
 */
export function compactionAnswer(body: unknown): Record<string, unknown> {
  const input = Array.isArray((body as { input?: unknown })?.input) ? ((body as { input: unknown[] }).input) : [];
  const inputTokens = mockPromptTokens('/v1/responses', body);
  return {
    id: 'resp_compact_001',
    object: 'response.compaction',
    created_at: 1_764_967_971,
    output: [{ id: 'cmp_001', type: 'compaction', encrypted_content: `gAAAA-mock-compaction-of-${input.length}-items` }],
    usage: { input_tokens: inputTokens, input_tokens_details: { cached_tokens: 0 }, output_tokens: 40, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: inputTokens + 40 },
  };
}

export function mockPromptTokens(path: string, body: unknown): number {
  const request = isRecord(body) ? body : {};
  const messages: { role: string; content: string; name?: string }[] = [];
  if (path.includes('/responses')) {
    if (typeof request.instructions === 'string') messages.push({ role: 'system', content: request.instructions });
    if (typeof request.input === 'string') messages.push({ role: 'user', content: request.input });
    else if (Array.isArray(request.input)) for (const item of request.input) messages.push(itemAsMessage(item));
  } else if (Array.isArray(request.messages)) {
    for (const message of request.messages) messages.push(itemAsMessage(message));
  }
  let tokens = 3;
  for (const message of messages) {
    tokens += 3 + mockTokens(message.role) + mockTokens(message.content);
    if (message.name !== undefined) tokens += 1 + mockTokens(message.name);
  }
  return tokens;
}

function itemAsMessage(item: unknown): { role: string; content: string; name?: string } {
  if (!isRecord(item)) return { role: 'user', content: String(item) };
  if (typeof item.role === 'string') {
    const message: { role: string; content: string; name?: string } = { role: item.role, content: contentText(item.content) };
    if (typeof item.name === 'string') message.name = item.name;
    return message;
  }
  if (item.type === 'function_call_output') return { role: 'tool', content: contentText(item.output) };
  if (item.type === 'function_call') return { role: 'assistant', content: `${String(item.name)}${String(item.arguments)}` };
  return { role: 'user', content: JSON.stringify(item) };
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content.map((part) => (isRecord(part) && typeof part.text === 'string' ? part.text : '')).join('');
  }
  return content == null ? '' : JSON.stringify(content);
}

// ───────────────────────────── answer construction ─────────────────────────────

type Api = 'chat' | 'responses';

interface AnswerPlan {
  api: Api;
  request: Record<string, unknown>;
  path: string;
  text: string;
  pieces: string[];
  model: string;
  finishReason: string;
  usage: ResolvedUsage | null;
  cost: number | undefined;
  serial: number;
  created: number;
  toolCalls: Array<{ id: string; name: string; arguments: string; chunks: string[] }>;
}

interface ResolvedUsage {
  prompt: number;
  completion: number;
  cached: number;
  reasoning: number;
}

/** Word-ish pieces: each word with the whitespace that follows it. */
export function splitWords(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

function resolveUsage(spec: Partial<UsageSpec> | null | undefined, path: string, request: unknown, text: string): ResolvedUsage | null {
  if (spec === null) return null;
  const reasoning = spec?.reasoning_tokens ?? 0;
  return {
    prompt: spec?.prompt_tokens ?? mockPromptTokens(path, request),
    completion: spec?.completion_tokens ?? mockTokens(text) + reasoning,
    cached: spec?.cached_tokens ?? 0,
    reasoning,
  };
}

function chatUsage(usage: ResolvedUsage, cost: number | undefined): Record<string, unknown> {
  return {
    prompt_tokens: usage.prompt,
    completion_tokens: usage.completion,
    total_tokens: usage.prompt + usage.completion,
    prompt_tokens_details: { cached_tokens: usage.cached, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: usage.reasoning,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
    ...(cost === undefined ? {} : { cost }),
  };
}

function responsesUsage(usage: ResolvedUsage, cost: number | undefined): Record<string, unknown> {
  return {
    input_tokens: usage.prompt,
    input_tokens_details: { cached_tokens: usage.cached },
    output_tokens: usage.completion,
    output_tokens_details: { reasoning_tokens: usage.reasoning },
    total_tokens: usage.prompt + usage.completion,
    ...(cost === undefined ? {} : { cost }),
  };
}

function chatChunk(
  id: string,
  model: string,
  created: number,
  delta: Record<string, unknown>,
  finishReason: string | null,
): Record<string, unknown> {
  return {
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    service_tier: 'default',
    system_fingerprint: 'fp_mock',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
  };
}

function chatCompletionObject(plan: AnswerPlan): Record<string, unknown> {
  return {
    id: `chatcmpl-mock${plan.serial}`,
    object: 'chat.completion',
    created: plan.created,
    model: plan.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: plan.text === '' && plan.toolCalls.length > 0 ? null : plan.text,
          refusal: null,
          annotations: [],
          ...(plan.toolCalls.length > 0
            ? { tool_calls: plan.toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } })) }
            : {}),
        },
        logprobs: null,
        finish_reason: plan.finishReason,
      },
    ],
    ...(plan.usage ? { usage: chatUsage(plan.usage, plan.cost) } : {}),
    service_tier: 'default',
    system_fingerprint: 'fp_mock',
  };
}

function responseStatus(plan: AnswerPlan): { status: string; incomplete: Record<string, unknown> | null } {
  if (plan.finishReason === 'length') return { status: 'incomplete', incomplete: { reason: 'max_output_tokens' } };
  if (plan.finishReason === 'content_filter') return { status: 'incomplete', incomplete: { reason: 'content_filter' } };
  return { status: 'completed', incomplete: null };
}

function messageItem(plan: AnswerPlan, status: string): Record<string, unknown> {
  return {
    id: `msg_mock${plan.serial}`,
    type: 'message',
    status,
    role: 'assistant',
    content: [{ type: 'output_text', text: plan.text, annotations: [], logprobs: [] }],
  };
}

function functionCallItem(plan: AnswerPlan, index: number): Record<string, unknown> {
  const call = plan.toolCalls[index]!;
  return { id: `fc_mock${plan.serial}_${index}`, type: 'function_call', status: 'completed', call_id: call.id, name: call.name, arguments: call.arguments };
}

/** A final response's output: the message (unless only calls came), then a `function_call` item per call. */
function finalOutput(plan: AnswerPlan, status: string): Record<string, unknown>[] {
  const calls = plan.toolCalls.map((_, i) => functionCallItem(plan, i));
  if (plan.text === '' && calls.length > 0) return calls;
  return [messageItem(plan, status === 'completed' ? 'completed' : 'incomplete'), ...calls];
}

function responseObject(plan: AnswerPlan, phase: 'in_progress' | 'final'): Record<string, unknown> {
  const request = plan.request;
  const final = phase === 'final' ? responseStatus(plan) : { status: 'in_progress', incomplete: null };
  const reasoning = isRecord(request.reasoning) ? request.reasoning : {};
  return {
    id: `resp_mock${plan.serial}`,
    object: 'response',
    created_at: plan.created,
    status: final.status,
    completed_at: final.status === 'completed' ? nowSeconds() : null,
    error: null,
    incomplete_details: final.incomplete,
    instructions: request.instructions ?? null,
    max_output_tokens: request.max_output_tokens ?? null,
    model: plan.model,
    output: phase === 'final' ? finalOutput(plan, final.status) : [],
    parallel_tool_calls: true,
    previous_response_id: request.previous_response_id ?? null,
    reasoning: { effort: reasoning.effort ?? null, summary: reasoning.summary ?? null },
    service_tier: 'default',
    store: request.store ?? true,
    temperature: request.temperature ?? 1,
    text: request.text ?? { format: { type: 'text' } },
    tool_choice: 'auto',
    tools: [],
    top_p: request.top_p ?? 1,
    truncation: 'disabled',
    usage: phase === 'final' && plan.usage ? responsesUsage(plan.usage, plan.cost) : null,
    user: null,
    metadata: request.metadata ?? {},
  };
}

function nonStreamBody(plan: AnswerPlan): Record<string, unknown> {
  return plan.api === 'chat' ? chatCompletionObject(plan) : responseObject(plan, 'final');
}

/** The SSE events of a streamed answer; the first `preamble` events come before any text delta. */
function streamEvents(plan: AnswerPlan, streamUsage: AnswerReply['streamUsage']): { events: string[]; preamble: number } {
  if (plan.api === 'chat') {
    const id = `chatcmpl-mock${plan.serial}`;
    const options = isRecord(plan.request.stream_options) ? plan.request.stream_options : {};
    const mode = streamUsage ?? 'requested';
    const separateUsage = plan.usage !== null && (mode === 'always' || (mode === 'requested' && options.include_usage === true));
    // Real servers put "usage": null on every chunk once usage was asked for.
    const nullUsage = separateUsage && mode === 'requested' ? { usage: null } : {};
    const chunk = (delta: Record<string, unknown>, finish: string | null): Record<string, unknown> => ({
      ...chatChunk(id, plan.model, plan.created, delta, finish),
      ...nullUsage,
    });
    const events = [sseData(chunk({ role: 'assistant', content: '', refusal: null }, null))];
    for (const piece of plan.pieces) events.push(sseData(chunk({ content: piece }, null)));
    for (const [index, call] of plan.toolCalls.entries()) {
      events.push(sseData(chunk({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] }, null)));
      for (const piece of call.chunks) events.push(sseData(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }, null)));
    }
    const finish = chunk({}, plan.finishReason);
    if (mode === 'finish-chunk' && plan.usage) finish.usage = chatUsage(plan.usage, plan.cost);
    events.push(sseData(finish));
    if (separateUsage && plan.usage) {
      events.push(sseData({ ...chunk({}, null), choices: [], usage: chatUsage(plan.usage, plan.cost) }));
    }
    events.push(DONE_EVENT);
    return { events, preamble: 1 };
  }
  let sequence = 0;
  const event = (type: string, payload: Record<string, unknown>): string =>
    sseEvent(type, { type, ...payload, sequence_number: sequence++ });
  const itemId = `msg_mock${plan.serial}`;
  const where = { item_id: itemId, output_index: 0, content_index: 0 };
  const final = responseObject(plan, 'final');
  const part = { type: 'output_text', text: plan.text, annotations: [], logprobs: [] };
  const events = [
    event('response.created', { response: responseObject(plan, 'in_progress') }),
    event('response.in_progress', { response: responseObject(plan, 'in_progress') }),
  ];
  const withMessage = !(plan.text === '' && plan.toolCalls.length > 0);
  if (withMessage) {
    events.push(
      event('response.output_item.added', {
        output_index: 0,
        item: { id: itemId, type: 'message', status: 'in_progress', role: 'assistant', content: [] },
      }),
      event('response.content_part.added', { ...where, part: { ...part, text: '' } }),
    );
    for (const piece of plan.pieces) events.push(event('response.output_text.delta', { ...where, delta: piece, logprobs: [] }));
    events.push(
      event('response.output_text.done', { ...where, text: plan.text, logprobs: [] }),
      event('response.content_part.done', { ...where, part }),
      event('response.output_item.done', { output_index: 0, item: (final.output as unknown[])[0] }),
    );
  }
  for (const [i, call] of plan.toolCalls.entries()) {
    const output_index = i + (withMessage ? 1 : 0);
    const item = functionCallItem(plan, i);
    events.push(event('response.output_item.added', { output_index, item: { ...item, status: 'in_progress', arguments: '' } }));
    for (const piece of call.chunks) events.push(event('response.function_call_arguments.delta', { item_id: item.id, output_index, delta: piece }));
    events.push(
      event('response.function_call_arguments.done', { item_id: item.id, output_index, arguments: call.arguments }),
      event('response.output_item.done', { output_index, item }),
    );
  }
  events.push(event(final.status === 'completed' ? 'response.completed' : 'response.incomplete', { response: final }));
  return { events, preamble: 4 };
}

function defaultError(status: number): { message: string; type: string; code: string | null } {
  switch (status) {
    case 400:
      return { message: 'Invalid request.', type: 'invalid_request_error', code: null };
    case 401:
      return { message: 'Incorrect API key provided.', type: 'invalid_request_error', code: 'invalid_api_key' };
    case 403:
      return { message: 'You are not allowed to use this model.', type: 'invalid_request_error', code: 'permission_denied' };
    case 404:
      return { message: 'The model does not exist or you do not have access to it.', type: 'invalid_request_error', code: 'model_not_found' };
    case 429:
      return {
        message: 'Rate limit reached for requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 1s.',
        type: 'requests',
        code: 'rate_limit_exceeded',
      };
    default:
      return status >= 500
        ? { message: 'The server had an error while processing your request.', type: 'server_error', code: null }
        : { message: `Request failed with status ${status}.`, type: 'invalid_request_error', code: null };
  }
}

function errorBody(reply: ErrorReply): unknown {
  if (reply.body !== undefined) return reply.body;
  const fallback = defaultError(reply.status);
  return {
    error: {
      message: reply.message ?? fallback.message,
      type: reply.type ?? fallback.type,
      param: reply.param ?? null,
      code: reply.code === undefined ? fallback.code : reply.code,
    },
  };
}

// ───────────────────────────── multipart ─────────────────────────────

export interface MultipartPart {
  name: string;
  filename?: string;
  contentType?: string;
  data: Buffer;
}

/** Parses multipart/form-data by hand (no dependency); enough for what FormData clients send. */
export function parseMultipart(contentType: string, body: Buffer): MultipartPart[] {
  const match = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  if (!boundary) throw new Error('multipart body without a boundary');
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: MultipartPart[] = [];
  let position = body.indexOf(delimiter);
  if (position < 0) throw new Error('multipart boundary not found');
  for (;;) {
    position += delimiter.length;
    if (body.subarray(position, position + 2).toString() === '--') break;
    position += 2; // CRLF after the delimiter
    const headerEnd = body.indexOf('\r\n\r\n', position);
    if (headerEnd < 0) throw new Error('multipart part without a header end');
    const headers = body.subarray(position, headerEnd).toString('utf8');
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headerEnd + 4);
    if (next < 0) throw new Error('multipart part without a closing boundary');
    const disposition = /content-disposition:([^\r\n]*)/i.exec(headers)?.[1] ?? '';
    const part: MultipartPart = {
      name: /\bname="([^"]*)"/i.exec(disposition)?.[1] ?? '',
      data: body.subarray(headerEnd + 4, next),
    };
    const filename = /\bfilename="([^"]*)"/i.exec(disposition)?.[1];
    if (filename !== undefined) part.filename = filename;
    const type = /content-type:\s*([^\r\n]*)/i.exec(headers)?.[1];
    if (type !== undefined) part.contentType = type.trim();
    parts.push(part);
    position = next + 2;
  }
  return parts;
}

// ───────────────────────────── small utilities ─────────────────────────────

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function randomId(prefix: string): string {
  return `${prefix}${Math.random().toString(36).slice(2, 12)}${Date.now().toString(36)}`;
}

/** Deterministic shuffle, never the identity for two or more items, so clients must join on custom_id. */
function shuffled<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let state = seed >>> 0 || 1;
  const random = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  if (out.length > 1 && out.every((item, index) => item === items[index])) out.reverse();
  return out;
}

function splitBytes(bytes: Buffer, splitAt: RawSseReply['splitAt'], eventSizes: number[]): Buffer[] {
  if (splitAt === 'every-byte') return Array.from(bytes, (_, index) => bytes.subarray(index, index + 1));
  const cuts = splitAt
    ? [...new Set(splitAt)].filter((offset) => offset > 0 && offset < bytes.length).sort((a, b) => a - b)
    : eventSizes.slice(0, -1).reduce<number[]>((acc, size) => [...acc, (acc.at(-1) ?? 0) + size], []);
  const pieces: Buffer[] = [];
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    if (cut > start) pieces.push(bytes.subarray(start, cut));
    start = cut;
  }
  return pieces;
}

// ───────────────────────────── the server ─────────────────────────────

export async function startMockServer(options: MockServerOptions = {}): Promise<MockServer> {
  const batchEnabled = options.batch ?? true;
  const record = options.recordRequests ?? true;
  const modelIds = options.models ?? DEFAULT_MODELS;
  const defaultReply: Reply = { kind: 'answer' };
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const waiters = new Set<() => void>();
  let queue: ReplyScript[] = [];
  let fallback: ReplyScript = defaultReply;
  let serial = 0;
  let closed = false;

  /** Timers are tracked so close() can abandon delayed and stalled handlers. */
  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });
  const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

  const nextReply = (request: RecordedRequest): Reply => {
    const script = queue.shift() ?? fallback;
    return typeof script === 'function' ? script(request) : script;
  };

  const baseHeaders = (extra: Record<string, string> = {}): Record<string, string> => ({
    'x-request-id': `req_mock${++serial}`,
    'openai-version': '2020-10-01',
    'openai-processing-ms': '1',
    ...extra,
  });

  const sendJson = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    const bytes = Buffer.from(JSON.stringify(body));
    res.writeHead(status, baseHeaders({ 'content-type': 'application/json', 'content-length': String(bytes.length), ...headers }));
    res.end(bytes);
  };

  const sendError = (res: ServerResponse, status: number, message: string, code: string | null = null, param: string | null = null): void =>
    sendJson(res, status, { error: { message, type: 'invalid_request_error', param, code } });

  const alive = (res: ServerResponse): boolean => !closed && !res.destroyed && !res.socket?.destroyed;

  /** Writes pieces one per write, waiting `gapMs` (or a loop turn) between them; false if the peer went away. */
  const writePieces = async (res: ServerResponse, pieces: Buffer[], gapMs: number): Promise<boolean> => {
    for (const [index, piece] of pieces.entries()) {
      if (!alive(res)) return false;
      if (!res.write(piece)) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.on('drain', done);
          res.on('close', done);
        });
      }
      if (index < pieces.length - 1) await (gapMs > 0 ? sleep(gapMs) : tick());
    }
    return alive(res);
  };

  /** Waits until written bytes have left the socket, then resets it (RST), so the peer sees data then an error. */
  const resetAfterFlush = async (res: ServerResponse): Promise<void> => {
    const socket = res.socket;
    if (!socket || socket.destroyed) return;
    for (let i = 0; i < 1000 && socket.writableLength > 0 && !socket.destroyed; i++) await tick();
    await sleep(20);
    if (!socket.destroyed) socket.resetAndDestroy();
  };

  const planAnswer = (api: Api, path: string, request: Record<string, unknown>, reply: Omit<Partial<AnswerReply>, 'kind'>): AnswerPlan => {
    const calls = (reply.toolCalls ?? []).map((c, i) => {
      const args = c.chunks ? c.chunks.join('') : (c.arguments ?? '{}');
      return { id: c.id ?? `call_${i}`, name: c.name, arguments: args, chunks: c.chunks ?? [args] };
    });
    const text = reply.chunks ? reply.chunks.join('') : (reply.text ?? (calls.length > 0 ? '' : DEFAULT_TEXT));
    return {
      toolCalls: calls,
      api,
      request,
      path,
      text,
      pieces: reply.chunks ?? splitWords(text),
      model: reply.model ?? (typeof request.model === 'string' ? request.model : 'gpt-5.2'),
      finishReason: reply.finishReason ?? (calls.length > 0 && api === 'chat' ? 'tool_calls' : 'stop'),
      usage: resolveUsage(reply.usage, path, request, text + calls.map((c) => c.name + c.arguments).join('')),
      cost: reply.cost,
      serial: ++serial,
      created: nowSeconds(),
    };
  };

  const answer = async (api: Api, recorded: RecordedRequest, res: ServerResponse): Promise<void> => {
    if (!isRecord(recorded.body)) {
      sendError(res, 400, 'We could not parse the JSON body of your request.');
      return;
    }
    const request = recorded.body;
    const stream = request.stream === true;
    if (options.fixedReply && queue.length === 0 && fallback === defaultReply) {
      await fixedAnswer(api, request, stream, res);
      return;
    }
    const reply = nextReply(recorded);
    const latency = options.latencyMs ?? 0;
    switch (reply.kind) {
      case 'answer':
      case 'split-utf8': {
        const answerReply: AnswerReply = reply.kind === 'answer' ? reply : { kind: 'answer', text: reply.text, splitEveryByte: true };
        const delay = latency + (answerReply.delayMs ?? 0);
        if (delay > 0) await sleep(delay);
        if (!alive(res)) return;
        const plan = planAnswer(api, recorded.path, request, answerReply);
        const headers = { ...answerReply.rateLimitHeaders, ...answerReply.headers };
        if (!stream) {
          const bytes = Buffer.from(JSON.stringify(nonStreamBody(plan)));
          // Split bodies go chunked: each byte is its own HTTP chunk, so TCP coalescing cannot re-join them.
          const length: Record<string, string> = answerReply.splitEveryByte ? {} : { 'content-length': String(bytes.length) };
          res.writeHead(200, baseHeaders({ 'content-type': 'application/json', ...length, ...headers }));
          if (answerReply.splitEveryByte) {
            if (await writePieces(res, splitBytes(bytes, 'every-byte', []), 0)) res.end();
          } else res.end(bytes);
          return;
        }
        const { events, preamble } = streamEvents(plan, answerReply.streamUsage);
        res.writeHead(200, baseHeaders({ 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', ...headers }));
        const pieces = answerReply.splitEveryByte
          ? splitBytes(Buffer.from(events.join('')), 'every-byte', [])
          : events.map((event) => Buffer.from(event));
        const gap = answerReply.splitEveryByte ? 0 : (answerReply.chunkDelayMs ?? 0);
        if (answerReply.pauseAfterChunks !== undefined && !answerReply.splitEveryByte) {
          const cut = preamble + answerReply.pauseAfterChunks;
          if (!(await writePieces(res, pieces.slice(0, cut), gap))) return;
          await answerReply.resume;
          if (await writePieces(res, pieces.slice(cut), gap)) res.end();
          return;
        }
        if (await writePieces(res, pieces, gap)) res.end();
        return;
      }
      case 'error': {
        const delay = latency + (reply.delayMs ?? 0);
        if (delay > 0) await sleep(delay);
        if (!alive(res)) return;
        if (reply.rawBody !== undefined) {
          const bytes = Buffer.from(reply.rawBody);
          res.writeHead(reply.status, baseHeaders({ 'content-type': 'text/html; charset=utf-8', 'content-length': String(bytes.length), ...reply.headers }));
          res.end(bytes);
        } else sendJson(res, reply.status, errorBody(reply), reply.headers);
        return;
      }
      case 'raw-sse': {
        res.writeHead(reply.status ?? 200, baseHeaders({ 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', ...reply.headers }));
        const bytes = Buffer.from(reply.events.join(''));
        const sizes = reply.events.map((event) => Buffer.byteLength(event));
        if (!(await writePieces(res, splitBytes(bytes, reply.splitAt, sizes), reply.delayMs ?? 0))) return;
        if (reply.end === 'reset') await resetAfterFlush(res);
        else if (reply.end !== 'hang') res.end();
        return;
      }
      case 'reset-before-headers':
        res.socket?.resetAndDestroy();
        return;
      case 'stall-before-headers':
        return; // the socket stays open; close() destroys it
      case 'reset-mid-stream':
      case 'stall-mid-stream': {
        const plan = planAnswer(api, recorded.path, request, reply.text === undefined ? {} : { text: reply.text });
        const { events, preamble } = streamEvents(plan, 'requested');
        res.writeHead(200, baseHeaders({ 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' }));
        const sent = events.slice(0, preamble + Math.max(0, reply.afterChunks)).map((event) => Buffer.from(event));
        if (!(await writePieces(res, sent, 0))) return;
        if (reply.kind === 'reset-mid-stream') await resetAfterFlush(res);
        return;
      }
      case 'empty-200':
        res.writeHead(200, baseHeaders({ 'content-type': stream ? 'text/event-stream' : 'application/json', 'content-length': '0' }));
        res.end();
        return;
      case 'raw-200':
        res.writeHead(200, baseHeaders({ 'content-type': reply.contentType ?? 'application/json' }));
        res.end(reply.body);
        return;
      case 'huge-line': {
        res.writeHead(200, baseHeaders({ 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' }));
        // One 1 MiB buffer written again and again: the server never holds the whole line.
        const mib = Buffer.alloc(1024 * 1024, 0x78);
        const pieces = [Buffer.from('data: ')];
        for (let left = reply.bytes; left > 0; left -= mib.length) pieces.push(left >= mib.length ? mib : mib.subarray(0, left));
        if (await writePieces(res, pieces, 0)) res.end();
        return;
      }
    }
  };

  /** Constant reply for throughput benches: no tokenizer, a few small objects. */
  const fixedAnswer = async (api: Api, request: Record<string, unknown>, stream: boolean, res: ServerResponse): Promise<void> => {
    if (options.latencyMs) await sleep(options.latencyMs);
    if (!alive(res)) return;
    const plan: AnswerPlan = {
      api,
      request,
      path: '',
      text: 'ok',
      pieces: ['ok'],
      toolCalls: [],
      model: typeof request.model === 'string' ? request.model : 'gpt-5.2',
      finishReason: 'stop',
      usage: { prompt: 10, completion: 1, cached: 0, reasoning: 0 },
      cost: undefined,
      serial: ++serial,
      created: nowSeconds(),
    };
    if (!stream) {
      sendJson(res, 200, nonStreamBody(plan));
      return;
    }
    res.writeHead(200, baseHeaders({ 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' }));
    res.end(streamEvents(plan, 'requested').events.join(''));
  };

  // ── Batch API ──

  const files = new Map<string, MockFile>();
  const batches = new Map<string, MockBatch>();
  const batchOrder: string[] = [];

  const fileObject = (file: MockFile): Record<string, unknown> => ({
    id: file.id,
    object: 'file',
    bytes: file.bytes,
    created_at: file.created_at,
    expires_at: null,
    filename: file.filename,
    purpose: file.purpose,
    status: 'processed',
    status_details: null,
  });

  const storeFile = (filename: string, purpose: string, content: Buffer): MockFile => {
    const file: MockFile = { id: randomId('file-'), filename, purpose, bytes: content.length, created_at: nowSeconds(), content };
    files.set(file.id, file);
    return file;
  };

  const uploadFile = (recorded: RecordedRequest, res: ServerResponse): void => {
    const contentType = recorded.headers['content-type'] ?? '';
    if (!contentType.startsWith('multipart/form-data')) {
      sendError(res, 400, 'Files must be uploaded as multipart/form-data.');
      return;
    }
    let parts: MultipartPart[];
    try {
      parts = parseMultipart(contentType, recorded.rawBody);
    } catch (error) {
      sendError(res, 400, `Could not parse multipart form: ${(error as Error).message}`);
      return;
    }
    const purpose = parts.find((part) => part.name === 'purpose')?.data.toString('utf8');
    const filePart = parts.find((part) => part.name === 'file');
    if (!purpose) return sendError(res, 400, "Missing required parameter: 'purpose'.", null, 'purpose');
    if (purpose !== 'batch') return sendError(res, 400, `Invalid value for 'purpose': '${purpose}'.`, null, 'purpose');
    if (!filePart) return sendError(res, 400, "Missing required parameter: 'file'.", null, 'file');
    sendJson(res, 200, fileObject(storeFile(filePart.filename ?? 'upload', purpose, Buffer.from(filePart.data))));
  };

  const validateBatchInput = (content: Buffer, endpoint: string): { lines: Record<string, unknown>[]; errors: BatchValidationError[] } => {
    const errors: BatchValidationError[] = [];
    const lines: Record<string, unknown>[] = [];
    const seen = new Set<string>();
    let model: unknown;
    const rows = content.toString('utf8').split('\n');
    rows.forEach((row, index) => {
      const line = index + 1;
      if (!row.trim()) return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(row);
      } catch {
        errors.push({ code: 'invalid_json_line', message: `This line is not parseable as valid JSON.`, param: null, line });
        return;
      }
      if (!isRecord(parsed) || typeof parsed.custom_id !== 'string' || !isRecord(parsed.body)) {
        errors.push({ code: 'invalid_request', message: 'Each line needs a string custom_id, method, url and an object body.', param: null, line });
        return;
      }
      if (parsed.method !== 'POST') errors.push({ code: 'invalid_method', message: 'The method must be POST.', param: 'method', line });
      if (parsed.url !== endpoint) {
        errors.push({ code: 'url_mismatch', message: `The url '${String(parsed.url)}' does not match the batch endpoint '${endpoint}'.`, param: 'url', line });
      }
      if (seen.has(parsed.custom_id)) errors.push({ code: 'duplicate_custom_id', message: `The custom_id '${parsed.custom_id}' is not unique.`, param: 'custom_id', line });
      seen.add(parsed.custom_id);
      if (lines.length === 0) model = parsed.body.model;
      else if (parsed.body.model !== model) errors.push({ code: 'model_mismatch', message: 'All requests in a batch must use the same model.', param: 'body.model', line });
      lines.push(parsed);
    });
    if (lines.length === 0 && errors.length === 0) errors.push({ code: 'empty_file', message: 'The input file is empty.', param: null, line: null });
    return { lines, errors };
  };

  const createBatch = (recorded: RecordedRequest, res: ServerResponse): void => {
    const body = isRecord(recorded.body) ? recorded.body : {};
    const { input_file_id: inputFileId, endpoint, completion_window: window } = body;
    if (typeof inputFileId !== 'string' || !files.has(inputFileId)) {
      return sendError(res, 400, `Invalid 'input_file_id': '${String(inputFileId)}'.`, null, 'input_file_id');
    }
    if (endpoint !== '/v1/chat/completions' && endpoint !== '/v1/responses') {
      return sendError(res, 400, `Invalid value for 'endpoint': '${String(endpoint)}'.`, null, 'endpoint');
    }
    if (window !== '24h') return sendError(res, 400, `Invalid value for 'completion_window': '${String(window)}'.`, null, 'completion_window');
    const created = nowSeconds();
    const object: Record<string, unknown> = {
      id: randomId('batch_'),
      object: 'batch',
      endpoint,
      errors: null,
      input_file_id: inputFileId,
      completion_window: window,
      status: 'validating',
      output_file_id: null,
      error_file_id: null,
      created_at: created,
      in_progress_at: null,
      expires_at: created + 86_400,
      finalizing_at: null,
      completed_at: null,
      failed_at: null,
      expired_at: null,
      cancelling_at: null,
      cancelled_at: null,
      request_counts: { total: 0, completed: 0, failed: 0 },
      metadata: body.metadata ?? null,
    };
    const batch: MockBatch = { object, polls: 0 };
    if (server.batchValidationErrors) batch.forcedErrors = server.batchValidationErrors;
    batches.set(object.id as string, batch);
    batchOrder.push(object.id as string);
    sendJson(res, 200, object);
  };

  const answerBatchLine = (line: Record<string, unknown>, endpoint: string): BatchResultLine => {
    const customId = line.custom_id as string;
    const requestId = `req_mock${++serial}`;
    const id = randomId('batch_req_');
    if (server.batchExpireIds.has(customId)) {
      return { id, custom_id: customId, response: null, error: { code: 'batch_expired', message: 'This request could not be executed before the completion window expired.' } };
    }
    if (server.batchFailIds.has(customId)) {
      return { id, custom_id: customId, response: { status_code: 500, request_id: requestId, body: errorBody({ kind: 'error', status: 500 }) }, error: null };
    }
    const body = line.body as Record<string, unknown>;
    const rawBody = Buffer.from(JSON.stringify(body));
    const reply = nextReply({ method: 'POST', path: endpoint, headers: {}, body, rawBody, at: Date.now() });
    if (reply.kind === 'answer' || reply.kind === 'split-utf8') {
      const plan = planAnswer(endpoint.endsWith('/responses') ? 'responses' : 'chat', endpoint, body, reply.kind === 'answer' ? reply : { text: reply.text });
      return { id, custom_id: customId, response: { status_code: 200, request_id: requestId, body: nonStreamBody(plan) }, error: null };
    }
    const status = reply.kind === 'error' ? reply.status : 500;
    const errorReply: ErrorReply = reply.kind === 'error' ? reply : { kind: 'error', status };
    return { id, custom_id: customId, response: { status_code: status, request_id: requestId, body: errorBody(errorReply) }, error: null };
  };

  const finishBatch = (batch: MockBatch, lines: Record<string, unknown>[]): void => {
    const object = batch.object;
    const results = lines.map((line) => answerBatchLine(line, object.endpoint as string));
    batch.results = results;
    const ok = results.filter((result) => result.response?.status_code === 200);
    const failed = results.filter((result) => result.response?.status_code !== 200);
    const seed = batchOrder.indexOf(object.id as string) + 7;
    const toFile = (items: BatchResultLine[]): string | null =>
      items.length === 0
        ? null
        : storeFile('batch_output.jsonl', 'batch_output', Buffer.from(shuffled(items, seed).map((item) => JSON.stringify(item) + '\n').join(''))).id;
    object.output_file_id = toFile(ok);
    object.error_file_id = toFile(failed);
    object.request_counts = { total: lines.length, completed: ok.length, failed: failed.length };
    const usage = { input: 0, cached: 0, output: 0, reasoning: 0 };
    for (const result of ok) {
      const body = result.response?.body as Record<string, Record<string, unknown> | undefined>;
      const u = body.usage;
      if (!u) continue;
      const inputDetails = (u.prompt_tokens_details ?? u.input_tokens_details) as Record<string, number> | undefined;
      const outputDetails = (u.completion_tokens_details ?? u.output_tokens_details) as Record<string, number> | undefined;
      usage.input += Number(u.prompt_tokens ?? u.input_tokens ?? 0);
      usage.output += Number(u.completion_tokens ?? u.output_tokens ?? 0);
      usage.cached += inputDetails?.cached_tokens ?? 0;
      usage.reasoning += outputDetails?.reasoning_tokens ?? 0;
    }
    object.usage = {
      input_tokens: usage.input,
      input_tokens_details: { cached_tokens: usage.cached },
      output_tokens: usage.output,
      output_tokens_details: { reasoning_tokens: usage.reasoning },
      total_tokens: usage.input + usage.output,
    };
  };

  /** One status step per poll (or per `batchPollsPerStatus` polls): validating → in_progress → finalizing → completed. */
  const advanceBatch = (batch: MockBatch): void => {
    const object = batch.object;
    batch.polls += 1;
    if (batch.polls < server.batchPollsPerStatus) return;
    const now = nowSeconds();
    const input = files.get(object.input_file_id as string);
    const { lines, errors } = validateBatchInput(input?.content ?? Buffer.alloc(0), object.endpoint as string);
    const step = (status: string, stamp: string): void => {
      object.status = status;
      object[stamp] = now;
      batch.polls = 0;
    };
    switch (object.status) {
      case 'validating': {
        const all = [...(batch.forcedErrors ?? []), ...errors];
        if (all.length > 0) {
          step('failed', 'failed_at');
          object.errors = { object: 'list', data: all.map((error) => ({ param: null, line: null, ...error })) };
          return;
        }
        step('in_progress', 'in_progress_at');
        object.request_counts = { total: lines.length, completed: Math.floor(lines.length / 2), failed: 0 };
        return;
      }
      case 'in_progress':
        finishBatch(batch, lines);
        step('finalizing', 'finalizing_at');
        return;
      case 'finalizing':
        step('completed', 'completed_at');
        return;
      case 'cancelling':
        // Requests "done" before the cancel are kept, as the real API keeps partial results.
        if (!batch.results && object.in_progress_at !== null) finishBatch(batch, lines.slice(0, Math.floor(lines.length / 2)));
        step('cancelled', 'cancelled_at');
        return;
    }
  };

  const routeBatchApi = (method: string, path: string, recorded: RecordedRequest, res: ServerResponse): boolean => {
    if (method === 'POST' && path === '/v1/files') {
      uploadFile(recorded, res);
      return true;
    }
    let match = /^\/v1\/files\/([^/]+)(\/content)?$/.exec(path);
    if (method === 'GET' && match) {
      const file = files.get(decodeURIComponent(match[1]!));
      if (!file) sendError(res, 404, `No such File object: ${match[1]}`, null, 'id');
      else if (match[2]) {
        res.writeHead(200, baseHeaders({ 'content-type': 'application/octet-stream', 'content-length': String(file.bytes) }));
        res.end(file.content);
      } else sendJson(res, 200, fileObject(file));
      return true;
    }
    if (method === 'POST' && path === '/v1/batches') {
      createBatch(recorded, res);
      return true;
    }
    if (method === 'GET' && path === '/v1/batches') {
      const data = [...batchOrder].reverse().map((id) => batches.get(id)!.object);
      sendJson(res, 200, { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: false });
      return true;
    }
    match = /^\/v1\/batches\/([^/]+)(\/cancel)?$/.exec(path);
    if (match && ((method === 'GET' && !match[2]) || (method === 'POST' && match[2]))) {
      const batch = batches.get(decodeURIComponent(match[1]!));
      if (!batch) {
        sendError(res, 404, `No batch found with id '${match[1]}'.`, null, 'batch_id');
        return true;
      }
      if (match[2]) {
        const status = batch.object.status as string;
        if (!['validating', 'in_progress', 'finalizing'].includes(status)) {
          sendError(res, 400, `Cannot cancel a batch with status '${status}'.`);
          return true;
        }
        batch.object.status = 'cancelling';
        batch.object.cancelling_at = nowSeconds();
        batch.polls = 0;
      } else advanceBatch(batch);
      sendJson(res, 200, batch.object);
      return true;
    }
    return false;
  };

  // ── routing ──

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    const text = rawBody.toString('utf8');
    let body: unknown = text;
    if (text.length > 0 && !(headers['content-type'] ?? '').startsWith('multipart/')) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    const method = req.method ?? 'GET';
    const recorded: RecordedRequest = { method, path: req.url ?? '/', headers, body, rawBody, at: Date.now() };
    if (record) server.requests.push(recorded);
    for (const wake of [...waiters]) wake();

    const path = recorded.path.split('?')[0]!;
    if (method === 'POST' && path === '/v1/chat/completions') return answer('chat', recorded, res);
    if (method === 'POST' && path === '/v1/responses') return answer('responses', recorded, res);
    if (method === 'POST' && path === '/v1/responses/compact') return sendJson(res, 200, compactionAnswer(recorded.body));
    if (method === 'GET' && path === '/v1/models') {
      const data = modelIds.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'openai' }));
      return sendJson(res, 200, { object: 'list', data });
    }
    const model = /^\/v1\/models\/(.+)$/.exec(path);
    if (method === 'GET' && model) {
      const id = decodeURIComponent(model[1]!);
      if (modelIds.includes(id)) return sendJson(res, 200, { id, object: 'model', created: 1_700_000_000, owned_by: 'openai' });
      return sendError(res, 404, `The model '${id}' does not exist`, 'model_not_found', 'model');
    }
    if (batchEnabled && routeBatchApi(method, path, recorded, res)) return;
    sendError(res, 404, `Invalid URL (${method} ${path})`);
  };

  const http = createServer((req, res) => {
    res.on('error', () => {}); // a client that hangs up mid-answer is a scenario, not a server failure
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent && alive(res)) sendJson(res, 500, { error: { message: `mock server bug: ${String(error)}`, type: 'server_error', param: null, code: null } });
      else res.destroy();
    });
  });
  http.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = http.address() as AddressInfo;

  const server: MockServer = {
    url: `http://127.0.0.1:${port}/v1`,
    requests: [],
    files,
    batches,
    batchFailIds: new Set(),
    batchExpireIds: new Set(),
    batchValidationErrors: null,
    batchPollsPerStatus: options.batchPollsPerStatus ?? 1,
    enqueue(...replies) {
      queue.push(...replies);
    },
    setDefault(reply) {
      fallback = reply;
    },
    get queued() {
      return queue.length;
    },
    lastRequest() {
      return server.requests.at(-1);
    },
    waitForRequests(count, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (server.requests.length < count) return;
          cleanup();
          resolve(server.requests);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`mock server: ${server.requests.length} of ${count} requests after ${timeoutMs} ms`));
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    reset() {
      server.requests.length = 0;
      queue = [];
      fallback = defaultReply;
      files.clear();
      batches.clear();
      batchOrder.length = 0;
      server.batchFailIds.clear();
      server.batchExpireIds.clear();
      server.batchValidationErrors = null;
      server.batchPollsPerStatus = options.batchPollsPerStatus ?? 1;
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      const done = new Promise<void>((resolve) => http.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await done;
    },
  };
  return server;
}
