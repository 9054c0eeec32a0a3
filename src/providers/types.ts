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
}

export type ProviderEvent =
  | { type: 'start'; model?: string; requestId?: string }
  | { type: 'text'; text: string }
  | { type: 'reasoning'; text: string }
  | { type: 'usage'; usage: Usage; providerCostUsd?: number }
  | { type: 'finish'; reason: string }
  | { type: 'retry'; attempt: number; delayMs: number; reason: string };

export interface Provider {
  /** Streams one answer. Retries happen inside, before the first event; errors are GptErrors. */
  stream(request: ProviderRequest): AsyncIterable<ProviderEvent>;
}
