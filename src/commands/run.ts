/** `gpt run <template>`: renders a prompt template with --var/--vars and piped stdin, then runs it once (or shows it with --dry-run). */
import { formatUsd } from '../accounting/cost.js';
import { loadConfig } from '../config/load.js';
import type { ResolvedConfig } from '../config/types.js';
import { type DryRunPlan, outputAssumption, planDryRun } from '../core/dry-run.js';
import { readPipedStdin } from '../core/input.js';
import { templateRequest, templateHints, templateWhere } from '../core/template-request.js';
import { GptError, type ChatMessage, type GenerationOptions, type ToolSpec, formatInt as int } from '../domain/index.js';
import { findTemplate, shadowedBy } from '../templates/find.js';
import { parseVarFlags } from '../templates/vars.js';
import { renderTemplate } from '../templates/render.js';
import { schemaFromFlag } from '../templates/schema.js';
import type { Template } from '../templates/types.js';
import { type Output, warn } from '../ui/status.js';
import { type PromptFlags, readPromptFlags, text, texts } from './prompt/options.js';
import { runPrompt } from './prompt/runner.js';
import { INPUT_MARK, fillInput } from '../core/split.js';
import { ConversationWriter } from '../conversations/history.js';
import { conversationsDir } from '../conversations/store.js';
import { conversationSaver } from '../core/save-conversation.js';
import { dryRunTools, hasTools, openToolbox } from './prompt/tools.js';
import { attachAll, attachTakesStdin, readAttachments } from './prompt/attach.js';
import type { Attachment } from '../attachments/load.js';

const out: Output = { stdout: process.stdout, stderr: process.stderr };

/** `gpt run`'s flags, read once. */
export interface RunOptions extends PromptFlags {
  /** The template's name or path. */
  template: string;
  /** --var k=v (repeatable). */
  vars: string[];
  /** --vars file.json. */
  varsFile?: string;
  dryRun: boolean;
  /** False with --no-validate. */
  validate: boolean;
  /** --save-conversation: store the run so `gpt chat -c` can continue it. */
  saveConversation: boolean;
}

export function parseRunOptions(positional: unknown[], flags: Record<string, unknown>): RunOptions {
  const template = text(positional[0]);
  if (template === undefined || template.trim() === '') throw new GptError('usage', 'gpt run needs a template name or path (see gpt templates)');
  const varsFile = text(flags.vars);
  return {
    template,
    vars: texts(flags.var),
    ...(varsFile !== undefined ? { varsFile } : {}),
    dryRun: flags.dryRun === true,
    validate: flags.validate !== false,
    saveConversation: flags.saveConversation === true,
    ...readPromptFlags(flags),
  };
}

export async function run(positional: unknown[], flags: Record<string, unknown>): Promise<number> {
  const o = parseRunOptions(positional, flags);
  const cwd = process.cwd();

  // Template folders come from config (templates.paths); the template may then pick the profile and model.
  const base = await loadConfig(o.config, process.env, cwd);
  const where = templateWhere(base, cwd);
  const template = await findTemplate(o.template, where);
  // A cloned repository's prompts/ can hide a template you know by name: say so.
  const hidden = template.confinedTo ? await shadowedBy(template, where) : [];
  if (hidden.length > 0) warn(out, o.display, `using untrusted ${template.path}, which shadows the ${template.name} in ${hidden.join(', ')}`);
  const vars = await parseVarFlags(o.vars, o.varsFile, cwd);
  const attachments = await readAttachments(o.attach, cwd);
  const piped = attachTakesStdin(o.attach) ? undefined : await readPipedStdin();
  const rendered = await renderTemplate(template, vars, piped);

  const config = template.profile !== undefined || template.model !== undefined ? await loadConfig(o.config, process.env, cwd, templateHints(template)) : base;
  for (const message of config.warnings) warn(out, o.display, message);

  if (o.chunk) return chunked(template, { vars, piped, attachments, config, o, cwd });
  const request = await requestFor(rendered, config, o, cwd);
  const { options } = request;
  const messages = attachAll(request.messages, attachments, { config, model: config.model, options, ...(o.detail ? { detail: o.detail } : {}) }, (m) => warn(out, o.display, m));
  const templateTools = { names: template.tools ?? [], ...(template.confinedTo ? { untrusted: { path: template.path, trust: template.confinedTo.trust } } : {}) };
  if (o.dryRun) {
    const offered = hasTools(o.tools, templateTools.names) ? await dryRunTools(o.tools, config, cwd, templateTools) : { tools: [], warnings: [] };
    for (const message of offered.warnings) warn(out, o.display, message);
    return dryRun(template, config, o, { model: config.model, messages, options, ...(offered.tools.length > 0 ? { tools: offered.tools } : {}) });
  }

  const toolbox = hasTools(o.tools, templateTools.names) ? await openToolbox(o.tools, config, cwd, templateTools) : undefined;
  try {
    await runPrompt({
      ...(toolbox ? { toolbox } : {}),
      command: 'run',
      config,
      model: config.model,
      messages,
      options,
      display: o.display,
      validate: o.validate,
      ...(o.maxCost !== undefined ? { maxCost: o.maxCost } : {}),
      template: template.name,
      ...(template.expect.output_tokens !== undefined ? { expectedOutputTokens: template.expect.output_tokens } : {}),
      ...(o.saveConversation ? { subscribers: runSaver(config, messages) } : {}),
    });
  } finally {
    await toolbox?.close();
  }
  return 0;
}

