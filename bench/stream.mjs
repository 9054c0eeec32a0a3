#!/usr/bin/env node
/**
 * Streaming throughput bench: one stream of 200,000 chat-completion chunks (264 bytes each, 52.8 MB) from the
 * loopback server (its own process, so it does not share the client's core), consumed by
 *   (a) the whole CLI: `gpt chat -q hi > /dev/null` (undici, SSE decoder, event pipeline, one stdout write per token)
 *   (b) bare `undici.request` + hand-written SSE split + JSON.parse, printing each delta (one write per event)
 *   (b′) the same, parsing only (no stdout writes)
 *   (c) the openai SDK, `stream: true`, `for await`, printing each delta
 * Every client is a fresh process with stdout on /dev/null; variants are interleaved round by round.
 *
 * gpt can only be timed from outside, so every figure is whole-process, and "streaming only" subtracts the
 * same client's median whole-process figure for a 20-chunk stream (start-up, connect, exit) run in the same rounds.
 * The bare clients also report in-process figures (request start → last event; process.cpuUsage()).
 *
 * Run: npm run build && node bench/stream.mjs [--runs 5] [--warmup 1] [--chunks 200000] [--batch 256]
 *   --batch  events per server write: 256 measures the client (as perf-baselines §3); 1 is like real servers
 */
import { expectedText } from './lib/sse-server.mjs';
import {
  CLIENT_HTTP,
  CLIENT_OPENAI,
  CLIENT_UNDICI,
  GPT,
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
  startServer,
  stats,
  writeOut,
} from './lib/harness.mjs';

const SMALL = 20;

