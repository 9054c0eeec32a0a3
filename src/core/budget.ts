/**
 * The money and size rules of one prompt, as pure functions over token counts and prices: the checks before
 * sending (context window, --max-cost on the input alone), the running cost of a streaming answer, and the
 * cost of a finished one.
 */
import { costOf, formatUsd } from '../accounting/cost.js';
import { attachmentTokens } from '../attachments/image-tokens.js';
import { guardWindow } from './window.js';
import { type ChatMessage, type Cost, GptError, type Price, type TextCounter, type ToolSpec, type Usage } from '../domain/index.js';

/** What the pipeline needs to know of a model: its price (null when unknown) and context window. */
export interface ModelFacts {
  price: Price | null;
  contextWindow: number | null;
  /** Most input tokens, when the price table says. */
  maxInputTokens?: number | null;
}

/** Usage from token counts alone (a budget check, a dry run): estimated, nothing cached or reasoned. */
export function estimatedUsage(inputTokens: number, outputTokens = 0): Usage {
  return { input_tokens: inputTokens, cached_input_tokens: 0, output_tokens: outputTokens, reasoning_tokens: 0, total_tokens: inputTokens + outputTokens, estimated: true };
}

/** The cost of an answer: the price table's, or the provider's own figure when it reported one (OpenRouter). */
export function answerCost(usage: Usage, price: Price | null, providerCostUsd: number | undefined): Cost {
  const cost = costOf(usage, price);
  return providerCostUsd === undefined ? cost : { ...cost, total_usd: providerCostUsd, priced: true, source: 'provider' };
}

/**
 * The functions offered, as input tokens: their JSON. The API renders them its own way (undocumented), so this is an
 * estimate of about the same size; a reported usage, when it comes, replaces it.
 */
export function toolTokens(counter: TextCounter, tools: readonly ToolSpec[] | undefined): number {
  return tools?.length ? counter.count(JSON.stringify(tools.map(({ name, description, parameters }) => ({ name, description, parameters })))) : 0;
}

/** A prompt's input tokens counted here: its messages, attached images by their formula, and the functions offered. */
export function countedInputTokens(counter: TextCounter, prompt: Pick<PromptCheck, 'model' | 'messages' | 'tools'>): number {
  return counter.countChat(prompt.messages) + attachmentTokens(prompt.messages, prompt.model) + toolTokens(counter, prompt.tools);
}

export interface PromptCheck {
  model: string;
  messages: readonly ChatMessage[];
  /** Functions offered to the model: input tokens too. */
  tools?: readonly ToolSpec[];
  maxCost?: number;
  /** The output cap, which the window must hold beside the input. */
  maxOutputTokens?: number;
}

/**
 * Before sending: warns when the prompt is over the model's context window and refuses (budget) a prompt whose
 * input alone costs more than --max-cost. Returns the input tokens when it counted them.
 */
export async function checkBeforeSending(prompt: PromptCheck, facts: ModelFacts, counter: () => Promise<TextCounter>): Promise<number | undefined> {
  const { model, maxCost } = prompt;
  const counted = await guardWindow(model, prompt.messages, prompt.maxOutputTokens, facts, counter);
  if (maxCost === undefined || !facts.price) return counted;
  const inputTokens = counted === undefined ? countedInputTokens(await counter(), prompt) : counted + toolTokens(await counter(), prompt.tools);
  const inputCost = costOf(estimatedUsage(inputTokens), facts.price).total_usd;
  if (inputCost > maxCost) throw new GptError('budget', `the prompt alone would cost ${formatUsd(inputCost)} on ${model}, over --max-cost ${formatUsd(maxCost, { exact: true })}; nothing was sent`);
  return inputTokens;
}

/** The running cost of a streaming answer: each piece of text added returns the budget error once the total passes --max-cost. */
export function spendMeter(counter: TextCounter, price: Price, inputTokens: number, maxCost: number): (text: string) => GptError | undefined {
  let outputTokens = 0;
  return (text) => {
    outputTokens += counter.count(text);
    const spent = costOf(estimatedUsage(inputTokens, outputTokens), price).total_usd;
    return spent > maxCost ? new GptError('budget', `stopped: the answer reached ~${formatUsd(spent)}, over --max-cost ${formatUsd(maxCost, { exact: true })}`) : undefined;
  };
}
