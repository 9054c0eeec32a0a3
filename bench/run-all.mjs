#!/usr/bin/env node
/**
 * `npm run bench`: the start-up, streaming, TTY render, `gpt cost` and `gpt batch` benches, against the built CLI (run
 * `npm run build` first). Prints a compact Markdown summary (for the README) and the detailed tables, and writes
 * both to bench/.out/summary.md (raw samples: bench/.out/startup.json, stream.json, cost.json, batch.json).
 * About 7 minutes on 2 cores, 3 of them the cost bench (its tiktoken ceiling takes ~50 s a round).
 *
 * Run: node bench/run-all.mjs [--quick] [--only startup,stream,render,cost,batch]
 *   --quick  a smoke test: 5 start-up runs, 3 stream runs of 50,000 chunks, one 10 MB cost run, one short batch round
 *   --only   run just the named benches (comma-separated)
 * The batch bench here is lighter than `node bench/batch.mjs` (fewer requests at c = 1 and 8), to keep the total short.
 */
import { run as runBatch } from './batch.mjs';
import { run as runCost } from './cost.mjs';
import { run as runRender } from './render.mjs';
import { run as runNoUsage } from './no-usage.mjs';
import { run as runStartup } from './startup.mjs';
import { run as runStream } from './stream.mjs';
import { HAS_RUSAGE, fmt, machineLine, mdTable, writeOut } from './lib/harness.mjs';

const BENCHES = ['startup', 'stream', 'render', 'no-usage', 'cost', 'batch'];
const quick = process.argv.includes('--quick');
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt === -1 ? BENCHES : (process.argv[onlyAt + 1] ?? '').split(',').filter(Boolean);
const unknown = only.filter((name) => !BENCHES.includes(name));
if (only.length === 0 || unknown.length > 0) {
  process.stderr.write(`--only takes a comma list of ${BENCHES.join(', ')}${unknown.length ? ` (not ${unknown.join(', ')})` : ''}\n`);
  process.exit(2);
}
const log = (line) => process.stderr.write(`${line}\n`);
const started = performance.now();

const startup = only.includes('startup') ? await runStartup(quick ? { runs: 5, warmups: 1, log } : { runs: 15, warmups: 2, log }) : undefined;
const stream = only.includes('stream') ? await runStream(quick ? { runs: 3, warmups: 1, chunks: 50_000, log } : { runs: 5, warmups: 1, chunks: 200_000, log }) : undefined;
const render = only.includes('render') ? await runRender({ runs: quick ? 2 : 5, log }) : undefined;
const noUsage = only.includes('no-usage') ? await runNoUsage(quick ? { runs: 1, warmups: 0, mib: 10, log } : { runs: 3, warmups: 1, mib: 100, log }) : undefined;
const cost = only.includes('cost') ? await runCost(quick ? { runs: 1, mb: 10, log } : { runs: 3, mb: 100, log }) : undefined;
const batch = only.includes('batch')
  ? await runBatch(
      quick
        ? { runs: 1, requests: 200, requestsAt: { 1: 20 }, rssLines: 100_000, log }
        : { runs: 3, requests: 2000, requestsAt: { 1: 40, 8: 240 }, extra: [{ c: 256, requests: 10_000 }], rssLines: 1_000_000, rssRuns: 1, log },
    )
  : undefined;
if (cost) writeOut('cost.json', cost.result);
if (batch) writeOut('batch.json', batch.result);

const summaryParts = ['## Benchmarks', '', `${machineLine()}. Loopback servers in their own process; every client a fresh process; medians (min–max).`, ''];
const detailParts = ['## Details', ''];
if (startup && stream) {
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

  summaryParts.push(
    `Start-up: ${startup.runs} interleaved runs; streaming: ${stream.runs} interleaved runs, ${stream.batch} events per server write.`,
    '',
    mdTable(['command', 'wall ms', 'over floor'], startupRows),
    '',
    mdTable(['gpt against bare clients (same request)', 'gpt', 'bare undici', 'openai SDK', 'gpt ÷ undici', 'gpt ÷ SDK'], compareRows),
    '',
    'Ratios are per round (median, min–max): wall time above (over 1 = gpt slower), throughput below (under 1 = gpt slower).',
    'Bare clients use V8\'s default tiers; gpt sets `--liftoff-only` (see the details). NODE_EXTRA_CA_CERTS and NODE_OPTIONS are unset',
    'for the timed processes.',
    '',
  );
  detailParts.push(startup.markdown, '', stream.markdown, '');
} else {
  for (const part of [startup, stream]) if (part) detailParts.push(part.markdown, '');
}

