#!/usr/bin/env node
/**
 * One process of the TTY render bench: loads the built live-Markdown renderer (the chunk `gpt chat` loads on a colour
 * terminal), cuts a Markdown answer into o200k tokens and feeds them one write per token, as the slowest possible
 * stream would (the CLI batches a turn's tokens into one write). Prints one JSON line of timings.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { get_encoding } from 'tiktoken';
import { ROOT } from './harness.mjs';
import { renderDoc } from './render-doc.mjs';

/** The newest dist chunk that exports the renderer. */
function rendererChunk() {
  const dir = join(ROOT, 'dist', 'chunks');
  const found = readdirSync(dir)
    .filter((f) => f.startsWith('markdown-') && f.endsWith('.js') && /export \{[^}]*MarkdownStream/.test(readFileSync(join(dir, f), 'utf8')))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (!found[0]) throw new Error('no dist/chunks/markdown-*.js exporting MarkdownStream: run `npm run build`');
  return found[0];
}

const doc = renderDoc();
const encoder = get_encoding('o200k_base');
const decoder = new TextDecoder();
const tokens = [...encoder.encode_ordinary(doc)].map((t) => decoder.decode(encoder.decode_single_token_bytes(t)));
encoder.free();
if (tokens.join('') !== doc) throw new Error('tokens do not join back into the document');

const t0 = performance.now();
const { MarkdownStream } = await import(pathToFileURL(rendererChunk()).href);
const importMs = performance.now() - t0;

function pass() {
  const md = new MarkdownStream({ columns: () => 120, rows: () => 40 });
  const times = new Float64Array(tokens.length);
  let bytes = 0;
  const start = performance.now();
  for (let i = 0; i < tokens.length; i++) {
    const s = performance.now();
    bytes += md.write(tokens[i]).length;
    times[i] = performance.now() - s;
  }
  bytes += md.end().length;
  const totalMs = performance.now() - start;
  const sorted = [...times].sort((a, b) => a - b);
  const withoutLongest = ((totalMs - sorted.at(-1)) * 1000) / (tokens.length - 1);
  return { totalMs, usPerToken: (totalMs * 1000) / tokens.length, withoutLongestUs: withoutLongest, p99Us: sorted[Math.floor(sorted.length * 0.99)] * 1000, maxMs: sorted.at(-1), bytes };
}

const first = pass(); // includes loading highlight.js at the first code fence
const warm = [pass(), pass(), pass()].sort((a, b) => a.usPerToken - b.usPerToken)[1];
process.stdout.write(`${JSON.stringify({ tokens: tokens.length, chars: doc.length, importMs, first, warm })}\n`);
