/** `POST /chat/completions`: the request body, and its streamed (SSE) or whole answer as events. */
import { GptError, type Usage } from '../domain/index.js';
import { type FrameHandler, streamFrames } from './frames.js';
import { DEFAULT_TIMEOUT_SECONDS, type HttpSettings, isEventStream, parseFrame, postJson, readText, sendWhole, startEvent } from './http.js';
import { type Json, isObject, notList, notObject, notText, parseBody, textOf, unexpectedBody, unexpectedEvent } from './shape.js';
import { ToolCallAssembler, chatMessage, chatMessageCalls, chatTools } from './tool-calls.js';
import type { EndpointProfile, ProviderEvent, ProviderRequest } from './types.js';
import { tokenCount as num } from './usage.js';

export function chatCompletionsBody(request: ProviderRequest, profile: Pick<EndpointProfile, 'maxTokensField'>, stream: boolean): Json {
  const o = request.options;
  const body: Json = { model: request.model, messages: request.messages.filter((m) => m.item === undefined).map(chatMessage) };
  if (request.tools?.length) [body.tools, body.tool_choice] = [chatTools(request.tools), 'auto'];
  if (stream) {
    body.stream = true;
    body.stream_options = { include_usage: true };
  }
  if (o.temperature !== undefined) body.temperature = o.temperature;
  if (o.topP !== undefined) body.top_p = o.topP;
  if (o.maxOutputTokens !== undefined) body[profile.maxTokensField ?? 'max_completion_tokens'] = o.maxOutputTokens;
  if (o.effort !== undefined) body.reasoning_effort = o.effort;
  if (o.stop !== undefined && o.stop.length > 0) body.stop = o.stop;
  if (o.seed !== undefined) body.seed = o.seed;
  if (o.presencePenalty !== undefined) body.presence_penalty = o.presencePenalty;
  if (o.frequencyPenalty !== undefined) body.frequency_penalty = o.frequencyPenalty;
  if (o.schema) {
    body.response_format = {
      type: 'json_schema',
      // Strict mode only accepts closed schemas; sending it for an open one would be a 400.
      json_schema: { name: o.schema.name, schema: o.schema.schema, strict: o.schema.schema.additionalProperties === false },
    };
  }
  return body;
}

/** OpenAI-style usage (`prompt_tokens`…, details optional or `{}`) in our field names. */
export function usageFromChat(raw: Json): Usage {
  const prompt = raw.prompt_tokens_details as Json | undefined;
  const completion = raw.completion_tokens_details as Json | undefined;
  const input = num(raw.prompt_tokens);
  const output = num(raw.completion_tokens);
  return {
    input_tokens: input,
    cached_input_tokens: num(prompt?.cached_tokens),
    output_tokens: output,
    reasoning_tokens: num(completion?.reasoning_tokens),
    total_tokens: num(raw.total_tokens) || input + output,
    estimated: false,
  };
}

function usageEvent(raw: Json): ProviderEvent {
  const cost = raw.cost;
  return typeof cost === 'number' ? { type: 'usage', usage: usageFromChat(raw), providerCostUsd: cost } : { type: 'usage', usage: usageFromChat(raw) };
}

function streamError(payload: Json): GptError {
  const error = (payload.error ?? payload) as Json;
  const message = typeof error.message === 'string' ? error.message : JSON.stringify(error);
  const code = typeof error.code === 'string' ? error.code : undefined;
  return new GptError('api', `the API reported an error mid-stream: ${message}`, { code, type: typeof error.type === 'string' ? error.type : undefined });
}

export async function* chatCompletionsStream(http: HttpSettings, profile: EndpointProfile, request: ProviderRequest): AsyncGenerator<ProviderEvent> {
  const stream = request.options.stream !== false;
  const body = chatCompletionsBody(request, profile, stream);
  const response = yield* postJson(http, '/chat/completions', body, request.signal);
  yield startEvent(response);
  const url = `${http.baseUrl}/chat/completions`;
  const timeout = http.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  if (!stream || !isEventStream(response)) {
    yield* wholeAnswer(await readText(response, url, timeout, request.signal));
    return;
  }

  const reader = chatFrameReader();
  const done = yield* streamFrames(response, url, timeout, request.signal, reader.handle);
  // [DONE] ends the answer; without it, the chunk with a finish_reason must have come.
  if (!done && !reader.finished()) throw new GptError('api', 'the stream ended before the answer was complete (no finish_reason, no [DONE])', { code: 'incomplete_stream' });
}

