/**
 * What every bench shares: a sandbox (temp HOME / XDG dirs so nothing touches the user's config or usage
 * log), the loopback server in its own process, spawning a command and timing it from the parent, interleaved
 * rounds, medians with min–max, and Markdown tables.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const NODE = process.execPath;
export const GPT = join(ROOT, 'bin', 'gpt.js');
export const LIB = fileURLToPath(new URL('./', import.meta.url));
export const CLIENT_UNDICI = join(LIB, 'client-undici.mjs');
export const CLIENT_OPENAI = join(LIB, 'client-openai.mjs');
export const CLIENT_HTTP = join(LIB, 'client-http.mjs');
/** dist/cli.js without bin/gpt.js's V8 flag, to measure what --liftoff-only buys. */
export const GPT_DEFAULT_V8 = join(LIB, 'gpt-default-v8.mjs');
export const OUT_DIR = join(ROOT, 'bench', '.out');

/** GNU time gives the child's CPU and peak RSS, which spawn() does not report. */
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
export const HAS_RUSAGE = TIME !== null;

/** True when `meta` (a module's import.meta) is the script node was started with. */
export function isMain(meta) {
  return Boolean(process.argv[1]) && meta.url === pathToFileURL(process.argv[1]).href;
}

export function ensureBuilt() {
  if (!existsSync(join(ROOT, 'dist', 'cli.js'))) throw new Error('dist/cli.js is missing: run `npm run build` first');
  for (const pkg of ['undici', 'openai']) {
    if (!existsSync(join(ROOT, 'node_modules', pkg, 'package.json'))) throw new Error(`node_modules/${pkg} is missing: run \`npm install\` first`);
  }
}

export function gptVersion() {
  return JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
}

export function packageVersion(name) {
  return JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
}

/**
 * Not passed to the processes we time. NODE_EXTRA_CA_CERTS makes Node parse the whole CA file at start-up,
 * before any JS runs (~85 ms per process on the reference VM, where it is set globally); everything here is
 * plain http on loopback, so it only adds a constant that hides the differences we measure.
 */
export const DROPPED_ENV = new Set(['NODE_OPTIONS', 'NODE_EXTRA_CA_CERTS', 'FORCE_COLOR']);

/**
 * Temp HOME, XDG_CONFIG_HOME (with a config that makes the simulate profile unpaced), XDG_STATE_HOME (the
 * usage log lands there) and a working directory, so no user or project config is picked up.
 */
export function makeSandbox() {
  const dir = mkdtempSync(join(tmpdir(), 'gpt-bench-'));
  const home = join(dir, 'home');
  const config = join(dir, 'config');
  const state = join(dir, 'state');
  const cwd = join(dir, 'work');
  for (const d of [home, join(config, 'gpt'), state, cwd]) mkdirSync(d, { recursive: true });
  writeFileSync(join(config, 'gpt', 'config.json'), JSON.stringify({ profiles: { simulate: { tokensPerSecond: 0 } } }));
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (/^(GPT_|OPENAI_|COMETAPI_|OPENROUTER_)/.test(name) || DROPPED_ENV.has(name)) delete env[name];
  }
  Object.assign(env, { HOME: home, XDG_CONFIG_HOME: config, XDG_STATE_HOME: state, OPENAI_API_KEY: 'sk-bench-0000000000000000', NO_COLOR: '1' });
  return { dir, cwd, env, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Starts bench/lib/sse-server.mjs in its own process; `url()` is a base URL (…/v1) for one stream shape. */
export function startServer() {
  const child = spawn(NODE, [join(LIB, 'sse-server.mjs')], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the bench server exited (${code}) before listening`)));
    child.stdout.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl === -1) return;
      const { port } = JSON.parse(out.slice(0, nl));
      child.removeAllListeners('exit');
      resolve({
        port,
        url: ({ chunks, batch = 1, usage = true }) => `http://127.0.0.1:${port}/c${chunks}-b${batch}${usage ? '' : '-nousage'}/v1`,
        bigUrl: ({ mib, usage = true }) => `http://127.0.0.1:${port}/big${mib}${usage ? '' : '-nousage'}/v1`,
        stop: () =>
          new Promise((done) => {
            child.once('exit', done);
            child.kill('SIGTERM');
          }),
      });
    });
  });
}

let devNull;

