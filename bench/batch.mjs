#!/usr/bin/env node
/**
 * `gpt batch` bench (issue #6): throughput against a loopback server that answers every non-streaming chat
 * completion (1.1 kB JSON) after a fixed 50 ms, at concurrency c = 1, 8, 64, 256, against two bare clients with
 * a worker pool of size c: an undici `Pool` (`connections: c`, JSON.parse of each body) and the official
 * openai SDK (`client.chat.completions.create`, its defaults). Every client is a fresh process; rounds are
 * interleaved (each starts with a different client).
 *
 * The rate is taken from the server: requests ÷ (first request's arrival → last response's end), so start-up
 * and the input pass are not in it; the limit is c ÷ 50 ms. Whole-process wall time, CPU and peak RSS
 * (GNU time) are reported beside it. Then peak RSS on a 1,000,000-line input with `--shard 1/500` (every
 * line read, parsed and its id checked for duplicates; ~2,000 sent at c = 256), against three bare floors.
 *
 * Run: npm run build && node bench/batch.mjs [--runs 3] [--requests 2000] [--c1-requests 400] [--c 1,8,64,256]
 *                                            [--long-requests 10000] [--rss-lines 1000000] [--rss-runs 1] [--latency 50]
 *   --long-requests  one more run at c = 256 with that many requests (the steady state past warm-up)
 */
import { createReadStream, createWriteStream, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { GPT, HAS_RUSAGE, NODE, ensureBuilt, fmt, isMain, machineLine, makeSandbox, mdTable, numberArg, runOnce, stats, writeOut } from './lib/harness.mjs';
import { BODY_BYTES, MODEL, spawnServer } from './lib/latency-server.mjs';

const SELF = fileURLToPath(import.meta.url);
const CLIENTS = ['gpt', 'undici', 'sdk'];
const LABEL = { gpt: '`gpt batch --no-stream`', undici: 'undici `Pool`', sdk: 'openai SDK' };

// ───────────────────────────── the bare clients (run as their own processes) ─────────────────────────────

/** The prompts of an input file, in order (small files only: the concurrency inputs). */
function prompts(path) {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line).prompt);
}

/** Runs `send(prompt)` over every prompt with `c` workers; returns in-process timings for the BENCH line. */
async function workerPool(list, c, send) {
  let next = 0;
  let chars = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < list.length) {
      const n = await send(list[next++]);
      chars += n;
    }
  };
  await Promise.all(Array.from({ length: Math.min(c, list.length) }, worker));
  return { requests: list.length, chars, ms: performance.now() - t0 };
}

async function bareClient(kind, { url, input, c }) {
  const list = prompts(input);
  const apiKey = process.env.OPENAI_API_KEY;
  let report;
  if (kind === 'undici') {
    const { Pool } = await import('undici');
    const base = new URL(url);
    const pool = new Pool(base.origin, { connections: c });
    const path = `${base.pathname}/chat/completions`;
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` };
    report = await workerPool(list, c, async (prompt) => {
      const res = await pool.request({ path, method: 'POST', headers, body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: prompt }] }) });
      const text = await res.body.text();
      if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}: ${text}`);
      return JSON.parse(text).choices[0].message.content.length;
    });
    await pool.close();
  } else {
    const { default: OpenAI } = await import('openai');
    const client = new OpenAI({ baseURL: url, apiKey });
    report = await workerPool(list, c, async (prompt) => {
      const completion = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: prompt }] });
      return completion.choices[0].message.content.length;
    });
  }
  process.stderr.write(`BENCH ${JSON.stringify(report)}\n`);
}

/** FNV-1a (32 bit) with a given offset basis: two bases give a 64-bit fingerprint of an id. */
function fnv(text, basis) {
  let h = basis;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0 || 1;
}

