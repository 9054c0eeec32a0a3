/** The normalised event stream every backend (chat completions, responses, simulate) speaks. */
import type { ApiShape, ChatMessage, GenerationOptions, ToolCall, ToolSpec, Usage } from '../domain/index.js';

export interface ProviderRequest {
  model: string;
  messages: ChatMessage[];
  options: GenerationOptions;
  signal?: AbortSignal;
  /** Output length the simulate provider should produce (a template's `expect.output_tokens`). */
  expectedOutputTokens?: number;
  /**
   * When true (batch: nothing has been shown yet), a stream that breaks midway is started again
   * within the same retry budget; the provider first yields a `retry` event with `restart: true`,
   * after which the consumer must discard the text and usage it collected so far.
   */
  restartable?: boolean;
  /** Functions the model may call (sent as `tools`, with `tool_choice: auto`). */
  tools?: ToolSpec[];
}

export type ProviderEvent =
  /** Headers arrived: the request is accepted; `rateLimit` holds any x-ratelimit-* headers. */
  | { type: 'start'; requestId?: string; rateLimit?: Record<string, string> }
  /** The model the API says answered (often a dated snapshot of the one requested). */
  | { type: 'model'; model: string }
  | { type: 'text'; text: string }
  | { type: 'reasoning'; text: string }
  | { type: 'usage'; usage: Usage; providerCostUsd?: number }
  | { type: 'finish'; reason: string }
  /** The model asked for these calls (arguments complete), before its `finish`. */
  | { type: 'tool_calls'; calls: ToolCall[] }
  /** About to wait `delayMs` and try again; `status` is the HTTP status when there was one. */
  | { type: 'retry'; attempt: number; delayMs: number; reason: string; status?: number; restart?: boolean }
  /** Something odd but survivable (a malformed frame skipped, an option the endpoint ignores). */
  | { type: 'warning'; message: string };

export interface Provider {
  /** Streams one answer. Retries happen inside, before the first event; errors are GptErrors. */
  stream(request: ProviderRequest): AsyncIterable<ProviderEvent>;
  /**
   * A non-streamed answer read whole (one body, one JSON.parse, no event stream): the events `stream` would
   * yield, in its order. Those before the body is read (`start`, `retry`) go to `early` as they happen; the
   * answer's come back as a list. Undefined when this request has no such path (streamed, or not a chat
   * completion): use `stream`.
   */
  whole?(request: ProviderRequest, early: (event: ProviderEvent) => void): Promise<ProviderEvent[]> | undefined;
  /** The Responses API's own compaction (`POST /responses/compact`): the compacted input items and the pass's usage. */
  compact?(request: ProviderRequest): Promise<{ items: unknown[]; usage: Usage; model: string }>;
}

/** What a backend needs to know of a profile (config's ProfileConfig has these and more). */
export interface EndpointProfile {
  baseUrl: string;
  headers?: Record<string, string>;
  api?: ApiShape;
  /** Which chat-completions field carries the output cap. */
  maxTokensField?: 'max_completion_tokens' | 'max_tokens';
  simulate?: boolean;
  tokensPerSecond?: number;
}

/** The API shape a request goes to (the one choice, for live, dry-run and Batch API): `--api`, else the profile's, else chat. */
export function apiFor(request: Pick<ProviderRequest, 'options'>, profile: Pick<EndpointProfile, 'api'>): ApiShape {
  return request.options.api ?? profile.api ?? 'chat';
}
