import type { ApiShape, GenerationOptions, PricingOverride } from '../domain/index.js';


export interface ProfileConfig {
  baseUrl: string;
  /** Name of the environment variable that holds the key; absent for keyless servers (ollama). */
  apiKeyEnv?: string;
  /** A shell command whose stdout is the key (trusted configs only). */
  apiKeyCommand?: string;
  model?: string;
  api?: ApiShape;
  /** Which chat-completions field carries the output cap: OpenAI's current one, or the legacy one Ollama and OpenRouter read. */
  maxTokensField?: 'max_completion_tokens' | 'max_tokens';
  headers?: Record<string, string>;
  pricing?: Record<string, PricingOverride>;
  rpm?: number;
  tpm?: number;
  /** The built-in offline provider; no HTTP at all. */
  simulate?: boolean;
  /** simulate only: streaming pace in tokens per second (0 = as fast as possible). */
  tokensPerSecond?: number;
}

/** The configuration after merging built-ins, user config, project config, env and flags. */
export interface ResolvedConfig {
  profileName: string;
  profile: ProfileConfig;
  /** The model to use: flag > env > template > profile > defaults > built-in. */
  model: string;
  defaults: GenerationOptions;
  /** Global `pricing` with the profile's `pricing` laid over it. */
  pricing: Record<string, PricingOverride>;
  /** Extra template folders (absolute), from `templates.paths`. */
  templatePaths: string[];
  /** What the user has trusted, and which project content is not theirs (see config/trust.ts). */
  trust: TrustView;
  budget: { maxCostPerRun?: number };
  /** `conversations.*`: saving (default on) and compaction of long conversations. */
  conversations: { save: boolean; compactAt?: number; keepTurns: number; compactModel?: string };
  /** Optional so configs built by hand (tests, batch) need not say it: absent means no tool settings. */
  tools?: ToolsConfig;
  /** `mcp.servers`, in the order configured. */
  mcpServers?: McpServerConfig[];
  /** `$XDG_CONFIG_HOME/gpt` (default ~/.config/gpt). */
  configDir: string;
  /** `$XDG_STATE_HOME/gpt` (default ~/.local/state/gpt). */
  stateDir: string;
  /** Config files read, in the order they were merged (user first, then project, then --config). */
  files: ConfigFile[];
  /** Where each effective value came from, for `gpt config` (e.g. model → "flag --model"). */
  sources: Record<string, string>;
  /** Things the user should know (ignored untrusted keys, clear-text http); printed on stderr. */
  warnings: string[];
}

export interface ConfigFile {
  path: string;
  scope: 'user' | 'project' | 'flag';
  trusted: boolean;
  /** False when the file was skipped (an untrusted file that would run code). */
  loaded: boolean;
}

export interface TrustView {
  /** Directories trusted with `gpt config trust <dir>` (canonical). */
  dirs: string[];
  /** `templates.paths` entries that an untrusted project config added. */
  untrustedTemplatePaths: string[];
  /** The project config file, when it is not trusted. */
  untrustedProject?: string;
}

export interface ToolsConfig {
  /** `tools.paths` (absolute), searched after ./tools. */
  paths: string[];
  /** `tools.paths` entries an untrusted project config added. */
  untrustedPaths: string[];
  maxResultTokens?: number;
  /** Tools the user's own config marks `approve: never` (a project config cannot). */
  neverAsk: string[];
}

export interface McpServerConfig {
  name: string;
  command?: string;
  args?: string[];
  env?: Record<string, string>;
  url?: string;
  /** The untrusted project config that declared it: it is not started until trusted. */
  untrusted?: string;
}