/** A set of 64-bit id fingerprints in one Uint32Array (open addressing, load ≤ 1/2): 16 bytes an id. */
class FingerprintSet {
  constructor() {
    this.size = 0;
    this.slots = new Uint32Array(2 * 1024);
  }
  /** False when the fingerprint was already there (a duplicate, or a 1-in-2^64 collision to confirm). */
  add(a, b) {
    if (2 * (this.size + 1) > this.slots.length / 2) this.grow();
    const mask = this.slots.length / 2 - 1;
    for (let i = a & mask; ; i = (i + 1) & mask) {
      if (this.slots[2 * i] === 0) {
        this.slots[2 * i] = a;
        this.slots[2 * i + 1] = b;
        this.size++;
        return true;
      }
      if (this.slots[2 * i] === a && this.slots[2 * i + 1] === b) return false;
    }
  }
  grow() {
    const old = this.slots;
    this.slots = new Uint32Array(old.length * 2);
    this.size = 0;
    for (let i = 0; i < old.length; i += 2) if (old[i] !== 0) this.add(old[i], old[i + 1]);
  }
}

/**
 * Reference floors for the 1M-line input: stream and JSON.parse every line with readline, keeping nothing,
 * a Map of every id (what a duplicate check on strings costs), or 64-bit fingerprints of the ids in a typed array.
 */
async function inputFloor(path, keep) {
  const ids = new Map();
  const prints = new FingerprintSet();
  let lines = 0;
  const reader = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const line of reader) {
    if (!line) continue;
    const { id } = JSON.parse(line);
    lines++;
    if (keep === 'ids') {
      if (ids.has(id)) throw new Error(`duplicate id ${id}`);
      ids.set(id, lines);
    } else if (keep === 'fingerprints' && !prints.add(fnv(id, 0x811c9dc5), fnv(id, 0x050c5d1f))) throw new Error(`duplicate id ${id}`);
  }
  process.stderr.write(`BENCH ${JSON.stringify({ lines, kept: Math.max(ids.size, prints.size) })}\n`);
}

// ───────────────────────────── inputs ─────────────────────────────

/** `lines` JSONL lines `{"id","prompt"}` with short prompts, written in 1 MiB pieces. */
async function writeInput(path, lines) {
  const out = createWriteStream(path);
  let buffer = '';
  for (let i = 1; i <= lines; i++) {
    buffer += `${JSON.stringify({ id: `req-${String(i).padStart(7, '0')}`, prompt: `Write one short sentence about the number ${i}.` })}\n`;
    if (buffer.length > 1 << 20) {
      if (!out.write(buffer)) await new Promise((resolve) => out.once('drain', resolve));
      buffer = '';
    }
  }
  out.end(buffer);
  await new Promise((resolve, reject) => out.on('finish', resolve).on('error', reject));
}

const countLines = (path) => {
  const text = readFileSync(path, 'utf8');
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
};

// ───────────────────────────── the bench ─────────────────────────────

