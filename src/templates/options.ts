/** Generation options as front matter spells them, checked like the flags, and the merge of option layers. */
import { type ChatMessage, EFFORTS, type GenerationOptions } from '../domain/index.js';

/** Option keys front matter may set; `system` and `schema` are front-matter keys of their own. */
type FrontMatterOption = Exclude<keyof GenerationOptions, 'system' | 'schema'>;

const range = (min: number, max: number, integer = false) => (value: unknown) => {
  const ok = typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max;
  if (!ok || (integer && !Number.isInteger(value))) {
    throw new Error(`expected ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
};

const oneOf = (choices: readonly string[]) => (value: unknown) => {
  if (typeof value !== 'string' || !choices.includes(value)) {
    throw new Error(`expected one of ${choices.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value;
};

/** Same ranges as the flags in cli.ts, so a value is valid in front matter exactly when it is on the command line. */
const CHECKS: Record<FrontMatterOption, (value: unknown) => unknown> = {
  temperature: range(0, 2),
  topP: range(0, 1),
  maxOutputTokens: range(1, 10_000_000, true),
  effort: oneOf(EFFORTS),
  stop: (value) => {
    const list = typeof value === 'string' ? [value] : value;
    if (!Array.isArray(list) || list.length === 0 || !list.every((s) => typeof s === 'string' && s !== '')) {
      throw new Error('expected a string or a list of non-empty strings');
    }
    return list;
  },
  seed: range(-(2 ** 53), 2 ** 53, true),
  presencePenalty: range(-2, 2),
  frequencyPenalty: range(-2, 2),
  api: oneOf(['chat', 'responses']),
  stream: (value) => {
    if (typeof value !== 'boolean') throw new Error(`expected true or false, got ${JSON.stringify(value)}`);
    return value;
  },
  timeoutSeconds: range(0.001, 86_400),
  retries: range(0, 100, true),
};

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
