/** `POST /responses`: the request body, and its streamed (typed SSE events) or whole answer as events. */
import { GptError, type Usage } from '../domain/index.js';
import { callJson } from './http-json.js';
import { DEFAULT_TIMEOUT_SECONDS, type HttpSettings, type OpenResponse, isEventStream, parseFrame, postJson, readText, startEvent } from './http.js';
import { type FrameHandler, streamFrames } from './frames.js';
import { type Json, isObject, notList, notObject, parseBody, typeOf, unexpectedBody, unexpectedEvent } from './shape.js';
import { responsesCalls, responsesItems, responsesTools } from './tool-calls.js';
import type { ProviderEvent, ProviderRequest } from './types.js';
import { tokenCount as num } from './usage.js';

/** Options the Responses API has no field for; sending them would be a 400, so they are dropped with a warning. */
export function unsupportedByResponses(request: ProviderRequest): string[] {
  const o = request.options;
  const out: string[] = [];
  if (o.stop?.length) out.push('--stop');
  if (o.seed !== undefined) out.push('--seed');
  if (o.presencePenalty !== undefined) out.push('--presence-penalty');
  if (o.frequencyPenalty !== undefined) out.push('--frequency-penalty');
  return out;
}

export function responsesBody(request: ProviderRequest, stream: boolean): Json {
  const o = request.options;
  const system = request.messages.filter((m) => m.role === 'system' || m.role === 'developer');
  const rest = request.messages.filter((m) => m.role !== 'system' && m.role !== 'developer');
  const body: Json = { model: request.model };
  if (system.length > 0) body.instructions = system.map((m) => m.content).join('\n\n');
  body.input = rest.length === 1 && rest[0]!.role === 'user' && rest[0]!.item === undefined && !rest[0]!.parts?.length ? rest[0]!.content : responsesItems(rest);
  if (request.tools?.length) [body.tools, body.tool_choice] = [responsesTools(request.tools), 'auto'];
  body.store = false;
  if (stream) body.stream = true;
  if (o.temperature !== undefined) body.temperature = o.temperature;
  if (o.topP !== undefined) body.top_p = o.topP;
  if (o.maxOutputTokens !== undefined) body.max_output_tokens = o.maxOutputTokens;
  if (o.effort !== undefined) body.reasoning = { effort: o.effort };
  if (o.schema) {
    body.text = {
      format: { type: 'json_schema', name: o.schema.name, schema: o.schema.schema, strict: o.schema.schema.additionalProperties === false },
    };
  }
  return body;
}

/** `POST /responses/compact`: older input items in, the compacted items (a `compaction` item among them) out. */
export async function compactResponses(http: HttpSettings, request: ProviderRequest): Promise<{ items: unknown[]; usage: Usage; model: string }> {
  const { model, instructions, input } = responsesBody(request, false);
  const answer = await callJson(http, { method: 'POST', path: '/responses/compact', json: { model, input, ...(instructions !== undefined ? { instructions } : {}) }, ...(request.signal ? { signal: request.signal } : {}) });
  if (!Array.isArray(answer.output)) throw new GptError('api', 'POST /responses/compact answered without an output list');
  const usage = typeof answer.usage === 'object' && answer.usage !== null ? usageFromResponses(answer.usage as Json) : undefined;
  if (!usage) throw new GptError('api', 'POST /responses/compact answered without usage');
  return { items: answer.output as unknown[], usage, model: typeof answer.model === 'string' ? answer.model : request.model };
}

export function usageFromResponses(raw: Json): Usage {
  const input = num(raw.input_tokens);
  const output = num(raw.output_tokens);
  return {
    input_tokens: input,
    cached_input_tokens: num((raw.input_tokens_details as Json | undefined)?.cached_tokens),
    output_tokens: output,
    reasoning_tokens: num((raw.output_tokens_details as Json | undefined)?.reasoning_tokens),
    total_tokens: num(raw.total_tokens) || input + output,
    estimated: false,
  };
}

/** Maps a finished response object's status to a chat-style finish reason. */
function finishReason(response: Json): string {
  if (response.status === 'incomplete') {
    const reason = (response.incomplete_details as Json | undefined)?.reason;
    return reason === 'max_output_tokens' ? 'length' : typeof reason === 'string' ? reason : 'incomplete';
  }
  return 'stop';
}

function apiError(error: Json | undefined, fallback: string): GptError {
  const inner = (error?.error as Json | undefined) ?? error; // documented flat, observed nested
  const message = typeof inner?.message === 'string' ? inner.message : fallback;
  return new GptError('api', `the API reported an error: ${message}`, { code: typeof inner?.code === 'string' ? inner.code : undefined });
}

function* finalEvents(response: Json): Generator<ProviderEvent> {
  const calls = responsesCalls(response.output);
  if (calls.length > 0) yield { type: 'tool_calls', calls };
  if (response.usage && typeof response.usage === 'object') yield { type: 'usage', usage: usageFromResponses(response.usage as Json) };
  yield { type: 'finish', reason: finishReason(response) };
}

/** A server without the Responses API answers 404: say where, and what to use instead. */
function notFoundHint(error: unknown, baseUrl: string): unknown {
  if (!(error instanceof GptError) || error.details.status !== 404) return error;
  const hint = `${error.message} from POST ${baseUrl}/responses: this server does not seem to offer the Responses API; try --api chat`;
  return new GptError(error.kind, hint, error.details, { cause: error });
}

