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

/** Columns dropped, in this order, until the table fits the terminal; model, input and output always stay. */
const DROP_ORDER = ['source', 'tokenizer', 'max out', 'cached/1M', 'context'];
const LEFT_ALIGNED = new Set(['model', 'tokenizer', 'source']);
const MIN_MODEL_WIDTH = 16;

/** An id cut to `width` with an ellipsis, keeping its start and end: `openrouter/meta-…70b-instruct`. */
function abbreviate(id: string, width: number): string {
  if (id.length <= width) return id;
  const tail = Math.floor((width - 1) / 2);
  return `${id.slice(0, width - 1 - tail)}…${id.slice(id.length - tail)}`;
}

/** The table, fitted to `width` columns by dropping columns and abbreviating long ids; null = every column in full (--wide). */
export function renderTable(models: ModelInfo[], width: number | null = null): string {
  const sources = [...new Set(models.map((m) => m.source))];
  const all: Array<[string, (m: ModelInfo) => string]> = [
    ['model', (m) => m.id],
    ['input/1M', (m) => dollars(m.price?.input)],
    ['cached/1M', (m) => dollars(m.price?.cachedInput)],
    ['output/1M', (m) => dollars(m.price?.output)],
    ['context', (m) => tokens(m.contextWindow)],
    ['max out', (m) => tokens(m.maxOutputTokens)],
    ['tokenizer', (m) => (m.exactTokenizer ? m.tokenizer : `~${m.tokenizer}`)],
    ['source', (m) => shortSource(m, sources.indexOf(m.source) + 1)],
  ];
  let columns = all.map(([name, cell]) => ({ name, cells: models.map(cell) }));
  const widthOf = (c: { name: string; cells: string[] }) => Math.max(c.name.length, ...c.cells.map((x) => x.length));
  const total = () => columns.reduce((sum, c) => sum + widthOf(c), 0) + 2 * (columns.length - 1);
  const dropped: string[] = [];
  for (const name of DROP_ORDER) {
    const rest = () => total() - widthOf(columns[0]!) + Math.min(widthOf(columns[0]!), MIN_MODEL_WIDTH);
    if (width === null || rest() <= width) break;
    columns = columns.filter((c) => c.name !== name);
    dropped.push(name);
  }
  if (width !== null && total() > width) {
    const room = Math.max(MIN_MODEL_WIDTH, width - (total() - widthOf(columns[0]!)));
    columns[0]!.cells = columns[0]!.cells.map((id) => abbreviate(id, room));
  }
  const widths = columns.map(widthOf);
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (LEFT_ALIGNED.has(columns[i]!.name) ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  const shown = new Set(columns.map((c) => c.name));
  const notes = [
    `USD per 1M tokens${shown.has('cached/1M') ? '; cached "-" = billed at the input rate' : ''}.`,
    ...(shown.has('tokenizer') ? ["~ = approximate tokenizer (another vendor's model)."] : []),
    ...(dropped.length > 0 ? [`Not shown (${width} columns): ${dropped.join(', ')}; gpt models --wide shows all.`] : []),
    ...(shown.has('source') ? ['Sources:', ...sources.map((s, i) => `  [${i + 1}] ${s}`)] : []),
  ];
  const table = [line(columns.map((c) => c.name)), ...models.map((_, row) => line(columns.map((c) => c.cells[row]!)))];
  return [...table, '', ...notes.flatMap((note) => (width === null ? [note] : wrap(note, width))), ''].join('\n');
}

/** A note broken at spaces to fit `width`; continuation lines indented like the first. */
function wrap(text: string, width: number): string[] {
  const indent = /^ */.exec(text)![0] + (text.startsWith('  [') ? '    ' : '');
  const lines: string[] = [];
  let current = '';
  for (const word of text.trim().split(' ')) {
    const start = lines.length === 0 && current === '' ? /^ */.exec(text)![0] : indent;
    if (current !== '' && current.length + 1 + word.length > width) {
      lines.push(current);
      current = indent + word;
    } else current = current === '' ? start + word : `${current} ${word}`;
  }
  return [...lines, current];
}

/** The width to fit: the terminal's, or 80 when stdout is not one (a pipe, a file). */
export function tableWidth(stdout: { isTTY?: boolean; columns?: number }): number {
  return stdout.isTTY && stdout.columns ? stdout.columns : 80;
}

export async function run(_positional: unknown[], options: Record<string, unknown>): Promise<number> {
  const { loadConfig } = await import('../config/load.js');
  const config = await loadConfig(options, process.env, process.cwd(), { sendsNothing: true });
  const models = listModels(config.pricing);
  if (options.json) process.stdout.write(`${JSON.stringify({ models: models.map(modelJson) }, null, 2)}\n`);
  else process.stdout.write(renderTable(models, options.wide === true ? null : tableWidth(process.stdout)));
  return 0;
}