export async function run({
  runs = 3,
  requests = 2000,
  /** Fewer requests at some concurrencies (c = 1 takes 100 s for 2,000). */
  requestsAt = { 1: 400 },
  concurrencies = [1, 8, 64, 256],
  /** Runs added after the rest, e.g. a long one at c = 256 to see the steady state past JIT warm-up and connection set-up. */
  extra = [],
  rssLines = 1_000_000,
  rssRuns = 1,
  latencyMs = 50,
  log = (line) => process.stderr.write(`${line}\n`),
} = {}) {
  ensureBuilt();
  const box = makeSandbox();
  const server = await spawnServer({ latencyMs });
  try {
    const env = { ...box.env, OPENAI_BASE_URL: server.url };
    const inputs = new Map();
    const inputFor = async (n) => {
      if (!inputs.has(n)) {
        const path = join(box.dir, `input-${n}.jsonl`);
        await writeInput(path, n);
        inputs.set(n, path);
      }
      return inputs.get(n);
    };
    const outPath = join(box.dir, 'out.jsonl');
    const argvFor = (client, input, c) =>
      client === 'gpt'
        ? [NODE, GPT, 'batch', input, '--no-stream', '--concurrency', String(c), '--out', outPath, '-q']
        : [NODE, SELF, '--client', client, '--url', server.url, '--input', input, '--concurrency', String(c)];

    /** One measured process: reset the server, run, read the server's span, check nothing was lost. */
    const measure = async (client, input, n, c) => {
      rmSync(outPath, { force: true });
      await server.reset();
      const result = await runOnce(argvFor(client, input, c), { env, cwd: box.cwd, stdout: 'null' });
      const s = await server.stats();
      if (s.requests !== n) throw new Error(`${client} c=${c}: the server saw ${s.requests} requests, expected ${n}`);
      if (s.peakInFlight > c) throw new Error(`${client} c=${c}: ${s.peakInFlight} requests in flight, over ${c}`);
      if (client === 'gpt' && countLines(outPath) !== n) throw new Error(`gpt c=${c}: ${outPath} has ${countLines(outPath)} lines, expected ${n}`);
      const limit = c / (latencyMs / 1000);
      const rate = n / (s.spanMs / 1000);
      return { ...result, spanMs: s.spanMs, rate, fraction: rate / limit, wallRate: n / (result.wallMs / 1000), peakInFlight: s.peakInFlight, connections: s.connections };
    };

    const perC = [];
    const plan = [...concurrencies.map((c) => ({ c, n: requestsAt[c] ?? requests })), ...extra.map(({ c, requests: n }) => ({ c, n, extra: true }))];
    for (const { c, n, extra: isExtra } of plan) {
      const input = await inputFor(n);
      log(`batch bench: c=${c}, ${n.toLocaleString('en-US')} requests, ${runs} interleaved rounds…`);
      const samples = Object.fromEntries(CLIENTS.map((k) => [k, []]));
      for (let round = 0; round < runs; round++) {
        for (let i = 0; i < CLIENTS.length; i++) {
          const client = CLIENTS[(i + round) % CLIENTS.length];
          samples[client].push(await measure(client, input, n, c));
        }
        const last = samples.gpt.at(-1);
        log(`  round ${round + 1}/${runs}: gpt ${Math.round(last.rate)} req/s (${(last.fraction * 100).toFixed(1)} % of the limit), wall ${(last.wallMs / 1000).toFixed(2)} s`);
      }
      const summary = Object.fromEntries(
        CLIENTS.map((k) => [
          k,
          {
            rate: stats(samples[k].map((r) => r.rate)),
            fraction: stats(samples[k].map((r) => r.fraction)),
            wallS: stats(samples[k].map((r) => r.wallMs / 1000)),
            wallRate: stats(samples[k].map((r) => r.wallRate)),
            cpuMs: stats(samples[k].map((r) => r.cpuMs)),
            cpuMsPerRequest: stats(samples[k].map((r) => r.cpuMs / n)),
            rss: stats(samples[k].map((r) => r.maxRssMiB)),
            peakInFlight: stats(samples[k].map((r) => r.peakInFlight)),
          },
        ]),
      );
      const paired = (a, b, key) => stats(samples[a].map((r, i) => r[key] / samples[b][i][key]));
      perC.push({
        c,
        requests: n,
        ...(isExtra ? { extra: true } : {}),
        limit: c / (latencyMs / 1000),
        summary,
        ratios: { vsUndici: paired('gpt', 'undici', 'rate'), vsSdk: paired('gpt', 'sdk', 'rate'), wallVsUndici: paired('gpt', 'undici', 'wallRate'), wallVsSdk: paired('gpt', 'sdk', 'wallRate') },
        samples: Object.fromEntries(CLIENTS.map((k) => [k, samples[k].map(({ stderr, stdout, report, ...rest }) => rest)])),
      });
    }

    // Peak RSS on a large input: every line read twice (id pass, then the run), a shard of it sent.
    let big;
    if (rssLines > 0) {
      const path = join(box.dir, `input-${rssLines}.jsonl`);
      log(`batch bench: writing ${rssLines.toLocaleString('en-US')} lines…`);
      await writeInput(path, rssLines);
      const bytes = readFileSync(path).length;
      const shard = '1/500';
      const c = 256;
      const rows = { gpt: [], none: [], ids: [], fingerprints: [] };
      let sent;
      const served = [];
      for (let round = 0; round < rssRuns; round++) {
        rmSync(outPath, { force: true });
        await server.reset();
        rows.gpt.push(await runOnce([NODE, GPT, 'batch', path, '--no-stream', '--concurrency', String(c), '--shard', shard, '--out', outPath, '-q'], { env, cwd: box.cwd, stdout: 'null' }));
        const s = await server.stats();
        sent = s.requests;
        served.push(s);
        if (countLines(outPath) !== sent) throw new Error(`gpt --shard ${shard}: ${countLines(outPath)} output lines for ${sent} requests`);
        for (const floor of ['none', 'ids', 'fingerprints']) rows[floor].push(await runOnce([NODE, SELF, '--floor', floor, path], { env, cwd: box.cwd, stdout: 'null' }));
        log(`  round ${round + 1}/${rssRuns}: gpt peak RSS ${rows.gpt.at(-1).maxRssMiB?.toFixed(1)} MiB, wall ${(rows.gpt.at(-1).wallMs / 1000).toFixed(2)} s, ${sent} sent`);
      }
      const sum = (list) => ({ wallS: stats(list.map((r) => r.wallMs / 1000)), cpuS: stats(list.map((r) => r.cpuMs / 1000)), rss: stats(list.map((r) => r.maxRssMiB)) });
      const sending = { rate: stats(served.map((s) => s.requests / (s.spanMs / 1000))), peakInFlight: stats(served.map((s) => s.peakInFlight)) };
      big = { lines: rssLines, bytes, shard, concurrency: c, sent, sending, runs: rssRuns, gpt: sum(rows.gpt), none: sum(rows.none), ids: sum(rows.ids), fingerprints: sum(rows.fingerprints) };
    }

    const result = { latencyMs, bodyBytes: BODY_BYTES, runs, perC, big };
    return { markdown: markdown(result), summary: summary(result), result };
  } finally {
    await server.stop();
    box.cleanup();
  }
}