/** Reads chat-completion chunks one by one (synchronously: frames.ts runs it over each network read). */
function chatFrameReader(): { handle: FrameHandler; finished: () => boolean } {
  let modelSent = false;
  let finished = false;
  const calls = new ToolCallAssembler();
  const handle: FrameHandler = (event, out) => {
    if (event.event === 'error') throw streamError(safeParse(event.data));
    if (event.data === '[DONE]') return true;
    const frame = parseFrame(event.data);
    if ('warning' in frame) return void out.push(frame.warning);
    const payload = frame.payload;
    if (payload.error !== undefined && payload.choices === undefined) throw streamError(payload);
    const problem = chunkProblem(payload);
    if (problem) throw unexpectedEvent(problem);
    if (!modelSent && typeof payload.model === 'string' && payload.model) {
      modelSent = true;
      out.push({ type: 'model', model: payload.model });
    }
    const choice = (payload.choices as Json[] | undefined)?.[0];
    const delta = choice?.delta as Json | undefined;
    if (delta) {
      const reasoning = delta.reasoning_content ?? delta.reasoning;
      if (typeof reasoning === 'string' && reasoning !== '') out.text('reasoning', reasoning);
      const content = textOf(delta.content);
      if (content !== '') out.text('text', content);
      if (typeof delta.refusal === 'string' && delta.refusal !== '') out.text('text', delta.refusal);
      calls.add(delta.tool_calls);
    }
    if (payload.usage && typeof payload.usage === 'object') out.push(usageEvent(payload.usage as Json));
    if (typeof choice?.finish_reason === 'string') {
      finished = true;
      if (choice.finish_reason === 'error') throw new GptError('api', 'the API ended the stream with an error');
      const toolCalls = calls.done();
      if (toolCalls.length > 0) out.push({ type: 'tool_calls', calls: toolCalls });
      out.push({ type: 'finish', reason: choice.finish_reason });
    }
    return false;
  };
  return { handle, finished: () => finished };
}

function safeParse(data: string): Json {
  try {
    const value: unknown = JSON.parse(data);
    return isObject(value) ? value : { message: data };
  } catch {
    return { message: data };
  }
}

/** What is wrong with a stream chunk's shape; a chunk without choices (usage only) or with an empty list is fine. */
function chunkProblem(payload: Json): string | undefined {
  const choices = payload.choices;
  if (choices === undefined || choices === null) return undefined;
  if (!Array.isArray(choices)) return notList('choices', choices);
  if (choices.length === 0) return undefined;
  if (!isObject(choices[0])) return notObject('choices[0]', choices[0]);
  const delta = choices[0].delta;
  if (delta === undefined || delta === null) return undefined;
  if (!isObject(delta)) return notObject('choices[0].delta', delta);
  return notText('choices[0].delta.content', delta.content);
}

/** What is wrong with a whole chat completion's shape: its first choice must carry a message. */
function chatBodyProblem(payload: Json): string | undefined {
  const choices = payload.choices;
  if (!Array.isArray(choices)) return notList('choices', choices);
  if (choices.length === 0) return 'choices is an empty list';
  if (!isObject(choices[0])) return notObject('choices[0]', choices[0]);
  const message = choices[0].message;
  if (!isObject(message)) return notObject('choices[0].message', message);
  return notText('choices[0].message.content', message.content) ?? notText('choices[0].message.refusal', message.refusal);
}

/** The answer of a whole chat completion: its content, else its refusal. */
export function chatAnswerText(payload: Json): string {
  const message = (payload.choices as Json[] | undefined)?.[0]?.message as Json | undefined;
  const content = textOf(message?.content);
  if (content !== '') return content;
  return typeof message?.refusal === 'string' ? message.refusal : '';
}

/** A non-streamed chat completion without generator layers: the retry loop driven to its response (retries and the start to `early`), one whole-body read, the answer's events as a list. */
export async function chatCompletionsWhole(http: HttpSettings, profile: EndpointProfile, request: ProviderRequest, early: (event: ProviderEvent) => void): Promise<ProviderEvent[]> {
  const call = { method: 'POST', path: '/chat/completions', json: chatCompletionsBody(request, profile, false), signal: request.signal } as const;
  const response = await sendWhole(http, call, early);
  early(startEvent(response));
  const text = await readText(response, `${http.baseUrl}/chat/completions`, http.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS, request.signal);
  return wholeAnswer(text);
}

/** The events of a whole chat completion, in the order a stream would give them. */
function wholeAnswer(text: string): ProviderEvent[] {
  const payload = parseBody(text);
  if (payload.error !== undefined && payload.choices === undefined) throw streamError(payload);
  const problem = chatBodyProblem(payload);
  if (problem) throw unexpectedBody(problem);
  const events: ProviderEvent[] = [];
  if (typeof payload.model === 'string' && payload.model) events.push({ type: 'model', model: payload.model });
  const choice = (payload.choices as Json[] | undefined)?.[0];
  const message = choice?.message as Json | undefined;
  const reasoning = message?.reasoning_content ?? message?.reasoning;
  if (typeof reasoning === 'string' && reasoning !== '') events.push({ type: 'reasoning', text: reasoning });
  const content = chatAnswerText(payload);
  if (content !== '') events.push({ type: 'text', text: content });
  const toolCalls = chatMessageCalls(message);
  if (toolCalls.length > 0) events.push({ type: 'tool_calls', calls: toolCalls });
  if (payload.usage && typeof payload.usage === 'object') events.push(usageEvent(payload.usage as Json));
  events.push({ type: 'finish', reason: typeof choice?.finish_reason === 'string' ? choice.finish_reason : 'stop' });
  return events;
}