/**
 * Runs one command and times it from the parent: wall ms from just before spawn() to the child's exit, and
 * ms to the first stdout byte (stdout 'pipe' only). With GNU time: CPU ms (user+sys) and peak RSS. A
 * `BENCH {json}` line on stderr (our bare clients) is parsed into `report`. Rejects on a non-zero exit.
 * GNU time, when present, wraps every command alike (its fork and wait add about 1 ms to each).
 */
export function runOnce(argv, { env, cwd, stdout = 'pipe', keepStdout = false } = {}) {
  devNull ??= openSync('/dev/null', 'w');
  const [cmd, ...args] = TIME ? [TIME, '-f', 'BENCHTIME %e %U %S %M', ...argv] : argv;
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { env, cwd, stdio: ['ignore', stdout === 'null' ? devNull : 'pipe', 'pipe'] });
    let firstByteMs;
    let stdoutBytes = 0;
    const kept = [];
    let stderr = '';
    let exitMs;
    let exitCode;
    child.stdout?.on('data', (d) => {
      firstByteMs ??= performance.now() - t0;
      stdoutBytes += d.length;
      if (keepStdout) kept.push(d);
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      exitMs = performance.now() - t0;
      exitCode = code;
    });
    child.once('close', () => {
      let cpuMs;
      let maxRssMiB;
      let report;
      const rest = [];
      for (const line of stderr.split('\n')) {
        const time = /^BENCHTIME (\S+) (\S+) (\S+) (\d+)$/.exec(line);
        if (time) {
          cpuMs = (Number(time[2]) + Number(time[3])) * 1000;
          maxRssMiB = Number(time[4]) / 1024;
        } else if (line.startsWith('BENCH ')) report = JSON.parse(line.slice(6));
        else if (line !== '' && !line.startsWith('Command exited with non-zero status')) rest.push(line);
      }
      if (exitCode !== 0) {
        reject(new Error(`${argv.join(' ')} exited ${exitCode}:\n${rest.join('\n')}`));
        return;
      }
      resolve({ wallMs: exitMs, firstByteMs, stdoutBytes, stdout: keepStdout ? Buffer.concat(kept).toString('utf8') : undefined, cpuMs, maxRssMiB, report, stderr: rest.join('\n') });
    });
  });
}

/**
 * Runs every variant once per round, `warmups` uncounted rounds first (their results go to `check`); each
 * round starts one variant later, so no variant always runs first. Returns results by variant key.
 */
export async function interleaved(variants, { runs, warmups, log = () => {} }) {
  const results = Object.fromEntries(variants.map((v) => [v.key, []]));
  const rounds = warmups + runs;
  for (let round = 0; round < rounds; round++) {
    const warm = round < warmups;
    for (let i = 0; i < variants.length; i++) {
      const v = variants[(i + round) % variants.length];
      const result = await runOnce(v.argv, { ...v.options, ...(warm ? v.warmupOptions : {}) });
      if (warm && v.check) v.check(result);
      if (!warm) results[v.key].push(result);
    }
    log(`  round ${round + 1}/${rounds}${warm ? ' (warm-up)' : ''}`);
  }
  return results;
}

export function stats(values) {
  const xs = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (xs.length === 0) return undefined;
  const mid = xs.length >> 1;
  const median = xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
  return { median, min: xs[0], max: xs[xs.length - 1], n: xs.length };
}

/** Per-round ratios a[i]/b[i] (the runs of one round ran back to back). */
export function pairedRatios(a, b) {
  return a.map((x, i) => x / b[i]);
}

const grouped = (n, digits) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** `median (min–max)`, or `–`. */
export function fmt(s, digits = 0, { range = true } = {}) {
  if (!s) return '–';
  return range ? `${grouped(s.median, digits)} (${grouped(s.min, digits)}–${grouped(s.max, digits)})` : grouped(s.median, digits);
}

export function mdTable(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function machineLine() {
  return `Node ${process.version}, ${availableParallelism()} CPUs, undici ${packageVersion('undici')}, openai ${packageVersion('openai')}, gpt ${gptVersion()}; ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function writeOut(name, data) {
  mkdirSync(OUT_DIR, { recursive: true });
  const path = join(OUT_DIR, name);
  writeFileSync(path, typeof data === 'string' ? data : `${JSON.stringify(data, null, 2)}\n`);
  return path;
}

/** `--name value` from argv as a number, else the fallback. */
export function numberArg(name, fallback, argv = process.argv) {
  const i = argv.indexOf(`--${name}`);
  if (i === -1) return fallback;
  const value = Number(argv[i + 1]);
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} takes a number`);
  return value;
}
