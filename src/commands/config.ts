/** `gpt config`: the effective configuration and where each value came from; `config trust|untrust [file]`. */
import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { type ApiKey, resolveApiKey } from '../config/key.js';
import { configDirFor, findProjectConfig, loadConfig, stateDirFor } from '../config/load.js';
import { trustDir, trustFile, untrust } from '../config/trust.js';
import { formatUsd } from '../accounting/cost.js';
import { warn } from '../ui/status.js';
import { GptError, maskKey } from '../domain/index.js';

const out = { stdout: process.stdout, stderr: process.stderr };

/**
 * What `trust`/`untrust` act on: the named file or directory; with no name, the project config found from
 * here upward and this directory (whose prompts/ then count as the user's own).
 */
async function trustTargets(name: string | undefined): Promise<Array<{ path: string; dir: boolean }>> {
  if (name) {
    const full = resolve(name);
    if (!existsSync(full)) throw new GptError('usage', `${name}: no such file or directory`);
    return [{ path: full, dir: statSync(full).isDirectory() }];
  }
  const cwd = process.cwd();
  const found = await findProjectConfig(cwd, configDirFor(process.env));
  // Never the home or root directory by default: that would trust every repository below it.
  const broad = cwd === homedir() || cwd === dirname(cwd);
  if (!found && broad) throw new GptError('usage', `no project here to trust; name a file or directory: gpt config trust <path>`);
  return [...(found ? [{ path: found, dir: false }] : []), ...(broad ? [] : [{ path: cwd, dir: true }])];
}

/** Why a command that sends would stop here (an untrusted file choosing where prompts go), shown, not thrown. */
async function destinationRefusal(flags: Record<string, unknown>): Promise<string | undefined> {
  try {
    await loadConfig(flags);
    return undefined;
  } catch (error) {
    return error instanceof GptError && error.kind === 'config' ? error.message : undefined;
  }
}

export async function run(positional: unknown[], flags: Record<string, unknown>): Promise<number> {
  const [action, name] = positional as [string | undefined, string | undefined];
  const stateDir = stateDirFor(process.env);
  if (action === 'trust') {
    for (const target of await trustTargets(name)) {
      if (target.dir) out.stderr.write(`trusted directory ${trustDir(stateDir, target.path)}: templates below it may include any file and choose any profile\n`);
      else out.stderr.write(`trusted ${target.path} (sha256 ${trustFile(stateDir, target.path).slice(0, 12)}…); a change to the file needs trusting again\n`);
    }
    return 0;
  }
  if (action === 'untrust') {
    for (const { path } of await trustTargets(name)) out.stderr.write(untrust(stateDir, path) ? `no longer trusting ${path}\n` : `${path} was not trusted\n`);
    return 0;
  }
  if (action === 'path') {
    out.stdout.write(`${configDirFor(process.env)}\n`);
    return 0;
  }
  if (action !== undefined) throw new GptError('usage', `unknown config action '${action}' (expected trust, untrust or path)`);

  const config = await loadConfig(flags, process.env, process.cwd(), { sendsNothing: true });
  for (const message of config.warnings) warn(out, flags, message);
  const refusal = await destinationRefusal(flags);
  if (refusal) warn(out, flags, refusal);
  let key: ApiKey;
  try {
    key = resolveApiKey(config);
  } catch (error) {
    key = { key: undefined, source: error instanceof GptError ? `missing: ${error.message}` : 'missing' };
  }
  const view = {
    profile: { value: config.profileName, source: config.sources.profile },
    model: { value: config.model, source: config.sources.model },
    baseUrl: { value: config.profile.baseUrl, source: config.sources.baseUrl },
    api: { value: config.profile.api ?? 'chat', source: 'profile' },
    apiKey: { value: key.key ? maskKey(key.key) : null, source: key.source },
    defaults: config.defaults,
    pricing: config.pricing,
    templatePaths: config.templatePaths,
    budget: config.budget,
    files: config.files,
    paths: {
      configDir: config.configDir,
      stateDir: config.stateDir,
      usageLog: join(config.stateDir, 'usage.jsonl'),
      trustStore: join(config.stateDir, 'trusted-configs.json'),
    },
  };
  if (flags.json) {
    out.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
    return 0;
  }
  const lines: string[] = [];
  const row = (name: string, value: unknown, source?: string) =>
    lines.push(`${name.padEnd(14)} ${value === null || value === undefined ? '(none)' : String(value)}${source ? `   ← ${source}` : ''}`);
  row('profile', view.profile.value, view.profile.source);
  row('model', view.model.value, view.model.source);
  row('base URL', view.baseUrl.value, view.baseUrl.source);
  row('api', view.api.value);
  row('API key', view.apiKey.value, view.apiKey.source);
  if (Object.keys(config.defaults).length > 0) row('defaults', JSON.stringify(config.defaults));
  if (Object.keys(config.pricing).length > 0) row('pricing', JSON.stringify(config.pricing));
  if (config.templatePaths.length > 0) row('templates', config.templatePaths.join(', '));
  if (config.budget.maxCostPerRun !== undefined) row('budget', `${formatUsd(config.budget.maxCostPerRun, { exact: true })} per run`);
  lines.push('');
  if (config.files.length === 0) lines.push('config files   (none found; built-in defaults)');
  for (const f of config.files) {
    const state = f.scope === 'project' ? (f.trusted ? 'trusted' : f.loaded ? 'untrusted: keys, headers and off-machine URLs not used' : 'untrusted: not run') : 'trusted';
    row(`${f.scope} config`, f.path, state);
  }
  row('config dir', view.paths.configDir);
  row('state dir', view.paths.stateDir);
  row('usage log', view.paths.usageLog);
  out.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
