/**
 * Resolves the effective configuration: built-in defaults < user config < project config
 * (< --config file) < environment < flags. Every file is validated on entry (exit 3).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import { GptError } from '../errors.js';
import type { GenerationOptions } from '../providers/types.js';
import { BUILTIN_PROFILES, DEFAULT_PROFILE } from './builtins.js';
import { isTrusted } from './trust.js';
import type { ConfigFile, ProfileConfig, ResolvedConfig } from './types.js';
import { type RawConfig, validateConfig } from './validate.js';

/** SPEC: Configuration — the names searched in each directory, first match wins. */
export const PROJECT_CONFIG_NAMES = [
  'package.json',
  '.gptrc',
  '.gptrc.json',
  '.gptrc.yaml',
  '.gptrc.yml',
  '.gptrc.js',
  '.gptrc.cjs',
  '.gptrc.mjs',
  'gpt.config.js',
  'gpt.config.mjs',
];

/** File names read from the user's config dir ($XDG_CONFIG_HOME/gpt/). */
export const USER_CONFIG_NAMES = ['config.json', 'config.yaml', 'config.yml', 'config.js', 'config.mjs', 'config.cjs', '.gptrc', '.gptrc.json', '.gptrc.yaml', '.gptrc.yml'];

const CODE_EXTENSIONS = new Set(['.js', '.cjs', '.mjs', '.ts']);

/** Keys an untrusted project config may not set: they could send the key elsewhere or run commands. */
const GUARDED_PROFILE_KEYS = ['apiKeyCommand', 'apiKeyEnv', 'headers'] as const;

export function configDirFor(env: NodeJS.ProcessEnv): string {
  return join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config'), 'gpt');
}

export function stateDirFor(env: NodeJS.ProcessEnv): string {
  return join(env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state'), 'gpt');
}

async function parseFile(path: string): Promise<unknown> {
  const ext = extname(path);
  if (CODE_EXTENSIONS.has(ext)) {
    const { pathToFileURL } = await import('node:url');
    const mod = (await import(pathToFileURL(path).href)) as { default?: unknown };
    return mod.default ?? mod;
  }
  const text = readFileSync(path, 'utf8');
  if (path.endsWith('package.json')) return (JSON.parse(text) as Record<string, unknown>).gpt;
  if (ext === '.json') return JSON.parse(text);
  // .gptrc (no extension) may be JSON or YAML; YAML is a superset of JSON.
  const { parse } = await import('yaml');
  return parse(text);
}

async function readConfigFile(path: string): Promise<RawConfig> {
  let raw: unknown;
  try {
    raw = await parseFile(path);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new GptError('config', `${path}: cannot be read as config: ${reason}`);
  }
  return validateConfig(raw, path);
}

function packageHasGptKey(path: string): boolean {
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>).gpt !== undefined;
  } catch {
    return false;
  }
}

