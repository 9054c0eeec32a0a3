#!/usr/bin/env node
/**
 * TTY-path bench: the live Markdown renderer (what `gpt chat` runs on a colour terminal) fed a 1,400-token Markdown
 * answer (headings, lists, fenced code in three languages, tables) one o200k token per write, at 120×40 — the
 * worst case, as the CLI hands the renderer one write per event-loop turn, however many tokens came in it.
 * Each run is a fresh process (bench/lib/render-client.mjs): loading the renderer's chunk, a first pass (which
 * also loads highlight.js at the first fence, once per process) and warm passes (median of 3).
 * Keeping up with 1,000 tok/s means under 1,000 µs per token.
 *
 * Run: npm run build && node bench/render.mjs [--runs 5]
 */
import { join } from 'node:path';
import { LIB, NODE, ensureBuilt, fmt, isMain, machineLine, mdTable, numberArg, runOnce, stats, writeOut } from './lib/harness.mjs';

export async function run({ runs = 5, log = (line) => process.stderr.write(`${line}\n`) } = {}) {
  ensureBuilt();
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const r = await runOnce([NODE, join(LIB, 'render-client.mjs')], { env: { PATH: process.env.PATH ?? '' }, keepStdout: true });
    samples.push(JSON.parse(r.stdout));
    log(`  render run ${i + 1}/${runs}`);
  }
  const s = {
    importMs: stats(samples.map((x) => x.importMs)),
    firstUs: stats(samples.map((x) => x.first.usPerToken)),
    firstMaxMs: stats(samples.map((x) => x.first.maxMs)),
    firstRestUs: stats(samples.map((x) => x.first.withoutLongestUs)),
    warmUs: stats(samples.map((x) => x.warm.usPerToken)),
    warmP99Us: stats(samples.map((x) => x.warm.p99Us)),
    warmMaxMs: stats(samples.map((x) => x.warm.maxMs)),
    headroom: stats(samples.map((x) => 1000 / x.warm.usPerToken)),
  };
  const { tokens, chars, warm } = samples[0];
  const rows = [
    ['loading the renderer chunk (marked, chalk, wrap-ansi, string-width), ms', fmt(s.importMs, 0)],
    ['first pass, µs per token (incl. loading highlight.js at the first fence)', fmt(s.firstUs, 0)],
    ['first pass, longest single write, ms (the highlight.js load)', fmt(s.firstMaxMs, 0)],
    ['first pass without that write, µs per token', fmt(s.firstRestUs, 0)],
    ['**warm, µs per token**', `**${fmt(s.warmUs, 0)}**`],
    ['warm, 99th percentile of one write, µs', fmt(s.warmP99Us, 0)],
    ['warm, longest single write, ms (a code block or table rendered)', fmt(s.warmMaxMs, 1)],
    ['warm tokens per second ÷ 1,000', fmt(s.headroom, 1)],
  ];
  const markdown = [
    `### TTY path: live Markdown rendering, ${tokens.toLocaleString('en-US')} tokens (${chars.toLocaleString('en-US')} characters) one write per token, 120×40`,
    '',
    `${machineLine()}. ${runs} fresh processes, median (min–max). ${warm.bytes.toLocaleString('en-US')} bytes written to the terminal (raw text, erases and renderings).`,
    '',
    mdTable(['figure', 'median (min–max)'], rows),
  ].join('\n');
  writeOut('render.json', { runs, stats: s, samples });
  return { markdown, stats: s, runs, tokens };
}

if (isMain(import.meta)) {
  const result = await run({ runs: numberArg('runs', 5) });
  process.stdout.write(`${result.markdown}\n`);
}
