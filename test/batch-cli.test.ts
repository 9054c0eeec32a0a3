/** `gpt batch` end to end: the built CLI against the loopback server, as a user would run it. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lookupModel } from '../src/accounting/models.js';
import type { Progress } from '../src/batch/types.js';
import { inShard } from '../src/batch/shard.js';
import { ProgressLine, formatProgress } from '../src/ui/progress.js';
import { BIN, cleanEnv, makeHome, type CliOptions, type CliResult } from './support/cli.js';
import { runGpt } from './support/in-process.js';
import { type RecordedRequest, type Reply } from './support/mock-server.js';
import { useMockServer } from './support/fixture.js';

const KEY = 'sk-test-BATCHSECRET01fWXYZ';
const server = useMockServer();
const dir = mkdtempSync(join(tmpdir(), 'gpt-batch-test-'));
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
});

function gpt(args: string[], options: CliOptions = {}) {
  return runGpt(['batch', ...args], { timeoutMs: 60_000, ...options, env: { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: server.url, ...options.env } });
}

let serial = 0;
/** A fresh path under the test's temp dir, with `text` written to it when given. */
function file(name: string, text?: string): string {
  const path = join(dir, `${++serial}-${name}`);
  if (text !== undefined) writeFileSync(path, text);
  return path;
}

const jsonl = (rows: object[]) => rows.map((r) => `${JSON.stringify(r)}\n`).join('');
const prompts = (n: number, from = 1) => Array.from({ length: n }, (_, i) => ({ id: `t${i + from}`, prompt: `item ${i + from}` }));

interface Line {
  id: string;
  status: 'ok' | 'error';
  text: string | null;
  usage: Record<string, number | boolean> | null;
  cost: { total_usd: number } | null;
  error: { status: number | null; type: string; message: string } | null;
  attempts: number;
}

/** Result lines of an output; a torn last line (kill -9 mid-write) is left out. */
function results(text: string): Line[] {
  const lines: Line[] = [];
  for (const raw of text.split('\n')) {
    if (!raw.trim()) continue;
    try {
      lines.push(JSON.parse(raw) as Line);
    } catch {
      // torn
    }
  }
  return lines;
}
const readResults = (path: string) => results(readFileSync(path, 'utf8'));
const okIds = (lines: Line[]) => new Set(lines.filter((l) => l.status === 'ok').map((l) => l.id));

/** The user message the request carried (the prompt of the line). */
function promptOf(request: RecordedRequest): string {
  const messages = (request.body as { messages: { role: string; content: string }[] }).messages;
  return messages[messages.length - 1]!.content;
}
const answerFor = (prompt: string) => `answer for ${prompt}`;
const echo = (more: Partial<Extract<Reply, { kind: 'answer' }>> = {}) => (request: RecordedRequest): Reply => ({ kind: 'answer', text: answerFor(promptOf(request)), ...more });
const chatRequests = () => server.requests.filter((r) => r.path === '/v1/chat/completions');

/** Kills the child once `path` holds at least `lines` result lines. */
function whenLines(path: string, lines: number, act: (child: ChildProcess) => void) {
  return (child: ChildProcess) => {
    const timer = setInterval(() => {
      if (!existsSync(path)) return;
      if (results(readFileSync(path, 'utf8')).length >= lines) {
        clearInterval(timer);
        act(child);
      }
    }, 5);
    child.on('exit', () => clearInterval(timer));
  };
}

