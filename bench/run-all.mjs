#!/usr/bin/env node
/**
 * `npm run bench`: the start-up bench, then the streaming bench, against the built CLI (run `npm run build`
 * first). Prints a compact Markdown summary (for the README) and the detailed tables, and writes both to
 * bench/.out/summary.md (raw samples: bench/.out/startup.json, stream.json). About 2–3 minutes on 2 cores.
 *
 * Run: node bench/run-all.mjs [--quick]   (--quick: 5 start-up runs, 3 stream runs of 50,000 chunks; a smoke test)
 */
import { run as runStartup } from './startup.mjs';
import { run as runStream } from './stream.mjs';
import { HAS_RUSAGE, fmt, machineLine, mdTable, writeOut } from './lib/harness.mjs';

const quick = process.argv.includes('--quick');
const log = (line) => process.stderr.write(`${line}\n`);
const started = performance.now();

const startup = await runStartup(quick ? { runs: 5, warmups: 1, log } : { runs: 15, warmups: 2, log });
const stream = await runStream(quick ? { runs: 3, warmups: 1, chunks: 50_000, log } : { runs: 5, warmups: 1, chunks: 200_000, log });

const st = startup.stats;
const ss = stream.stats;
const plain = (s, digits = 0) => fmt(s, digits, { range: false });
const chunkLabel = stream.chunks.toLocaleString('en-US');

const startupRows = [
  ['floor', "`node -e ''`"],
  ['version', '`gpt --version`'],
  ['help', '`gpt --help`'],
  ['simulate', '`gpt chat --profile simulate --max-output-tokens 1 -q hi` (loads the tokenizer)'],
].map(([key, label]) => [label, fmt(st[key].wall), key === 'floor' ? '–' : `+${Math.round(st[key].wall.median - st.floor.wall.median)}`]);

const compareRows = [
  ['one short streamed answer (20 chunks), spawn → exit, ms', plain(st.gpt.wall), plain(st.undici.wall), plain(st.sdk.wall), fmt(startup.ratios.gptVsUndici, 2), fmt(startup.ratios.gptVsSdk, 2)],
  [
    'same, clients also with `--liftoff-only`, ms',
    plain(st.gpt.wall),
    plain(st.undiciLiftoff.wall),
    plain(st.sdkLiftoff.wall),
    fmt(startup.ratios.gptVsUndiciLiftoff, 2),
    fmt(startup.ratios.gptVsSdkLiftoff, 2),
  ],
  ['same, spawn → first answer byte, ms (default V8)', plain(st.gpt.firstByte), plain(st.undici.firstByte), plain(st.sdk.firstByte), '', ''],
  [
    `${chunkLabel}-chunk stream, chunks/s (streaming only)`,
    plain(ss.gpt.streamRate),
    plain(ss.undici.streamRate),
    plain(ss.sdk.streamRate),
    fmt(stream.ratios.gptVsUndici, 2),
    fmt(stream.ratios.gptVsSdk, 2),
  ],
];
if (HAS_RUSAGE) {
  compareRows.push(
    ['same, µs CPU per chunk (streaming only)', plain(ss.gpt.streamCpuUsPerChunk, 2), plain(ss.undici.streamCpuUsPerChunk, 2), plain(ss.sdk.streamCpuUsPerChunk, 2), '', ''],
    ['same, peak RSS MiB', plain(ss.gpt.rss, 1), plain(ss.undici.rss, 1), plain(ss.sdk.rss, 1), '', ''],
  );
}

const summary = [
  '## Benchmarks',
  '',
  `${machineLine()}. Loopback server in its own process; every client a fresh process. Medians (min–max);`,
  `start-up: ${startup.runs} interleaved runs; streaming: ${stream.runs} interleaved runs, ${stream.batch} events per server write.`,
  '',
  mdTable(['command', 'wall ms', 'over floor'], startupRows),
  '',
  mdTable(['gpt against bare clients (same request)', 'gpt', 'bare undici', 'openai SDK', 'gpt ÷ undici', 'gpt ÷ SDK'], compareRows),
  '',
  'Ratios are per round (median, min–max): wall time above (over 1 = gpt slower), throughput below (under 1 = gpt slower).',
  'Bare clients use V8\'s default tiers; gpt sets `--liftoff-only` (see the details). NODE_EXTRA_CA_CERTS and NODE_OPTIONS are unset',
  'for the timed processes. Reproduce with `npm run build && npm run bench`.',
].join('\n');

const seconds = Math.round((performance.now() - started) / 1000);
const details = ['## Details', '', startup.markdown, '', stream.markdown, '', `Total bench time: ${seconds} s${quick ? ' (--quick)' : ''}.`].join('\n');
const path = writeOut('summary.md', `${summary}\n\n${details}\n`);
process.stdout.write(`${summary}\n\n${details}\n`);
log(`wrote ${path}`);
