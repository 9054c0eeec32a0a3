/** Generation options: the knobs a prompt is sent with, whoever sets them (flags, config, front matter, a batch line). */

export type Effort = 'none' | 'minimal' | 'low' | 'medium' | 'high' | 'xhigh';
export const EFFORTS: readonly Effort[] = ['none', 'minimal', 'low', 'medium', 'high', 'xhigh'];

export type ApiShape = 'chat' | 'responses';

/** Generation options as the user gives them (flags, front matter, config defaults). */
export interface GenerationOptions {
  system?: string;
  temperature?: number;
  topP?: number;
  maxOutputTokens?: number;
  effort?: Effort;
  stop?: string[];
  seed?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  /** Structured output: a JSON schema the answer must follow. */
  schema?: { name: string; schema: Record<string, unknown> };
  api?: ApiShape;
  stream?: boolean;
  timeoutSeconds?: number;
  retries?: number;
}

export const API_SHAPES: readonly ApiShape[] = ['chat', 'responses'];

/** How one option's value is checked. */
export type OptionSpec =
  | { kind: 'number' | 'integer'; min: number; max: number }
  | { kind: 'choice'; choices: readonly string[] }
  | { kind: 'stops' }
  | { kind: 'boolean' }
  | { kind: 'text' };

export type OptionName = Exclude<keyof GenerationOptions, 'schema'>;

/**
 * THE table of generation options and their ranges. Flags, config `defaults`, template front matter and
 * batch lines all check values with it, so a value is valid in one place exactly when it is in the others.
 */
export const OPTION_SPECS: Record<OptionName, OptionSpec> = {
  system: { kind: 'text' },
  temperature: { kind: 'number', min: 0, max: 2 },
  topP: { kind: 'number', min: 0, max: 1 },
  maxOutputTokens: { kind: 'integer', min: 1, max: 10_000_000 },
  effort: { kind: 'choice', choices: EFFORTS },
  stop: { kind: 'stops' },
  seed: { kind: 'integer', min: -(2 ** 53), max: 2 ** 53 },
  presencePenalty: { kind: 'number', min: -2, max: 2 },
  frequencyPenalty: { kind: 'number', min: -2, max: 2 },
  api: { kind: 'choice', choices: API_SHAPES },
  stream: { kind: 'boolean' },
  timeoutSeconds: { kind: 'number', min: 0.001, max: 86_400 },
  retries: { kind: 'integer', min: 0, max: 100 },
};

/** What a spec accepts, in words: `a number from 0 to 2`, `one of chat, responses`. */
export function expectedValue(spec: OptionSpec): string {
  switch (spec.kind) {
    case 'number':
    case 'integer':
      return `${spec.kind === 'integer' ? 'a whole number' : 'a number'} from ${spec.min} to ${spec.max}`;
    case 'choice':
      return `one of ${spec.choices.join(', ')}`;
    case 'stops':
      return 'a string or a list of non-empty strings';
    case 'boolean':
      return 'true or false';
    case 'text':
      return 'a string';
  }
}

export type OptionCheck = { ok: true; value: unknown } | { ok: false; expected: string };

/**
 * Checks one value against its spec; `fromText` accepts numbers written as text (a flag, a CSV cell).
 * Returns the value typed (a single stop sequence becomes a list), or what was expected.
 */
export function checkValue(spec: OptionSpec, raw: unknown, fromText = false): OptionCheck {
  const fail = (): OptionCheck => ({ ok: false, expected: expectedValue(spec) });
  switch (spec.kind) {
    case 'number':
    case 'integer': {
      const value = fromText && typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
      const ok = typeof value === 'number' && Number.isFinite(value) && value >= spec.min && value <= spec.max && (spec.kind === 'number' || Number.isInteger(value));
      return ok ? { ok, value } : fail();
    }
    case 'choice':
      return typeof raw === 'string' && spec.choices.includes(raw) ? { ok: true, value: raw } : fail();
    case 'stops': {
      const list = typeof raw === 'string' ? [raw] : raw;
      return Array.isArray(list) && list.length > 0 && list.every((s) => typeof s === 'string' && s !== '') ? { ok: true, value: list } : fail();
    }
    case 'boolean':
      return typeof raw === 'boolean' ? { ok: true, value: raw } : fail();
    case 'text':
      return typeof raw === 'string' ? { ok: true, value: raw } : fail();
  }
}

export const checkOptionValue = (name: OptionName, raw: unknown, fromText = false): OptionCheck => checkValue(OPTION_SPECS[name], raw, fromText);
