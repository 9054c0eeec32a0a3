#!/usr/bin/env node
/**
 * Start-up bench: whole-process wall time of the built CLI (bin/gpt.js → dist/), from just before spawn()
 * to exit, against Node's own floor and against bare clients doing the same short streamed request.
 *
 * Variants, interleaved round by round (warm-up rounds not counted):
 *   node -e ''                      the floor
 *   gpt --version / --help          commander only, no command module
 *   gpt chat --profile simulate …   offline provider (loads the tokenizer by design), pace unlimited by config
 *   gpt chat -q hi                  one short streamed answer (20 chunks) from the loopback server
 *   bare undici / openai SDK        the same request, with V8's default tiers and with --liftoff-only as gpt sets it
 *   gpt without --liftoff-only      dist/cli.js through a shim without bin/gpt.js's flag
 *   gpt, no usage in the stream     the server sends no usage chunk, so gpt counts tokens locally
 *
 * Run: npm run build && node bench/startup.mjs [--runs 15] [--warmup 2]
 */
import { expectedText } from './lib/sse-server.mjs';
import {
  CLIENT_OPENAI,
  CLIENT_UNDICI,
  DROPPED_ENV,
  GPT,
  GPT_DEFAULT_V8,
  HAS_RUSAGE,
  NODE,
  ensureBuilt,
  fmt,
  interleaved,
  isMain,
  machineLine,
  makeSandbox,
  mdTable,
  numberArg,
  pairedRatios,
  startServer,
  stats,
  writeOut,
} from './lib/harness.mjs';

export const SMALL_CHUNKS = 20;

const signed = (n) => `${n >= 0 ? '+' : '−'}${Math.abs(Math.round(n))}`;

