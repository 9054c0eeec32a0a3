/** `gpt config`: the effective configuration and where each value came from; `config trust|untrust [file]`. */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type ApiKey, resolveApiKey } from '../config/key.js';
import { configDirFor, findProjectConfig, loadConfig, stateDirFor } from '../config/load.js';
import { trustFile, untrustFile } from '../config/trust.js';
import { warn } from '../core/prompt.js';
import { GptError } from '../errors.js';
import { maskKey } from '../redact.js';

const out = { stdout: process.stdout, stderr: process.stderr };

function projectFileFor(file: string | undefined): string {
  if (file) {
    const full = resolve(file);
    if (!existsSync(full)) throw new GptError('usage', `${file}: no such file`);
    return full;
  }
  const found = findProjectConfig(process.cwd(), configDirFor(process.env));
  if (!found) throw new GptError('usage', 'no project config found from here upward; name the file: gpt config trust <file>');
  return found;
}

export async function run(positional: unknown[], flags: Record<string, unknown>): Promise<number> {
  const [action, file] = positional as [string | undefined, string | undefined];
  const stateDir = stateDirFor(process.env);
  if (action === 'trust') {
    const path = projectFileFor(file);
    const hash = trustFile(stateDir, path);
    out.stderr.write(`trusted ${path} (sha256 ${hash.slice(0, 12)}…); a change to the file needs trusting again\n`);
    return 0;
  }
  if (action === 'untrust') {
    const path = projectFileFor(file);
    out.stderr.write(untrustFile(stateDir, path) ? `no longer trusting ${path}\n` : `${path} was not trusted\n`);
    return 0;
  }
  if (action === 'path') {
    out.stdout.write(`${configDirFor(process.env)}\n`);
    return 0;
  }
  if (action !== undefined) throw new GptError('usage', `unknown config action '${action}' (expected trust, untrust or path)`);

  const config = await loadConfig(flags);
  for (const message of config.warnings) warn(out, flags, message);
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
  if (config.budget.maxCostPerRun !== undefined) row('budget', `$${config.budget.maxCostPerRun} per run`);
  lines.push('');
  if (config.files.length === 0) lines.push('config files   (none found; built-in defaults)');
  for (const f of config.files) {
    const state = f.scope === 'project' ? (f.trusted ? 'trusted' : f.loaded ? 'untrusted: key-related settings ignored' : 'untrusted: not run') : 'trusted';
    row(`${f.scope} config`, f.path, state);
  }
  row('config dir', view.paths.configDir);
  row('state dir', view.paths.stateDir);
  row('usage log', view.paths.usageLog);
  out.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
