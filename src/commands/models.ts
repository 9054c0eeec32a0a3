/** `gpt models`: the known models with prices per 1M tokens, limits and tokenizer (SPEC: Commands, JSON output). */
import { listModels } from '../accounting/models.js';
import type { ModelInfo } from '../accounting/types.js';

export interface ModelJson {
  id: string;
  input_per_1m: number | null;
  cached_input_per_1m: number | null;
  output_per_1m: number | null;
  batch_input_per_1m: number | null;
  batch_output_per_1m: number | null;
  context_window: number | null;
  max_output_tokens: number | null;
  tokenizer: string;
  source: string;
  as_of: string | null;
}

export function modelJson(model: ModelInfo): ModelJson {
  const price = model.price;
  return {
    id: model.id,
    input_per_1m: price?.input ?? null,
    cached_input_per_1m: price?.cachedInput ?? null,
    output_per_1m: price?.output ?? null,
    batch_input_per_1m: price?.batchInput ?? null,
    batch_output_per_1m: price?.batchOutput ?? null,
    context_window: model.contextWindow,
    max_output_tokens: model.maxOutputTokens,
    tokenizer: model.tokenizer,
    source: model.source,
    as_of: model.asOf,
  };
}

const dollars = (n: number | null | undefined) =>
  n === null || n === undefined ? '-' : `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 6 })}`;
const tokens = (n: number | null) => (n === null ? '-' : n.toLocaleString('en-US'));

/** "litellm 2026-07-24 [2]" for the table; the full source strings are listed under it by number. */
function shortSource(model: ModelInfo, note: number): string {
  const origin = model.source.split(' ')[0] ?? model.source;
  return `${model.asOf ? `${origin} ${model.asOf}` : origin} [${note}]`;
}

export function renderTable(models: ModelInfo[]): string {
  const sources = [...new Set(models.map((m) => m.source))];
  const header = ['model', 'input/1M', 'cached/1M', 'output/1M', 'context', 'max out', 'tokenizer', 'source'];
  const rows = models.map((m) => [
    m.id,
    dollars(m.price?.input),
    dollars(m.price?.cachedInput),
    dollars(m.price?.output),
    tokens(m.contextWindow),
    tokens(m.maxOutputTokens),
    m.exactTokenizer ? m.tokenizer : `~${m.tokenizer}`,
    shortSource(m, sources.indexOf(m.source) + 1),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const leftAligned = new Set([0, 6, 7]);
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (leftAligned.has(i) ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [
    line(header),
    ...rows.map(line),
    '',
    'USD per 1M tokens; cached "-" = billed at the input rate; ~ = approximate tokenizer (another vendor\'s model).',
    'Sources:',
    ...sources.map((s, i) => `  [${i + 1}] ${s}`),
    '',
  ].join('\n');
}

export async function run(_positional: unknown[], options: Record<string, unknown>): Promise<number> {
  const { loadConfig } = await import('../config/load.js');
  const config = await loadConfig(options, process.env, process.cwd(), { sendsNothing: true });
  const models = listModels(config.pricing);
  if (options.json) process.stdout.write(`${JSON.stringify({ models: models.map(modelJson) }, null, 2)}\n`);
  else process.stdout.write(renderTable(models));
  return 0;
}
