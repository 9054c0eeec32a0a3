import { execFileSync } from 'node:child_process';
import { GptError } from '../errors.js';
import { registerSecret } from '../redact.js';
import { KEY_ENV_ALIASES } from './builtins.js';
import type { ResolvedConfig } from './types.js';

export interface ApiKey {
  key: string | undefined;
  /** Where it came from, for `gpt config` (never the key itself). */
  source: string;
}

/** Finds the profile's key: its env var (and aliases), else `apiKeyCommand`; keyless profiles get none. */
export function resolveApiKey(config: ResolvedConfig, env: NodeJS.ProcessEnv = process.env): ApiKey {
  const { profile, profileName } = config;
  if (profile.simulate) return { key: undefined, source: 'none needed (offline)' };
  const names = profile.apiKeyEnv ? [profile.apiKeyEnv, ...(KEY_ENV_ALIASES[profileName] ?? [])] : [];
  for (const name of names) {
    const value = env[name]?.trim();
    if (value) {
      registerSecret(value);
      return { key: value, source: `env ${name}` };
    }
  }
  if (profile.apiKeyCommand) {
    let value: string;
    try {
      value = execFileSync('/bin/sh', ['-c', profile.apiKeyCommand], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 }).trim();
    } catch (error) {
      const status = (error as { status?: number }).status;
      throw new GptError('config', `profiles.${profileName}.apiKeyCommand failed${status !== undefined ? ` (exit ${status})` : ''}`);
    }
    if (!value) throw new GptError('config', `profiles.${profileName}.apiKeyCommand printed no key`);
    registerSecret(value);
    return { key: value, source: 'apiKeyCommand' };
  }
  if (names.length === 0) return { key: undefined, source: 'none (keyless profile)' };
  const which = names.join(' or ');
  throw new GptError(
    'config',
    `no API key for profile '${profileName}': set ${which} (or profiles.${profileName}.apiKeyCommand), or run offline with --profile simulate`,
  );
}

const LOOPBACK = /^(localhost|127(\.\d+){3}|\[::1\])$/;

/** A warning when a key would travel in clear text: plain http to a host other than this machine. */
export function clearTextWarning(baseUrl: string, key: string | undefined): string | undefined {
  if (!key || !baseUrl.startsWith('http://')) return undefined;
  return LOOPBACK.test(new URL(baseUrl).hostname) ? undefined : `${baseUrl} is plain http: your API key travels unencrypted`;
}
