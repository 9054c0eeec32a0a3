#!/usr/bin/env node
/**
 * The SDK baseline: one streamed chat completion with the official `openai` package as its README shows it
 * (`stream: true`, `for await`), on its default transport (Node's global fetch).
 *
 * Run: node bench/lib/client-openai.mjs --url http://127.0.0.1:PORT/v1 [--print] [--liftoff-only]
 * Same flags and the same `BENCH {json}` stderr line as client-undici.mjs.
 */
import { setFlagsFromString } from 'node:v8';

if (process.argv.includes('--liftoff-only')) setFlagsFromString('--liftoff-only');
const argAt = process.argv.indexOf('--url');
const baseURL = argAt === -1 ? undefined : process.argv[argAt + 1];
if (!baseURL) throw new Error('--url is required');
const print = process.argv.includes('--print');

const { default: OpenAI } = await import('openai');
const tImported = performance.now();
const cpu0 = process.cpuUsage();

const client = new OpenAI({ baseURL, apiKey: process.env.OPENAI_API_KEY });
const stream = await client.chat.completions.create({
  model: 'gpt-5-mini',
  messages: [{ role: 'user', content: 'hi' }],
  stream: true,
  stream_options: { include_usage: true },
});
const tHeaders = performance.now();

let tFirst;
let events = 0;
let chars = 0;
let usage;
for await (const chunk of stream) {
  events++;
  const text = chunk.choices[0]?.delta?.content;
  if (text) {
    tFirst ??= performance.now();
    chars += text.length;
    if (print) process.stdout.write(text);
  }
  if (chunk.usage) usage = chunk.usage;
}
const tEnd = performance.now();
const cpu = process.cpuUsage(cpu0);
process.stderr.write(
  `BENCH ${JSON.stringify({ client: 'openai', tImported, tHeaders, tFirst, tEnd, events, chars, usage: usage?.completion_tokens, cpuUs: cpu.user + cpu.system, maxRssKiB: process.resourceUsage().maxRSS })}\n`,
);
