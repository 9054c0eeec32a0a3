#!/usr/bin/env node
/**
 * Soak test for `gpt batch` (issue #5): a 10,000-line batch against a loopback server that injects
 * random faults (500, 429, a stream reset mid-answer), killed with SIGKILL twice and resumed each
 * time. Then it checks the invariant the output file promises:
 *   - exactly one ok line per input id, the right answer under each id, no duplicates;
 *   - nothing asked again once it was ok in the output (server log of (id, time) against the
 *     output as it stood at each kill);
 *   - every answer asked for twice is explained by a kill (the answer was in flight, never written).
 * Prints wall time, requests, retries and faults. Not part of `npm test`; needs `npm run build`.
 *
 *   node bench/soak.mjs [--lines 10000] [--concurrency 64] [--faults 0.1] [--kinds 500,429,reset] [--kills 0.25,0.6] [--seed 1] [--keep]
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const GPT = join(ROOT, 'bin', 'gpt.js');

const { values: args } = parseArgs({
  options: {
    lines: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '64' },
    faults: { type: 'string', default: '0.1' },
    kinds: { type: 'string', default: '500,429,reset' },
    kills: { type: 'string', default: '0.25,0.6' },
    seed: { type: 'string', default: '1' },
    keep: { type: 'boolean', default: false },
  },
});
const LINES = Number(args.lines);
const CONCURRENCY = Number(args.concurrency);
const FAULT_RATE = Number(args.faults);
const KILL_AT = args.kills.split(',').filter(Boolean).map(Number);
/** The fault kinds drawn from, equally often. */
const KINDS = args.kinds.split(',').filter(Boolean);
if (!KINDS.every((k) => ['500', '429', 'reset'].includes(k))) {
  console.error('--kinds takes a comma list of 500, 429 and reset');
  process.exit(2);
}

if (!existsSync(join(ROOT, 'dist', 'cli.js'))) {
  console.error('dist/cli.js is missing: run `npm run build` first');
  process.exit(1);
}

/** A small seeded generator (mulberry32), so a run's faults can be replayed with --seed. */
function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = random(Number(args.seed));

// ───────────────────────────── the loopback server ─────────────────────────────

const answerFor = (prompt) => `answer for ${prompt}`;
const idOf = (prompt) => `s${prompt.slice('item '.length)}`;

/** Every chat request: id, when it arrived, what it got; `doneAt` when a full answer was sent. */
const log = [];
const faults = { '500': 0, '429': 0, reset: 0 };

const chunk = (delta, finish = null) =>
  `data: ${JSON.stringify({ id: 'chatcmpl-soak', object: 'chat.completion.chunk', created: 1764000000, model: 'gpt-5-mini', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
const usageChunk = (prompt, text) =>
  `data: ${JSON.stringify({ id: 'chatcmpl-soak', object: 'chat.completion.chunk', created: 1764000000, model: 'gpt-5-mini', choices: [], usage: { prompt_tokens: 8 + Math.ceil(prompt.length / 4), completion_tokens: Math.ceil(text.length / 4), total_tokens: 8 + Math.ceil(prompt.length / 4) + Math.ceil(text.length / 4) } })}\n\n`;

function sendError(res, status, headers = {}) {
  const body = JSON.stringify({ error: { message: status === 429 ? 'Rate limit reached (soak)' : 'The server had an error (soak)', type: status === 429 ? 'requests' : 'server_error', param: null, code: null } });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

const server = createServer((req, res) => {
  res.on('error', () => {});
  const parts = [];
  req.on('data', (c) => parts.push(c));
  req.on('end', () => {
    if (req.method !== 'POST' || !req.url.endsWith('/chat/completions')) return sendError(res, 404);
    const body = JSON.parse(Buffer.concat(parts).toString('utf8'));
    const prompt = body.messages.at(-1).content;
    const entry = { id: idOf(prompt), at: Date.now(), outcome: 'ok', doneAt: undefined };
    log.push(entry);
    const roll = rand();
    if (roll < FAULT_RATE) {
      const kind = KINDS[Math.min(KINDS.length - 1, Math.floor((roll / FAULT_RATE) * KINDS.length))];
      faults[kind]++;
      entry.outcome = kind;
      if (kind === '500') return sendError(res, 500);
      if (kind === '429') return sendError(res, 429, { 'retry-after-ms': '20' });
      // Headers and part of the answer, then a TCP reset: the client must start this answer over.
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(chunk({ role: 'assistant', content: '' }));
      res.write(chunk({ content: 'partial ' }));
      setTimeout(() => res.socket?.resetAndDestroy(), 2);
      return;
    }
    const text = answerFor(prompt);
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(chunk({ role: 'assistant', content: '' }));
    for (const word of text.match(/\S+\s*/g)) res.write(chunk({ content: word }));
    res.write(chunk({}, 'stop'));
    if (body.stream_options?.include_usage) res.write(usageChunk(prompt, text));
    res.end('data: [DONE]\n\n', () => {
      entry.doneAt = Date.now();
    });
  });
});
server.keepAliveTimeout = 60_000;
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${server.address().port}/v1`;

