#!/usr/bin/env node
/**
 * The local count when a server sends no usage: `gpt chat -q hi > /dev/null` on a 100 MiB answer (64 KiB
 * deltas of prose-like text, bench/lib/sse-server.mjs /big route) with and without the usage chunk, interleaved.
 * The counting rate is the answer's MiB over the extra time the no-usage run takes (median of per-round
 * differences); the target is ≥ 5 MiB/s, about what `gpt cost` counts at.
 * Run: npm run build && node bench/no-usage.mjs [--runs 3] [--warmup 1] [--mib 100]
 */
import { GPT, NODE, ensureBuilt, fmt, interleaved, isMain, makeSandbox, mdTable, numberArg, startServer, stats } from './lib/harness.mjs';

export async function run({ runs = 3, warmups = 1, mib = 100, log = (line) => process.stderr.write(`${line}\n`) } = {}) {
  ensureBuilt();
  const box = makeSandbox();
  const server = await startServer();
  try {
    const variant = (key, label, usage) => ({
      key,
      label,
      argv: [NODE, GPT, 'chat', '-q', 'hi'],
      options: { env: { ...box.env, OPENAI_BASE_URL: server.bigUrl({ mib, usage }) }, cwd: box.cwd, stdout: 'null' },
    });
    const variants = [variant('usage', `\`gpt chat\`, ${mib} MiB answer, usage sent`, true), variant('noUsage', `same, no usage (counted locally)`, false)];
    log(`no-usage: 2 variants × ${runs} runs (+${warmups} warm-up), ${mib} MiB each`);
    const results = await interleaved(variants, { runs, warmups, log });
    const wall = (key) => results[key].map((r) => r.wallMs);
    const s = { usage: stats(wall('usage')), noUsage: stats(wall('noUsage')) };
    const extra = wall('noUsage').map((ms, i) => ms - wall('usage')[i]);
    const rate = stats(extra.map((ms) => mib / (Math.max(ms, 1) / 1000)));
    // The same from CPU time (GNU time), which other load on a shared machine disturbs far less than wall time.
    const cpu = (key) => results[key].map((r) => r.cpuMs);
    const cpuRate = stats(cpu('noUsage').map((ms, i) => (ms === undefined ? undefined : mib / (Math.max(ms - cpu('usage')[i], 1) / 1000))));
    const markdown = [
      `### Local count when the server sends no usage (${mib} MiB answer)`,
      '',
      mdTable(
        ['run', 'wall ms, median (min–max)'],
        [...variants.map((v) => [v.label, fmt(s[v.key])]), ['counting rate: MiB ÷ extra wall time, MiB/s (target ≥ 5)', fmt(rate, 1)], ['counting rate: MiB ÷ extra CPU time, MiB/s', fmt(cpuRate, 1)]],
      ),
    ].join('\n');
    return { markdown, stats: s, rate, cpuRate, runs, mib };
  } finally {
    await server.stop();
    box.cleanup();
  }
}

if (isMain(import.meta)) {
  const result = await run({ runs: numberArg('runs', 3), warmups: numberArg('warmup', 1), mib: numberArg('mib', 100) });
  process.stdout.write(`${result.markdown}\n`);
}