if (render) {
  const r = render.stats;
  summaryParts.push(
    mdTable(
      ['TTY path: live Markdown', 'µs per token, warm', 'µs per token, first pass', 'tok/s ÷ 1,000'],
      [[`${render.tokens.toLocaleString('en-US')} tokens, one write per token, 120×40`, fmt(r.warmUs, 0, { range: false }), fmt(r.firstUs, 0, { range: false }), fmt(r.headroom, 1, { range: false })]],
    ),
    '',
  );
  detailParts.push(render.markdown, '');
}
if (cost) {
  const c = cost.result;
  summaryParts.push(
    mdTable(
      ['`gpt cost` on a batch file', 'gpt', 'tiktoken bare loop', 'gpt ÷ bare'],
      [[`${cost.input.lines.toLocaleString('en-US')} lines, ${(cost.input.bytes / 2 ** 20).toFixed(0)} MiB: MiB/s`, fmt(c.gpt.mibPerS, 1, { range: false }), fmt(c.ceiling.mibPerS, 1, { range: false }), fmt(cost.ratio, 2)]],
    ),
    '',
  );
  detailParts.push(cost.markdown, '');
}
if (batch) {
  summaryParts.push(batch.summary, '');
  detailParts.push(batch.markdown, '');
}
summaryParts.push(issueTable({ startup, stream, noUsage, batch }), '');
if (noUsage) detailParts.push(noUsage.markdown, '');
summaryParts.push('Reproduce with `npm run build && npm run bench`; `npm test` wall time: `node bench/test-time.mjs`.');

const seconds = Math.round((performance.now() - started) / 1000);
detailParts.push(`Total bench time: ${seconds} s${quick ? ' (--quick)' : ''}${only.length < BENCHES.length ? ` (--only ${only.join(',')})` : ''}.`);
const summary = summaryParts.join('\n');
const details = detailParts.join('\n');
const path = writeOut('summary.md', `${summary}\n\n${details}\n`);
process.stdout.write(`${summary}\n\n${details}\n`);
log(`wrote ${path}`);

/** Issue #15's table: each figure as median (min–max) with its ratio and target. */
function issueTable({ startup, stream, noUsage, batch }) {
  const rows = [];
  const row = (figure, value, ratio, target, met) => rows.push([figure, value, ratio, target, met === undefined ? '–' : met ? 'met' : '**not met**']);
  if (startup) {
    const st = startup.stats;
    row("`gpt --version` ÷ `node -e ''`", `${fmt(st.version.wall)} vs ${fmt(st.floor.wall)} ms`, fmt(startup.ratios.versionVsFloor, 2), '≤ 1.2×', startup.ratios.versionVsFloor.median <= 1.2);
    row("`gpt --help` ÷ `node -e ''`", `${fmt(st.help.wall)} vs ${fmt(st.floor.wall)} ms`, fmt(startup.ratios.helpVsFloor, 2), '≤ 1.5×', startup.ratios.helpVsFloor.median <= 1.5);
  }
  if (stream) {
    const ss = stream.stats;
    row(`${stream.chunks.toLocaleString('en-US')}-chunk stream, \`gpt chat\` ÷ bare node:http client (wall)`, `${fmt(ss.gpt.wall)} vs ${fmt(ss.http.wall)} ms`, fmt(stream.ratios.gptVsHttpWall, 2), '≤ 1.25×', stream.ratios.gptVsHttpWall.median <= 1.25);
  }
  if (batch) {
    for (const p of batch.result.perC.filter((x) => x.c === 64 || x.c === 256)) {
      const target = p.c === 64 ? 0.95 : 0.9;
      row(`\`gpt batch\` ÷ bare undici Pool, c = ${p.c}, ${p.requests.toLocaleString('en-US')} requests (req/s)`, `${fmt(p.summary.gpt.rate)} vs ${fmt(p.summary.undici.rate)}`, fmt(p.ratios.vsUndici, 2), `≥ ${target}`, p.ratios.vsUndici.median >= target);
      if (p.c === 64) row('same ÷ openai SDK pool, c = 64', `${fmt(p.summary.gpt.rate)} vs ${fmt(p.summary.sdk.rate)}`, fmt(p.ratios.vsSdk, 2), '≥ 1.5 every run', p.ratios.vsSdk.min >= 1.5);
    }
    const big = batch.result.big;
    if (big) row(`peak RSS, \`gpt batch\` over ${big.lines.toLocaleString('en-US')} lines`, `${fmt(big.gpt.rss, 1)} MiB`, '–', '≤ 100 MiB', big.gpt.rss.median <= 100);
  }
  if (noUsage) row(`${noUsage.mib} MiB answer with no usage: local count`, `${fmt(noUsage.stats.noUsage)} vs ${fmt(noUsage.stats.usage)} ms with usage`, `${fmt(noUsage.rate, 1)} MiB/s`, '≥ 5 MiB/s', noUsage.rate.median >= 5);
  return ['### Issue #15 targets', '', mdTable(['figure', 'median (min–max)', 'ratio / rate', 'target', ''], rows)].join('\n');
}