// ───────────────────────────── the batch ─────────────────────────────

const work = mkdtempSync(join(tmpdir(), 'gpt-soak-'));
const home = join(work, 'home');
mkdirSync(join(home, '.config'), { recursive: true });
const input = join(work, 'input.jsonl');
const out = join(work, 'out.jsonl');
const ids = Array.from({ length: LINES }, (_, i) => `s${i + 1}`);
writeFileSync(input, ids.map((id, i) => `${JSON.stringify({ id, prompt: `item ${i + 1}` })}\n`).join(''));

const env = {
  PATH: process.env.PATH,
  HOME: home,
  XDG_CONFIG_HOME: join(home, '.config'),
  XDG_STATE_HOME: join(home, '.local', 'state'),
  NO_COLOR: '1',
  OPENAI_API_KEY: 'sk-soak-00000000000000',
  OPENAI_BASE_URL: url,
};

/** Result lines of the output as it stands (a torn last line is skipped, as resume would cut it). */
function readOutput() {
  if (!existsSync(out)) return [];
  const lines = [];
  for (const raw of readFileSync(out, 'utf8').split('\n')) {
    if (!raw) continue;
    try {
      lines.push(JSON.parse(raw));
    } catch {
      // torn
    }
  }
  return lines;
}

/** One `gpt batch` run; with `killAt`, SIGKILL once the output holds that many lines. */
function runBatch(resume, killAt) {
  const argv = [GPT, 'batch', input, '--out', out, '--concurrency', String(CONCURRENCY), '--retries', '10'];
  if (resume) argv.push('--resume');
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, argv, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    let timer;
    if (killAt !== undefined) {
      timer = setInterval(() => {
        if (readOutput().length >= killAt) {
          clearInterval(timer);
          child.kill('SIGKILL');
        }
      }, 25);
    }
    child.on('close', (code, signal) => {
      clearInterval(timer);
      resolve({ code, signal, stderr, wallMs: Date.now() - started, endedAt: Date.now() });
    });
  });
}

const runs = [];
const kills = [];
const t0 = Date.now();
for (const [k, fraction] of KILL_AT.entries()) {
  const r = await runBatch(k > 0, Math.round(fraction * LINES));
  runs.push(r);
  if (r.signal !== 'SIGKILL') {
    console.error(`run ${k + 1} ended before the kill (exit ${r.code}):\n${r.stderr}`);
    process.exit(1);
  }
  kills.push({ at: r.endedAt, ok: new Set(readOutput().filter((l) => l.status === 'ok').map((l) => l.id)) });
}
for (let attempt = 0; ; attempt++) {
  const r = await runBatch(kills.length > 0 || attempt > 0);
  runs.push(r);
  if (r.code === 0) break;
  if (attempt >= 3) {
    console.error(`the final run did not finish (exit ${r.code}):\n${r.stderr}`);
    process.exit(1);
  }
}
const wallMs = Date.now() - t0;
server.close();
server.closeAllConnections();

