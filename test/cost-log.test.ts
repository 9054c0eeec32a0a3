/**
 * `gpt cost --log`: real spend from the usage log. Records are produced for real (gpt chat and gpt run against the
 * loopback server), and written by hand with fixed dates for the --since/--until/--by arithmetic.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseWhen, summariseLog } from '../src/cost/log.js';
import type { UsageRecord } from '../src/accounting/usage-log.js';
import { makeHome, type CliOptions } from './support/cli.js';
import { runGpt } from './support/in-process.js';
import { type MockServer } from './support/mock-server.js';
import { useMockServer } from './support/fixture.js';

interface Totals {
  requests: number;
  input_tokens: number;
  cached_input_tokens: number;
  output_tokens: number;
  reasoning_tokens: number;
  total_tokens: number;
  total_usd: number;
}
interface LogJson {
  since: string | null;
  until: string | null;
  total: Totals;
  groups: Array<{ key: string } & Totals>;
  over_budget: boolean;
}

const homes: string[] = [];
afterAll(() => {
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

function freshHome(): string {
  const home = makeHome();
  homes.push(home);
  return home;
}

const logPath = (home: string) => join(home, '.local', 'state', 'gpt', 'usage.jsonl');

function costLog(args: string[], home: string, options: CliOptions = {}) {
  return runGpt(['cost', '--log', ...args], { ...options, home, env: { OPENAI_API_KEY: undefined, ...options.env } });
}

async function logJson(args: string[], home: string): Promise<LogJson> {
  const r = await costLog([...args, '--json'], home);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as LogJson;
}

/** A usage record as the CLI writes it, priced with the table's per-1M figures. */
function record(ts: string, model: string, input: number, output: number, price: { input: number; output: number } | null, extra: Partial<UsageRecord> = {}): UsageRecord {
  const input_usd = price ? (input * price.input) / 1e6 : 0;
  const output_usd = price ? (output * price.output) / 1e6 : 0;
  return {
    ts,
    command: 'chat',
    profile: 'openai',
    model,
    requested_model: model,
    usage: { input_tokens: input, cached_input_tokens: 0, output_tokens: output, reasoning_tokens: 0, total_tokens: input + output, estimated: false },
    prices: null,
    cost: { input_usd, cached_input_usd: 0, output_usd, total_usd: input_usd + output_usd, priced: price !== null },
    ...extra,
  };
}