/** `--save-conversation`: the run becomes a conversation's first turn (its system prompt in the header). */
function runSaver(config: ResolvedConfig, messages: ChatMessage[]) {
  const system = messages.find((m) => m.role === 'system')?.content;
  const writer = new ConversationWriter(conversationsDir(), { profile: config.profileName, model: config.model, ...(system ? { system } : {}) });
  const added = messages.filter((m) => m.role !== 'system');
  return (warn: (message: string) => void) => [conversationSaver({ writer, added, model: config.model }, warn)];
}

interface ChunkContext {
  vars: Record<string, string>;
  piped: string | undefined;
  attachments: Attachment[];
  config: ResolvedConfig;
  o: RunOptions;
  cwd: string;
}

/** `gpt run --chunk`: the template is the map prompt over each piece of piped input, and the reduce prompt over the answers. */
async function chunked(template: Template, { vars, piped, attachments, config, o, cwd }: ChunkContext): Promise<number> {
  if (piped === undefined || piped.trim() === '') throw new GptError('usage', '--chunk splits piped input: pipe the long text on stdin');
  // The template is rendered once per prompt (map, reduce) with a mark where each piece of input goes.
  const prompt = async (body: string | undefined) => (await requestFor(await renderTemplate(body ? { ...template, body } : template, vars, INPUT_MARK), config, o, cwd));
  const request = await prompt(template.chunk?.map);
  const where = { config, model: config.model, options: request.options, ...(o.detail ? { detail: o.detail } : {}) };
  const filler = (messages: ChatMessage[]) => (input: string) => attachAll(fillInput(messages)(input), attachments, where, () => {});
  const render = filler(request.messages);
  const reduce = template.chunk?.reduce ? filler((await prompt(template.chunk.reduce)).messages) : undefined;
  const { runChunked } = await import('./prompt/chunk.js');
  return runChunked({
    command: 'run',
    config,
    options: request.options,
    render,
    ...(reduce ? { reduce } : {}),
    input: piped,
    flags: o,
    dryRun: o.dryRun,
    validate: o.validate,
    template: template.name,
    ...(o.chunkTokens !== undefined ? { chunkTokens: o.chunkTokens } : {}),
    ...(template.expect.output_tokens !== undefined ? { expectedOutputTokens: template.expect.output_tokens } : {}),
  });
}

/** flags > front matter > config defaults, as `gpt cost` counts it; `--schema` replaces the template's schema. */
async function requestFor(
  rendered: { messages: ChatMessage[]; options: GenerationOptions },
  config: ResolvedConfig,
  o: RunOptions,
  cwd: string,
): Promise<{ options: GenerationOptions; messages: ChatMessage[] }> {
  const request = templateRequest(rendered, config, o.generation);
  if (o.schemaFile !== undefined) request.options.schema = await schemaFromFlag(o.schemaFile, cwd);
  return request;
}

/** Where the output cap came from, so the estimate can say what it assumed. */
function capSource(template: Template, o: RunOptions): string {
  if (o.generation.maxOutputTokens !== undefined) return '--max-output-tokens';
  if (template.options.maxOutputTokens !== undefined) return 'the template max_output_tokens';
  return 'config defaults.maxOutputTokens';
}

async function dryRun(
  template: Template,
  config: ResolvedConfig,
  o: RunOptions,
  request: { model: string; messages: ChatMessage[]; options: GenerationOptions; tools?: ToolSpec[] },
): Promise<number> {
  const output = outputAssumption(template.expect.output_tokens, request.options.maxOutputTokens, capSource(template, o));
  const plan = await planDryRun(config, request, output);

  if (plan.dropped.length > 0) warn(out, o.display, `the responses API has no ${plan.dropped.join(', ')}; a real run would drop them (use --api chat)`);
  if (plan.inputLimit !== null && plan.inputTokens > plan.inputLimit) {
    warn(out, o.display, `the prompt is ${int(plan.inputTokens)} tokens, over ${plan.model}'s input limit of ${int(plan.inputLimit)}; the API would probably refuse it`);
  }

  if (o.display.json) {
    const body = {
      request: { url: plan.url, body: plan.body },
      model: plan.model,
      profile: config.profileName,
      input_tokens: plan.inputTokens,
      output_tokens: plan.output.tokens,
      cost_usd: plan.cost.priced ? plan.cost.total_usd : null,
      priced: plan.cost.priced,
      exact_tokens: plan.exactTokens,
      ...(plan.imageTokens ? { image_tokens: plan.imageTokens } : {}),
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
    `input tokens:  ${plan.imageTokens ? '~' : ''}${int(plan.inputTokens)}${plan.exactTokens ? '' : ' (approximate: another vendor’s tokenizer)'}${plan.imageTokens ? ` (~${int(plan.imageTokens)} for images, by OpenAI's formula)` : ''}`,
    `output tokens: ${plan.output.tokens === null ? plan.output.from : `${int(plan.output.tokens)} (${plan.output.from})`}`,
  ];
  const { cost } = plan;
  if (!cost.priced) lines.push(`cost:          unknown: no price known for model '${plan.model}' (add pricing.${plan.model} to your config)`);
  else if (plan.output.tokens === null) lines.push(`cost:          ${formatUsd(cost.total_usd)} for the input alone; the output is not counted`);
  else lines.push(`cost:          ${formatUsd(cost.total_usd)} (${formatUsd(cost.input_usd)} input + ${formatUsd(cost.output_usd)} output)`);
  return lines;
}
