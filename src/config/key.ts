import type { SpawnSyncOptionsWithStringEncoding } from 'node:child_process';
import { GptError, registerSecret } from '../domain/index.js';
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
    const value = runKeyCommand(profileName, profile.apiKeyCommand);
    registerSecret(value);
    return { key: value, source: 'apiKeyCommand' };
  }
  if (names.length === 0) return { key: undefined, source: 'none (keyless profile)' };
  // A server on this machine (a local Ollama, vLLM, llama.cpp) rarely wants a key: send none rather than refuse.
  if (isLoopback(profile.baseUrl)) return { key: undefined, source: 'none (loopback URL, no key set)' };
  const which = names.join(' or ');
  throw new GptError(
    'config',
    `no API key for profile '${profileName}': set ${which} (or profiles.${profileName}.apiKeyCommand), or run offline with --profile simulate`,
  );
}

const LOOPBACK = /^(localhost|127(\.\d+){3}|\[::1\])$/;

function isLoopback(url: string): boolean {
  try {
    return LOOPBACK.test(new URL(url).hostname);
  } catch {
    return false;
  }
}

/** A warning when a key would travel in clear text: plain http to a host other than this machine. */
export function clearTextWarning(baseUrl: string, key: string | undefined): string | undefined {
  if (!key || !baseUrl.startsWith('http://')) return undefined;
  return LOOPBACK.test(new URL(baseUrl).hostname) ? undefined : `${baseUrl} is plain http: your API key travels unencrypted`;
}

/** How long apiKeyCommand may run: a password manager waiting for a PIN nobody types must not hang gpt. */
export const KEY_COMMAND_TIMEOUT_MS = 30_000;

// `detached` (honoured by spawnSync, though its types omit it) puts the shell in a process group of its
// own; spawnSync's timeout kills only the shell, so the rest of the group is killed after it returns.
type GroupSpawnOptions = SpawnSyncOptionsWithStringEncoding & { detached: boolean };

/** Runs a profile's apiKeyCommand; its output must be the key on one line. Errors name the setting, never the output. */
export function runKeyCommand(profileName: string, command: string, timeoutMs = KEY_COMMAND_TIMEOUT_MS): string {
  const fail = (problem: string) => new GptError('config', `profiles.${profileName}.apiKeyCommand ${problem}`);
  const options: GroupSpawnOptions = { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: timeoutMs, killSignal: 'SIGKILL', detached: true };
  // Loaded here, not at start-up: most runs have no key command (node:child_process costs ~10 ms to load).
  const result = process.getBuiltinModule('node:child_process').spawnSync('/bin/sh', ['-c', command], options);
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT') {
    killGroup(result.pid);
    throw fail(`timed out after ${timeoutMs / 1000} s`);
  }
  if (result.error) throw fail(`could not be run (${result.error.message})`);
  if (result.signal) throw fail(`was killed by ${result.signal}`);
  if (result.status !== 0) throw fail(`failed (exit ${result.status})`);
  return oneLineKey(result.stdout, fail);
}

/** Kills what is left of a timed-out command: its children, in the group it led. */
function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // The group is already gone: nothing was left running.
  }
}

/** The key from a command's output: one non-empty line, without control characters. */
function oneLineKey(output: string, fail: (problem: string) => GptError): string {
  const lines = output.split(/\r?\n|\r/).filter((line) => line.trim() !== '');
  if (lines.length === 0) throw fail('printed no key');
  if (lines.length > 1) throw fail(`printed ${lines.length} lines; it must print only the key, on one line`);
  const key = lines[0]!.trim();
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(key)) throw fail('printed control characters; it must print only the key');
  return key;
}