export async function run({ runs = 5, warmups = 1, chunks = 200_000, batch = 256, log = (line) => process.stderr.write(`${line}\n`) } = {}) {
  ensureBuilt();
  const box = makeSandbox();
  const server = await startServer();
  try {
    const clients = [
      { key: 'gpt', label: '(a) `gpt chat -q hi > /dev/null`', argv: () => [NODE, GPT, 'chat', '-q', 'hi'], viaEnv: true, prints: true },
      { key: 'http', label: '(h) bare node:http + minimal SSE lines, joins the deltas, writes once', argv: (url) => [NODE, CLIENT_HTTP, '--url', url], prints: true },
      { key: 'undici', label: '(b) bare undici + SSE split + JSON.parse, prints', argv: (url) => [NODE, CLIENT_UNDICI, '--url', url, '--print'], prints: true },
      { key: 'undiciParse', label: '(b′) bare undici, parse only', argv: (url) => [NODE, CLIENT_UNDICI, '--url', url], prints: false },
      { key: 'sdk', label: '(c) openai SDK `for await`, prints', argv: (url) => [NODE, CLIENT_OPENAI, '--url', url, '--print'], prints: true },
    ];
    const variants = [];
    for (const size of [chunks, SMALL]) {
      const url = server.url({ chunks: size, batch });
      const text = expectedText(size);
      for (const c of clients) {
        variants.push({
          key: size === SMALL ? `${c.key}Small` : c.key,
          argv: c.argv(url),
          options: { env: { ...box.env, ...(c.viaEnv ? { OPENAI_BASE_URL: url } : {}) }, cwd: box.cwd, stdout: 'null' },
          // Warm-up runs print into a pipe so the output can be checked once.
          warmupOptions: { stdout: 'pipe', keepStdout: true },
          check: (r) => {
            if (c.prints && r.stdout !== text) throw new Error(`${c.label} printed ${r.stdout.length} characters, expected ${text.length}`);
            if (!c.prints && r.report?.chars !== text.length) throw new Error(`${c.label} saw ${r.report?.chars} characters, expected ${text.length}`);
          },
        });
      }
    }
    log(`stream: ${chunks.toLocaleString('en-US')} chunks (and ${SMALL}) × ${clients.length} clients, ${runs} runs (+${warmups} warm-up), ${batch} events per server write`);
    const results = await interleaved(variants, { runs, warmups, log });

    const s = {};
    for (const c of clients) {
      const big = results[c.key];
      const small = results[`${c.key}Small`];
      const smallWall = stats(small.map((r) => r.wallMs)).median;
      const smallCpu = stats(small.map((r) => r.cpuMs))?.median;
      const net = chunks - SMALL;
      s[c.key] = {
        wall: stats(big.map((r) => r.wallMs)),
        smallWall: stats(small.map((r) => r.wallMs)),
        wholeRate: stats(big.map((r) => chunks / (r.wallMs / 1000))),
        streamRate: stats(big.map((r) => net / ((r.wallMs - smallWall) / 1000))),
        cpu: stats(big.map((r) => r.cpuMs)),
        streamCpuUsPerChunk: smallCpu === undefined ? undefined : stats(big.map((r) => ((r.cpuMs - smallCpu) * 1000) / net)),
        rss: stats(big.map((r) => r.maxRssMiB)),
        inProcessRate: stats(big.map((r) => (r.report ? chunks / ((r.report.tEnd - r.report.tImported) / 1000) : undefined))),
        inProcessCpuUsPerChunk: stats(big.map((r) => (r.report ? r.report.cpuUs / chunks : undefined))),
      };
    }
    // Per round: gpt's streaming-only throughput over the other client's in the same round.
    const rateRatio = (other) => {
      const gSmall = stats(results.gptSmall.map((r) => r.wallMs)).median;
      const oSmall = stats(results[`${other}Small`].map((r) => r.wallMs)).median;
      return stats(results.gpt.map((g, i) => (results[other][i].wallMs - oSmall) / (g.wallMs - gSmall)));
    };
    // The row: whole-process wall time of gpt over the bare node:http client, per round (over 1 = gpt slower).
    const wallRatio = stats(results.gpt.map((g, i) => g.wallMs / results.http[i].wallMs));
    const ratios = { gptVsHttpWall: wallRatio, gptVsHttp: rateRatio('http'), gptVsUndici: rateRatio('undici'), gptVsUndiciParse: rateRatio('undiciParse'), gptVsSdk: rateRatio('sdk') };

    const rows = clients.map((c) => [
      c.label,
      `**${fmt(s[c.key].streamRate)}**`,
      fmt(s[c.key].wholeRate, 0, { range: false }),
      fmt(s[c.key].wall, 0, { range: false }),
      fmt(s[c.key].smallWall, 0, { range: false }),
      HAS_RUSAGE ? fmt(s[c.key].cpu, 0, { range: false }) : '–',
      HAS_RUSAGE ? fmt(s[c.key].streamCpuUsPerChunk, 2, { range: false }) : '–',
      HAS_RUSAGE ? fmt(s[c.key].rss, 1, { range: false }) : '–',
      c.key === 'gpt' ? '–' : `${fmt(s[c.key].inProcessRate, 0, { range: false })} / ${fmt(s[c.key].inProcessCpuUsPerChunk, 2, { range: false })}`,
    ]);
    const markdown = [
      `### Streaming: ${chunks.toLocaleString('en-US')} chunks of 264 bytes`,
      '',
      `${machineLine()}. Median of ${runs} interleaved runs (min–max), ${warmups} warm-up round(s) not counted.`,
      `Server: bench/lib/sse-server.mjs in its own process, ${batch} event(s) per write. Client stdout on /dev/null.`,
      `"Streaming only" = whole-process figure minus the same client's median for a ${SMALL}-chunk stream (start-up, connect, exit).`,
      HAS_RUSAGE ? 'CPU (user+sys) and peak RSS of the client process from GNU time (10 ms resolution).' : 'GNU time not found: no CPU or RSS figures.',
      '',
      mdTable(
        ['client', 'chunks/s, streaming only', 'chunks/s, whole process', 'wall ms', `wall ms, ${SMALL} chunks`, 'CPU ms', 'µs CPU/chunk, streaming only', 'peak RSS MiB', 'in-process chunks/s / µs CPU/chunk'],
        rows,
      ),
      '',
      `Whole-process wall time, gpt ÷ bare node:http client, per round: **${fmt(ratios.gptVsHttpWall, 2)}** (target ≤ 1.25).`,
      '',
      `Throughput ratios (streaming only, per round), median (min–max) of ${runs}:`,
      '',
      mdTable(
        ['ratio', 'median (min–max)'],
        [
          ['gpt ÷ bare node:http, throughput (streaming only)', fmt(ratios.gptVsHttp, 2)],
          ['gpt ÷ bare undici (both print)', fmt(ratios.gptVsUndici, 2)],
          ['gpt ÷ bare undici, parse only', fmt(ratios.gptVsUndiciParse, 2)],
          ['gpt ÷ openai SDK (both print)', fmt(ratios.gptVsSdk, 2)],
        ],
      ),
    ].join('\n');
    writeOut('stream.json', { runs, warmups, chunks, batch, stats: s, ratios, samples: Object.fromEntries(Object.entries(results).map(([k, rs]) => [k, rs.map(({ stdout, ...r }) => r)])) });
    return { markdown, stats: s, ratios, runs, warmups, chunks, batch };
  } finally {
    await server.stop();
    box.cleanup();
  }
}

if (isMain(import.meta)) {
  const result = await run({ runs: numberArg('runs', 5), warmups: numberArg('warmup', 1), chunks: numberArg('chunks', 200_000), batch: numberArg('batch', 256) });
  process.stdout.write(`${result.markdown}\n`);
}