describe('gpt batch, live mode', () => {
  it('1,000 lines through 500s, 429s and mid-stream resets: 1,000 ok lines, each answer under its own id', async () => {
    const attempts = new Map<string, number>();
    server.setDefault((request) => {
      const prompt = promptOf(request);
      const n = (attempts.get(prompt) ?? 0) + 1;
      attempts.set(prompt, n);
      const i = Number(prompt.split(' ')[1]);
      if (n === 1 && i % 10 === 1) return { kind: 'error', status: 500, headers: { 'retry-after-ms': '5' } };
      // In the first waves only: 429s all through would rightly keep the batch at concurrency 1.
      if (n === 1 && i % 20 === 2 && i <= 200) return { kind: 'error', status: 429, headers: { 'retry-after-ms': '5' } };
      if (n === 1 && i % 10 === 3) return { kind: 'reset-mid-stream', afterChunks: 2, text: 'partial words that never finish' };
      if (n === 2 && i % 50 === 1) return { kind: 'reset-mid-stream', afterChunks: 1, text: 'cut again here' };
      return { kind: 'answer', text: answerFor(prompt) };
    });
    const home = makeHome();
    const input = file('big.jsonl', jsonl(prompts(1000)));
    const out = file('big.out.jsonl');
    const r = await gpt([input, '--out', out, '--concurrency', '32', '--retries', '4'], { home });
    expect(r.stderr).toMatch(/^batch done: 1,000 ok · 0 failed$/m);
    expect(r.code).toBe(0);

    const lines = readResults(out);
    expect(lines).toHaveLength(1000);
    expect(new Set(lines.map((l) => l.id)).size).toBe(1000);
    for (const line of lines) {
      const i = Number(line.id.slice(1));
      expect(line).toMatchObject({ status: 'ok', text: answerFor(`item ${i}`), error: null });
      const expected = i % 50 === 1 ? 3 : i % 10 === 1 || (i % 20 === 2 && i <= 200) || i % 10 === 3 ? 2 : 1;
      expect([line.id, line.attempts]).toEqual([line.id, expected]);
      expect(line.usage).toMatchObject({ estimated: false });
    }
    const faults = 100 + 10 + 100 + 20;
    expect(chatRequests()).toHaveLength(1000 + faults);
    // One usage record per answered line, through one descriptor.
    const log = readFileSync(join(home, '.local/state/gpt/usage.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(log).toHaveLength(1000);
    expect(log[0]).toMatchObject({ command: 'batch', profile: 'openai', model: 'gpt-5-mini', requested_model: 'gpt-5-mini', prices: { input: expect.any(Number) } });
    expect(log.reduce((sum, rec) => sum + rec.usage.output_tokens, 0)).toBe(lines.reduce((sum, l) => sum + (l.usage!.output_tokens as number), 0));
  }, 90_000);

  it('kill -9 mid-run, then --resume: complete, no duplicate ids, nothing that was ok is asked again', async () => {
    server.setDefault((request) => ({ kind: 'answer', chunks: ['answer ', 'for ', promptOf(request)], chunkDelayMs: 25 }));
    const input = file('kill.jsonl', jsonl(prompts(150)));
    const out = file('kill.out.jsonl');
    const killed = await gpt([input, '--out', out, '--concurrency', '4'], { onSpawn: whenLines(out, 30, (child) => child.kill('SIGKILL')) });
    expect(killed.signal).toBe('SIGKILL');
    expect(existsSync(`${out}.lock`)).toBe(true);
    const before = okIds(readResults(out));
    expect(before.size).toBeGreaterThanOrEqual(30);
    expect(before.size).toBeLessThan(150);
    const askedBefore = chatRequests().length;

    const resumed = await gpt([input, '--out', out, '--concurrency', '4', '--resume']);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(new RegExp(`resuming .*: ${before.size} already ok \\(skipped\\)`));
    const lines = readResults(out);
    expect(lines).toHaveLength(150);
    expect(new Set(lines.map((l) => l.id)).size).toBe(150);
    expect(lines.every((l) => l.status === 'ok' && l.text === answerFor(`item ${l.id.slice(1)}`))).toBe(true);
    const askedAgain = chatRequests().slice(askedBefore).map((r) => `t${promptOf(r).split(' ')[1]}`);
    expect(askedAgain.filter((id) => before.has(id))).toEqual([]);
    expect(existsSync(`${out}.lock`)).toBe(false);
  }, 60_000);

  it('--max-cost stops before going over (exit 6, summary), and --resume with a higher budget finishes', async () => {
    const price = lookupModel('gpt-5-mini').price!;
    const each = (1000 * price.input + 10_000 * price.output) / 1e6;
    server.setDefault(echo({ usage: { prompt_tokens: 1000, completion_tokens: 10_000 } }));
    const input = file('budget.jsonl', jsonl(prompts(20)));
    const out = file('budget.out.jsonl');
    const max = 5.5 * each;
    const r = await gpt([input, '--out', out, '--concurrency', '1', '--max-cost', String(max)]);
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/^batch stopped at --max-cost: 5 ok · 0 failed · 15 not run$/m);
    expect(r.stderr).toContain('rerun with --resume and a higher --max-cost');
    const first = readResults(out);
    expect(first).toHaveLength(5);
    expect(first.reduce((sum, l) => sum + l.cost!.total_usd, 0)).toBeLessThanOrEqual(max);
    const askedBefore = chatRequests().length;
    expect(askedBefore).toBe(5);

    const resumed = await gpt([input, '--out', out, '--resume', '--max-cost', '100', '--json']);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(/15 ok · 0 failed · 5 skipped \(already ok\)/);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ out, stop_reason: 'completed', ok: 15, failed: 0, skipped: 5, not_run: 0, cost: { priced: true } });
    expect(okIds(readResults(out)).size).toBe(20);
    expect(chatRequests()).toHaveLength(20);
  });

  it('CSV with a BOM, quoted commas, embedded newlines and escaped quotes; a ragged row is an error line (exit 8)', async () => {
    server.setDefault(echo());
    const csv = '\uFEFFid,prompt,note\r\nc1,"Hello, world",x\r\nc2,"line one\nline two",y\r\nc3,plain,too,many\r\nc4,"she said ""hi""",z\r\n';
    const out = file('csv.out.jsonl');
    const r = await gpt([file('quirks.csv', csv), '--out', out]);
    expect(r.code).toBe(8);
    expect(r.stderr).toContain('1 of 4 batch items failed');
    const byId = new Map(readResults(out).map((l) => [l.id, l]));
    expect(byId.get('c1')).toMatchObject({ status: 'ok', text: answerFor('Hello, world') });
    expect(byId.get('c2')).toMatchObject({ status: 'ok', text: answerFor('line one\nline two') });
    expect(byId.get('c4')).toMatchObject({ status: 'ok', text: answerFor('she said "hi"') });
    expect(byId.get('c3')).toMatchObject({ status: 'error', attempts: 0, error: { type: 'invalid_line', message: 'line 3: has 4 fields but the header has 3 columns' } });
    expect(chatRequests().map(promptOf).sort()).toEqual(['Hello, world', 'line one\nline two', 'she said "hi"']);
  });

  it('reads stdin with - and writes results to stdout; the spooled copy is deleted', async () => {
    server.setDefault(echo());
    const tmp = mkdtempSync(join(dir, 'tmp-'));
    const r = await gpt(['-'], { stdin: jsonl(prompts(5)), env: { TMPDIR: tmp } });
    expect(r.code).toBe(0);
    const lines = results(r.stdout);
    expect(lines.map((l) => l.id).sort()).toEqual(['t1', 't2', 't3', 't4', 't5']);
    expect(lines.every((l) => l.text === answerFor(`item ${l.id.slice(1)}`))).toBe(true);
    expect(r.stderr).toMatch(/^batch done: 5 ok · 0 failed$/m);
    expect(readdirSync(tmp)).toEqual([]);

    const quiet = await gpt(['-', '-q'], { stdin: 'id,prompt\nx,hello\n', env: { TMPDIR: tmp } });
    expect([quiet.code, quiet.stderr]).toEqual([0, '']);
    expect(results(quiet.stdout)).toMatchObject([{ id: 'x', status: 'ok', text: answerFor('hello') }]);
  });

  it('refuses an existing --out without --resume (exit 2), sending nothing', async () => {
    const out = file('exists.out.jsonl', `${JSON.stringify({ id: 't1', status: 'ok', text: 'x', usage: null, cost: null, error: null, attempts: 1 })}\n`);
    const r = await gpt([file('in.jsonl', jsonl(prompts(3))), '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('already holds batch results; pass --resume');
    expect(server.requests).toHaveLength(0);
  });

  it('refuses duplicate ids before any request (exit 2)', async () => {
    const r = await gpt([file('dup.jsonl', jsonl([...prompts(3), { id: 't2', prompt: 'again' }])), '--out', file('dup.out.jsonl')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('duplicate id "t2" in the batch input: line 2 and line 4');
    expect(server.requests).toHaveLength(0);
  });

  it('--fail-fast stops at the first failed line (exit 8) and starts nothing after it', async () => {
    server.setDefault((request) => (promptOf(request) === 'item 3' ? { kind: 'error', status: 400, message: 'bad prompt' } : echo()(request)));
    const out = file('ff.out.jsonl');
    const r = await gpt([file('ff.jsonl', jsonl(prompts(10))), '--out', out, '--concurrency', '1', '--fail-fast']);
    expect(r.code).toBe(8);
    expect(r.stderr).toMatch(/stopped by --fail-fast, 7 not run/);
    expect(readResults(out).map((l) => [l.id, l.status])).toEqual([
      ['t1', 'ok'],
      ['t2', 'ok'],
      ['t3', 'error'],
    ]);
    expect(readResults(out)[2]!.error).toMatchObject({ status: 400, message: expect.stringContaining('bad prompt') });
    expect(chatRequests()).toHaveLength(3);
  });

  it('--shard 1/2 and 2/2 split the input; --merge with --input checks the joined output is complete', async () => {
    server.setDefault(echo());
    const input = file('shard.jsonl', jsonl(prompts(40)));
    const [s1, s2, all] = [file('s1.jsonl'), file('s2.jsonl'), file('all.jsonl')];
    const r1 = await gpt([input, '--shard', '1/2', '--out', s1]);
    const asked1 = chatRequests().map(promptOf);
    const r2 = await gpt([input, '--shard', '2/2', '--out', s2]);
    expect([r1.code, r2.code]).toEqual([0, 0]);
    const ids1 = readResults(s1).map((l) => l.id);
    const ids2 = readResults(s2).map((l) => l.id);
    expect(ids1.length).toBeGreaterThan(0);
    expect(ids2.length).toBeGreaterThan(0);
    expect(ids1.every((id) => inShard(id, 1, 2))).toBe(true);
    expect(ids2.every((id) => inShard(id, 2, 2))).toBe(true);
    expect(asked1).toHaveLength(ids1.length);
    expect(chatRequests()).toHaveLength(40);

    const partial = await gpt(['--merge', s1, '--input', input, '--out', file('partial.jsonl')]);
    expect(partial.code).toBe(8);
    expect(partial.stderr).toContain(`${ids2.length} input ids have no result`);

    const merged = await gpt(['--merge', s1, s2, '--input', input, '--out', all]);
    expect(merged.code).toBe(0);
    expect(merged.stderr).toContain('merged 2 files into');
    const lines = readResults(all);
    expect(lines.map((l) => l.id).sort()).toEqual(prompts(40).map((p) => p.id).sort());
    expect(lines.every((l) => l.status === 'ok')).toBe(true);

    const clobber = await gpt(['--merge', s1, s2, '--out', all]);
    expect(clobber.code).toBe(2);
    expect(clobber.stderr).toContain('already exists');
  });

  it('an invalid JSONL line becomes an error result naming the line; the others run (exit 8)', async () => {
    server.setDefault(echo());
    const text = `${JSON.stringify({ id: 'a', prompt: 'first' })}\n{"id": "b", "prompt": oops}\n${JSON.stringify({ id: 'c', prompt: 'third' })}\n`;
    const out = file('bad.out.jsonl');
    const r = await gpt([file('bad.jsonl', text), '--out', out]);
    expect(r.code).toBe(8);
    const byId = new Map(readResults(out).map((l) => [l.id, l]));
    expect(byId.get('a')).toMatchObject({ status: 'ok', text: answerFor('first') });
    expect(byId.get('c')).toMatchObject({ status: 'ok', text: answerFor('third') });
    expect(byId.get('2')).toMatchObject({ status: 'error', error: { type: 'invalid_line', message: expect.stringMatching(/^line 2: invalid JSON/) } });
    expect(chatRequests()).toHaveLength(2);
  });

  it('Ctrl-C drains in-flight requests (exit 130, every answer kept); --resume finishes without asking again', async () => {
    server.setDefault((request) => ({ kind: 'answer', chunks: ['answer ', 'for ', promptOf(request)], chunkDelayMs: 60 }));
    const input = file('int.jsonl', jsonl(prompts(60)));
    const out = file('int.out.jsonl');
    const r = await gpt([input, '--out', out, '--concurrency', '4'], { onSpawn: whenLines(out, 8, (child) => child.kill('SIGINT')) });
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/^stopping: finishing \d+ in-flight requests? \(Ctrl-C again to abort\)$/m);
    expect(r.stderr).toMatch(/^batch interrupted: \d+ ok · 0 failed · \d+ not run$/m);
    expect(r.stderr).toContain('rerun with --resume to continue');
    const before = readResults(out);
    // Drained: every request that was sent has its line.
    expect(before).toHaveLength(chatRequests().length);
    expect(before.length).toBeLessThan(60);
    const askedBefore = chatRequests().length;

    const resumed = await gpt([input, '--out', out, '--resume', '--concurrency', '8']);
    expect(resumed.code).toBe(0);
    const lines = readResults(out);
    expect(lines).toHaveLength(60);
    expect(okIds(lines).size).toBe(60);
    const again = chatRequests().slice(askedBefore).map((q) => `t${promptOf(q).split(' ')[1]}`);
    expect(again.filter((id) => okIds(before).has(id))).toEqual([]);
  }, 60_000);

  it('--template fills a template from each line; a line missing a variable is an error naming it (exit 8)', async () => {
    server.setDefault(echo());
    const cwd = mkdtempSync(join(dir, 'cwd-'));
    mkdirSync(join(cwd, 'prompts'));
    writeFileSync(
      join(cwd, 'prompts', 'classify.md'),
      '---\nsystem: You label support tickets.\nvars:\n  labels:\n    default: bug, billing, other\n---\nLabel this ticket as one of {{labels}}:\n{{text}}\n',
    );
    const out = join(cwd, 'labels.jsonl');
    const lines = [{ id: 'k1', text: 'The app crashes' }, { id: 'k2', subject: 'no text here' }, { id: 'k3', text: 'Refund please', labels: 'refund, other' }];
    writeFileSync(join(cwd, 'tickets.jsonl'), jsonl(lines));
    const r = await gpt(['tickets.jsonl', '-t', 'classify', '--out', 'labels.jsonl'], { cwd });
    expect(r.code).toBe(8);
    const byId = new Map(readResults(out).map((l) => [l.id, l]));
    expect(byId.get('k1')).toMatchObject({ status: 'ok', text: answerFor('Label this ticket as one of bug, billing, other:\nThe app crashes') });
    expect(byId.get('k3')).toMatchObject({ status: 'ok', text: answerFor('Label this ticket as one of refund, other:\nRefund please') });
    expect(byId.get('k2')).toMatchObject({ status: 'error', error: { type: 'invalid_line', message: 'line 2: missing template variable for classify: text' } });
    const first = server.requests[0]!.body as { messages: unknown[] };
    expect(first.messages[0]).toEqual({ role: 'system', content: 'You label support tickets.' });

    const unknown = await gpt(['tickets.jsonl', '-t', 'nope', '--out', 'other.jsonl'], { cwd });
    expect(unknown.code).toBe(2);
    expect(existsSync(join(cwd, 'other.jsonl'))).toBe(false);
  });

  it('--mode openai-batch goes through /files and /batches and writes the same output lines', async () => {
    const out = file('api.out.jsonl');
    const r = await gpt([file('api.jsonl', jsonl(prompts(5))), '--out', out, '--mode', 'openai-batch', '--poll-interval', '0.01']);
    expect(r.code).toBe(0);
    const lines = readResults(out);
    expect(lines.map((l) => l.id).sort()).toEqual(['t1', 't2', 't3', 't4', 't5']);
    expect(lines.every((l) => l.status === 'ok' && typeof l.text === 'string' && l.cost !== null)).toBe(true);
    expect(server.requests.some((q) => q.path === '/v1/files')).toBe(true);
    expect(server.requests.some((q) => q.path === '/v1/batches')).toBe(true);
    expect(chatRequests()).toHaveLength(0);

    const budget = await gpt([file('api2.jsonl', jsonl(prompts(1))), '--out', file('api2.out.jsonl'), '--mode', 'openai-batch', '--max-cost', '1']);
    expect(budget.code).toBe(2);
  });

  it('--resume without --out, and --merge without --out, are usage errors', async () => {
    const input = file('u.jsonl', jsonl(prompts(1)));
    expect((await gpt([input, '--resume'])).code).toBe(2);
    expect((await gpt(['--merge', input])).code).toBe(2);
    expect(server.requests).toHaveLength(0);
  });
});

describe('progress display', () => {
  const progress = (over: Partial<Progress> = {}): Progress => ({
    total: 1000,
    done: 410,
    ok: 400,
    failed: 10,
    skipped: 2,
    inFlight: 32,
    elapsedMs: 10_000,
    requestsPerSec: 41,
    tokensPerSec: 12_345,
    inputTokens: 1,
    outputTokens: 1,
    spentUsd: 0.0123,
    etaMs: 14_400,
    concurrency: 32,
    rateLimited: 0,
    ...over,
  });

  it('says done/total, ok/failed, speed, spend and ETA, and a rate-limit pause', () => {
    expect(formatProgress(progress(), 0, 32)).toBe('412/1,000 (41%) · 400 ok · 10 failed · 2 skipped · 32 in flight · 41.0 req/s · 12,345 tok/s · $0.0123 · ETA 14s');
    expect(formatProgress(progress({ pausedUntil: 3000 }), 0, 32)).toContain('rate limited: paused 3s');
    expect(formatProgress(progress({ concurrency: 8 }), 0, 32)).toContain('concurrency 8/32 after 429s');
  });

  it('redraws one line on a terminal at most every interval, and prints lines now and then elsewhere', async () => {
    const writes: string[] = [];
    const stream = { write: (text: string) => writes.push(text), columns: 60 };
    const live = new ProgressLine({ stream, live: true, intervalMs: 100 });
    for (let i = 0; i < 100; i++) live.update(progress({ done: i }));
    expect(writes).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 300));
    expect(writes).toHaveLength(2);
    expect(writes[1]).toMatch(/^\r\u001b\[2K101\/1,000/);
    expect(writes.every((w) => w.length <= 6 + 59)).toBe(true);
    live.note('hello');
    live.stop();
    expect(writes.slice(2)).toEqual(['\r\u001b[2K', 'hello\n', expect.stringMatching(/^\r\u001b\[2K/), '\r\u001b[2K']);

    const logged: string[] = [];
    let now = 1_000;
    const log = new ProgressLine({ stream: { write: (text: string) => logged.push(text) }, live: false, intervalMs: 100, now: () => now });
    log.update(progress());
    expect(logged).toEqual([]);
    now += 100;
    await new Promise((r) => setTimeout(r, 300));
    expect(logged).toEqual([expect.stringMatching(/^batch: 412\/1,000 .*\n$/)]);
    log.stop();
  });
});

describe('structured output in a batch', () => {
  it('validates each answer against --schema: a non-matching answer is an error line (billed); --no-validate accepts it', async () => {
    const schema = file('schema.json', JSON.stringify({ type: 'object', properties: { label: { type: 'string' } }, required: ['label'], additionalProperties: false }));
    const input = file('in.jsonl', jsonl([{ id: 'good', prompt: 'a' }, { id: 'bad', prompt: 'b' }]));
    const answerFor = (q: RecordedRequest): Reply => {
      const body = q.body as { messages: Array<{ content: string }> };
      return { kind: 'answer', text: body.messages.at(-1)!.content === 'a' ? '{"label":"spam"}' : '{"colour":"red"}' };
    };
    server.setDefault(answerFor);
    const out = file('out.jsonl');
    const r = await gpt([input, '--schema', schema, '--out', out, '--concurrency', '1']);
    expect(r.code).toBe(8);
    const lines = results(readFileSync(out, 'utf8'));
    const bad = lines.find((l) => l.id === 'bad')!;
    expect(lines.find((l) => l.id === 'good')!.status).toBe('ok');
    expect(bad.status).toBe('error');
    expect(bad.error).toMatchObject({ type: 'schema_validation', message: expect.stringMatching(/does not match schema/) });
    expect(bad.cost!.total_usd).toBeGreaterThan(0);
    expect((server.requests[0]!.body as { response_format: { type: string } }).response_format.type).toBe('json_schema');
    server.setDefault(answerFor);
    const out2 = file('out2.jsonl');
    const r2 = await gpt([input, '--schema', schema, '--no-validate', '--out', out2]);
    expect(r2.code).toBe(0);
    expect(results(readFileSync(out2, 'utf8')).every((l) => l.status === 'ok')).toBe(true);
  });
});

/** A fresh home inside the test's temp dir, so afterAll removes it. */
function tempHome(): string {
  const home = mkdtempSync(join(dir, 'home-'));
  mkdirSync(join(home, '.config'));
  return home;
}

/** Runs a bash script in which `gpt` is the built CLI, with the environment gpt() gives it (pipes, FIFOs, ulimit). */
function bash(script: string, options: { home?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  const home = options.home ?? tempHome();
  const env = { ...cleanEnv(home), OPENAI_API_KEY: KEY, OPENAI_BASE_URL: server.url, NODE: process.execPath, GPT_BIN: BIN, ...options.env };
  return new Promise((resolvePromise, reject) => {
    const child = spawn('bash', ['-c', `gpt() { "$NODE" "$GPT_BIN" "$@"; }\n${script}`], { cwd: home, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

/** The usage records a home's usage log holds. */
const usageRecords = (home: string): unknown[] => {
  const path = join(home, '.local/state/gpt/usage.jsonl');
  return existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
};

describe('gpt batch, input that is not a regular file', () => {
  it('/dev/stdin, process substitution and a FIFO are read like -: every line runs once, the spooled copy is deleted', async () => {
    server.setDefault(echo());
    const input = file('pipe.jsonl', jsonl(prompts(40)));
    const tmp = mkdtempSync(join(dir, 'tmp-'));
    const outs = [file('stdin.out.jsonl'), file('subst.out.jsonl'), file('fifo.out.jsonl')];
    const fifo = file('input.fifo');
    const r = await bash(
      [
        `cat "$IN" | gpt batch /dev/stdin --out "$OUT1" -q || exit`,
        `gpt batch <(cat "$IN") --out "$OUT2" -q || exit`,
        `mkfifo "$FIFO" && { cat "$IN" > "$FIFO" & } && gpt batch "$FIFO" --out "$OUT3" -q`,
      ].join('\n'),
      { env: { IN: input, OUT1: outs[0]!, OUT2: outs[1]!, OUT3: outs[2]!, FIFO: fifo, TMPDIR: tmp } },
    );
    expect([r.code, r.stderr]).toEqual([0, '']);
    for (const out of outs) {
      const lines = readResults(out);
      expect(lines).toHaveLength(40);
      expect(okIds(lines).size).toBe(40);
    }
    expect(chatRequests()).toHaveLength(120);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('a FIFO nobody writes to: SIGTERM ends the wait at once (exit 130), sending nothing and leaving no temp file', async () => {
    const fifo = file('lonely.fifo');
    execFileSync('mkfifo', [fifo]);
    const tmp = mkdtempSync(join(dir, 'tmp-'));
    let signalledAt = 0;
    // Signalled once the spool dir exists: gpt is waiting on the FIFO, with its handlers installed.
    const onSpawn = (child: ChildProcess) => {
      const timer = setInterval(() => {
        if (readdirSync(tmp).length === 0) return;
        clearInterval(timer);
        signalledAt = Date.now();
        child.kill('SIGTERM');
      }, 5);
      child.on('exit', () => clearInterval(timer));
    };
    const r = await gpt([fifo, '--out', file('lonely.out.jsonl')], { home: tempHome(), env: { TMPDIR: tmp }, onSpawn, timeoutMs: 20_000 });
    expect(Date.now() - signalledAt).toBeLessThan(2_000);
    expect(r.code).toBe(130);
    expect(r.stderr).toBe(`gpt: interrupted while reading batch input ${fifo}; nothing was sent\n`);
    expect(readdirSync(tmp)).toEqual([]);
    expect(server.requests).toHaveLength(0);
  });

  it('/dev/zero (no newline, ever) ends promptly with a usage error naming the file and line 1', async () => {
    const tmp = mkdtempSync(join(dir, 'tmp-'));
    const r = await gpt(['/dev/zero', '--out', file('zero.out.jsonl')], { home: tempHome(), env: { TMPDIR: tmp }, timeoutMs: 20_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('gpt: batch input /dev/zero: line 1 is longer than 64 MiB, the most one line may hold\n');
    expect(readdirSync(tmp)).toEqual([]);
    expect(server.requests).toHaveLength(0);
  });
});

describe('gpt batch, output that cannot be written', () => {
  it('a reader that closes stdout early (| head -1) ends gpt quietly: exit 0, in-flight requests cut, earned usage logged', async () => {
    // t1 answers at once (the line the reader takes), t2 after it has gone (the write that fails); the rest never answer.
    const replies: Record<string, Reply> = { 'item 1': { kind: 'answer', text: 'one' }, 'item 2': { kind: 'answer', text: 'two', delayMs: 300 } };
    server.setDefault((request) => replies[promptOf(request)] ?? { kind: 'stall-before-headers' });
    const home = tempHome();
    let first = '';
    const onSpawn = (child: ChildProcess) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        if (first) return;
        first = chunk.toString('utf8').split('\n')[0]!;
        child.stdout!.destroy();
      });
    };
    const started = Date.now();
    const r = await gpt([file('head.jsonl', jsonl(prompts(40))), '--concurrency', '4'], { home, onSpawn });
    expect(JSON.parse(first)).toMatchObject({ id: 't1', status: 'ok', text: 'one' });
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/gpt:|Error|batch (done|stopped)/);
    // The stalled requests in flight were cut, not waited for.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(chatRequests().length).toBeLessThan(40);
    // t1 and t2 were answered, so paid for: both are logged, though t2 never reached the reader.
    expect(usageRecords(home)).toHaveLength(2);
  });

  it('stdout on a full disk (/dev/full): one line naming it, exit 9', async () => {
    server.setDefault(echo());
    const r = await bash('gpt batch "$IN" -q > /dev/full', { env: { IN: file('full.jsonl', jsonl(prompts(5))) } });
    expect(r.code).toBe(9);
    expect(r.stderr).toBe('gpt: cannot write to stdout: no space left on device (ENOSPC)\n');
  });

  it('--out hits the file-size limit mid-run: one line naming it (exit 9), the lines written are kept, --resume finishes', async () => {
    // Long answers fill an 8 KiB file after a few lines; the usage log (short records) stays under the limit.
    server.setDefault(echo({ text: 'x'.repeat(1000) }));
    const input = file('limit.jsonl', jsonl(prompts(30)));
    const out = file('limit.out.jsonl');
    const r = await bash('ulimit -f 8 && gpt batch "$IN" --out "$OUT" --concurrency 2', { env: { IN: input, OUT: out } });
    expect(r.code).toBe(9);
    expect(r.stderr).toMatch(/^batch stopped by an error: \d+ ok · 0 failed · \d+ not run( \(\d cut off in flight\))?$/m);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('gpt:'))).toEqual([`gpt: cannot write ${out}: file too large (EFBIG)`]);
    const kept = okIds(readResults(out));
    expect(kept.size).toBeGreaterThan(0);
    expect(kept.size).toBeLessThan(30);
    const askedBefore = chatRequests().length;

    const resumed = await gpt([input, '--out', out, '--resume'], { home: tempHome() });
    expect(resumed.code).toBe(0);
    expect(okIds(readResults(out)).size).toBe(30);
    const again = chatRequests().slice(askedBefore).map((q) => `t${promptOf(q).split(' ')[1]}`);
    expect(again.filter((id) => kept.has(id))).toEqual([]);
  });

  // Root writes anywhere, so this runs only as another user; the file-size limit above covers root.
  it.skipIf(process.getuid?.() === 0)('--out in a read-only directory: one line naming the path, exit 9, nothing sent', async () => {
    const ro = mkdtempSync(join(dir, 'ro-'));
    execFileSync('chmod', ['555', ro]);
    const r = await gpt([file('ro.jsonl', jsonl(prompts(3))), '--out', join(ro, 'out.jsonl')], { home: tempHome() });
    expect(r.code).toBe(9);
    expect(r.stderr).toBe(`gpt: cannot write ${join(ro, 'out.jsonl.lock')}: permission denied (EACCES)\n`);
    expect(server.requests).toHaveLength(0);
  });

  it('a usage log that cannot be written (full, or its dir not a directory) is one warning; the batch succeeds', async () => {
    server.setDefault(echo());
    const full = tempHome();
    mkdirSync(join(full, '.local/state/gpt'), { recursive: true });
    symlinkSync('/dev/full', join(full, '.local/state/gpt/usage.jsonl'));
    const out = file('log-full.out.jsonl');
    const r = await gpt([file('log.jsonl', jsonl(prompts(20))), '--out', out, '-q'], { home: full });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`gpt: warning: could not write the usage log ${join(full, '.local/state/gpt/usage.jsonl')}: no space left on device (ENOSPC); the batch goes on without it\n`);
    expect(okIds(readResults(out)).size).toBe(20);

    const blocked = file('state-is-a-file', '');
    const r2 = await gpt([file('log2.jsonl', jsonl(prompts(20))), '-q'], { home: tempHome(), env: { XDG_STATE_HOME: blocked } });
    expect(r2.code).toBe(0);
    expect(r2.stderr).toBe(`gpt: warning: could not write the usage log ${join(blocked, 'gpt/usage.jsonl')}: not a directory (ENOTDIR); the batch goes on without it\n`);
    expect(results(r2.stdout)).toHaveLength(20);
  });
});