function writeLog(home: string, records: Array<UsageRecord | string>): void {
  mkdirSync(join(logPath(home), '..'), { recursive: true });
  writeFileSync(logPath(home), records.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n');
}

const GPT52 = { input: 1.75, output: 14 };
const MINI = { input: 0.25, output: 2 };

describe('parseWhen', () => {
  const now = new Date('2026-07-10T12:00:00Z');
  it('reads spans back from now, UTC dates (--until takes the end of the day) and ISO times', () => {
    expect(parseWhen('7d', '--since', now).toISOString()).toBe('2026-07-03T12:00:00.000Z');
    expect(parseWhen('24h', '--since', now).toISOString()).toBe('2026-07-09T12:00:00.000Z');
    expect(parseWhen('2w', '--since', now).toISOString()).toBe('2026-06-26T12:00:00.000Z');
    expect(parseWhen('2026-07-01', '--since', now).toISOString()).toBe('2026-07-01T00:00:00.000Z');
    expect(parseWhen('2026-07-01', '--until', now).toISOString()).toBe('2026-07-02T00:00:00.000Z');
    expect(parseWhen('2026-07-01T09:30:00Z', '--since', now).toISOString()).toBe('2026-07-01T09:30:00.000Z');
    expect(parseWhen('now', '--until', now)).toEqual(now);
  });

  it.each(['yesterday', '7', '7x', '2026-02-30', '2026-13-01', '01/07/2026', ''])('refuses %j', (text) => {
    expect(() => parseWhen(text, '--since', now)).toThrow(/--since .*expected a span back from now/);
  });
});

describe('summariseLog', () => {
  async function* stream(records: UsageRecord[]) {
    yield* records;
  }
  it('sums per group and overall, keeps unpriced requests apart, and windows start-inclusive, end-exclusive', async () => {
    const records = [
      record('2026-07-01T10:00:00Z', 'gpt-5.2', 1000, 500, GPT52),
      record('2026-07-02T00:00:00Z', 'gpt-5-mini', 2000, 1000, MINI),
      record('2026-07-02T23:59:59Z', 'local-llm', 50, 50, null),
      record('2026-07-03T00:00:00Z', 'gpt-5.2', 1, 1, GPT52),
    ];
    const summary = await summariseLog(stream(records), { since: new Date('2026-07-01T10:00:00Z'), until: new Date('2026-07-03T00:00:00Z'), by: 'model' });
    // gpt-5.2: (1,000 × 1.75 + 500 × 14) / 1e6 = 0.00875; gpt-5-mini: (2,000 × 0.25 + 1,000 × 2) / 1e6 = 0.0025
    expect(summary.total).toMatchObject({ requests: 3, input_tokens: 3050, output_tokens: 1550, total_usd: 0.01125, unpriced_requests: 1 });
    expect(summary.groups.map((g) => [g.key, g.total_usd])).toEqual([
      ['gpt-5.2', 0.00875],
      ['gpt-5-mini', 0.0025],
      ['local-llm', 0],
    ]);
  });
});

describe('gpt cost --log on a hand-written log', () => {
  const home = freshHome();
  const now = Date.now();
  const ago = (hours: number) => new Date(now - hours * 3_600_000).toISOString();
  writeLog(home, [
    record('2026-07-01T08:00:00.000Z', 'gpt-5.2', 1000, 500, GPT52, { template: 'summarize', command: 'run' }),
    record('2026-07-01T20:00:00.000Z', 'gpt-5-mini', 2000, 1000, MINI),
    '{"torn line',
    record('2026-07-02T09:00:00.000Z', 'gpt-5.2', 4000, 0, GPT52, { profile: 'cometapi', template: 'summarize', command: 'run' }),
    record(ago(1), 'gpt-5-mini', 100, 100, MINI),
    record(ago(72), 'gpt-5.2', 100, 100, GPT52),
  ]);

  it('a model name with terminal escapes (it came from a server) is shown escaped in every text format', async () => {
    const home = freshHome();
    writeLog(home, [record('2026-07-09T10:00:00Z', 'evil\u001b]0;pwned\u0007\u001b[2J', 10, 5, GPT52)]);
    for (const format of [[], ['--format', 'markdown'], ['--format', 'csv']]) {
      const r = await costLog(['--by', 'model', '--since', '2026-07-01', '--until', '2026-07-31', ...format], home);
      expect(r.code).toBe(0);
      expect(r.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
      expect(r.stdout).toMatch(/evil\\+x1b]0;pwned/);
    }
  });

  it('--since a date --until a date, by day: the days in order, --until inclusive of its day', async () => {
    const json = await logJson(['--since', '2026-07-01', '--until', '2026-07-02'], home);
    expect(json.since).toBe('2026-07-01T00:00:00.000Z');
    expect(json.until).toBe('2026-07-03T00:00:00.000Z');
    // 07-01: gpt-5.2 (1,000 × 1.75 + 500 × 14) / 1e6 = 0.00875 + gpt-5-mini (2,000 × 0.25 + 1,000 × 2) / 1e6 = 0.0025 → 0.01125
    // 07-02: gpt-5.2 4,000 × 1.75 / 1e6 = 0.007
    expect(json.groups).toEqual([
      { key: '2026-07-01', requests: 2, input_tokens: 3000, cached_input_tokens: 0, output_tokens: 1500, reasoning_tokens: 0, total_tokens: 4500, total_usd: 0.01125, unpriced_requests: 0 },
      { key: '2026-07-02', requests: 1, input_tokens: 4000, cached_input_tokens: 0, output_tokens: 0, reasoning_tokens: 0, total_tokens: 4000, total_usd: 0.007, unpriced_requests: 0 },
    ]);
    expect(json.total).toMatchObject({ requests: 3, input_tokens: 7000, output_tokens: 1500, total_tokens: 8500, total_usd: 0.01825 });
  });

  it('--since 48h keeps only the last two days; --since 7d takes the record of three days ago too', async () => {
    const recent = await logJson(['--since', '48h', '--by', 'model'], home);
    // ago(1) on gpt-5-mini: (100 × 0.25 + 100 × 2) / 1e6 = 0.000225
    expect(recent.total).toMatchObject({ requests: 1, total_usd: 0.000225 });
    expect(recent.groups.map((g) => g.key)).toEqual(['gpt-5-mini']);
    const week = await logJson(['--since', '7d', '--by', 'model'], home);
    // + ago(72) on gpt-5.2: (100 × 1.75 + 100 × 14) / 1e6 = 0.001575
    expect(week.total).toMatchObject({ requests: 2, total_usd: 0.0018 });
  });

  it('--by profile and --by template group and sort by spend', async () => {
    const profiles = await logJson(['--by', 'profile'], home);
    expect(profiles.groups.map((g) => [g.key, g.requests])).toEqual([
      ['openai', 4],
      ['cometapi', 1],
    ]);
    const templates = await logJson(['--by', 'template'], home);
    // summarize: 0.00875 + 0.007 = 0.01575; the rest: 0.0025 + 0.000225 + 0.001575 = 0.0043
    expect(templates.groups.map((g) => [g.key, g.total_usd])).toEqual([
      ['summarize', 0.01575],
      ['(no template)', 0.0043],
    ]);
    expect(templates.total.total_usd).toBe(0.02005);
  });

  it('prints an aligned table, Markdown and CSV', async () => {
    const table = await costLog(['--since', '2026-07-01', '--until', '2026-07-02'], home);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^day\s+requests\s+input tokens\s+cached\s+output tokens\s+reasoning\s+total tokens\s+cost\n/);
    // formatUsd keeps 4 decimals from a cent up: 0.01125 and 0.01825 are stored as …2499… in binary, so they round down.
    expect(table.stdout).toMatch(/^2026-07-01\s+2\s+3,000\s+0\s+1,500\s+0\s+4,500\s+\$0\.0112$/m);
    expect(table.stdout).toMatch(/^total\s+3\s+7,000\s+0\s+1,500\s+0\s+8,500\s+\$0\.0182$/m);
    const md = await costLog(['--since', '2026-07-01', '--until', '2026-07-02', '--format', 'markdown'], home);
    expect(md.stdout).toMatch(/^### gpt cost --log: 2026-07-01T00:00:00Z to 2026-07-03T00:00:00Z, by day\n/);
    expect(md.stdout).toContain('| 2026-07-02 | 1 | 4,000 | 0 | 0 | 0 | 4,000 | $0.007 |');
    const csv = await costLog(['--since', '2026-07-01', '--until', '2026-07-02', '--format', 'csv'], home);
    expect(csv.stdout.split('\n').slice(0, 2)).toEqual([
      'day,requests,input_tokens,cached_input_tokens,output_tokens,reasoning_tokens,total_tokens,total_usd,unpriced_requests',
      '2026-07-01,2,3000,0,1500,0,4500,0.01125,0',
    ]);
  });

  it('--budget exits 6 when real spend in the window is over it', async () => {
    const over = await costLog(['--since', '2026-07-01', '--until', '2026-07-02', '--budget', '0.01'], home);
    expect(over.code).toBe(6);
    expect(over.stderr).toBe('gpt: over budget: spent $0.0182 from 2026-07-01T00:00:00Z to 2026-07-03T00:00:00Z, above --budget $0.01\n');
    const within = await costLog(['--since', '2026-07-01', '--until', '2026-07-02', '--budget', '1', '--json'], home);
    expect(within.code).toBe(0);
    expect(JSON.parse(within.stdout)).toMatchObject({ budget_usd: 1, over_budget: false });
  });
});

describe('gpt cost --log errors and empty logs', () => {
  it('a missing log is zeros, not an error', async () => {
    const json = await logJson([], freshHome());
    expect(json).toMatchObject({ since: null, until: null, groups: [] });
    expect(json.total).toEqual({ requests: 0, input_tokens: 0, cached_input_tokens: 0, output_tokens: 0, reasoning_tokens: 0, total_tokens: 0, total_usd: 0, unpriced_requests: 0 });
    const table = await costLog([], freshHome());
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('no requests in this window');
  });

  it('an empty log file is zeros too', async () => {
    const home = freshHome();
    writeLog(home, []);
    expect((await logJson(['--by', 'model'], home)).total.requests).toBe(0);
  });

  it.each([
    [['--since', 'last tuesday'], /--since 'last tuesday': expected a span back from now/],
    [['--until', '2026-02-30'], /--until '2026-02-30'/],
    [['--since', '2026-07-02', '--until', '2026-07-01'], /is not before --until/],
    [['jobs.jsonl'], /--log summarises the usage log and takes no target/],
    [['--runs', '10'], /--runs applies to an estimate, not to --log/],
    [['-m', 'gpt-5.2'], /use --log --by model/],
    [['--by', 'week'], /argument 'week' is invalid/],
  ])('gpt cost --log %j exits 2', async (args, message) => {
    const r = await costLog(args, freshHome());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});

describe('gpt cost --log over records written by real calls', () => {
  const server = useMockServer();

  it('sums exactly what gpt chat and gpt run reported', async () => {
    const home = freshHome();
    const api = (args: string[], stdin?: string) =>
      runGpt(args, { home, stdin, env: { OPENAI_API_KEY: 'sk-fake-0000000000000000', OPENAI_BASE_URL: server.url } });
    const reported: Array<{ model: string; usage: Totals & { input_tokens: number }; cost: { total_usd: number } }> = [];
    for (const args of [
      ['chat', '-m', 'gpt-5.2', '--json', 'Explain quicksort'],
      ['chat', '-m', 'gpt-5-mini', '--json', 'Explain heapsort in two lines'],
      ['chat', '-m', 'gpt-5.2', '--json', 'And mergesort?'],
    ]) {
      const r = await api(args);
      expect(r.code).toBe(0);
      reported.push(JSON.parse(r.stdout));
    }
    const ran = await api(['run', '-m', 'gpt-5-mini', '--json', 'summarize'], 'The council approved the bridge on Tuesday.');
    expect(ran.code).toBe(0);
    reported.push(JSON.parse(ran.stdout));

    const sum = (pick: (r: (typeof reported)[number]) => number, rows = reported) => rows.reduce((s, r) => s + pick(r), 0);
    const byModel = await logJson(['--by', 'model'], home);
    expect(byModel.total.requests).toBe(4);
    expect(byModel.total.input_tokens).toBe(sum((r) => r.usage.input_tokens));
    expect(byModel.total.output_tokens).toBe(sum((r) => r.usage.output_tokens));
    expect(byModel.total.total_usd).toBeCloseTo(sum((r) => r.cost.total_usd), 12);
    for (const model of ['gpt-5.2', 'gpt-5-mini']) {
      const group = byModel.groups.find((g) => g.key === model)!;
      const mine = reported.filter((r) => r.model === model);
      expect(group.requests).toBe(mine.length);
      expect(group.total_usd).toBeCloseTo(sum((r) => r.cost.total_usd, mine), 12);
    }
    const byTemplate = await logJson(['--by', 'template', '--since', '1h'], home);
    expect(byTemplate.groups.find((g) => g.key === 'summarize')?.requests).toBe(1);
    expect(byTemplate.groups.find((g) => g.key === '(no template)')?.requests).toBe(3);
    expect((await logJson(['--since', '24h'], home)).total.requests).toBe(4);
    expect((await logJson(['--until', '24h'], home)).total.requests).toBe(0);
  });
});
