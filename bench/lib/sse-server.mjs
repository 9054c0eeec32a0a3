#!/usr/bin/env node
/**
 * A fast loopback OpenAI-compatible chat-completions server for benches: precomputed SSE payloads,
 * no tokenising, one process of its own so it does not share the client's core.
 *
 * The stream's shape comes from the base URL path, so a CLI can be pointed at it with OPENAI_BASE_URL:
 *   /v1/chat/completions                      default: --chunks, --batch
 *   /c<chunks>-b<batch>[-nousage]/v1/...      <chunks> one-token content deltas, <batch> events per write,
 *                                             -nousage: no usage chunk even when stream_options asks for it
 *   /big<MiB>[-nousage]/v1/...                a <MiB> MiB answer in 64 KiB content deltas of prose-like text
 *                                             (bigText), for timing gpt's local count when usage is missing
 * Each stream is: role chunk, <chunks> content chunks of 264 bytes each (`data: {json}\n\n`),
 * a finish_reason chunk, a `choices: []` usage chunk (when include_usage is asked for), `data: [DONE]`.
 *
 * Run: node bench/lib/sse-server.mjs [--port 0] [--chunks 20] [--batch 1]
 * Prints one JSON line `{"port":N}` on stdout when listening; stops on SIGTERM or when stdin closes.
 */
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';

export const CHUNK_BYTES = 264;
export const MODEL = 'gpt-5-mini';
const WORDS = [' the', ' model', ' answers', ' with', ' simulated', ' tokens', ' at', ' speed'];
const ID = 'chatcmpl-bench-0001';
const CREATED = 1764000000;

function event(obj) {
  return `data: ${JSON.stringify(obj)}\n\n`;
}

function chunk(delta, finishReason, obfuscation) {
  const obj = {
    id: ID,
    object: 'chat.completion.chunk',
    created: CREATED,
    model: `${MODEL}-2025-08-07`,
    system_fingerprint: null,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
  };
  if (obfuscation !== undefined) obj.obfuscation = obfuscation;
  return obj;
}

/** A content event padded (through the `obfuscation` field, as OpenAI sends) to exactly CHUNK_BYTES. */
function contentEvent(word) {
  const bare = Buffer.byteLength(event(chunk({ content: word }, null, '')));
  const pad = CHUNK_BYTES - bare;
  if (pad < 0) throw new Error(`content chunk for '${word}' is ${bare} bytes, over ${CHUNK_BYTES}`);
  const text = event(chunk({ content: word }, null, 'x'.repeat(pad)));
  if (Buffer.byteLength(text) !== CHUNK_BYTES) throw new Error('chunk padding is off');
  return text;
}

const CONTENT_EVENTS = WORDS.map(contentEvent);
/** The text a stream of n content chunks carries (what a client should print). */
export function expectedText(n) {
  let s = '';
  for (let i = 0; i < n; i++) s += WORDS[i % WORDS.length];
  return s;
}

const HEAD = Buffer.from(event(chunk({ role: 'assistant', content: '', refusal: null }, null, 'abc')));
const FINISH = event(chunk({}, 'stop', 'abc'));
const DONE = 'data: [DONE]\n\n';

function usageEvent(completion) {
  const prompt = 8;
  return event({
    ...chunk({}, null),
    choices: [],
    usage: {
      prompt_tokens: prompt,
      completion_tokens: completion,
      total_tokens: prompt + completion,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
    },
  });
}

/** Blocks of `size` consecutive content events, starting at word 0 (size is a multiple of WORDS.length or 1). */
const blocks = new Map();
function contentBlock(size) {
  let block = blocks.get(size);
  if (!block) {
    let s = '';
    for (let i = 0; i < size; i++) s += CONTENT_EVENTS[i % CONTENT_EVENTS.length];
    block = Buffer.from(s);
    blocks.set(size, block);
  }
  return block;
}

/** Per-event buffers, built once. */
const SINGLE = CONTENT_EVENTS.map((e) => Buffer.from(e));

/** The body as a list of write() payloads; repeated content buffers are shared, not copied. */
function streamWrites(chunks, batch, withUsage) {
  const writes = [HEAD];
  if (batch <= 1) {
    for (let i = 0; i < chunks; i++) writes.push(SINGLE[i % SINGLE.length]);
  } else {
    // Blocks stay aligned on the word cycle, so the text is always WORDS repeated.
    const size = Math.max(WORDS.length, batch - (batch % WORDS.length));
    const block = contentBlock(size);
    let sent = 0;
    for (; sent + size <= chunks; sent += size) writes.push(block);
    if (sent < chunks) writes.push(contentBlock(chunks - sent));
  }
  writes.push(Buffer.from(FINISH + (withUsage ? usageEvent(chunks) : '') + DONE));
  return writes;
}

