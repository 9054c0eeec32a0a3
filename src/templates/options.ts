/** Generation options as front matter spells them, checked like the flags, and the merge of option layers. */
import { OPTION_SPECS, checkOptionValue, type GenerationOptions, type OptionName } from '../domain/index.js';
import type { Template } from './types.js';

/** Option keys front matter may set; `system` and `schema` are front-matter keys of their own. */
type FrontMatterOption = Exclude<keyof GenerationOptions, 'system' | 'schema'>;

/** Checked with the one option table (domain/options), so front matter accepts exactly what the flags do. */
const CHECKS = Object.fromEntries(
  (Object.keys(OPTION_SPECS) as OptionName[])
    .filter((name): name is FrontMatterOption => name !== 'system')
    .map((name) => [name, (value: unknown) => {
      const result = checkOptionValue(name, value);
      if (!result.ok) throw new Error(`expected ${result.expected}, got ${JSON.stringify(value)}`);
      return result.value;
    }]),
) as Record<FrontMatterOption, (value: unknown) => unknown>;

/** Flag spellings whose camelCase is not the option's name. */
const ALIASES: Record<string, FrontMatterOption> = { timeout: 'timeoutSeconds' };

const camelCase = (key: string) => key.replace(/[-_]([a-z])/g, (_, c: string) => c.toUpperCase());

/** `max_output_tokens`, `max-output-tokens` and `maxOutputTokens` all name `maxOutputTokens`; undefined if no option. */
export function optionKey(key: string): FrontMatterOption | undefined {
  const camel = camelCase(key);
  if (camel in ALIASES) return ALIASES[camel];
  return Object.hasOwn(CHECKS, camel) ? (camel as FrontMatterOption) : undefined;
}

/** Every spelling a front matter option may use, for "did you mean" hints. */
export const OPTION_SPELLINGS: string[] = [
  ...Object.keys(CHECKS),
  ...Object.keys(CHECKS).map((k) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)),
  ...Object.keys(ALIASES),
];

/** The value, typed, or an Error saying what was expected. */
export function checkOption(key: FrontMatterOption, value: unknown): unknown {
  return CHECKS[key](value);
}

/** Layers of generation options, highest first (flags, front matter, profile, config defaults): the first defined value wins. */
export function mergeOptions(layers: ReadonlyArray<GenerationOptions | undefined>): GenerationOptions {
  const merged: Record<string, unknown> = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer ?? {})) {
      if (value !== undefined && merged[key] === undefined) merged[key] = value;
    }
  }
  return merged as GenerationOptions;
}

/** A name the Structured Outputs APIs accept (letters, digits, _ and -, at most 64). */
export const schemaNameFor = (templateName: string) => templateName.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64) || 'output';

/** The options a template sets, with its schema in them (the shape a request takes). */
export function templateOptions(t: Template): GenerationOptions {
  return t.schema ? { ...t.options, schema: t.schema } : { ...t.options };
}
