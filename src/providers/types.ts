/** The normalised shapes every backend (chat completions, responses, simulate) speaks. */

export type Role = 'system' | 'developer' | 'user' | 'assistant';

export interface ChatMessage {
  role: Role;
  content: string;
}

export type Effort = 'none' | 'minimal' | 'low' | 'medium' | 'high' | 'xhigh';
export const EFFORTS: readonly Effort[] = ['none', 'minimal', 'low', 'medium', 'high', 'xhigh'];

export type ApiShape = 'chat' | 'responses';

/** Generation options as the user gives them (flags, front matter, config defaults). */
export interface GenerationOptions {
  system?: string;
  temperature?: number;
  topP?: number;
  maxOutputTokens?: number;
  effort?: Effort;
  stop?: string[];
  seed?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  /** Structured output: a JSON schema the answer must follow. */
  schema?: { name: string; schema: Record<string, unknown> };
  api?: ApiShape;
  stream?: boolean;
  timeoutSeconds?: number;
  retries?: number;
}

/** Token usage, in the field names of the JSON output (SPEC: JSON output). */
export interface Usage {
  input_tokens: number;
  cached_input_tokens: number;
  output_tokens: number;
  reasoning_tokens: number;
  total_tokens: number;
  /** True when the API gave no usage and the tool counted locally. */
  estimated: boolean;
}

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
  /** About to wait `delayMs` and try again; `status` is the HTTP status when there was one. */
  | { type: 'retry'; attempt: number; delayMs: number; reason: string; status?: number; restart?: boolean }
  /** Something odd but survivable (a malformed frame skipped, an option the endpoint ignores). */
  | { type: 'warning'; message: string };

export interface Provider {
  /** Streams one answer. Retries happen inside, before the first event; errors are GptErrors. */
  stream(request: ProviderRequest): AsyncIterable<ProviderEvent>;
}
