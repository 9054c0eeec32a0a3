/**
 * `--dry-run`: the exact request a prompt would send, its input tokens and its estimated cost — built by the
 * same body functions the providers use, so what is shown is what would go on the wire. No key, no I/O but the
 * tokenizer.
 */
import { costOf } from '../accounting/cost.js';
import { lookupModel } from '../accounting/models.js';
import { loadCounter } from '../accounting/tokenizer.js';
import type { Cost, ApiShape, ChatMessage, GenerationOptions, ToolSpec } from '../domain/index.js';
import type { ResolvedConfig } from '../config/types.js';
import { chatCompletionsBody } from '../providers/chat-completions.js';
import { responsesBody, unsupportedByResponses } from '../providers/responses.js';
import { apiFor } from '../providers/types.js';
import { countedInputTokens, estimatedUsage } from './budget.js';
import { attachmentTokens } from '../attachments/image-tokens.js';

export interface OutputAssumption {
  /** Output tokens assumed for the estimate; null when nothing says how long the answer will be. */
  tokens: number | null;
  /** Where the figure came from, for people (e.g. "template expect.output_tokens"). */
  from: string;
}

export interface DryRunPlan {
  api: ApiShape;
  url: string;
  body: Record<string, unknown>;
  model: string;
  inputTokens: number;
  /** Of the input, image tokens by OpenAI's formula (approximate). */
  imageTokens: number;
  /** False when the tokenizer only approximates the model's own (another vendor's model). */
  exactTokens: boolean;
  output: OutputAssumption;
  /** Input at the input rate plus the assumed output at the output rate; unpriced when the model has no price. */
  cost: Cost;
  /** Options the chosen endpoint has no field for (the provider would drop them with a warning). */
  dropped: string[];
  /** Most input tokens the model accepts, when known. */
  inputLimit: number | null;
}

/**
 * The output length to price: a template's `expect.output_tokens` (never above the output cap, which the
 * model cannot exceed), else the cap itself, else unknown.
 */
export function outputAssumption(expected: number | undefined, cap: number | undefined, capFrom: string): OutputAssumption {
  if (expected !== undefined && cap !== undefined && cap < expected) return { tokens: cap, from: `template expect.output_tokens ${expected}, capped by ${capFrom}` };
  if (expected !== undefined) return { tokens: expected, from: 'template expect.output_tokens' };
  if (cap !== undefined) return { tokens: cap, from: `${capFrom} (the most it can be)` };
  return { tokens: null, from: 'unknown: the template has no expect.output_tokens and no --max-output-tokens was given' };
}

export async function planDryRun(
  config: ResolvedConfig,
  request: { model: string; messages: ChatMessage[]; options: GenerationOptions; tools?: ToolSpec[] },
  output: OutputAssumption,
): Promise<DryRunPlan> {
  const { options } = request;
  // The same choice createProvider makes, so the shown endpoint is the one that would be called.
  const api = apiFor(request, config.profile);
  const stream = options.stream !== false;
  const body = api === 'responses' ? responsesBody(request, stream) : chatCompletionsBody(request, config.profile, stream);
  const url = `${config.profile.baseUrl}/${api === 'responses' ? 'responses' : 'chat/completions'}`;

  const info = lookupModel(request.model, config.pricing);
  const counter = await loadCounter(request.model);
  const imageTokens = attachmentTokens(request.messages, request.model);
  const inputTokens = countedInputTokens(counter, request);
  const cost = costOf(estimatedUsage(inputTokens, output.tokens ?? 0), info.price);
  return {
    api,
    url,
    body,
    model: request.model,
    inputTokens,
    imageTokens,
    exactTokens: counter.exact,
    output,
    cost,
    dropped: api === 'responses' ? unsupportedByResponses(request) : [],
    inputLimit: info.maxInputTokens ?? info.contextWindow,
  };
}