function wholeAnswer(chunks) {
  return JSON.stringify({
    id: ID,
    object: 'chat.completion',
    created: CREATED,
    model: `${MODEL}-2025-08-07`,
    choices: [{ index: 0, message: { role: 'assistant', content: expectedText(chunks), refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: 8, completion_tokens: chunks, total_tokens: 8 + chunks },
  });
}

/** Writes the payloads in order, waiting for 'drain' when the socket pushes back. */
function writeAll(res, writes) {
  let i = 0;
  let closed = false;
  res.on('close', () => {
    closed = true;
  });
  const pump = () => {
    while (i < writes.length) {
      if (closed) return;
      if (!res.write(writes[i++])) {
        res.once('drain', pump);
        return;
      }
    }
    res.end();
  };
  pump();
}

const ROUTE = /^(?:\/c(\d+)-b(\d+)(-nousage)?)?\/v1\/chat\/completions$/;
const BIG_ROUTE = /^\/big(\d+)(-nousage)?\/v1\/chat\/completions$/;

const BIG_PIECE = 64 * 1024;
const VOCAB = 'the a model answers with simulated tokens at speed of and to in is that for it as on with by this be are from or an which one all their has more time were can its about when there some would been into them other new than then these first people could only also like two may any after most over such very well where through just before between each under three never because while those both during without again against around might under'.split(' ');
/** A deterministic prose-like text of at least `bytes` bytes (ASCII): words, commas, sentences, paragraphs, numbers. */
export function bigText(bytes) {
  let seed = 12345;
  const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  const parts = [];
  let length = 0;
  while (length < bytes) {
    const r = next();
    let word = VOCAB[r % VOCAB.length];
    if (r % 97 === 0) word = String(r % 100000);
    const sep = r % 13 === 0 ? '. ' : r % 7 === 0 ? ', ' : r % 211 === 0 ? '.\n\n' : ' ';
    const piece = word + sep;
    parts.push(piece);
    length += piece.length;
  }
  return parts.join('').slice(0, bytes);
}
let bigPiece;
function bigWrites(mib, withUsage) {
  bigPiece ??= Buffer.from(event(chunk({ content: bigText(BIG_PIECE) }, null)));
  const writes = [HEAD];
  const n = (mib * 1024 * 1024) / BIG_PIECE;
  for (let i = 0; i < n; i++) writes.push(bigPiece);
  // A believable count (under 10× the context window), so the with-usage run really skips the local count.
  writes.push(Buffer.from(FINISH + (withUsage ? usageEvent(100_000) : '') + DONE));
  return writes;
}

export function startServer({ port = 0, chunks = 20, batch = 1 } = {}) {
  const server = createServer((req, res) => {
    const big = BIG_ROUTE.exec(req.url ?? '');
    if (req.method === 'POST' && big) {
      req.resume().on('end', () => {
        res.writeHead(200, { 'x-request-id': 'req_bench', 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
        writeAll(res, bigWrites(Number(big[1]), !big[2]));
      });
      return;
    }
    const route = ROUTE.exec(req.url ?? '');
    if (req.method !== 'POST' || !route) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":{"message":"not found","type":"invalid_request_error"}}');
      return;
    }
    const n = route[1] !== undefined ? Number(route[1]) : chunks;
    const b = route[2] !== undefined ? Number(route[2]) : batch;
    const parts = [];
    req.on('data', (d) => parts.push(d));
    req.on('end', () => {
      // String checks, not JSON.parse: the server must stay cheap (and clients send compact JSON).
      const body = Buffer.concat(parts).toString('utf8');
      const stream = /"stream"\s*:\s*true/.test(body);
      const headers = { 'x-request-id': 'req_bench' };
      if (!stream) {
        res.writeHead(200, { ...headers, 'content-type': 'application/json' });
        res.end(wholeAnswer(n));
        return;
      }
      const withUsage = !route[3] && /"include_usage"\s*:\s*true/.test(body);
      res.writeHead(200, { ...headers, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
      writeAll(res, streamWrites(n, b, withUsage));
    });
  });
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const server = await startServer({ port: arg('port', 0), chunks: arg('chunks', 20), batch: arg('batch', 1) });
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