/** The first project config found walking up from cwd (SPEC: searched from the working directory upward). */
export function findProjectConfig(cwd: string, skipDir: string): string | null {
  let dir = resolve(cwd);
  for (;;) {
    if (resolve(dir) !== resolve(skipDir)) {
      for (const name of PROJECT_CONFIG_NAMES) {
        const candidate = join(dir, name);
        if (!existsSync(candidate) || !statSync(candidate).isFile()) continue;
        if (name === 'package.json' && !packageHasGptKey(candidate)) continue;
        return candidate;
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

function findUserConfig(configDir: string): string | null {
  for (const name of USER_CONFIG_NAMES) {
    const candidate = join(configDir, name);
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

/** Deep merge of plain objects; arrays and scalars from `over` replace those in `base`. */
function merge<T>(base: T, over: unknown): T {
  if (typeof base !== 'object' || base === null || Array.isArray(base)) return (over ?? base) as T;
  if (typeof over !== 'object' || over === null || Array.isArray(over)) return (over ?? base) as T;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(over)) out[key] = key in out ? merge(out[key], value) : value;
  return out as T;
}

/** Drops what an untrusted project config may not do, saying so once per key. */
function restrictUntrusted(config: RawConfig, path: string, base: RawConfig, warnings: string[]): RawConfig {
  const profiles = config.profiles ?? {};
  const kept: Record<string, Record<string, unknown>> = {};
  for (const [name, profile] of Object.entries(profiles)) {
    const copy = { ...profile };
    for (const key of GUARDED_PROFILE_KEYS) {
      if (copy[key] !== undefined) {
        delete copy[key];
        warnings.push(`ignoring profiles.${name}.${key} from untrusted ${path} (trust it with: gpt config trust ${path})`);
      }
    }
    // A project may point a keyless profile anywhere, but never redirect one that sends a key.
    const existing = { ...BUILTIN_PROFILES[name], ...base.profiles?.[name] } as Partial<ProfileConfig>;
    const sendsKey = Boolean(existing.apiKeyEnv || existing.apiKeyCommand);
    if (copy.baseUrl !== undefined && sendsKey && copy.baseUrl !== existing.baseUrl) {
      delete copy.baseUrl;
      warnings.push(`ignoring profiles.${name}.baseUrl from untrusted ${path}: it would send your key to a URL you have not chosen (trust it with: gpt config trust ${path})`);
    }
    kept[name] = copy;
  }
  return { ...config, ...(config.profiles ? { profiles: kept } : {}) };
}

function flagOptions(flags: Record<string, unknown>): GenerationOptions {
  const options: GenerationOptions = {};
  const set = <K extends keyof GenerationOptions>(key: K, value: unknown) => {
    if (value !== undefined) options[key] = value as GenerationOptions[K];
  };
  set('system', flags.system);
  set('temperature', flags.temperature);
  set('topP', flags.topP);
  set('maxOutputTokens', flags.maxOutputTokens);
  set('effort', flags.effort);
  set('stop', flags.stop);
  set('seed', flags.seed);
  set('presencePenalty', flags.presencePenalty);
  set('frequencyPenalty', flags.frequencyPenalty);
  set('api', flags.api);
  set('stream', flags.stream);
  set('timeoutSeconds', flags.timeout);
  set('retries', flags.retries);
  return options;
}

/** Generation options from flags only (the highest layer; templates and defaults go below). */
export { flagOptions };

function defaultsToOptions(defaults: Record<string, unknown> | undefined): GenerationOptions {
  if (!defaults) return {};
  const { timeout, stop, model: _model, ...rest } = defaults;
  const options = { ...rest } as GenerationOptions;
  if (timeout !== undefined) options.timeoutSeconds = timeout as number;
  if (stop !== undefined) options.stop = typeof stop === 'string' ? [stop] : (stop as string[]);
  return options;
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** A profile asked for by something below flags and env (a template's front matter). */
  profileHint?: string;
  /** A model asked for by something below flags and env (a template's front matter). */
  modelHint?: string;
}

export async function loadConfig(
  flags: Record<string, unknown>,
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
  more: LoadOptions = {},
): Promise<ResolvedConfig> {
  const configDir = configDirFor(env);
  const stateDir = stateDirFor(env);
  const files: ConfigFile[] = [];
  const warnings: string[] = [];
  const sources: Record<string, string> = {};
  let merged: RawConfig = {};

  const explicit = typeof flags.config === 'string' ? resolve(cwd, flags.config) : null;
  if (explicit) {
    if (!existsSync(explicit)) throw new GptError('config', `--config ${flags.config}: no such file`);
    merged = await readConfigFile(explicit);
    files.push({ path: explicit, scope: 'flag', trusted: true, loaded: true });
  } else {
    const userFile = findUserConfig(configDir);
    if (userFile) {
      merged = await readConfigFile(userFile);
      files.push({ path: userFile, scope: 'user', trusted: true, loaded: true });
    }
    const projectFile = findProjectConfig(cwd, configDir);
    if (projectFile) {
      const trusted = isTrusted(stateDir, projectFile);
      if (!trusted && CODE_EXTENSIONS.has(extname(projectFile))) {
        warnings.push(`not running untrusted ${projectFile} (it is code); after reading it, trust it with: gpt config trust ${projectFile}`);
        files.push({ path: projectFile, scope: 'project', trusted, loaded: false });
      } else {
        let project = await readConfigFile(projectFile);
        if (!trusted) project = restrictUntrusted(project, projectFile, merged, warnings);
        merged = merge(merged, project);
        files.push({ path: projectFile, scope: 'project', trusted, loaded: true });
      }
    }
  }
  const fileOf = (has: (c: RawConfig) => unknown): string => {
    // The last file that set the key wins, like the merge.
    const found = [...files].reverse().find((f) => f.loaded);
    return found && has(merged) !== undefined ? found.path : 'built-in';
  };

  let profileName: string;
  if (typeof flags.profile === 'string') [profileName, sources.profile] = [flags.profile, 'flag --profile'];
  else if (env.GPT_PROFILE) [profileName, sources.profile] = [env.GPT_PROFILE, 'env GPT_PROFILE'];
  else if (more.profileHint) [profileName, sources.profile] = [more.profileHint, 'template front matter'];
  else if (merged.defaultProfile) [profileName, sources.profile] = [merged.defaultProfile, fileOf((c) => c.defaultProfile)];
  else [profileName, sources.profile] = [DEFAULT_PROFILE, 'built-in'];

  const builtin = BUILTIN_PROFILES[profileName];
  const configured = merged.profiles?.[profileName] as Partial<ProfileConfig> | undefined;
  if (!builtin && !configured) {
    const known = [...new Set([...Object.keys(BUILTIN_PROFILES), ...Object.keys(merged.profiles ?? {})])].join(', ');
    throw new GptError('config', `unknown profile '${profileName}' (from ${sources.profile}); known profiles: ${known}`);
  }
  const profile: ProfileConfig = { ...(builtin ?? { baseUrl: '' }), ...configured } as ProfileConfig;
  if (!profile.baseUrl) throw new GptError('config', `profile '${profileName}' has no baseUrl (set profiles.${profileName}.baseUrl)`);
  sources.baseUrl = configured?.baseUrl ? fileOf((c) => c.profiles?.[profileName]?.baseUrl) : 'built-in';

  if (profileName === 'openai') {
    const envUrl = env.OPENAI_BASE_URL || env.OPENAI_API_BASE;
    if (envUrl) {
      profile.baseUrl = envUrl;
      sources.baseUrl = env.OPENAI_BASE_URL ? 'env OPENAI_BASE_URL' : 'env OPENAI_API_BASE';
    }
  }
  if (typeof flags.baseUrl === 'string') {
    const problem = (() => {
      try {
        return ['http:', 'https:'].includes(new URL(flags.baseUrl).protocol) ? null : 'expected an http(s) URL';
      } catch {
        return 'not a URL';
      }
    })();
    if (problem) throw new GptError('usage', `--base-url ${flags.baseUrl}: ${problem}`);
    profile.baseUrl = flags.baseUrl;
    profile.simulate = false;
    sources.baseUrl = 'flag --base-url';
  }
  profile.baseUrl = profile.baseUrl.replace(/\/+$/, '');

  let model: string;
  if (typeof flags.model === 'string') [model, sources.model] = [flags.model, 'flag --model'];
  else if (env.GPT_MODEL) [model, sources.model] = [env.GPT_MODEL, 'env GPT_MODEL'];
  else if (more.modelHint) [model, sources.model] = [more.modelHint, 'template front matter'];
  else if (configured?.model) [model, sources.model] = [configured.model, fileOf((c) => c.profiles?.[profileName]?.model)];
  else if (typeof merged.defaults?.model === 'string') [model, sources.model] = [merged.defaults.model, fileOf((c) => c.defaults?.model)];
  else [model, sources.model] = [profile.model ?? 'gpt-5-mini', `built-in (profile ${profileName})`];

  const pricing = { ...merged.pricing, ...profile.pricing } as ResolvedConfig['pricing'];
  const templatePaths = (merged.templates?.paths ?? []).map((p) => resolve(cwd, p.replace(/^~(?=\/|$)/, env.HOME || homedir())));

  return {
    profileName,
    profile,
    model,
    defaults: defaultsToOptions(merged.defaults),
    pricing,
    templatePaths,
    budget: { ...merged.budget },
    configDir,
    stateDir,
    files,
    sources,
    warnings,
  };
}