// ───────────────────────────── the invariant ─────────────────────────────

const problems = [];
const final = readOutput();
const finalIds = final.map((l) => l.id);
if (final.length !== LINES) problems.push(`the output has ${final.length} lines, not ${LINES}`);
if (new Set(finalIds).size !== finalIds.length) problems.push(`the output has ${finalIds.length - new Set(finalIds).size} duplicate ids`);
const expected = new Set(ids);
const wrong = final.filter((l) => l.status !== 'ok' || !expected.has(l.id) || l.text !== answerFor(`item ${l.id.slice(1)}`));
if (wrong.length) problems.push(`${wrong.length} lines are not ok or carry another id's answer, e.g. ${JSON.stringify(wrong[0])}`);
const present = new Set(finalIds);
const missing = ids.filter((id) => !present.has(id));
if (missing.length) problems.push(`${missing.length} input ids have no line, e.g. ${missing.slice(0, 3).join(', ')}`);

// Nothing that was ok in the output at a kill may be asked for after it.
for (const [k, kill] of kills.entries()) {
  const again = log.filter((e) => e.at > kill.at && kill.ok.has(e.id));
  if (again.length) problems.push(`${again.length} requests after kill ${k + 1} were for ids already ok, e.g. ${again[0].id}`);
}
// An id answered in full more than once: only allowed when a kill cut it between answer and write.
const answered = new Map();
for (const e of log) if (e.doneAt !== undefined) answered.set(e.id, [...(answered.get(e.id) ?? []), e.doneAt]);
let lostToKills = 0;
for (const [id, times] of answered) {
  for (const done of times.slice(0, -1)) {
    const kill = kills.find((k) => k.at >= done);
    if (kill && !kill.ok.has(id)) lostToKills++;
    else problems.push(`${id} was answered at ${done} and asked again with no kill to explain it`);
  }
}

const attempts = final.reduce((n, l) => n + l.attempts, 0);
const injected = faults['500'] + faults['429'] + faults.reset;
const int = (n) => n.toLocaleString('en-US');
console.log(`gpt batch soak: ${int(LINES)} lines, concurrency ${CONCURRENCY}, ${Math.round(FAULT_RATE * 100)}% faults (${KINDS.join('/')}), ${kills.length} kill -9 / resume cycles (seed ${args.seed})`);
console.log(`wall time:          ${(wallMs / 1000).toFixed(1)} s (runs: ${runs.map((r) => `${(r.wallMs / 1000).toFixed(1)} s${r.signal ? ' killed' : ''}`).join(', ')})`);
console.log(`requests made:      ${int(log.length)} (${(log.length / (wallMs / 1000)).toFixed(0)} req/s over the whole soak)`);
console.log(`faults injected:    ${int(injected)} (500: ${int(faults['500'])}, 429: ${int(faults['429'])}, reset mid-stream: ${int(faults.reset)})`);
const cut = log.filter((e) => e.outcome === 'ok' && e.doneAt === undefined).length;
console.log(`retries:            ${int(injected)} after a fault (attempts in the final lines: ${int(attempts)} for ${int(final.length)} lines)`);
console.log(`kill -9 cost:       ${int(cut)} answers cut mid-stream, ${int(lostToKills)} answered but not yet written; all asked again on resume`);
console.log(`ok at each kill:    ${kills.map((k) => int(k.ok.size)).join(', ')}`);
console.log(`final output:       ${int(final.length)} lines, ${int(new Set(finalIds).size)} unique ids, ${int(final.filter((l) => l.status === 'ok').length)} ok`);
if (problems.length) {
  console.log(`INVARIANT BROKEN:\n- ${problems.slice(0, 20).join('\n- ')}`);
  console.log(`work dir kept: ${work}`);
  process.exit(1);
}
console.log('invariant holds: exactly one ok line per id, none duplicated, nothing asked again after it was ok');
if (args.keep) console.log(`work dir kept: ${work}`);
else rmSync(work, { recursive: true, force: true });
