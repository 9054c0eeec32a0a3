/**
 * Checks a parsed config file once, on entry, and reports every problem as `file: key: message`
 * (exit 3). Inside the program the config is then trusted to have these types.
 */
import { API_SHAPES, GptError, OPTION_SPECS, checkOptionValue, type OptionName } from '../domain/index.js';

export interface RawConfig {
  defaultProfile?: string;
  profiles?: Record<string, Record<string, unknown>>;
  defaults?: Record<string, unknown>;
  pricing?: Record<string, Record<string, unknown>>;
  templates?: { paths?: string[] };
  budget?: { maxCostPerRun?: number };
  conversations?: { save?: boolean; compactAt?: number; keepTurns?: number; compactModel?: string };
  tools?: { paths?: string[]; maxResultTokens?: number; approve?: Record<string, 'never' | 'ask'> };
  mcp?: { servers?: Record<string, McpServerSettings> };
}

/** `mcp.servers.<name>`: a stdio server (command, args, env) or a streamable HTTP one (url). */
export interface McpServerSettings {
  command?: string;
  args?: string[];
  env?: Record<string, string>;
  url?: string;
}

type Check = (value: unknown) => string | null;

const isString: Check = (v) => (typeof v === 'string' ? null : 'expected a string');
const isNumber =
  (min = -Infinity, max = Infinity): Check =>
  (v) =>
    typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max
      ? null
      : `expected a number${min > -Infinity ? ` from ${min}` : ''}${max < Infinity ? ` to ${max}` : ''}`;
const isOneOf =
  (values: readonly string[]): Check =>
  (v) =>
    typeof v === 'string' && values.includes(v) ? null : `expected one of ${values.join(', ')}`;
const isStringMap: Check = (v) =>
  isObject(v) && Object.values(v).every((x) => typeof x === 'string') ? null : 'expected a map of strings';
const isStringList: Check = (v) =>
  Array.isArray(v) && v.every((x) => typeof x === 'string') ? null : 'expected a list of strings';
const isUrl: Check = (v) => {
  if (typeof v !== 'string') return 'expected a URL string';
  try {
    const url = new URL(v);
    return url.protocol === 'http:' || url.protocol === 'https:' || url.protocol === 'simulate:' ? null : 'expected an http(s) URL';
  } catch {
    return `not a URL: ${JSON.stringify(v)}`;
  }
};

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const PRICE_KEYS: Record<string, Check> = {
  input: isNumber(0),
  cachedInput: isNumber(0),
  output: isNumber(0),
};

/** A generation option, checked with the one option table (domain/options) that flags and front matter use too. */
const isOption =
  (name: OptionName): Check =>
  (v) => {
    const result = checkOptionValue(name, v);
    return result.ok ? null : `expected ${result.expected}`;
  };

export const GENERATION_KEYS: Record<string, Check> = {
  model: isString,
  ...Object.fromEntries((Object.keys(OPTION_SPECS) as OptionName[]).filter((n) => n !== 'timeoutSeconds').map((n) => [n, isOption(n)])),
  // Config spells it `timeout`, like the flag.
  timeout: isOption('timeoutSeconds'),
};

const PROFILE_KEYS: Record<string, Check> = {
  baseUrl: isUrl,
  apiKeyEnv: isString,
  apiKeyCommand: isString,
  model: isString,
  api: isOneOf(API_SHAPES),
  maxTokensField: isOneOf(['max_completion_tokens', 'max_tokens']),
  headers: isStringMap,
  pricing: () => null, // checked entry by entry below
  rpm: isNumber(1),
  tpm: isNumber(1),
  tokensPerSecond: isNumber(0),
};

const TOP_KEYS = ['defaultProfile', 'profiles', 'defaults', 'pricing', 'templates', 'budget', 'conversations', 'tools', 'mcp'];

const isBoolean: Check = (v) => (typeof v === 'boolean' ? null : 'expected true or false');
/** conversations.*: compactAt is a token count, or a fraction (0–1] of the model's window. */
const CONVERSATION_KEYS: Record<string, Check> = { save: isBoolean, compactAt: isNumber(0), keepTurns: isNumber(0, 1000), compactModel: isString };
const TOOLS_KEYS: Record<string, Check> = {
  paths: isStringList,
  maxResultTokens: isNumber(1),
  approve: (v) => (isObject(v) && Object.values(v).every((x) => x === 'never' || x === 'ask') ? null : 'expected a map of tool name → never | ask'),
};

