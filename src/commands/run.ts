/** `gpt run <template>`: renders a prompt template with --var/--vars and piped stdin, then runs it once (or shows it with --dry-run). */
import { resolve } from 'node:path';
import { formatUsd } from '../accounting/cost.js';
import { loadConfig } from '../config/load.js';
import type { ResolvedConfig } from '../config/types.js';
import { type DryRunPlan, outputAssumption, planDryRun } from '../core/dry-run.js';
import { readPipedStdin } from '../core/input.js';
import { type Output, runPrompt, warn } from '../core/prompt.js';
import { templateRequest, templateHints, templateWhere } from '../core/template-request.js';
import { GptError, type ChatMessage, type GenerationOptions } from '../domain/index.js';
import { checkSchema, findTemplate, loadSchemaFile, parseVarFlags, renderTemplate, shadowedBy, type Template } from '../templates/index.js';

const out: Output = { stdout: process.stdout, stderr: process.stderr };

const int = (n: number) => n.toLocaleString('en-US');

export async function run(positional: unknown[], flags: Record<string, unknown>): Promise<number> {
  const nameOrPath = positional[0];
  if (typeof nameOrPath !== 'string' || nameOrPath.trim() === '') throw new GptError('usage', 'gpt run needs a template name or path (see gpt templates)');
  const cwd = process.cwd();

  // Template folders come from config (templates.paths); the template may then pick the profile and model.
  const base = await loadConfig(flags, process.env, cwd);
  const where = templateWhere(base, cwd);
  const template = await findTemplate(nameOrPath, where);
  // A cloned repository's prompts/ can hide a template you know by name: say so.
  const hidden = template.confinedTo ? await shadowedBy(template, where) : [];
  if (hidden.length > 0) warn(out, flags, `using untrusted ${template.path}, which shadows the ${template.name} in ${hidden.join(', ')}`);
  const vars = await parseVarFlags(flags.var as string[] | undefined, flags.vars as string | undefined, cwd);
  const piped = await readPipedStdin();
  const rendered = await renderTemplate(template, vars, piped);

  const config =
    template.profile !== undefined || template.model !== undefined
      ? await loadConfig(flags, process.env, cwd, templateHints(template))
      : base;
  for (const message of config.warnings) warn(out, flags, message);

  const { options, messages } = await requestFor(rendered, config, flags, cwd);
  if (flags.dryRun) return dryRun(template, config, flags, { model: config.model, messages, options });

  await runPrompt({
    command: 'run',
    config,
    flags,
    model: config.model,
    messages,
    options,
    template: template.name,
    expectedOutputTokens: template.expect.output_tokens,
  });
  return 0;
}

/** flags > front matter > config defaults, as `gpt cost` counts it; `--schema` replaces the template's schema. */
async function requestFor(
  rendered: { messages: ChatMessage[]; options: GenerationOptions },
  config: ResolvedConfig,
  flags: Record<string, unknown>,
  cwd: string,
): Promise<{ options: GenerationOptions; messages: ChatMessage[] }> {
  const request = templateRequest(rendered, config, flags);
  if (typeof flags.schema === 'string') {
    const source = `--schema ${flags.schema}`;
    request.options.schema = await loadSchemaFile(resolve(cwd, flags.schema), source);
    await checkSchema(request.options.schema.schema, source);
  }
  return request;
}

/** Where the output cap came from, so the estimate can say what it assumed. */
function capSource(template: Template, flags: Record<string, unknown>): string {
  if (flags.maxOutputTokens !== undefined) return '--max-output-tokens';
  if (template.options.maxOutputTokens !== undefined) return 'the template max_output_tokens';
  return 'config defaults.maxOutputTokens';
}

async function dryRun(
  template: Template,
  config: ResolvedConfig,
  flags: Record<string, unknown>,
  request: { model: string; messages: ChatMessage[]; options: GenerationOptions },
): Promise<number> {
  const output = outputAssumption(template.expect.output_tokens, request.options.maxOutputTokens, capSource(template, flags));
  const plan = await planDryRun(config, request, output);

  if (plan.dropped.length > 0) warn(out, flags, `the responses API has no ${plan.dropped.join(', ')}; a real run would drop them (use --api chat)`);
  if (plan.inputLimit !== null && plan.inputTokens > plan.inputLimit) {
    warn(out, flags, `the prompt is ${int(plan.inputTokens)} tokens, over ${plan.model}'s input limit of ${int(plan.inputLimit)}; the API would probably refuse it`);
  }

  if (flags.json) {
    const body = {
      request: { url: plan.url, body: plan.body },
      model: plan.model,
      profile: config.profileName,
      input_tokens: plan.inputTokens,
      output_tokens: plan.output.tokens,
      cost_usd: plan.cost.priced ? plan.cost.total_usd : null,
      priced: plan.cost.priced,
      exact_tokens: plan.exactTokens,
    };
    out.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
    return 0;
  }
  out.stdout.write(`${JSON.stringify(plan.body, null, 2)}\n`);
  out.stderr.write(`${summary(plan, config).join('\n')}\n`);
  return 0;
}

function summary(plan: DryRunPlan, config: ResolvedConfig): string[] {
  const lines = [
    `dry run, nothing sent: POST ${plan.url} (profile ${config.profileName}, model ${plan.model})`,
    `input tokens:  ${int(plan.inputTokens)}${plan.exactTokens ? '' : ' (approximate: another vendor’s tokenizer)'}`,
    `output tokens: ${plan.output.tokens === null ? plan.output.from : `${int(plan.output.tokens)} (${plan.output.from})`}`,
  ];
  const { cost } = plan;
  if (!cost.priced) lines.push(`cost:          unknown: no price known for model '${plan.model}' (add pricing.${plan.model} to your config)`);
  else if (plan.output.tokens === null) lines.push(`cost:          ${formatUsd(cost.total_usd)} for the input alone; the output is not counted`);
  else lines.push(`cost:          ${formatUsd(cost.total_usd)} (${formatUsd(cost.input_usd)} input + ${formatUsd(cost.output_usd)} output)`);
  return lines;
}