// ───────────────────────────── report ─────────────────────────────

const TARGET_VS_UNDICI = 0.95;
const TARGET_VS_SDK_C64 = 1.5;
const TARGET_RSS_MIB = 100;

/** Which concurrencies sent fewer requests than the rest, and why. */
function requestsNote(all, latencyMs) {
  const perC = all.filter((p) => !p.extra);
  const long = all.filter((p) => p.extra).map((p) => ` One more run at c = ${p.c} sends ${p.requests.toLocaleString('en-US')} requests: the steady state, past JIT warm-up and connection set-up.`).join('');
  return basicNote(perC, latencyMs) + long;
}

function basicNote(perC, latencyMs) {
  const counts = perC.map((p) => p.requests);
  const most = Math.max(...counts);
  const fewer = perC.filter((p) => p.requests < most);
  if (fewer.length === 0) return `Every run sends ${most.toLocaleString('en-US')} requests.`;
  const list = fewer.map((p) => `${p.requests.toLocaleString('en-US')} at c = ${p.c} (${((p.requests * latencyMs) / 1000 / p.c).toFixed(0)} s a run at best)`).join(', ');
  return `Runs send ${most.toLocaleString('en-US')} requests, except ${list}, to keep the bench short.`;
}

const check = (ok) => (ok ? 'met' : '**not met**');