const MCP_SERVER_KEYS: Record<string, Check> = { command: isString, args: isStringList, env: isStringMap, url: isUrl };

/** Returns the config typed, or throws one config error listing every problem found. */
export function validateConfig(raw: unknown, file: string): RawConfig {
  const problems: string[] = [];
  const at = (key: string, message: string) => problems.push(`${key}: ${message}`);
  if (raw === null || raw === undefined) return {};
  if (!isObject(raw)) throw new GptError('config', `${file}: expected an object at the top level`);

  const checkKeys = (obj: unknown, prefix: string, keys: Record<string, Check>) => {
    if (!isObject(obj)) return at(prefix, 'expected a map');
    for (const [key, value] of Object.entries(obj)) {
      const check = keys[key];
      if (!check) at(`${prefix}.${key}`, `unknown key (known: ${Object.keys(keys).join(', ')})`);
      else {
        const problem = check(value);
        if (problem) at(`${prefix}.${key}`, problem);
      }
    }
  };
  const checkPricing = (obj: unknown, prefix: string) => {
    if (!isObject(obj)) return at(prefix, 'expected a map of model → {input, cachedInput, output}');
    for (const [model, price] of Object.entries(obj)) checkKeys(price, `${prefix}.${model}`, PRICE_KEYS);
  };

  for (const [key, value] of Object.entries(raw)) {
    if (value === null) continue; // a YAML section left with only comments in it
    if (!TOP_KEYS.includes(key)) {
      at(key, `unknown key (known: ${TOP_KEYS.join(', ')})`);
      continue;
    }
    if (key === 'defaultProfile') {
      const problem = isString(value);
      if (problem) at(key, problem);
    } else if (key === 'profiles') {
      if (!isObject(value)) at(key, 'expected a map of profile name → settings');
      else
        for (const [name, profile] of Object.entries(value)) {
          checkKeys(profile, `profiles.${name}`, PROFILE_KEYS);
          if (isObject(profile) && profile.pricing !== undefined) checkPricing(profile.pricing, `profiles.${name}.pricing`);
        }
    } else if (key === 'defaults') checkKeys(value, 'defaults', GENERATION_KEYS);
    else if (key === 'pricing') checkPricing(value, 'pricing');
    else if (key === 'templates') checkKeys(value, 'templates', { paths: isStringList });
    else if (key === 'budget') checkKeys(value, 'budget', { maxCostPerRun: isNumber(0) });
    else if (key === 'conversations') checkKeys(value, 'conversations', CONVERSATION_KEYS);
    else if (key === 'tools') checkKeys(value, 'tools', TOOLS_KEYS);
    else if (key === 'mcp') checkMcp(value, at);
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 5).map((p) => `${file}: ${p}`);
    const more = problems.length > 5 ? ` (and ${problems.length - 5} more)` : '';
    throw new GptError('config', `${shown.join('; ')}${more}`);
  }
  return raw as RawConfig;
}

function checkMcp(value: unknown, at: (key: string, message: string) => void): void {
  if (!isObject(value)) return at('mcp', 'expected a map with servers');
  for (const [key, servers] of Object.entries(value)) {
    if (key !== 'servers') at(`mcp.${key}`, 'unknown key (known: servers)');
    else if (!isObject(servers)) at('mcp.servers', 'expected a map of server name → {command, args, env} or {url}');
    else
      for (const [name, server] of Object.entries(servers)) {
        if (!isObject(server)) at(`mcp.servers.${name}`, 'expected a map');
        else {
          for (const [k, v] of Object.entries(server)) {
            const problem = MCP_SERVER_KEYS[k] ? MCP_SERVER_KEYS[k](v) : `unknown key (known: ${Object.keys(MCP_SERVER_KEYS).join(', ')})`;
            if (problem) at(`mcp.servers.${name}.${k}`, problem);
          }
          if ((server.command === undefined) === (server.url === undefined)) at(`mcp.servers.${name}`, 'needs either command or url');
        }
      }
  }
}
