#!/usr/bin/env node
/**
 * `npm test` wall time (not part of run-all: it takes minutes and loads both cores). Runs the whole suite
 * --runs times (default 1), prints each run's wall time, the median (min–max), and the ten slowest files from
 * vitest's JSON report (.test-results/vitest.json). Target: ≤ 150 s on the 2-core build machine.
 * Run: node bench/test-time.mjs [--runs 1]
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { ROOT, fmt, mdTable, numberArg, stats } from './lib/harness.mjs';

const runs = numberArg('runs', 1);
const walls = [];
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  const code = await new Promise((resolve, reject) => {
    const child = spawn('npm', ['test', '--silent'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('error', reject);
    child.once('exit', resolve);
  });
  const seconds = (performance.now() - t0) / 1000;
  walls.push(seconds);
  process.stderr.write(`npm test run ${i + 1}/${runs}: ${seconds.toFixed(1)} s, exit ${code}\n`);
}
const report = JSON.parse(readFileSync(join(ROOT, '.test-results', 'vitest.json'), 'utf8'));
const files = report.testResults
  .map((f) => [f.name.slice(ROOT.length), ((f.endTime - f.startTime) / 1000).toFixed(1), f.assertionResults.length])
  .sort((a, b) => b[1] - a[1])
  .slice(0, 10);
process.stdout.write(
  [
    `### \`npm test\` wall time (${availableParallelism()} CPUs)`,
    '',
    `Whole suite, ${report.numTotalTests} tests (${report.numPassedTests} passed, ${report.numFailedTests} failed): **${fmt(stats(walls), 1)} s** over ${runs} run(s) (target ≤ 150 s).`,
    '',
    mdTable(['slowest files (last run)', 's', 'tests'], files),
    '',
  ].join('\n'),
);