/** The compact table for the README summary: one row per c, gpt against both bare clients. */
function summary({ latencyMs, runs, perC, big }) {
  const pct = (s) => (s ? `${(s.median * 100).toFixed(0)} %` : '–');
  const rows = perC.map(({ c, requests, limit, summary: s, ratios }) => [
    `${c} (${requests.toLocaleString('en-US')} req)`,
    limit.toLocaleString('en-US'),
    `${fmt(s.gpt.rate, 0, { range: false })} (${pct(s.gpt.fraction)})`,
    `${fmt(s.undici.rate, 0, { range: false })} (${pct(s.undici.fraction)})`,
    `${fmt(s.sdk.rate, 0, { range: false })} (${pct(s.sdk.fraction)})`,
    `${fmt(ratios.vsUndici, 2)}${ratios.vsUndici.median >= TARGET_VS_UNDICI ? '' : ' ✗'}`,
    `${fmt(ratios.vsSdk, 2)}${c === 64 && ratios.vsSdk.median < TARGET_VS_SDK_C64 ? ' ✗' : ''}`,
  ]);
  const lines = [
    mdTable(['`gpt batch --no-stream`, c', 'limit req/s', 'gpt req/s (of limit)', 'bare undici Pool', 'openai SDK pool', 'gpt ÷ undici', 'gpt ÷ SDK'], rows),
    '',
    `Server-side req/s against a mock that answers after ${latencyMs} ms (limit c ÷ ${latencyMs} ms); ${runs} interleaved rounds. Issue #6 targets: gpt ÷ undici ≥ ${TARGET_VS_UNDICI} at every c, gpt ÷ SDK ≥ ${TARGET_VS_SDK_C64} at c = 64 (✗: not met).`,
  ];
  if (big) {
    lines.push(
      `Peak RSS of \`gpt batch\` on a ${big.lines.toLocaleString('en-US')}-line input (--shard ${big.shard}, c = ${big.concurrency}): ${fmt(big.gpt.rss, 0, { range: false })} MiB, ${fmt(big.gpt.wallS, 1, { range: false })} s (target ≤ ${TARGET_RSS_MIB} MiB: ${big.gpt.rss ? check(big.gpt.rss.median <= TARGET_RSS_MIB) : 'not measured'}).`,
    );
  }
  return lines.join('\n');
}