export async function run({ runs = 15, warmups = 2, log = (line) => process.stderr.write(`${line}\n`) } = {}) {
  ensureBuilt();
  const box = makeSandbox();
  const server = await startServer();
  try {
    const url = server.url({ chunks: SMALL_CHUNKS, batch: 1 });
    const noUsageUrl = server.url({ chunks: SMALL_CHUNKS, batch: 1, usage: false });
    const text = expectedText(SMALL_CHUNKS);
    const options = (extraEnv = {}) => ({ env: { ...box.env, ...extraEnv }, cwd: box.cwd, stdout: 'pipe' });
    const answers = (what) => (r) => {
      if (r.stdout !== text) throw new Error(`${what} printed ${JSON.stringify(r.stdout.slice(0, 200))}, expected the ${SMALL_CHUNKS}-chunk answer`);
    };
    const prints = (what) => (r) => {
      if (!r.stdout.trim()) throw new Error(`${what} printed nothing`);
    };
    const variant = (key, label, argv, extraEnv, check) => ({
      key,
      label,
      argv,
      options: options(extraEnv),
      warmupOptions: { keepStdout: true },
      check: check ?? prints(label),
    });
    const chat = ['chat', '-q', 'hi'];
    const variants = [
      variant('floor', "`node -e ''` (floor)", [NODE, '-e', ''], {}, () => {}),
      variant('version', '`gpt --version`', [NODE, GPT, '--version']),
      variant('help', '`gpt --help`', [NODE, GPT, '--help']),
      // Prints nothing: the one simulated word ends a sentence ("Word.", 2 tokens), so trimming to 1 token leaves none.
      variant('simulate', '`gpt chat --profile simulate --max-output-tokens 1 -q hi`', [NODE, GPT, 'chat', '--profile', 'simulate', '--max-output-tokens', '1', '-q', 'hi'], {}, () => {}),
      variant('gpt', '`gpt chat -q hi` (loopback, 20 chunks)', [NODE, GPT, ...chat], { OPENAI_BASE_URL: url }, answers('gpt')),
      variant('undici', 'bare `undici.request` + SSE split', [NODE, CLIENT_UNDICI, '--url', url, '--print'], {}, answers('bare undici')),
      variant('undiciLiftoff', 'bare undici, `--liftoff-only`', [NODE, CLIENT_UNDICI, '--url', url, '--print', '--liftoff-only'], {}, answers('bare undici')),
      variant('sdk', 'openai SDK `stream: true`', [NODE, CLIENT_OPENAI, '--url', url, '--print'], {}, answers('openai SDK')),
      variant('sdkLiftoff', 'openai SDK, `--liftoff-only`', [NODE, CLIENT_OPENAI, '--url', url, '--print', '--liftoff-only'], {}, answers('openai SDK')),
      variant('gptDefaultV8', '`gpt chat -q hi` without `--liftoff-only`', [NODE, GPT_DEFAULT_V8, ...chat], { OPENAI_BASE_URL: url }, answers('gpt (default V8)')),
      variant('gptNoUsage', '`gpt chat -q hi`, stream without usage (local count)', [NODE, GPT, ...chat], { OPENAI_BASE_URL: noUsageUrl }, answers('gpt (no usage)')),
    ];
    log(`startup: ${variants.length} variants × ${runs} runs (+${warmups} warm-up), interleaved`);
    const results = await interleaved(variants, { runs, warmups, log });

    const wall = (key) => results[key].map((r) => r.wallMs);
    const s = Object.fromEntries(
      variants.map((v) => [
        v.key,
        {
          wall: stats(wall(v.key)),
          firstByte: stats(results[v.key].map((r) => r.firstByteMs)),
          cpu: stats(results[v.key].map((r) => r.cpuMs)),
          rss: stats(results[v.key].map((r) => r.maxRssMiB)),
          // In-process, from our clients: request start → first token (import excluded).
          ttftInProcess: stats(results[v.key].map((r) => (r.report?.tFirst !== undefined ? r.report.tFirst - r.report.tImported : undefined))),
        },
      ]),
    );
    const floor = s.floor.wall.median;
    const streams = new Set(['gpt', 'undici', 'undiciLiftoff', 'sdk', 'sdkLiftoff', 'gptDefaultV8', 'gptNoUsage']);
    const rows = variants.map((v) => [
      v.label,
      `**${fmt(s[v.key].wall)}**`,
      v.key === 'floor' ? '–' : signed(s[v.key].wall.median - floor),
      streams.has(v.key) ? fmt(s[v.key].firstByte, 0, { range: false }) : '–',
      HAS_RUSAGE ? fmt(s[v.key].cpu, 0, { range: false }) : '–',
      HAS_RUSAGE ? fmt(s[v.key].rss, 1, { range: false }) : '–',
    ]);
    const ratio = (a, b) => stats(pairedRatios(wall(a), wall(b)));
    const ratios = {
      gptVsUndici: ratio('gpt', 'undici'),
      gptVsUndiciLiftoff: ratio('gpt', 'undiciLiftoff'),
      gptVsSdk: ratio('gpt', 'sdk'),
      gptVsSdkLiftoff: ratio('gpt', 'sdkLiftoff'),
      liftoffEffectOnGpt: ratio('gpt', 'gptDefaultV8'),
      noUsageVsUsage: ratio('gptNoUsage', 'gpt'),
      versionVsFloor: ratio('version', 'floor'),
      helpVsFloor: ratio('help', 'floor'),
    };
    const ratioRows = [
      ['`gpt --version` / `node -e \'\'` (target ≤ 1.2)', fmt(ratios.versionVsFloor, 2)],
      ['`gpt --help` / `node -e \'\'` (target ≤ 1.5)', fmt(ratios.helpVsFloor, 2)],
      ['gpt / bare undici (default V8)', fmt(ratios.gptVsUndici, 2)],
      ['gpt / bare undici (both `--liftoff-only`)', fmt(ratios.gptVsUndiciLiftoff, 2)],
      ['gpt / openai SDK (default V8)', fmt(ratios.gptVsSdk, 2)],
      ['gpt / openai SDK (both `--liftoff-only`)', fmt(ratios.gptVsSdkLiftoff, 2)],
      ['gpt with / without `--liftoff-only`', fmt(ratios.liftoffEffectOnGpt, 2)],
      ['gpt, stream without usage / with usage', fmt(ratios.noUsageVsUsage, 2)],
    ];
    const markdown = [
      `### Start-up: whole-process wall time`,
      '',
      `${machineLine()}. Median of ${runs} interleaved runs (min–max), ${warmups} warm-up rounds not counted. Wall time from`,
      `spawn() to exit, measured by the parent; "first answer byte" is spawn() to the first stdout byte (stdout is a pipe).`,
      HAS_RUSAGE ? 'CPU (user+sys) and peak RSS from GNU time, medians.' : 'GNU time not found: no CPU or RSS figures.',
      `Streams: ${SMALL_CHUNKS} content chunks of 264 bytes, one event per write, from bench/lib/sse-server.mjs in its own process.`,
      `Timed processes run without ${[...DROPPED_ENV].join(', ')} (NODE_EXTRA_CA_CERTS alone adds ~85 ms to every Node start on this VM).`,
      '',
      mdTable(['command', 'wall ms', 'over floor', 'first answer byte ms', 'CPU ms', 'peak RSS MiB'], rows),
      '',
      `Per-round ratios of wall time, median (min–max) of ${runs} pairs:`,
      '',
      mdTable(['ratio', 'median (min–max)'], ratioRows),
      '',
      `In-process cold TTFT (request start → first token, import excluded): bare undici ${fmt(s.undici.ttftInProcess, 1)} ms, openai SDK ${fmt(s.sdk.ttftInProcess, 1)} ms.`,
    ].join('\n');
    writeOut('startup.json', { runs, warmups, stats: s, ratios, samples: Object.fromEntries(Object.entries(results).map(([k, rs]) => [k, rs.map(({ stdout, ...r }) => r)])) });
    return { markdown, stats: s, ratios, runs, warmups };
  } finally {
    await server.stop();
    box.cleanup();
  }
}

if (isMain(import.meta)) {
  const result = await run({ runs: numberArg('runs', 15), warmups: numberArg('warmup', 2) });
  process.stdout.write(`${result.markdown}\n`);
}
