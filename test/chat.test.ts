/**
 * `gpt chat` end to end against the loopback OpenAI-compatible server: in-process through the CLI's entry
 * (runGpt), and as the built CLI in a child process where a process matters (the first test, signals, colour).
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeHome, runCli, type CliOptions } from './support/cli.js';
import { runGpt } from './support/in-process.js';
import { sseData } from './support/mock-server.js';
import { useMockServer } from './support/fixture.js';

const KEY = 'sk-test-CHATSECRET012fXYZ';
const server = useMockServer();

function gpt(args: string[], options: CliOptions = {}, run = runGpt) {
  return run(args, { ...options, env: { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: server.url, ...options.env } });
}

const chatBodies = () => server.requests.filter((r) => r.path.endsWith('/chat/completions')).map((r) => r.body as Record<string, any>);

describe('gpt chat, one-shot', () => {
  it('streams the answer to stdout byte for byte and the usage line to stderr (the built CLI, a child process)', async () => {
    server.enqueue({ kind: 'answer', chunks: ['Hello', ', ', 'world', '!'], usage: { prompt_tokens: 12, completion_tokens: 4 } });
    const r = await gpt(['chat', '-m', 'gpt-5.2', 'What', 'is', 'a', 'monad?'], {}, runCli);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('Hello, world!');
    expect(r.stderr).toMatch(/^gpt-5\.2 · 12 in · 4 out · \$0\.0000\d+ · \d+\.\ds/m);
    const [body] = chatBodies();
    expect(body).toMatchObject({ model: 'gpt-5.2', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'What is a monad?' }] });
    expect(server.requests[0]!.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it('composes the message and piped stdin, with the system prompt first', async () => {
    const r = await gpt(['chat', '-s', 'Be terse.', 'Explain this'], { stdin: 'Error: ENOENT\n  at open\n' });
    expect(r.code).toBe(0);
    expect(chatBodies()[0]!.messages).toEqual([
      { role: 'system', content: 'Be terse.' },
      { role: 'user', content: 'Explain this\n\nError: ENOENT\n  at open' },
    ]);
  });

  it('content sent as a list of text parts (as Mistral does) is the answer, streamed or not', async () => {
    server.enqueue({ kind: 'raw-200', body: JSON.stringify({ model: 'm', choices: [{ message: { role: 'assistant', content: [{ type: 'text', text: 'Bon' }, { type: 'text', text: 'jour' }] }, finish_reason: 'stop' }] }) });
    const whole = await gpt(['chat', '--no-stream', 'hi']);
    expect([whole.code, whole.stdout]).toEqual([0, 'Bonjour']);
    const chunk = (content: unknown, finish: string | null = null) => sseData({ model: 'm', choices: [{ index: 0, delta: { content }, finish_reason: finish }] });
    server.enqueue({ kind: 'raw-sse', events: [chunk([{ type: 'text', text: 'Bon' }]), chunk([{ type: 'text', text: 'jour' }]), chunk(null, 'stop'), 'data: [DONE]\n\n'] });
    const streamed = await gpt(['chat', 'hi']);
    expect([streamed.code, streamed.stdout]).toEqual([0, 'Bonjour']);
  });

  it('colour on stderr only when asked (FORCE_COLOR) or on a TTY; never with NO_COLOR or in a pipe', async () => {
    const coloured = await gpt(['chat', 'hi'], { env: { FORCE_COLOR: '1', NO_COLOR: undefined } });
    expect(coloured.stderr).toContain('\u001b[2mgpt-5');
    expect(coloured.stdout).toBe('Hello from the mock.');
    const plain = await gpt(['chat', 'hi']);
    expect(plain.stderr).not.toContain('\u001b[');
  });

  it('sends every generation option under its chat-completions name', async () => {
    const r = await gpt(['chat', '-m', 'gpt-5.2', '--effort', 'xhigh', '--temperature', '0.2', '--top-p', '0.9', '--max-output-tokens', '77', '--stop', 'END', '--stop', 'STOP', '--seed', '7', '--presence-penalty', '0.5', '--frequency-penalty', '-0.5', 'hi']);
    expect(r.code).toBe(0);
    expect(chatBodies()[0]).toMatchObject({ reasoning_effort: 'xhigh', temperature: 0.2, top_p: 0.9, max_completion_tokens: 77, stop: ['END', 'STOP'], seed: 7, presence_penalty: 0.5, frequency_penalty: -0.5 });
  });

  it('--json prints one object with usage and cost computed from the price table', async () => {
    server.enqueue({ kind: 'answer', text: 'Fine.', model: 'gpt-5.2-2025-12-11', usage: { prompt_tokens: 1000, cached_tokens: 200, completion_tokens: 500, reasoning_tokens: 100 } });
    const r = await gpt(['chat', '-m', 'gpt-5.2', '--effort', 'xhigh', '--json', 'hi']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({
      model: 'gpt-5.2-2025-12-11',
      profile: 'openai',
      text: 'Fine.',
      finish_reason: 'stop',
      usage: { input_tokens: 1000, cached_input_tokens: 200, output_tokens: 500, reasoning_tokens: 100, total_tokens: 1500, estimated: false },
      cost: { priced: true },
    });
    // gpt-5.2: 800 uncached × $1.75/M + 200 cached × $0.175/M + 500 out × $14/M
    expect(out.cost.input_usd).toBeCloseTo((800 * 1.75) / 1e6, 12);
    expect(out.cost.cached_input_usd).toBeCloseTo((200 * 0.175) / 1e6, 12);
    expect(out.cost.output_usd).toBeCloseTo((500 * 14) / 1e6, 12);
    expect(out.cost.total_usd).toBeCloseTo(0.0014 + 0.000035 + 0.007, 12);
    expect(out.latency.total_ms).toBeGreaterThan(0);
    expect(typeof out.latency.first_token_ms).toBe('number');
  });

  it('--no-stream asks for a whole answer and prints the same', async () => {
    server.enqueue({ kind: 'answer', text: 'Whole answer.' });
    const r = await gpt(['chat', '--no-stream', 'hi']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('Whole answer.');
    expect(chatBodies()[0]!.stream).toBeUndefined();
  });

  it('--api responses talks to /responses with instructions, input and reasoning.effort', async () => {
    server.enqueue({ kind: 'answer', chunks: ['Ré', 'ponse ', '👋'], usage: { prompt_tokens: 30, completion_tokens: 3 } });
    const r = await gpt(['chat', '--api', 'responses', '-m', 'gpt-5.2', '--effort', 'high', '--max-output-tokens', '100', '-s', 'sys', 'hello']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('Réponse 👋');
    const req = server.requests[0]!;
    expect(req.path).toBe('/v1/responses');
    expect(req.body).toMatchObject({ model: 'gpt-5.2', instructions: 'sys', input: 'hello', stream: true, reasoning: { effort: 'high' }, max_output_tokens: 100 });
    expect(r.stderr).toMatch(/30 in · 3 out/);
  });

  it('--api responses without streaming reads the output items', async () => {
    server.enqueue({ kind: 'answer', text: 'Plain.', usage: { prompt_tokens: 5, completion_tokens: 2 } });
    const r = await gpt(['chat', '--api', 'responses', '--no-stream', '--json', 'hello']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ text: 'Plain.', usage: { input_tokens: 5, output_tokens: 2 } });
  });

  it('reports the provider cost when the API gives one (OpenRouter usage.cost)', async () => {
    server.enqueue({ kind: 'answer', text: 'ok', cost: 0.0123, usage: { prompt_tokens: 10, completion_tokens: 1 } });
    const r = await gpt(['chat', '--json', 'hi']);
    const out = JSON.parse(r.stdout);
    expect(out.cost.total_usd).toBe(0.0123);
    expect(out.cost.source).toBe('provider');
  });

  it('counts locally and says so when the API sends no usage', async () => {
    server.enqueue({ kind: 'answer', text: 'No usage here.', usage: null });
    const r = await gpt(['chat', '--json', 'hi']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.usage.estimated).toBe(true);
    expect(out.usage.output_tokens).toBeGreaterThan(0);
    // user "hi": 3 per message + role (1) + content (1) + 3 primer = 8
    expect(out.usage.input_tokens).toBe(8);
    server.enqueue({ kind: 'answer', text: 'No usage here.', usage: null });
    const plain = await gpt(['chat', 'hi']);
    expect(plain.stderr).toMatch(/\(estimated\)/);
  });

  it('an unknown model works, warns that its cost is unknown, and reports priced: false', async () => {
    const r = await gpt(['chat', '-m', 'my-local-model', '--json', 'hi']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).cost.priced).toBe(false);
    expect(r.stderr).toMatch(/no price known for model 'my-local-model'/);
  });

  it('appends a usage record (mode 0600) with the prices applied', async () => {
    const home = makeHome();
    server.enqueue({ kind: 'answer', text: 'x', usage: { prompt_tokens: 10, completion_tokens: 1 } });
    const r = await gpt(['chat', '-m', 'gpt-5.2', 'hi'], { home });
    expect(r.code).toBe(0);
    const log = join(home, '.local', 'state', 'gpt', 'usage.jsonl');
    expect(statSync(log).mode & 0o777).toBe(0o600);
    const record = JSON.parse(readFileSync(log, 'utf8').trim());
    expect(record).toMatchObject({ command: 'chat', profile: 'openai', requested_model: 'gpt-5.2', usage: { input_tokens: 10, output_tokens: 1 }, prices: { input: 1.75, output: 14 } });
    expect(readFileSync(log, 'utf8')).not.toContain(KEY);
  });
});

describe('gpt chat, budgets and big inputs', () => {
  it('--max-cost refuses a prompt whose input alone is over, sending nothing (exit 6)', async () => {
    const r = await gpt(['chat', '-m', 'gpt-5.2', '--max-cost', '0.00001', 'word '.repeat(2000)]);
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/the prompt alone would cost \$0\.00\d+ on gpt-5\.2, over --max-cost \$0\.00001; nothing was sent/);
    expect(server.requests).toHaveLength(0);
  });

  it('--max-cost stops an answer once its running cost passes the limit, keeping what came', async () => {
    // "hi" is 8 input tokens × $1.75/M = $0.000014; each output token costs $0.000014, so $0.0001 allows ~6 tokens.
    server.enqueue({ kind: 'answer', text: 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen', chunkDelayMs: 5 });
    const r = await gpt(['chat', '-m', 'gpt-5.2', '--max-cost', '0.0001', 'hi']);
    expect(r.code).toBe(6);
    expect(r.stdout.startsWith('one two')).toBe(true);
    expect(r.stdout).not.toContain('fourteen');
    expect(r.stderr).toMatch(/stopped: the answer reached ~\$0\.0001\d*, over --max-cost \$0\.0001/);
  });

  it('a 50 MB stdin over the context window is refused before any request (exit 2), with the numbers and the ways out', async () => {
    const big = 'lorem ipsum dolor sit amet '.repeat(2_000_000); // 54 MB
    const r = await gpt(['chat', '-m', 'gpt-4o-mini', 'summarise'], { stdin: big, timeoutMs: 60_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^gpt: at least [\d,]+ input tokens is over gpt-4o-mini's input limit of 128,000 tokens; nothing was sent\. Split the input with --chunk, or use a model with a bigger window/);
    expect(server.requests).toHaveLength(0);
  });
});

describe('gpt chat, offline and keyless', () => {
  it('--profile simulate runs the whole pipeline with no key and no network', async () => {
    const r = await runGpt(['chat', '--profile', 'simulate', '--max-output-tokens', '20', '--json', 'hello'], { env: { OPENAI_API_KEY: undefined } });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.profile).toBe('simulate');
    expect(out.usage.output_tokens).toBeGreaterThan(10);
    expect(out.usage.output_tokens).toBeLessThanOrEqual(20);
    expect(out.usage.estimated).toBe(false);
    expect(out.finish_reason).toBe('length');
    const again = await runGpt(['chat', '--profile', 'simulate', '--max-output-tokens', '20', '--json', 'hello']);
    expect(JSON.parse(again.stdout).text).toBe(out.text);
    expect(server.requests).toHaveLength(0);
  });

  it('with no key, exits 3 naming OPENAI_API_KEY and --profile simulate', async () => {
    const r = await runGpt(['chat', 'hi'], { env: { OPENAI_API_KEY: undefined } });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/OPENAI_API_KEY/);
    expect(r.stderr).toMatch(/--profile simulate/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('gpt chat, faults', () => {
  it.each([
    [401, 4],
    [403, 4],
    [400, 7],
    [404, 7],
  ])('HTTP %i exits %i with the API message, no retry', async (status, code) => {
    server.enqueue({ kind: 'error', status, message: `the api says ${status}` });
    const r = await gpt(['chat', 'hi']);
    expect(r.code).toBe(code);
    expect(r.stderr).toContain(`the api says ${status}`);
    expect(server.requests).toHaveLength(1);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
  });

  it('429 with Retry-After is retried, then succeeds', async () => {
    server.enqueue({ kind: 'error', status: 429, headers: { 'retry-after-ms': '20' } }, { kind: 'answer', text: 'after retry' });
    const r = await gpt(['chat', 'hi']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('after retry');
    expect(server.requests).toHaveLength(2);
    expect(r.stderr).toMatch(/retrying in 0\.0s \(attempt 2\)/);
  });

  it('429 after all retries exits 5 and says it is a rate limit', async () => {
    for (let i = 0; i < 3; i++) server.enqueue({ kind: 'error', status: 429, headers: { 'retry-after': '0' }, code: 'rate_limit_exceeded', message: 'Rate limit reached' });
    const r = await gpt(['chat', 'hi']);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/rate limited \(429\) after 3 attempts: Rate limit reached/);
    expect(server.requests).toHaveLength(3);
  });

  it('insufficient_quota is not retried: exit 5, says quota', async () => {
    server.enqueue({ kind: 'error', status: 429, type: 'insufficient_quota', code: 'insufficient_quota', message: 'You exceeded your current quota' });
    const r = await gpt(['chat', 'hi']);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/quota exhausted/);
    expect(server.requests).toHaveLength(1);
  });

  it('--retries 0 gives up at once; 5xx with an HTML page reads as one line', async () => {
    server.enqueue({ kind: 'error', status: 502, rawBody: '<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>' });
    const r = await gpt(['chat', '--retries', '0', 'hi']);
    expect(r.code).toBe(7);
    expect(r.stderr.trim()).toMatch(/^gpt: API error 502: non-JSON response \(HTML: 502 Bad Gateway\)( \[request \w+\])?$/);
  });

  it('500 then success is retried', async () => {
    server.enqueue({ kind: 'error', status: 500, headers: { 'retry-after-ms': '1' } }, { kind: 'answer', text: 'ok' });
    const r = await gpt(['chat', 'hi']);
    expect([r.code, r.stdout, server.requests.length]).toEqual([0, 'ok', 2]);
  });

  it('frames torn at every byte and UTF-8 split mid-character come out exact', async () => {
    const text = 'naïve café — 日本語 👋🏽 done';
    server.enqueue({ kind: 'answer', text, splitEveryByte: true });
    let r = await gpt(['chat', 'hi']);
    expect(r.stdout).toBe(text);
    server.enqueue({ kind: 'split-utf8', text });
    r = await gpt(['chat', 'hi']);
    expect([r.code, r.stdout]).toEqual([0, text]);
  });

  it('keeps partial output, prints estimated accounting and exits 7 on a reset mid-stream', async () => {
    server.enqueue({ kind: 'reset-mid-stream', afterChunks: 2, text: 'one two three four' });
    const r = await gpt(['chat', 'hi']);
    expect(r.code).toBe(7);
    expect(r.stdout.length).toBeGreaterThan(0);
    expect('one two three four'.startsWith(r.stdout)).toBe(true);
    expect(r.stderr).toMatch(/\(estimated\)/);
    expect(r.stderr).toMatch(/reset/);
    expect(server.requests).toHaveLength(1); // never retried once the answer began
  });

  it('--timeout fires on a stall mid-stream (idle timeout) and before headers', async () => {
    server.enqueue({ kind: 'stall-mid-stream', afterChunks: 1, text: 'partial answer' });
    let r = await gpt(['chat', '--timeout', '0.5', 'hi']);
    expect(r.code).toBe(7);
    expect(r.stderr).toMatch(/went silent for 0\.5s/);
    expect(r.stdout.length).toBeGreaterThan(0);
    server.enqueue({ kind: 'stall-before-headers' });
    r = await gpt(['chat', '--timeout', '0.3', '--retries', '0', 'hi']);
    expect(r.code).toBe(7);
    expect(r.stderr).toMatch(/no response from .* within 0\.3s/);
  });

  it('a stream that ends without finish_reason or [DONE] is an error, partial output kept', async () => {
    server.enqueue({ kind: 'raw-sse', events: [sseData({ choices: [{ index: 0, delta: { content: 'cut' } }] })] });
    const r = await gpt(['chat', 'hi']);
    expect([r.code, r.stdout]).toEqual([7, 'cut']);
    expect(r.stderr).toMatch(/ended before the answer was complete/);
  });

  it('skips a malformed frame and an unknown event type with a warning', async () => {
    server.enqueue({
      kind: 'raw-sse',
      events: [
        sseData({ choices: [{ index: 0, delta: { content: 'a' } }] }),
        'data: {not json\n\n',
        'event: something.new\ndata: {"x":1}\n\n',
        sseData({ choices: [{ index: 0, delta: { content: 'b' }, finish_reason: 'stop' }] }),
        'data: [DONE]\n\n',
      ],
    });
    const r = await gpt(['chat', 'hi']);
    expect([r.code, r.stdout]).toEqual([0, 'ab']);
    expect(r.stderr).toMatch(/skipped a malformed stream event/);
  });

  it('an empty 200 is an error; connection refused is an error', async () => {
    server.enqueue({ kind: 'empty-200' });
    let r = await gpt(['chat', '--no-stream', 'hi']);
    expect(r.code).toBe(7);
    expect(r.stderr).toMatch(/empty body/);
    r = await runGpt(['chat', '--retries', '0', 'hi'], { env: { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' } });
    expect(r.code).toBe(7);
    expect(r.stderr.trim()).toBe('gpt: cannot connect to 127.0.0.1:9: connection refused');
  });

  it('a mid-stream error event is reported with the API message', async () => {
    server.enqueue({ kind: 'raw-sse', events: [sseData({ choices: [{ index: 0, delta: { content: 'x' } }] }), sseData({ error: { message: 'upstream overloaded' } })] });
    const r = await gpt(['chat', 'hi']);
    expect(r.code).toBe(7);
    expect(r.stderr).toMatch(/upstream overloaded/);
  });

  it('Ctrl-C keeps the partial answer, prints accounting and exits 130', async () => {
    server.enqueue({ kind: 'stall-mid-stream', afterChunks: 2, text: 'alpha beta gamma delta' });
    const r = await gpt(['chat', 'hi'], {
      onSpawn: (child) => {
        void server.waitForRequests(1).then(() => setTimeout(() => child.kill('SIGINT'), 300));
      },
    });
    expect(r.code).toBe(130);
    expect(r.stdout.length).toBeGreaterThan(0);
    expect(r.stderr).toMatch(/\(estimated\)/);
    expect(r.stderr).toMatch(/interrupted/);
  });
});

describe('usage errors and secrets', () => {
  it.each([
    [['chat', '--bogus', 'hi'], /unknown option '--bogus'/],
    [['chat', '--temperature', 'abc', 'hi'], /--temperature takes a number from 0 to 2, not 'abc'/],
    [['chat', '--effort', 'extreme', 'hi'], /--effort/],
    [['nope'], /unknown command 'nope'/],
  ])('%j exits 2', async (args, pattern) => {
    const r = await gpt(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(pattern);
  });

  it('an empty message and empty stdin is a usage error', async () => {
    const r = await gpt(['chat'], { stdin: '' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/empty message/);
  });

  it('binary stdin is refused', async () => {
    const r = await gpt(['chat', 'what is this'], { stdin: Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2]) });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/binary/);
  });

  it('the key never appears in any output, also with --verbose and on errors', async () => {
    server.enqueue({ kind: 'error', status: 401, message: `Incorrect API key provided: ${KEY}` });
    const outputs: string[] = [];
    let r = await gpt(['chat', '--verbose', 'hi']);
    outputs.push(r.stdout, r.stderr);
    expect(r.code).toBe(4);
    server.enqueue({ kind: 'answer', text: 'ok' });
    r = await gpt(['chat', '-v', '--json', 'hi']);
    outputs.push(r.stdout, r.stderr);
    expect(r.stderr).toMatch(/→ POST/);
    for (const text of outputs) expect(text).not.toContain(KEY);
    expect(outputs.join('')).toContain('sk-…fXYZ');
  });
});
