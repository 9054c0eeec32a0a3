/** `gpt cost --chunk`: what `--chunk` would cost on each model: its pieces, requests, tokens and price, sending nothing. */
import { formatUsd } from '../accounting/cost.js';
import type { ResolvedConfig } from '../config/types.js';
import { planChunks } from '../core/chunk.js';
import { INPUT_MARK, fillInput } from '../core/split.js';
import { composeMessage, readPipedStdin } from '../core/input.js';
import { messageRequest, templateRequest, templateWhere } from '../core/template-request.js';
import type { Target } from '../cost/target.js';
import { type ChatMessage, GptError, type GenerationOptions, formatInt as int } from '../domain/index.js';
import { flagOptions } from '../config/load.js';
import { findTemplate } from '../templates/find.js';
import { renderTemplate } from '../templates/render.js';
import { parseVarFlags } from '../templates/vars.js';
import { setupFor } from './prompt/chunk.js';

type Flags = Record<string, unknown>;

interface Prompt {
  render: (input: string) => ChatMessage[];
  options: GenerationOptions;
  expected?: number;
}

async function promptFor(target: Target, flags: Flags, config: ResolvedConfig): Promise<Prompt> {
  if (target.kind === 'template') {
    const cwd = process.cwd();
    const template = await findTemplate(target.nameOrPath, templateWhere(config, cwd));
    const vars = await parseVarFlags(flags.var as string[] | undefined, flags.vars as string | undefined, cwd);
    const request = templateRequest(await renderTemplate(template, vars, INPUT_MARK), config, flagOptions(flags));
    return { render: fillInput(request.messages), options: request.options, ...(template.expect.output_tokens !== undefined ? { expected: template.expect.output_tokens } : {}) };
  }
  if (target.kind === 'batch') throw new GptError('usage', '--chunk prices long piped input for one prompt; a batch file is priced line by line without it');
  const instruction = target.kind === 'message' ? [target.text] : [];
  const request = messageRequest(composeMessage(instruction, ''), config, flagOptions(flags));
  return { render: (input) => messageRequest(composeMessage(instruction, input), config, flagOptions(flags)).messages, options: request.options };
}

export async function costChunked(target: Target, flags: Flags, config: ResolvedConfig, models: string[]): Promise<number> {
  const input = await readPipedStdin();
  if (input === undefined || input.trim() === '') throw new GptError('usage', '--chunk prices piped input: pipe the long text on stdin');
  const prompt = await promptFor(target, flags, config);
  const rows = [];
  for (const model of models) {
    const setup = await setupFor({
      config: { ...config, model },
      options: prompt.options,
      render: prompt.render,
      ...(typeof flags.chunkTokens === 'number' ? { chunkTokens: flags.chunkTokens } : {}),
      ...(prompt.expected !== undefined ? { expectedOutputTokens: prompt.expected } : {}),
    });
    const plan = planChunks(input, setup);
    const e = plan.estimate;
    rows.push({ model, pieces: plan.pieces.length, requests: e.requests, input_tokens: e.inputTokens, output_tokens: e.outputTokens, cost_usd: e.cost.priced ? e.cost.total_usd : null });
  }
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ chunk: rows, approximate: true }, null, 2)}\n`);
    return 0;
  }
  const lines = [['model', 'pieces', 'requests', 'input tokens', 'output tokens', 'cost']];
  for (const r of rows) lines.push([r.model, int(r.pieces), `~${int(r.requests)}`, `~${int(r.input_tokens)}`, `~${int(r.output_tokens)}`, r.cost_usd === null ? 'unknown' : `~${formatUsd(r.cost_usd)}`]);
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  const table = lines.map((l) => l.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd());
  process.stdout.write(`${table.join('\n')}\n\n~ the whole --chunk plan: map requests, reduce levels and the final reduce, each answer assumed ${int(rows.length ? rows[0]!.output_tokens / Math.max(1, rows[0]!.requests) : 0)} tokens\n`);
  return 0;
}
