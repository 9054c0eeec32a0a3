#!/usr/bin/env node
/**
 * A loopback chat-completions server with a fixed latency, for concurrency benches: every POST to
 * …/chat/completions gets the same ~1.1 kB non-streaming `chat.completion` JSON (with usage) after
 * --latency ms, counted from the end of the request body. One process of its own, so it does not share
 * the client's core. A streaming request is refused (400): the bench is about non-streaming throughput.
 *
 * It keeps per-run figures, read by the bench between runs:
 *   GET  /stats   {"requests", "firstRequestMs", "lastResponseMs", "spanMs", "peakInFlight", "connections"}
 *                 spanMs: first request's arrival (headers) to the last response's end, server clock
 *   POST /reset   zeroes them
 *
 * Run: node bench/lib/latency-server.mjs [--port 0] [--latency 50]
 * Prints one JSON line `{"port":N}` on stdout when listening; stops on SIGTERM or when stdin closes.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const MODEL = 'gpt-5-mini';
/** Bytes of the answer body, as a real short answer with usage runs (perf-baselines §4: 1.1 kB). */
export const BODY_BYTES = 1100;

/** The answer, padded through its content to exactly BODY_BYTES. */
function answerBody() {
  const make = (content) =>
    JSON.stringify({
      id: 'chatcmpl-latency-0001',
      object: 'chat.completion',
      created: 1764000000,
      model: `${MODEL}-2025-08-07`,
      choices: [{ index: 0, message: { role: 'assistant', content, refusal: null, annotations: [] }, logprobs: null, finish_reason: 'stop' }],
      usage: {
        prompt_tokens: 12,
        completion_tokens: 160,
        total_tokens: 172,
        prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
      },
      service_tier: 'default',
      system_fingerprint: null,
    });
  const sentence = 'The model answers with a fixed text of about one kilobyte. ';
  let content = '';
  while (Buffer.byteLength(make(content + sentence)) <= BODY_BYTES) content += sentence;
  content += 'x'.repeat(BODY_BYTES - Buffer.byteLength(make(content)));
  const body = Buffer.from(make(content));
  if (body.length !== BODY_BYTES) throw new Error('answer padding is off');
  return { body, content };
}

export const ANSWER = answerBody();

export function startServer({ port = 0, latencyMs = 50 } = {}) {
  let stats;
  const reset = () => {
    stats = { requests: 0, firstRequestMs: undefined, lastResponseMs: undefined, inFlight: 0, peakInFlight: 0, connections: 0 };
  };
  reset();
  const json = (res, status, obj) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(obj));
  };
  const server = createServer((req, res) => {
    const url = req.url ?? '';
    if (req.method === 'GET' && url === '/stats') {
      const { inFlight, ...rest } = stats;
      json(res, 200, { ...rest, spanMs: rest.lastResponseMs === undefined ? undefined : rest.lastResponseMs - rest.firstRequestMs });
      return;
    }
    if (req.method === 'POST' && url === '/reset') {
      reset();
      req.resume();
      json(res, 200, { ok: true });
      return;
    }
    if (req.method !== 'POST' || !url.endsWith('/chat/completions')) {
      json(res, 404, { error: { message: 'not found', type: 'invalid_request_error' } });
      return;
    }
    stats.firstRequestMs ??= performance.now();
    stats.requests++;
    if (++stats.inFlight > stats.peakInFlight) stats.peakInFlight = stats.inFlight;
    const parts = [];
    req.on('data', (d) => parts.push(d));
    req.on('end', () => {
      // A string check, not JSON.parse: the server must stay cheap.
      if (/"stream"\s*:\s*true/.test(Buffer.concat(parts).toString('utf8'))) {
        stats.inFlight--;
        json(res, 400, { error: { message: 'this bench server answers non-streaming requests only', type: 'invalid_request_error' } });
        return;
      }
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': ANSWER.body.length, 'x-request-id': 'req_latency' });
        res.end(ANSWER.body, () => {
          stats.inFlight--;
          stats.lastResponseMs = performance.now();
        });
      }, latencyMs);
    });
  });
  server.on('connection', () => stats.connections++);
  server.keepAliveTimeout = 10_000;
  server.maxRequestsPerSocket = 0;
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

/** Starts this file in its own process; resolves to { port, url (…/v1), stats(), reset(), stop() }. */
export function spawnServer({ latencyMs = 50 } = {}) {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--latency', String(latencyMs)], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the latency server exited (${code}) before listening`)));
    child.stdout.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl === -1) return;
      child.stdout.removeAllListeners('data');
      const { port } = JSON.parse(out.slice(0, nl));
      child.removeAllListeners('exit');
      const origin = `http://127.0.0.1:${port}`;
      resolve({
        port,
        origin,
        url: `${origin}/v1`,
        stats: async () => (await fetch(`${origin}/stats`)).json(),
        reset: async () => {
          await (await fetch(`${origin}/reset`, { method: 'POST' })).arrayBuffer();
        },
        stop: () =>
          new Promise((done) => {
            child.once('exit', done);
            child.kill('SIGTERM');
          }),
      });
    });
  });
}

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const server = await startServer({ port: arg('port', 0), latencyMs: arg('latency', 50) });
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // The parent holds our stdin open; when it goes away, so do we (no orphan servers).
  process.stdin.on('end', stop).on('error', stop).resume();
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
}
