/**
 * One prompt from a resolved config, made ready for the pipeline: the key and the provider, the model's price,
 * window and tokenizer, and the usage-log writer. Nothing here prints or listens to the process: what is shown,
 * and when to stop, is the caller's (commands/prompt/runner.ts for chat and run).
 */
import { lookupModel } from '../accounting/models.js';
import { loadCounter } from '../accounting/tokenizer.js';
import { clearTextWarning, resolveApiKey } from '../config/key.js';
import type { ResolvedConfig } from '../config/types.js';
import type { ChatMessage, GenerationOptions } from '../domain/index.js';
import type { PromptSink } from './events.js';
import { usageLogWriter } from './log-usage.js';
import type { PipelineDeps, PromptSpec } from './pipeline.js';
import { createProvider } from './provider.js';

export interface PromptJob {
  command: 'chat' | 'run';
  config: ResolvedConfig;
  model: string;
  /** The conversation so far, system prompt first; the last message is the new turn. */
  messages: ChatMessage[];
  options: GenerationOptions;
  /** --max-cost; config's budget.maxCostPerRun applies when it is not given. */
  maxCost?: number;
  /** Check a structured answer against its schema (--no-validate: false). */
  validate: boolean;
  template?: string;
  expectedOutputTokens?: number;
}

export interface PreparedPrompt {
  spec: PromptSpec;
  deps: Omit<PipelineDeps, 'emit' | 'signal'>;
  /** Things to say before anything is sent (a key about to cross the network in clear text). */
  warnings: string[];
  /** The usage-log writer, absent for the offline simulate profile; a log it cannot write goes to `warn`. */
  usageLog(warn: (message: string) => void): PromptSink | undefined;
}

/** Resolves the key (exit 3 without one) and builds the provider; `log` gets each request and response when verbose. */
export function preparePrompt(job: PromptJob, log?: (line: string) => void): PreparedPrompt {
  const { config, model } = job;
  const { key } = resolveApiKey(config);
  const clearText = clearTextWarning(config.profile.baseUrl, key);
  const facts = lookupModel(model, config.pricing);
  const maxCost = job.maxCost ?? config.budget.maxCostPerRun;
  const spec: PromptSpec = {
    model,
    messages: job.messages,
    options: job.options,
    validate: job.validate,
    ...(maxCost !== undefined ? { maxCost } : {}),
    ...(job.expectedOutputTokens !== undefined ? { expectedOutputTokens: job.expectedOutputTokens } : {}),
  };
  const entry = { stateDir: config.stateDir, command: job.command, profile: config.profileName, requestedModel: model, prices: facts.price, ...(job.template ? { template: job.template } : {}) };
  return {
    spec,
    deps: { provider: createProvider(config, { apiKey: key, log }), facts, counter: () => loadCounter(model), clock: performance },
    warnings: clearText ? [clearText] : [],
    usageLog: (warn) => (config.profile.simulate ? undefined : usageLogWriter(entry, warn)),
  };
}
