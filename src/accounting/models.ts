/** Model id → price, limits and tokenizer: the built-in table, forgiving about how ids are spelled, with config overrides. */
import { PRICE_TABLE, type PriceRow } from './price-table.js';
import { type Price, type PricingOverride, didYouMean } from '../domain/index.js';
import type { ModelInfo, Tokenizer } from './types.js';

/** tiktoken 0.14 `model.py` prefixes (openai-api.md §6); gpt-oss's o200k_harmony is o200k_base plus special tokens. */
const O200K_PREFIX = /^(gpt-5|gpt-4\.1|gpt-4\.5|gpt-4o|chatgpt-4o|o1|o3|o4-mini|gpt-oss)/;
const CL100K_PREFIX = /^(gpt-4$|gpt-4-|gpt-3\.5-turbo|text-embedding-3-|text-embedding-ada-002)/;

/** Which tiktoken encoding counts this model's tokens, and whether that count is the model's own. */
export function tokenizerFor(id: string): { tokenizer: Tokenizer; exact: boolean } {
  const bare = candidateIds(id).at(-1)!.toLowerCase();
  if (O200K_PREFIX.test(bare)) return { tokenizer: 'o200k_base', exact: true };
  if (CL100K_PREFIX.test(bare)) return { tokenizer: 'cl100k_base', exact: true };
  return { tokenizer: 'o200k_base', exact: false };
}

let index: Map<string, PriceRow> | undefined;

/** Row ids and aliases, lower-cased, built on first use. */
function tableIndex(): Map<string, PriceRow> {
  if (!index) {
    index = new Map();
    for (const row of PRICE_TABLE) {
      for (const name of [row.id, ...(row.aliases ?? [])]) index.set(name.toLowerCase(), row);
    }
  }
  return index;
}

// A dated snapshot id: -2024-08-06 (OpenAI), -20251101 (Anthropic), @20251001 (Vertex), -0613 (old OpenAI).
const DATE_SUFFIX = /[-@](\d{4}-\d{2}-\d{2}|\d{8}|\d{4})$/;

/**
 * The spellings to try, most specific first: as given, then without vendor prefixes
 * (`openai/gpt-5.2` → `gpt-5.2`), then each of those without a date suffix.
 */
export function candidateIds(id: string): string[] {
  const forms = [id.trim()];
  let rest = forms[0]!;
  for (let slash = rest.indexOf('/'); slash >= 0; slash = rest.indexOf('/')) {
    rest = rest.slice(slash + 1);
    if (rest) forms.push(rest);
  }
  const undated = forms.filter((form) => DATE_SUFFIX.test(form)).map((form) => form.replace(DATE_SUFFIX, ''));
  return [...new Set([...forms, ...undated])];
}

function findRow(id: string): PriceRow | undefined {
  const table = tableIndex();
  for (const candidate of candidateIds(id)) {
    const row = table.get(candidate.toLowerCase());
    if (row) return row;
  }
  return undefined;
}

function findOverride(names: string[], pricing: Record<string, PricingOverride> | undefined): PricingOverride | undefined {
  if (!pricing) return undefined;
  const byLower = new Map(Object.entries(pricing).map(([key, value]) => [key.toLowerCase(), value]));
  for (const name of names) {
    const override = byLower.get(name.toLowerCase());
    if (override && (override.input !== undefined || override.cachedInput !== undefined || override.output !== undefined)) return override;
  }
  return undefined;
}

const halfOf = (n: number | null) => (n === null ? null : n / 2);

function rowPrice(row: PriceRow): Price {
  return {
    input: row.input,
    cachedInput: row.cachedInput,
    output: row.output,
    batchInput: row.batchInput,
    batchCachedInput: row.batchCachedInput,
    batchOutput: row.batchOutput,
    longContext: row.longContext ?? null,
  };
}

/**
 * Lays the user's figures over the table's. An overridden rate also resets its batch rate to half
 * (the Batch API discount) and drops long-context tiers, which the user's figure supersedes.
 */
function applyOverride(base: Price | null, override: PricingOverride): Price | null {
  const { input, cachedInput, output } = override;
  if (!base) {
    if (input === undefined || output === undefined) return null; // an unknown model needs both rates to be priced
    const cached = cachedInput ?? null;
    return { input, cachedInput: cached, output, batchInput: input / 2, batchCachedInput: halfOf(cached), batchOutput: output / 2, longContext: null };
  }
  const hasBatch = base.batchInput !== null; // keep "no batch API" rows that way
  return {
    input: input ?? base.input,
    cachedInput: cachedInput ?? base.cachedInput,
    output: output ?? base.output,
    batchInput: input !== undefined && hasBatch ? input / 2 : base.batchInput,
    batchCachedInput: cachedInput !== undefined && hasBatch ? cachedInput / 2 : (base.batchCachedInput ?? null),
    batchOutput: output !== undefined && hasBatch ? output / 2 : base.batchOutput,
    longContext: null,
  };
}

/**
 * Everything known about a model id: exact id or alias, else without a vendor prefix, else without a
 * date suffix. `pricing` (config `pricing.<model>`, keyed by the full or the stripped id) replaces
 * the figures it names; the result is then marked source "config". Unknown and unpriced: price null.
 */
export function lookupModel(id: string, pricing?: Record<string, PricingOverride>): ModelInfo {
  const row = findRow(id);
  const names = [...candidateIds(id), ...(row ? [row.id, ...(row.aliases ?? [])] : [])];
  const override = findOverride(names, pricing);
  const tokenizer = row ? { tokenizer: row.tokenizer, exact: row.exactTokenizer } : tokenizerFor(id);
  const base = row ? rowPrice(row) : null;
  const price = override ? applyOverride(base, override) : base;
  const overridden = override !== undefined && price !== base;
  return {
    id: id.trim(),
    price,
    contextWindow: row?.contextWindow ?? null,
    maxInputTokens: row?.maxInputTokens ?? null,
    maxOutputTokens: row?.maxOutputTokens ?? null,
    tokenizer: tokenizer.tokenizer,
    exactTokenizer: tokenizer.exact,
    source: overridden ? 'config' : (row?.source ?? 'unknown model'),
    asOf: overridden ? null : (row?.asOf ?? null),
    tableId: row?.id ?? null,
  };
}

/** ` (did you mean 'gpt-5-mini'?)` when an id the table lacks is a typo of one it has; else ''. */
export function modelTypoHint(id: string): string {
  if (findRow(id)) return '';
  return didYouMean(id.trim(), PRICE_TABLE.flatMap((row) => [row.id, ...(row.aliases ?? [])]));
}

/** Every built-in model (table order), overrides applied, then models priced only in config. */
export function listModels(pricing?: Record<string, PricingOverride>): ModelInfo[] {
  const models = PRICE_TABLE.map((row) => lookupModel(row.id, pricing));
  const known = tableIndex();
  for (const key of Object.keys(pricing ?? {})) {
    if (known.has(key.toLowerCase())) continue;
    const info = lookupModel(key, pricing); // e.g. `openai/gpt-5.2` priced apart from gpt-5.2, or a model the table lacks
    if (info.source === 'config') models.push(info);
  }
  return models;
}
