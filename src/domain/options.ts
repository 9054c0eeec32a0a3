/** Generation options: the knobs a prompt is sent with, whoever sets them (flags, config, front matter, a batch line). */

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
