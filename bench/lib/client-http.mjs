#!/usr/bin/env node
/**
 * The bare streaming baseline: one streamed chat completion over plain `node:http`, a minimal SSE line
 * parser (split at \n, `data: ` lines, JSON.parse, choices[0].delta.content), the deltas joined and written
 * to stdout once at the end. No retries, no output file, no accounting.
 *
 * Run: node bench/lib/client-http.mjs --url http://127.0.0.1:PORT/v1
 * The API key comes from OPENAI_API_KEY. Ends with one stderr line `BENCH {json}` (ms from process start).
 */
import { request } from 'node:http';

const argAt = process.argv.indexOf('--url');
const baseUrl = argAt === -1 ? undefined : process.argv[argAt + 1];
if (!baseUrl) throw new Error('--url is required');
const tImported = performance.now();
const url = new URL(`${baseUrl}/chat/completions`);
const body = JSON.stringify({ model: 'gpt-5-mini', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } });

const parts = [];
let events = 0;
let tFirst;
await new Promise((resolve, reject) => {
  const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${process.env.OPENAI_API_KEY}` } }, (res) => {
    if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode}`));
    res.setEncoding('utf8');
    let buffer = '';
    res.on('data', (piece) => {
      buffer += piece;
      let start = 0;
      for (let nl = buffer.indexOf('\n', start); nl !== -1; nl = buffer.indexOf('\n', start)) {
        const line = buffer.slice(start, nl);
        start = nl + 1;
        if (!line.startsWith('data: ') || line === 'data: [DONE]') continue;
        const content = JSON.parse(line.slice(6)).choices?.[0]?.delta?.content;
        if (content) {
          tFirst ??= performance.now();
          parts.push(content);
          events++;
        }
      }
      buffer = buffer.slice(start);
    });
    res.on('end', resolve);
    res.on('error', reject);
  });
  req.on('error', reject);
  req.end(body);
});
const text = parts.join('');
process.stdout.write(text);
process.stderr.write(`BENCH ${JSON.stringify({ tImported, tFirst, tEnd: performance.now(), events, chars: text.length })}\n`);
