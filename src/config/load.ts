/**
 * Resolves the effective configuration: built-in defaults < user config < project config
 * (< --config file) < environment < flags. Every file is validated on entry (exit 3).
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { GptError, OPTION_SPECS, didYouMean, fileErrorReason, type GenerationOptions, type OptionName } from '../domain/index.js';
import { BUILTIN_PROFILES, DEFAULT_PROFILE } from './builtins.js';
import { findProjectConfig } from './find-project.js';
import { bytesTrusted, trustedDirs } from './trust.js';
import type { ConfigFile, ProfileConfig, ResolvedConfig } from './types.js';
import { type RawConfig, validateConfig } from './validate.js';

export { PROJECT_CONFIG_NAMES, findProjectConfig } from './find-project.js';

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

/** Parses config text by its file name; code files are the caller's to run. */
async function parseText(path: string, text: string): Promise<unknown> {
  if (path.endsWith('package.json')) return (JSON.parse(text) as Record<string, unknown>).gpt;
  if (extname(path) === '.json') return JSON.parse(text);
  // .gptrc (no extension) may be JSON or YAML; YAML is a superset of JSON.
  const { parse } = await import('yaml');
  return parse(text);
}

/** The user's own config or --config: trusted, so a JS file is imported as usual (its imports are the user's). */
async function parseOwnFile(path: string): Promise<unknown> {
  if (!CODE_EXTENSIONS.has(extname(path))) return parseText(path, readFileSync(path, 'utf8'));
  const { pathToFileURL } = await import('node:url');
  const mod = (await import(pathToFileURL(path).href)) as { default?: unknown };
  return mod.default ?? mod;
}

async function asConfig(path: string, parse: () => Promise<unknown>): Promise<RawConfig> {
  let raw: unknown;
  try {
    raw = await parse();
  } catch (error) {
    if (error instanceof GptError) throw error;
    throw new GptError('config', `${path}: cannot be read as config: ${fileErrorReason(error)}`);
  }
  return validateConfig(raw, path);
}

const readConfigFile = (path: string): Promise<RawConfig> => asConfig(path, () => parseOwnFile(path));

export interface ProjectConfig {
  config: RawConfig | null;
  trusted: boolean;
}

/**
 * A project config, read once: the bytes whose sha256 decides trust are the bytes parsed (or run), so
 * swapping the file while gpt starts cannot get other content trusted. Untrusted code is not run.
 */
