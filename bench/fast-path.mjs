#!/usr/bin/env node
/**
 * `gpt --version` / `gpt --help` against `node -e ''`, and the same through commander (dist/cli.js, the path
 * bin/gpt.js takes for everything else), as interleaved whole-process wall times: median (min–max) and the
 * per-round ratio to the floor. Run: npm run build && node bench/fast-path.mjs [--runs 20] [--warmup 3]
 */
import { join } from 'node:path';
import { GPT, NODE, ROOT, ensureBuilt, fmt, interleaved, isMain, makeSandbox, mdTable, numberArg, pairedRatios, stats } from './lib/harness.mjs';

const CLI = join(ROOT, 'dist', 'cli.js');

export async function run({ runs = 20, warmups = 3, log = (line) => process.stderr.write(`${line}\n`) } = {}) {
  ensureBuilt();
  const box = makeSandbox();
  try {
    const options = { env: box.env, cwd: box.cwd, stdout: 'pipe' };
    const variants = [
      ['floor', "`node -e ''`", [NODE, '-e', '']],
      ['version', '`gpt --version`', [NODE, GPT, '--version']],
      ['help', '`gpt --help`', [NODE, GPT, '--help']],
      ['versionCommander', '`--version` through commander (dist/cli.js)', [NODE, CLI, '--version']],
      ['helpCommander', '`--help` through commander (dist/cli.js)', [NODE, CLI, '--help']],
    ].map(([key, label, argv]) => ({ key, label, argv, options }));
    const results = await interleaved(variants, { runs, warmups, log });
    const wall = (key) => results[key].map((r) => r.wallMs);
    const s = Object.fromEntries(variants.map((v) => [v.key, stats(wall(v.key))]));
    const ratios = Object.fromEntries(variants.map((v) => [v.key, stats(pairedRatios(wall(v.key), wall('floor')))]));
    // CPU (user+sys, GNU time) is far less sensitive than wall time to other load on a shared machine.
    const cpu = (key) => results[key].map((r) => r.cpuMs);
    const cpuStats = Object.fromEntries(variants.map((v) => [v.key, stats(cpu(v.key))]));
    const cpuRatios = Object.fromEntries(variants.map((v) => [v.key, stats(pairedRatios(cpu(v.key), cpu('floor')))]));
    const rows = variants.map((v) => [v.label, fmt(s[v.key]), v.key === 'floor' ? '–' : fmt(ratios[v.key], 2), fmt(cpuStats[v.key]), v.key === 'floor' ? '–' : fmt(cpuRatios[v.key], 2)]);
    const markdown = mdTable(['command', 'wall ms, median (min–max)', 'wall ÷ floor, per round', 'CPU ms', 'CPU ÷ floor'], rows);
    return { markdown, stats: s, ratios, runs };
  } finally {
    box.cleanup();
  }
}

if (isMain(import.meta)) {
  const result = await run({ runs: numberArg('runs', 20), warmups: numberArg('warmup', 3) });
  process.stdout.write(`${result.markdown}\n`);
}
