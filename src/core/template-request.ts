/**
 * The messages and generation options a prompt sends, from a message (`gpt chat`) or a rendered template
 * (`gpt run`), built in one place so `gpt cost` counts exactly what those commands would send.
 */
import type { ResolvedConfig } from '../config/types.js';
import { type ChatMessage, type GenerationOptions, withSystem } from '../domain/index.js';
// Only the yaml-free part of templates: `gpt chat` must not load the front-matter parser.
import { mergeOptions } from '../templates/options.js';
import type { Template, TemplateWhere } from '../templates/types.js';
import type { LoadOptions } from '../config/load.js';

export interface PromptRequest {
  messages: ChatMessage[];
  options: GenerationOptions;
}

/**
 * `gpt chat`: config defaults under the options given as flags (`fromFlags`); the system prompt (-s, else config's)
 * first, then the message.
 */
export function messageRequest(text: string, config: ResolvedConfig, fromFlags: GenerationOptions): PromptRequest {
  const options: GenerationOptions = { ...config.defaults, ...fromFlags };
  const messages: ChatMessage[] = [];
  if (options.system) messages.push({ role: 'system', content: options.system });
  messages.push({ role: 'user', content: text });
  return { messages, options };
}

/**
 * The system prompt around a rendered template: `-s` replaces the template's (`-s ''` removes it); config's default
 * system prompt only fills in for a template without one.
 */
export function applySystem(messages: ChatMessage[], flagSystem: string | undefined, defaultSystem: string | undefined): ChatMessage[] {
  const hasSystem = messages[0]?.role === 'system';
  if (flagSystem === '') return hasSystem ? messages.slice(1) : messages;
  if (flagSystem !== undefined) return withSystem(messages, flagSystem);
  if (!hasSystem && defaultSystem) return withSystem(messages, defaultSystem);
  return messages;
}

/**
 * `gpt run`: options are flags (`flagged`) > front matter > config defaults (the first defined value wins), the system
 * prompt by applySystem. A `--schema` file is the caller's to add.
 */
export function templateRequest(rendered: PromptRequest, config: ResolvedConfig, flagged: GenerationOptions): PromptRequest {
  const { system: flagSystem, ...fromFlags } = flagged;
  const { system: defaultSystem, ...fromDefaults } = config.defaults;
  const options = mergeOptions([fromFlags, rendered.options, fromDefaults]);
  return { options, messages: applySystem(rendered.messages, flagSystem, defaultSystem) };
}

/** Where templates are looked up, with what the user trusts (so untrusted ones are confined). */
export function templateWhere(config: ResolvedConfig, cwd: string): TemplateWhere {
  const { trust } = config;
  return {
    cwd,
    templatePaths: config.templatePaths,
    configDir: config.configDir,
    trust: { dirs: trust.dirs, untrustedPaths: trust.untrustedTemplatePaths, ...(trust.untrustedProject ? { untrustedConfig: trust.untrustedProject } : {}) },
  };
}

/** What a template's front matter asks of config; an untrusted template's profile choice is checked there. */
export function templateHints(template: Template): LoadOptions {
  return {
    ...(template.profile !== undefined ? { profileHint: template.profile } : {}),
    ...(template.model !== undefined ? { modelHint: template.model } : {}),
    ...(template.confinedTo ? { hintUntrusted: { file: template.path, trust: template.confinedTo.trust } } : {}),
  };
}