export async function readProjectConfig(path: string, stateDir: string, read: (path: string) => Buffer = readFileSync): Promise<ProjectConfig> {
  let bytes: Buffer;
  try {
    bytes = read(path);
  } catch (error) {
    throw new GptError('config', `${path}: cannot be read as config: ${fileErrorReason(error)}`);
  }
  const trusted = bytesTrusted(stateDir, path, bytes);
  const text = bytes.toString('utf8');
  if (!CODE_EXTENSIONS.has(extname(path))) return { config: await asConfig(path, () => parseText(path, text)), trusted };
  if (!trusted) return { config: null, trusted };
  const { runTrustedConfig } = await import('./code.js');
  return { config: await asConfig(path, () => runTrustedConfig(path, text)), trusted };
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

const LOOPBACK_HOST = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

/** This machine, by name alone (no DNS): where an untrusted project may send prompts (a local Ollama). */
export function isLoopbackUrl(url: string): boolean {
  try {
    return LOOPBACK_HOST.test(new URL(url).hostname);
  } catch {
    return false;
  }
}

/** The layers that are the user's own (their config file, --config): not a project's, trusted or not. */
const usersOwn = (read: FilesRead) => read.layers.filter((layer) => read.files.find((f) => f.path === layer.path)?.scope !== 'project');

const trustCommand = (path: string) => `gpt config trust ${path}`;

/**
 * Drops what an untrusted project config may not do, saying so once per key. Base URLs it sets are
 * recorded in `untrustedUrls` (profile → file): using such a profile is refused unless the URL is loopback.
 */
function restrictUntrusted(config: RawConfig, path: string, base: RawConfig, warnings: string[], untrustedUrls: Map<string, string>): RawConfig {
  const profiles = config.profiles ?? {};
  const kept: Record<string, Record<string, unknown>> = {};
  for (const [name, profile] of Object.entries(profiles)) {
    const copy = { ...profile };
    for (const key of GUARDED_PROFILE_KEYS) {
      if (copy[key] !== undefined) {
        delete copy[key];
        warnings.push(`ignoring profiles.${name}.${key} from untrusted ${path} (trust it with: ${trustCommand(path)})`);
      }
    }
    const existing = { ...BUILTIN_PROFILES[name], ...base.profiles?.[name] } as Partial<ProfileConfig>;
    if (typeof copy.baseUrl === 'string' && copy.baseUrl !== existing.baseUrl) {
      const sendsKey = Boolean(existing.apiKeyEnv || existing.apiKeyCommand);
      // A key never goes where an untrusted file points, not even to this machine: keep the user's URL.
      if (sendsKey && isLoopbackUrl(copy.baseUrl)) {
        delete copy.baseUrl;
        warnings.push(`ignoring profiles.${name}.baseUrl from untrusted ${path}: it would send your key to a URL you have not chosen (trust it with: ${trustCommand(path)})`);
      } else untrustedUrls.set(name, path);
    }
    kept[name] = copy;
  }
  return { ...config, ...(config.profiles ? { profiles: kept } : {}) };
}

/** Commander's camelCase for each option's flag (only `--timeout` differs from the option's name). */
const flagName = (name: OptionName) => (name === 'timeoutSeconds' ? 'timeout' : name);

function flagOptions(flags: Record<string, unknown>): GenerationOptions {
  const options: Record<string, unknown> = {};
  for (const name of Object.keys(OPTION_SPECS) as OptionName[]) {
    const value = flags[flagName(name)];
    if (value !== undefined) options[name] = value;
  }
  return options as GenerationOptions;
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
  /** Set when the hint comes from an untrusted template: its file, and what to trust to allow it. */
  hintUntrusted?: { file: string; trust: string };
  /** For commands that send nothing (`gpt cost`, `gpt config`): where prompts would go is not checked. */
  sendsNothing?: boolean;
}

interface FilesRead {
  merged: RawConfig;
  /** Each loaded file's own config, in merge order, so a value can be traced to the file that set it. */
  layers: Array<{ path: string; config: RawConfig }>;
  files: ConfigFile[];
  warnings: string[];
  /** profile → the untrusted file that set its baseUrl. */
  untrustedUrls: Map<string, string>;
  /** The project config when it is untrusted (its defaultProfile and templates.paths are not the user's choice). */
  untrustedProject?: { path: string; config: RawConfig };
}

/** User config, then the project config over it (or --config alone), each read and validated once. */
async function readFiles(flags: Record<string, unknown>, cwd: string, configDir: string, stateDir: string): Promise<FilesRead> {
  const read: FilesRead = { merged: {}, layers: [], files: [], warnings: [], untrustedUrls: new Map() };
  const explicit = typeof flags.config === 'string' ? resolve(cwd, flags.config) : null;
  if (explicit) {
    if (!existsSync(explicit)) throw new GptError('config', `--config ${flags.config}: no such file`);
    read.merged = await readConfigFile(explicit);
    read.layers.push({ path: explicit, config: read.merged });
    read.files.push({ path: explicit, scope: 'flag', trusted: true, loaded: true });
    return read;
  }
  const userFile = findUserConfig(configDir);
  if (userFile) {
    read.merged = await readConfigFile(userFile);
    read.layers.push({ path: userFile, config: read.merged });
    read.files.push({ path: userFile, scope: 'user', trusted: true, loaded: true });
  }
  const projectFile = await findProjectConfig(cwd, configDir);
  if (!projectFile) return read;
  const { config, trusted } = await readProjectConfig(projectFile, stateDir);
  if (!config) {
    read.warnings.push(`not running untrusted ${projectFile} (it is code); after reading it, trust it with: ${trustCommand(projectFile)}`);
    read.files.push({ path: projectFile, scope: 'project', trusted, loaded: false });
    return read;
  }
  const project = trusted ? config : restrictUntrusted(config, projectFile, read.merged, read.warnings, read.untrustedUrls);
  if (!trusted) read.untrustedProject = { path: projectFile, config: project };
  read.merged = merge(read.merged, project);
  read.layers.push({ path: projectFile, config: project });
  read.files.push({ path: projectFile, scope: 'project', trusted, loaded: true });
  return read;
}

interface ProfileChoice {
  name: string;
  source: string;
  /** Set when the choice is not the user's: the untrusted file, and the command that would make it so. */
  untrusted?: { file: string; trust: string };
}

/** flag > env > template front matter > config defaultProfile > built-in; the first that is set wins. */
function profileChoices(flags: Record<string, unknown>, env: NodeJS.ProcessEnv, more: LoadOptions, read: FilesRead, fileOf: (has: (c: RawConfig) => unknown) => string): ProfileChoice[] {
  const choices: ProfileChoice[] = [];
  if (typeof flags.profile === 'string') choices.push({ name: flags.profile, source: 'flag --profile' });
  if (env.GPT_PROFILE) choices.push({ name: env.GPT_PROFILE, source: 'env GPT_PROFILE' });
  if (more.profileHint) choices.push({ name: more.profileHint, source: 'template front matter', ...(more.hintUntrusted ? { untrusted: more.hintUntrusted } : {}) });
  if (read.merged.defaultProfile) {
    const untrustedFile = read.untrustedProject?.config.defaultProfile !== undefined ? read.untrustedProject.path : undefined;
    choices.push({ name: read.merged.defaultProfile, source: fileOf((c) => c.defaultProfile), ...(untrustedFile ? { untrusted: { file: untrustedFile, trust: untrustedFile } } : {}) });
  }
  choices.push({ name: DEFAULT_PROFILE, source: 'built-in' });
  return choices;
}

/**
 * Untrusted project content may not choose where prompts go: a profile it picks (when the user's own choice
 * would differ) or a base URL it sets must point at this machine, or gpt stops before anything is sent.
 */
function checkDestination(choices: ProfileChoice[], profileName: string, baseUrl: string, baseUrlSource: string, read: FilesRead): void {
  if (isLoopbackUrl(baseUrl)) return;
  const urlFile = read.untrustedUrls.get(profileName);
  if (urlFile && baseUrlSource === urlFile) {
    throw new GptError('config', `profiles.${profileName}.baseUrl ${baseUrl} comes from untrusted ${urlFile}: gpt will not send your prompts there until you read the file and run: ${trustCommand(urlFile)}`);
  }
  const chosen = choices[0]!;
  const usersOwn = choices.find((c) => !c.untrusted)!;
  if (chosen.untrusted && chosen.name !== usersOwn.name) {
    throw new GptError(
      'config',
      `untrusted ${chosen.untrusted.file} chooses profile '${profileName}', which sends prompts to ${baseUrl}: gpt will not send them there until you read it and run: ${trustCommand(chosen.untrusted.trust)} (or pass -p ${profileName})`,
    );
  }
}

type FileOf = (has: (c: RawConfig) => unknown) => string;

/** The profile's settings: built-in < config files < env (openai only) < --base-url; and where its URL came from. */
function resolveProfile(flags: Record<string, unknown>, env: NodeJS.ProcessEnv, name: string, from: string, merged: RawConfig, fileOf: FileOf): { profile: ProfileConfig; baseUrlSource: string } {
  const builtin = BUILTIN_PROFILES[name];
  const configured = merged.profiles?.[name] as Partial<ProfileConfig> | undefined;
  if (!builtin && !configured) {
    const known = [...new Set([...Object.keys(BUILTIN_PROFILES), ...Object.keys(merged.profiles ?? {})])];
    throw new GptError('config', `unknown profile '${name}' (from ${from})${didYouMean(name, known)}; known profiles: ${known.join(', ')}`);
  }
  const profile: ProfileConfig = { ...(builtin ?? { baseUrl: '' }), ...configured } as ProfileConfig;
  if (!profile.baseUrl) throw new GptError('config', `profile '${name}' has no baseUrl (set profiles.${name}.baseUrl)`);
  let baseUrlSource = configured?.baseUrl ? fileOf((c) => c.profiles?.[name]?.baseUrl) : 'built-in';
  const envUrl = name === 'openai' ? env.OPENAI_BASE_URL || env.OPENAI_API_BASE : undefined;
  if (envUrl) [profile.baseUrl, baseUrlSource] = [envUrl, env.OPENAI_BASE_URL ? 'env OPENAI_BASE_URL' : 'env OPENAI_API_BASE'];
  if (typeof flags.baseUrl === 'string') {
    if (!/^https?:$/.test(urlProtocol(flags.baseUrl) ?? '')) {
      throw new GptError('usage', `--base-url ${flags.baseUrl}: ${urlProtocol(flags.baseUrl) === undefined ? 'not a URL' : 'expected an http(s) URL'}`);
    }
    [profile.baseUrl, profile.simulate, baseUrlSource] = [flags.baseUrl, false, 'flag --base-url'];
  }
  profile.baseUrl = profile.baseUrl.replace(/\/+$/, '');
  return { profile, baseUrlSource };
}

function urlProtocol(url: string): string | undefined {
  try {
    return new URL(url).protocol;
  } catch {
    return undefined;
  }
}

/** flag > env > template front matter > the profile's model > config defaults.model > the profile's built-in. */
function resolveModel(flags: Record<string, unknown>, env: NodeJS.ProcessEnv, more: LoadOptions, profileName: string, profile: ProfileConfig, merged: RawConfig, fileOf: FileOf): [string, string] {
  const configured = merged.profiles?.[profileName] as Partial<ProfileConfig> | undefined;
  if (typeof flags.model === 'string') return [flags.model, 'flag --model'];
  if (env.GPT_MODEL) return [env.GPT_MODEL, 'env GPT_MODEL'];
  if (more.modelHint) return [more.modelHint, 'template front matter'];
  if (configured?.model) return [configured.model, fileOf((c) => c.profiles?.[profileName]?.model)];
  if (typeof merged.defaults?.model === 'string') return [merged.defaults.model, fileOf((c) => c.defaults?.model)];
  return [profile.model ?? 'gpt-5-mini', `built-in (profile ${profileName})`];
}

export async function loadConfig(
  flags: Record<string, unknown>,
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
  more: LoadOptions = {},
): Promise<ResolvedConfig> {
  const configDir = configDirFor(env);
  const stateDir = stateDirFor(env);
  const read = await readFiles(flags, cwd, configDir, stateDir);
  const { merged, files, warnings } = read;
  // The last file that set the key wins, like the merge.
  const fileOf: FileOf = (has) => [...read.layers].reverse().find((layer) => has(layer.config) !== undefined)?.path ?? 'built-in';

  const choices = profileChoices(flags, env, more, read, fileOf);
  const profileName = choices[0]!.name;
  const { profile, baseUrlSource } = resolveProfile(flags, env, profileName, choices[0]!.source, merged, fileOf);
  if (!profile.simulate && !more.sendsNothing) checkDestination(choices, profileName, profile.baseUrl, baseUrlSource, read);
  const [model, modelSource] = resolveModel(flags, env, more, profileName, profile, merged, fileOf);

  const templateDir = (p: string) => resolve(cwd, p.replace(/^~(?=\/|$)/, env.HOME || homedir()));
  return {
    profileName,
    profile,
    model,
    defaults: defaultsToOptions(merged.defaults),
    pricing: { ...merged.pricing, ...profile.pricing } as ResolvedConfig['pricing'],
    templatePaths: (merged.templates?.paths ?? []).map(templateDir),
    trust: {
      dirs: trustedDirs(stateDir),
      untrustedTemplatePaths: (read.untrustedProject?.config.templates?.paths ?? []).map(templateDir),
      ...(read.untrustedProject ? { untrustedProject: read.untrustedProject.path } : {}),
    },
    budget: { ...merged.budget },
    conversations: { save: true, keepTurns: 4, ...merged.conversations },
    tools: {
      paths: (merged.tools?.paths ?? []).map(templateDir),
      untrustedPaths: (read.untrustedProject?.config.tools?.paths ?? []).map(templateDir),
      ...(merged.tools?.maxResultTokens !== undefined ? { maxResultTokens: merged.tools.maxResultTokens } : {}),
      neverAsk: usersOwn(read).flatMap((layer) => Object.entries(layer.config.tools?.approve ?? {}).filter(([, v]) => v === 'never').map(([name]) => name)),
    },
    mcpServers: Object.entries(merged.mcp?.servers ?? {}).map(([name, server]) => {
      const untrusted = read.untrustedProject?.config.mcp?.servers?.[name] !== undefined ? read.untrustedProject.path : undefined;
      return { name, ...server, ...(untrusted ? { untrusted } : {}) };
    }),
    configDir,
    stateDir,
    files,
    sources: { profile: choices[0]!.source, baseUrl: baseUrlSource, model: modelSource },
    warnings,
  };
}
