import type { ProfileConfig } from './types.js';

export const DEFAULT_PROFILE = 'openai';

/** Built-in profiles (SPEC: Configuration). A user's config may add profiles or override any key. */
export const BUILTIN_PROFILES: Record<string, ProfileConfig> = {
  openai: { baseUrl: 'https://api.openai.com/v1', apiKeyEnv: 'OPENAI_API_KEY', model: 'gpt-5-mini', api: 'chat' },
  cometapi: { baseUrl: 'https://api.cometapi.com/v1', apiKeyEnv: 'COMETAPI_KEY', model: 'gpt-5-mini', api: 'chat' },
  openrouter: { baseUrl: 'https://openrouter.ai/api/v1', apiKeyEnv: 'OPENROUTER_API_KEY', model: 'openai/gpt-5-mini', api: 'chat', maxTokensField: 'max_tokens' },
  ollama: { baseUrl: 'http://localhost:11434/v1', model: 'llama3.2', api: 'chat', maxTokensField: 'max_tokens' },
  simulate: { baseUrl: 'simulate://local', model: 'gpt-5-mini', simulate: true, tokensPerSecond: 400 },
};

/** Extra environment variables accepted for a built-in profile's key, after its apiKeyEnv. */
export const KEY_ENV_ALIASES: Record<string, string[]> = {
  cometapi: ['COMETAPI_API_KEY'],
};