export async function* responsesStream(http: HttpSettings, request: ProviderRequest): AsyncGenerator<ProviderEvent> {
  const dropped = unsupportedByResponses(request);
  if (dropped.length > 0) yield { type: 'warning', message: `the responses API has no ${dropped.join(', ')}; ignored (use --api chat)` };
  const stream = request.options.stream !== false;
  let response: OpenResponse;
  try {
    response = yield* postJson(http, '/responses', responsesBody(request, stream), request.signal);
  } catch (error) {
    throw notFoundHint(error, http.baseUrl);
  }
  yield startEvent(response);
  const url = `${http.baseUrl}/responses`;
  const timeout = http.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  if (!stream || !isEventStream(response)) {
    yield* wholeResponse(await readText(response, url, timeout, request.signal));
    return;
  }

  const complete = yield* streamFrames(response, url, timeout, request.signal, responsesFrameReader());
  if (!complete) throw new GptError('api', 'the stream ended before the answer was complete (no response.completed)', { code: 'incomplete_stream' });
}

/** Reads Responses stream events one by one (synchronously: frames.ts runs it over each network read); true at the final one. */
function responsesFrameReader(): FrameHandler {
  let modelSent = false;
  return (event, out) => {
    const frame = parseFrame(event.data);
    if ('warning' in frame) return void out.push(frame.warning);
    const payload = frame.payload;
    const problem = eventProblem(payload);
    if (problem) throw unexpectedEvent(problem);
    const snapshot = payload.response as Json | undefined;
    if (!modelSent && typeof snapshot?.model === 'string') {
      modelSent = true;
      out.push({ type: 'model', model: snapshot.model });
    }
    switch (payload.type) {
      case 'response.output_text.delta':
      case 'response.refusal.delta':
        if (typeof payload.delta === 'string' && payload.delta !== '') out.text('text', payload.delta);
        return false;
      case 'response.reasoning_summary_text.delta':
      case 'response.reasoning_text.delta':
        if (typeof payload.delta === 'string' && payload.delta !== '') out.text('reasoning', payload.delta);
        return false;
      case 'response.completed':
      case 'response.incomplete':
        if (snapshot) for (const final of finalEvents(snapshot)) out.push(final);
        return true;
      case 'response.failed':
        throw apiError(snapshot?.error as Json | undefined, 'the response failed');
      case 'error':
        throw apiError(payload, 'stream error');
      default:
        return false; // many event types (tool calls, annotations, …) carry nothing we print
    }
  };
}

const DELTAS = new Set(['response.output_text.delta', 'response.refusal.delta', 'response.reasoning_summary_text.delta', 'response.reasoning_text.delta']);
const FINALS = new Set(['response.completed', 'response.incomplete']);

/** What is wrong with a stream event's shape: every event has a type; deltas carry text, final events the response. */
function eventProblem(payload: Json): string | undefined {
  const type = payload.type;
  if (typeof type !== 'string') return `type is ${typeOf(type)}, not text`;
  if (DELTAS.has(type) && typeof payload.delta !== 'string') return `${type}: delta is ${typeOf(payload.delta)}, not text`;
  if (FINALS.has(type)) return notObject(`${type}: response`, payload.response);
  return undefined;
}

/** What is wrong with a whole response's shape: `output` is a list of items, a message's content a list of parts. */
function responseBodyProblem(payload: Json): string | undefined {
  if (!Array.isArray(payload.output)) return notList('output', payload.output);
  for (const [i, item] of payload.output.entries()) {
    if (!isObject(item)) return notObject(`output[${i}]`, item);
    if (item.type !== 'message') continue;
    if (!Array.isArray(item.content)) return notList(`output[${i}].content`, item.content);
    const part = item.content.findIndex((p) => !isObject(p));
    if (part !== -1) return notObject(`output[${i}].content[${part}]`, item.content[part]);
  }
  return undefined;
}

/** The answer of a whole response object: its output_text (and refusal) parts, joined (output_text is SDK-only). */
export function responsesAnswerText(payload: Json): string {
  let answer = '';
  const list = (value: unknown): Json[] => (Array.isArray(value) ? value.filter(isObject) : []); // the Batch API path has no shape check
  for (const item of list(payload.output)) {
    if (item.type !== 'message') continue;
    for (const part of list(item.content)) {
      if ((part.type === 'output_text' || part.type === 'text') && typeof part.text === 'string') answer += part.text;
      else if (part.type === 'refusal' && typeof part.refusal === 'string') answer += part.refusal;
    }
  }
  return answer;
}

function* wholeResponse(text: string): Generator<ProviderEvent> {
  const payload = parseBody(text);
  if (payload.status === 'failed' || (payload.error && !payload.output)) throw apiError(payload.error as Json, 'the response failed');
  const problem = responseBodyProblem(payload);
  if (problem) throw unexpectedBody(problem);
  if (typeof payload.model === 'string') yield { type: 'model', model: payload.model };
  const answer = responsesAnswerText(payload);
  if (answer !== '') yield { type: 'text', text: answer };
  yield* finalEvents(payload);
}
