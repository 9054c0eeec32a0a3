#!/usr/bin/env node
/**
 * The bare baseline: one streamed chat completion with `undici.request`, a minimal hand-written SSE split
 * and JSON.parse per event — what any client must do at the least.
 *
 * Run: node bench/lib/client-undici.mjs --url http://127.0.0.1:PORT/v1 [--print] [--liftoff-only]
 *   --print          write each content delta to stdout (one write per event, as gpt does)
 *   --liftoff-only   set V8's --liftoff-only before undici loads (bin/gpt.js does the same)
 * The API key comes from OPENAI_API_KEY. Ends with one stderr line `BENCH {json}`: in-process timings
 * (ms from process start), events, characters, CPU (µs) and peak RSS.
 */
import { setFlagsFromString } from 'node:v8';

if (process.argv.includes('--liftoff-only')) setFlagsFromString('--liftoff-only');
const argAt = process.argv.indexOf('--url');
const baseUrl = argAt === -1 ? undefined : process.argv[argAt + 1];
if (!baseUrl) throw new Error('--url is required');
const print = process.argv.includes('--print');

const { request } = await import('undici');
const tImported = performance.now();
const cpu0 = process.cpuUsage();

const res = await request(`${baseUrl}/chat/completions`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', authorization: `Bearer ${process.env.OPENAI_API_KEY}` },
  body: JSON.stringify({ model: 'gpt-5-mini', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } }),
});
if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}: ${await res.body.text()}`);
const tHeaders = performance.now();

let tFirst;
let events = 0;
let chars = 0;
let done = false;
let usage;
let buffer = '';
res.body.setEncoding('utf8'); // a UTF-8 character split across reads decodes whole
for await (const piece of res.body) {
  buffer += piece;
  let start = 0;
  for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n', start)) {
    const frame = buffer.slice(start, end);
    start = end + 2;
    if (!frame.startsWith('data: ')) continue;
    const data = frame.slice(6);
    if (data === '[DONE]') {
      done = true;
      continue;
    }
    const chunk = JSON.parse(data);
    events++;
    const text = chunk.choices[0]?.delta?.content;
    if (text) {
      tFirst ??= performance.now();
      chars += text.length;
      if (print) process.stdout.write(text);
    }
    if (chunk.usage) usage = chunk.usage;
  }
  buffer = buffer.slice(start);
}
const tEnd = performance.now();
const cpu = process.cpuUsage(cpu0);
if (!done) throw new Error('stream ended without [DONE]');
process.stderr.write(
  `BENCH ${JSON.stringify({ client: 'undici', tImported, tHeaders, tFirst, tEnd, events, chars, usage: usage?.completion_tokens, cpuUs: cpu.user + cpu.system, maxRssKiB: process.resourceUsage().maxRSS })}\n`,
);