function markdown({ latencyMs, bodyBytes, runs, perC, big }) {
  const pct = (s) => (s ? `${(s.median * 100).toFixed(1)} % (${(s.min * 100).toFixed(1)}–${(s.max * 100).toFixed(1)})` : '–');
  const rateRows = [];
  for (const { c, requests, limit, summary } of perC) {
    for (const k of CLIENTS) {
      const s = summary[k];
      rateRows.push([
        String(c),
        requests.toLocaleString('en-US'),
        k === 'gpt' ? limit.toLocaleString('en-US') : '',
        LABEL[k],
        fmt(s.rate, 0),
        pct(s.fraction),
        fmt(s.wallS, 2),
        HAS_RUSAGE ? fmt(s.cpuMsPerRequest, 2) : '–',
        HAS_RUSAGE ? fmt(s.rss, 0) : '–',
        fmt(s.peakInFlight, 0, { range: false }),
      ]);
    }
  }
  const ratioRows = perC.map(({ c, requests, ratios }) => {
    const targets = [`÷ undici ≥ ${TARGET_VS_UNDICI}: ${check(ratios.vsUndici.median >= TARGET_VS_UNDICI)}`];
    if (c === 64) targets.push(`÷ SDK ≥ ${TARGET_VS_SDK_C64}: ${check(ratios.vsSdk.median >= TARGET_VS_SDK_C64)}`);
    return [`${c} (${requests.toLocaleString('en-US')} req)`, fmt(ratios.vsUndici, 2), fmt(ratios.vsSdk, 2), fmt(ratios.wallVsUndici, 2), fmt(ratios.wallVsSdk, 2), targets.join('; ')];
  });
  const lines = [
    '### gpt batch: concurrency against a fixed-latency server',
    '',
    `${machineLine()}. Loopback server in its own process answers every non-streaming chat completion (${bodyBytes.toLocaleString('en-US')} B JSON with usage) ${latencyMs} ms after the request;`,
    `every client a fresh process with c requests in flight. Median (min–max) of ${runs} interleaved rounds.`,
    `req/s = requests ÷ server-side span (first request in → last response out), so start-up and the input pass are excluded; limit = c ÷ ${latencyMs} ms.`,
    `Wall s is the whole process (spawn → exit); CPU is the client's user+sys over the whole process (start-up included), per request. ${requestsNote(perC, latencyMs)}`,
    '',
    mdTable(['c', 'requests', 'limit req/s', 'client', 'req/s', 'of limit', 'wall s', 'CPU ms/request', 'peak RSS MiB', 'peak in flight'], rateRows),
    '',
    mdTable(['c', 'gpt ÷ undici (req/s)', 'gpt ÷ SDK (req/s)', 'gpt ÷ undici (wall)', 'gpt ÷ SDK (wall)', 'issue #6 targets'], ratioRows),
    '',
    'Ratios are per round, median (min–max); over 1 = gpt faster. "(wall)" compares whole-process throughput, start-up and input pass included.',
  ];
  if (big) {
    lines.push(
      '',
      `#### Peak RSS on a ${big.lines.toLocaleString('en-US')}-line input`,
      '',
      `${big.lines.toLocaleString('en-US')} JSONL lines (${(big.bytes / 2 ** 20).toFixed(1)} MiB, short prompts). gpt reads and parses every line twice (duplicate-id pass, then the run) and sends shard ${big.shard}`,
      `(${big.sent?.toLocaleString('en-US')} requests at c = ${big.concurrency}). The floors stream the same file with readline and JSON.parse every line. Median (min–max) of ${big.runs}.`,
      '',
      mdTable(
        ['process', 'wall s', 'CPU s', 'peak RSS MiB'],
        [
          [`\`gpt batch FILE --no-stream --shard ${big.shard} --concurrency ${big.concurrency} --out … -q\``, fmt(big.gpt.wallS, 2), fmt(big.gpt.cpuS, 2), fmt(big.gpt.rss, 1)],
          ['floor: readline + JSON.parse, nothing kept', fmt(big.none.wallS, 2), fmt(big.none.cpuS, 2), fmt(big.none.rss, 1)],
          ['floor: same, plus a `Map` of every id (a duplicate check on strings)', fmt(big.ids.wallS, 2), fmt(big.ids.cpuS, 2), fmt(big.ids.rss, 1)],
          ['floor: same, with 64-bit id fingerprints in a typed-array set instead', fmt(big.fingerprints.wallS, 2), fmt(big.fingerprints.cpuS, 2), fmt(big.fingerprints.rss, 1)],
        ],
      ),
      '',
      `While reading, gpt sent its shard at ${fmt(big.sending.rate, 0, { range: false })} req/s with at most ${fmt(big.sending.peakInFlight, 0, { range: false })} of ${big.concurrency} requests in flight (server side)${big.sending.peakInFlight && big.sending.peakInFlight.median < big.concurrency / 2 ? ': reading the input, not the network, set the pace' : ''}.`,
      '',
      `Issue #6 target, peak RSS ≤ ${TARGET_RSS_MIB} MiB on any input: ${big.gpt.rss ? check(big.gpt.rss.median <= TARGET_RSS_MIB) : 'not measured (no GNU time)'}.`,
    );
  }
  return lines.join('\n');
}

// ───────────────────────────── entry ─────────────────────────────

const argAfter = (name) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
};

if (process.argv[2] === '--client') {
  await bareClient(process.argv[3], { url: argAfter('--url'), input: argAfter('--input'), c: Number(argAfter('--concurrency')) });
} else if (process.argv[2] === '--floor') {
  await inputFloor(process.argv[4], process.argv[3]);
} else if (isMain(import.meta) && process.argv.includes('--help')) {
  process.stdout.write('node bench/batch.mjs [--runs 3] [--requests 2000] [--c1-requests 400] [--c 1,8,64,256] [--long-requests 10000] [--rss-lines 1000000] [--rss-runs 1] [--latency 50]\n');
} else if (isMain(import.meta)) {
  const list = argAfter('--c');
  const { markdown: md, result } = await run({
    runs: numberArg('runs', 3),
    requests: numberArg('requests', 2000),
    requestsAt: { 1: numberArg('c1-requests', 400) },
    concurrencies: list ? list.split(',').map(Number) : undefined,
    extra: numberArg('long-requests', 0) > 0 ? [{ c: 256, requests: numberArg('long-requests', 0) }] : [],
    rssLines: numberArg('rss-lines', 1_000_000),
    rssRuns: numberArg('rss-runs', 1),
    latencyMs: numberArg('latency', 50),
  });
  writeOut('batch.json', result);
  process.stdout.write(`${md}\n`);
}
