#!/usr/bin/env node
/**
 * `gpt cost` bench: counting a ~100 MB JSONL batch file (one `prompt` of varied English text a line) with
 * `gpt cost FILE --json`, whole process, against the ceiling: tiktoken `encode_ordinary` in a bare loop over the
 * same lines (read, JSON.parse, encode) in its own process. Also checks the two agree token for token: gpt's input
 * tokens are the ceiling's plus the cookbook chat overhead (7 a line: 3 per message + 1 for "user" + 3 primer).
 *
 * Text: licences and Debian changelogs found on the machine (prose lines, deterministic slices), else a word list.
 * Run: npm run build && node bench/cost.mjs [--mb 100] [--runs 3]
 */
import { createReadStream, createWriteStream, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { GPT, HAS_RUSAGE, NODE, ensureBuilt, fmt, isMain, machineLine, makeSandbox, mdTable, numberArg, runOnce, stats, writeOut } from './lib/harness.mjs';

const SELF = fileURLToPath(import.meta.url);
/** Tokens gpt adds per single-user-message line: 3 per message, 1 for the role "user", 3 to prime the reply. */
const CHAT_OVERHEAD_PER_LINE = 7;

/** A small deterministic PRNG (mulberry32), so every run counts the same file. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Prose-like lines (four words or more, mostly letters), so file lists and tables do not pass for English. */
function proseLines(text) {
  return text.split('\n').filter((line) => {
    const trimmed = line.trim();
    const letters = trimmed.replace(/[^A-Za-z ]/g, '').length;
    return trimmed.split(/\s+/).length >= 4 && letters >= 0.8 * trimmed.length;
  });
}

/** English text found on the machine: licences and Debian changelogs (developers' prose), else a word list. */
function corpus() {
  const lines = [];
  let size = 0;
  const add = (file) => {
    try {
      if (!statSync(file).isFile()) return;
      const raw = readFileSync(file);
      for (const line of proseLines((file.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8'))) {
        lines.push(line.trim());
        size += line.length;
      }
    } catch {
      // unreadable or not text; skip it
    }
  };
  for (const name of safeList('/usr/share/common-licenses')) add(join('/usr/share/common-licenses', name));
  for (const pkg of safeList('/usr/share/doc')) {
    if (size > 8_000_000) break;
    for (const name of ['changelog.Debian.gz', 'changelog.gz']) add(join('/usr/share/doc', pkg, name));
  }
  if (size > 1_000_000) return { text: lines.join('\n'), source: `Debian licences and changelogs (${(size / 1e6).toFixed(1)} MB of prose lines)` };
  const words = 'the of and to in is that for it as was with be by on not he this are or his from at which but have an they you were her she there been one all we their has would when if so no will more can said who out up them what some could into only time other then about these than its two may first any like our over also new'.split(' ');
  const random = prng(7);
  const out = [];
  for (let i = 0; i < 400_000; i++) out.push(words[Math.floor(random() * words.length)] + (random() < 0.08 ? '.' : ''));
  return { text: out.join(' '), source: 'a synthetic word list (no Debian text found)' };
}

function safeList(dir) {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/** Writes ~`mb` MB of JSONL: prompts of 200–2,000 characters cut at word boundaries from the corpus. */
export async function makeInput(path, mb) {
  const { text, source } = corpus();
  const random = prng(42);
  const target = mb * 1e6;
  const out = createWriteStream(path);
  let bytes = 0;
  let lines = 0;
  let buffer = '';
  while (bytes < target) {
    const length = 200 + Math.floor(random() * 1800);
    let start = Math.floor(random() * Math.max(1, text.length - length));
    start = text.indexOf(' ', start) + 1;
    const prompt = text.slice(start, start + length).trim();
    const line = `${JSON.stringify({ id: `q${lines + 1}`, prompt: `Summarise this in one sentence:\n${prompt}` })}\n`;
    buffer += line;
    bytes += Buffer.byteLength(line);
    lines++;
    if (buffer.length > 1 << 20) {
      if (!out.write(buffer)) await new Promise((resolve) => out.once('drain', resolve));
      buffer = '';
    }
  }
  out.end(buffer);
  await new Promise((resolve, reject) => out.on('finish', resolve).on('error', reject));
  return { bytes, lines, source };
}

/** The ceiling, run as its own process: read, parse and encode_ordinary every prompt, nothing else. */
async function ceiling(path) {
  const { get_encoding } = await import('tiktoken');
  const encoder = get_encoding('o200k_base');
  let tokens = 0;
  let lines = 0;
  const reader = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const line of reader) {
    if (!line) continue;
    tokens += encoder.encode_ordinary(JSON.parse(line).prompt).length;
    lines++;
  }
  process.stdout.write(`${JSON.stringify({ tokens, lines })}\n`);
}

export async function run({ runs = 3, mb = 100, log = (line) => process.stderr.write(`${line}\n`) } = {}) {
  ensureBuilt();
  const box = makeSandbox();
  try {
    const path = join(box.dir, 'jobs.jsonl');
    log(`cost bench: writing ~${mb} MB of JSONL…`);
    const input = await makeInput(path, mb);
    const mib = input.bytes / 2 ** 20;
    log(`  ${input.lines.toLocaleString('en-US')} lines, ${mib.toFixed(1)} MiB, text from ${input.source}`);
    const options = { env: box.env, cwd: box.cwd, keepStdout: true };
    const samples = { gpt: [], ceiling: [] };
    let gptTokens;
    let ceilingTokens;
    for (let round = 0; round < runs; round++) {
      // Alternate which goes first, so neither always runs on a warm page cache the other paid for.
      const order = round % 2 ? ['ceiling', 'gpt'] : ['gpt', 'ceiling'];
      for (const which of order) {
        const argv = which === 'gpt' ? [NODE, GPT, 'cost', path, '--json', '-m', 'gpt-5.2'] : [NODE, SELF, '--ceiling', path];
        const result = await runOnce(argv, options);
        const out = JSON.parse(result.stdout);
        if (which === 'gpt') gptTokens = out.models[0].input_tokens;
        else ceilingTokens = out.tokens;
        samples[which].push(result);
      }
      log(`  round ${round + 1}/${runs}`);
    }
    const expected = ceilingTokens + CHAT_OVERHEAD_PER_LINE * input.lines;
    if (gptTokens !== expected) throw new Error(`gpt counted ${gptTokens} input tokens; tiktoken gives ${ceilingTokens} + ${CHAT_OVERHEAD_PER_LINE}×${input.lines} = ${expected}`);

    const summarise = (list, tokens) => ({
      wallS: stats(list.map((r) => r.wallMs / 1000)),
      mibPerS: stats(list.map((r) => mib / (r.wallMs / 1000))),
      mtokPerS: stats(list.map((r) => tokens / 1e6 / (r.wallMs / 1000))),
      rss: stats(list.map((r) => r.maxRssMiB)),
    });
    const result = { gpt: summarise(samples.gpt, gptTokens), ceiling: summarise(samples.ceiling, ceilingTokens) };
    const ratio = stats(samples.gpt.map((r, i) => samples.ceiling[i].wallMs / r.wallMs));
    const rows = [
      ['`gpt cost FILE --json -m gpt-5.2`', fmt(result.gpt.wallS, 2), fmt(result.gpt.mibPerS, 1), fmt(result.gpt.mtokPerS, 2), HAS_RUSAGE ? fmt(result.gpt.rss, 0) : '–'],
      ['tiktoken `encode_ordinary` bare loop (ceiling)', fmt(result.ceiling.wallS, 2), fmt(result.ceiling.mibPerS, 1), fmt(result.ceiling.mtokPerS, 2), HAS_RUSAGE ? fmt(result.ceiling.rss, 0) : '–'],
    ];
    const markdown = [
      '### gpt cost on a large batch file',
      '',
      `${machineLine()}. ${input.lines.toLocaleString('en-US')} JSONL lines, ${mib.toFixed(1)} MiB, ${(gptTokens / 1e6).toFixed(2)} M input tokens (text from ${input.source}). Whole process, median (min–max) of ${runs}.`,
      '',
      mdTable(['command', 'wall s', 'MiB/s', 'M tokens/s', 'peak RSS MiB'], rows),
      '',
      `gpt throughput ÷ ceiling: ${fmt(ratio, 2)} (over 1 = faster than the bare loop). Token counts agree: ${gptTokens.toLocaleString('en-US')} = ${ceilingTokens.toLocaleString('en-US')} + 7 × ${input.lines.toLocaleString('en-US')} lines.`,
    ].join('\n');
    return { markdown, result, ratio, input, gptTokens, ceilingTokens };
  } finally {
    box.cleanup();
  }
}

if (process.argv[2] === '--ceiling') await ceiling(process.argv[3]);
else if (isMain(import.meta) && process.argv.includes('--help')) process.stdout.write('node bench/cost.mjs [--mb 100] [--runs 3]\n');
else if (isMain(import.meta)) {
  const { markdown, result } = await run({ runs: numberArg('runs', 3), mb: numberArg('mb', 100) });
  writeOut('cost.json', result);
  process.stdout.write(`${markdown}\n`);
}
