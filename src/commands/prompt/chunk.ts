/**
 * `--chunk` for chat and run: plans the pieces, prints the estimate of the whole plan (on a terminal, and with
 * --dry-run), runs the map and reduce levels through the batch engine and the last reduce as a shown prompt, then
 * one summed footer.
 */
import { formatUsd, addCosts } from '../../accounting/cost.js';
import { lookupModel } from '../../accounting/models.js';
import { loadCounter } from '../../accounting/tokenizer.js';
import { UsageLogWriter } from '../../batch/usage-log.js';
import { resolveApiKey } from '../../config/key.js';
import type { ResolvedConfig } from '../../config/types.js';
import { type ChunkPlan, type ChunkSetup, mapReduce, planChunks } from '../../core/chunk.js';
import { createProvider } from '../../core/provider.js';
import type { ChatMessage, GenerationOptions } from '../../domain/index.js';
import { warn } from '../../ui/status.js';
import type { PromptFlags } from './options.js';
import { runPrompt } from './runner.js';
import { DEFAULT_OUTPUT_TOKENS } from '../../cost/estimate.js';
import { formatInt as int } from '../../domain/index.js';

export interface ChunkJob {
  command: 'chat' | 'run';
  config: ResolvedConfig;
  options: GenerationOptions;
  /** The prompt around a piece of input: map over each piece, reduce over the joined answers. */
  render: (input: string) => ChatMessage[];
  /** The reduce prompt when it is not `render` (a template's chunk.reduce). */
  reduce?: (input: string) => ChatMessage[];
  input: string;
  flags: PromptFlags;
  chunkTokens?: number;
  dryRun?: boolean;
  validate: boolean;
  template?: string;
  expectedOutputTokens?: number;
}

const out = { stdout: process.stdout, stderr: process.stderr };

export function planLine(plan: ChunkPlan, model: string): string {
  if (plan.once) return `--chunk: the input fits one request on ${model}; it runs once`;
  const e = plan.estimate;
  const cost = e.cost.priced ? `~${formatUsd(e.cost.total_usd)}` : 'cost unknown (no price)';
  return `--chunk: ${plan.pieces.length} pieces of at most ${int(plan.pieceTokens)} tokens → ~${int(e.requests)} requests on ${model}, ~${int(e.inputTokens)} input + ~${int(e.outputTokens)} output tokens, ${cost}`;
}

export async function setupFor(job: Pick<ChunkJob, 'config' | 'options' | 'render' | 'reduce' | 'chunkTokens' | 'expectedOutputTokens'>): Promise<ChunkSetup> {
  const model = job.config.model;
  const facts = lookupModel(model, job.config.pricing);
  return {
    model,
    render: job.render,
    ...(job.reduce ? { reduce: job.reduce } : {}),
    counter: await loadCounter(model),
    facts,
    ...(job.options.maxOutputTokens !== undefined ? { maxOutputTokens: job.options.maxOutputTokens } : {}),
    ...(job.chunkTokens !== undefined ? { chunkTokens: job.chunkTokens } : {}),
    outputGuess: job.expectedOutputTokens ?? job.options.maxOutputTokens ?? DEFAULT_OUTPUT_TOKENS,
  };
}

export async function runChunked(job: ChunkJob): Promise<number> {
  const { config, flags } = job;
  const setup = await setupFor(job);
  const plan = planChunks(job.input, setup);
  if ((job.dryRun || process.stderr.isTTY) && !flags.display.quiet) out.stderr.write(`${planLine(plan, setup.model)}\n`);
  if (job.dryRun) return 0;
  const shown = {
    command: job.command,
    config,
    model: setup.model,
    options: job.options,
    display: flags.display,
    validate: job.validate,
    ...(job.template ? { template: job.template } : {}),
    ...(job.expectedOutputTokens !== undefined ? { expectedOutputTokens: job.expectedOutputTokens } : {}),
  };
  const maxCost = flags.maxCost ?? config.budget.maxCostPerRun;
  if (plan.once) {
    await runPrompt({ ...shown, messages: job.render(job.input), ...(maxCost !== undefined ? { maxCost } : {}) });
    return 0;
  }
  const { key } = resolveApiKey(config);
  const usageLog = config.profile.simulate ? undefined : new UsageLogWriter(config.stateDir, () => warn(out, flags.display, 'could not write the usage log'));
  try {
    const { messages, spent } = await mapReduce(plan.pieces, setup, {
      provider: createProvider(config, { apiKey: key }),
      options: job.options,
      ...(config.profile.rpm !== undefined ? { rpm: config.profile.rpm } : {}),
      ...(config.profile.tpm !== undefined ? { tpm: config.profile.tpm } : {}),
      ...(maxCost !== undefined ? { maxCostUsd: maxCost } : {}),
      pricing: config.pricing,
      onLevel: (name, requests) => flags.display.quiet || void out.stderr.write(`--chunk: ${name}: ${requests} request${requests === 1 ? '' : 's'}\n`),
      ...(usageLog ? { usageLog: { sink: usageLog, profile: config.profileName, ...(job.template ? { template: job.template } : {}) } } : {}),
    });
    const left = maxCost === undefined ? undefined : Math.max(0, maxCost - spent.cost.total_usd);
    const final = await runPrompt({ ...shown, messages, ...(left !== undefined ? { maxCost: left } : {}) });
    if (!flags.display.quiet) {
      const cost = addCosts(spent.cost, final.cost);
      const input = spent.usage.input_tokens + final.usage.input_tokens;
      const output = spent.usage.output_tokens + final.usage.output_tokens;
      out.stderr.write(`--chunk total: ${spent.requests + 1} requests · ${int(input)} in · ${int(output)} out · ${cost.priced ? formatUsd(cost.total_usd) : 'cost unknown'}\n`);
    }
  } finally {
    await usageLog?.close();
  }
  return 0;
}
