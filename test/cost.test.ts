/**
 * `gpt cost` estimates: the pure core (output rule, tallies, p95, projections, budget, target resolution) and the
 * built CLI end to end, with every figure checked against arithmetic written out beside it.
 * Prices (USD per 1M tokens, litellm 2026-07-24): gpt-5.2 1.75 in / 0.175 cached / 14 out, batch 0.875 / 7;
 * gpt-5-mini 0.25 / 0.025 / 2, batch 0.125 / 1; gpt-5.2-pro 21 / (no cached) / 168; gpt-4 (cl100k) 30 / 60.
 * Chat input tokens (cookbook): 3 per message + role + content, + 3 to prime the reply; "user" and "system" are 1 token.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lookupModel } from '../src/accounting/models.js';
import { LARGE_INPUT, LineStats, Tally, checkBudget, guessOutput, priceRow, projectRuns, sortByCost } from '../src/cost/estimate.js';
import { csvLine } from '../src/cost/format.js';
import { classifyTarget } from '../src/cost/target.js';
import { makeHome, type CliOptions } from './support/cli.js';
import { runGpt } from './support/in-process.js';
import { mockTokens } from './support/mock-server.js';
import { useMockServer } from './support/fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'gpt-cost-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

/** Runs `gpt cost …` from the temp dir (so ./prompts there is on the template path), with no API key at all. */
function cost(args: string[], options: CliOptions = {}) {
  return runGpt(['cost', ...args], { cwd: dir, ...options, env: { OPENAI_API_KEY: undefined, ...options.env } });
}

async function costJson(args: string[], options: CliOptions = {}) {
  const r = await cost([...args, '--json'], options);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as CostJson;
}

interface ModelJson {
  model: string;
  input_tokens: number;
  output_tokens: number;
  cost_per_run_usd: number | null;
  runs: number;
  total_usd: number | null;
  exact_tokens: boolean;
  cached_input_tokens: number;
  reasoning_tokens: number;
  priced: boolean;
  budget_gated: boolean;
  over_budget: boolean;
  input_tokens_per_line?: { min: number; mean: number; p95: number; max: number } | null;
}
interface CostJson {
  models: ModelJson[];
  budget_usd: number | null;
  over_budget: boolean;
  runs: number;
  assumptions: { output_tokens: number; output_tokens_from: string; effort: string | null; reasoning_tokens: number; cache_hit: number; mode: string };
  batch: { lines: number; counted: number; skipped: number; skipped_samples: string[]; own_model_lines: Record<string, number> } | null;
}

/** Cookbook prompt tokens of a chat, counted with o200k_base as the mock server does. */
const chatTokens = (messages: Array<{ role: string; content: string }>) =>
  3 + messages.reduce((sum, m) => sum + 3 + mockTokens(m.role) + mockTokens(m.content), 0);

const ARTICLE = 'On 3 March the city council voted 5-2 to replace the Riverside footbridge. The new bridge will cost €12.4 million.\n';

file(
  'prompts/classify.md',
  ['---', 'description: label a review', 'system: Label the review positive, negative or neutral.', 'expect:', '  output_tokens: 5', '---', 'Review: {{text}}', ''].join('\n'),
);

describe('the output rule', () => {
  const rule = { capFrom: '--max-output-tokens' };
  it('takes --output-tokens as given, else expect.output_tokens capped by the max, else the max, else 500', () => {
    expect(guessOutput({ ...rule, outputTokens: 42, expected: 300 }, { maxOutputTokens: 10 })).toMatchObject({ answer: 42, reasoning: 0 });
    expect(guessOutput({ ...rule, expected: 300 }, {})).toMatchObject({ answer: 300, from: 'template expect.output_tokens' });
    expect(guessOutput({ ...rule, expected: 300 }, { maxOutputTokens: 100 })).toMatchObject({ answer: 100 });
    expect(guessOutput(rule, { maxOutputTokens: 800 })).toMatchObject({ answer: 800 });
    expect(guessOutput(rule, {})).toMatchObject({ answer: 500, from: expect.stringContaining('default 500') });
  });

  it('adds reasoning by effort (minimal 0.25×, low 0.5×, medium 1×, high 2×, xhigh 4×), or --reasoning-tokens', () => {
    const answer = (effort: 'none' | 'minimal' | 'low' | 'medium' | 'high' | 'xhigh') => guessOutput({ ...rule, outputTokens: 400 }, { effort }).reasoning;
    expect([answer('none'), answer('minimal'), answer('low'), answer('medium'), answer('high'), answer('xhigh')]).toEqual([0, 100, 200, 400, 800, 1600]);
    expect(guessOutput({ ...rule, outputTokens: 400, reasoningTokens: 123 }, { effort: 'high' }).reasoning).toBe(123);
  });
});

describe('tallies, per-line statistics and pricing', () => {
  const opts = { batch: false, cacheHit: 0, runs: 1 };

  it('prices a sum of requests like the requests one by one (gpt-5.2)', () => {
    const tally = new Tally();
    tally.add(1000, 400, 100);
    tally.add(3000, 0, 0);
    // (1,000 + 3,000) × 1.75 / 1e6 = 0.007; (400 + 100) × 14 / 1e6 = 0.007; total 0.014
    expect(tally.cost(lookupModel('gpt-5.2').price, { batch: false, cacheHit: 0 })).toMatchObject({ input_usd: 0.007, output_usd: 0.007, total_usd: 0.014 });
    expect([tally.input, tally.output, tally.reasoning, tally.requests]).toEqual([4000, 500, 100, 2]);
  });

  it('prices each long-context request at its own tier (claude-sonnet-4-5 above 200k)', () => {
    const tally = new Tally();
    tally.add(250_000, 1000, 0); // above 200k: 250,000 × 6 + 1,000 × 22.5 = 1.5 + 0.0225 = 1.5225
    tally.add(100_000, 1000, 0); // below:      100,000 × 3 + 1,000 × 15   = 0.3 + 0.015  = 0.315
    expect(LARGE_INPUT).toBeLessThanOrEqual(200_000);
    expect(tally.cost(lookupModel('claude-sonnet-4-5').price, { batch: false, cacheHit: 0 }).total_usd).toBe(1.8375);
  });

  it('keeps an exact p95 by nearest rank in a histogram', () => {
    const stats = new LineStats();
    for (let i = 1; i <= 100; i++) stats.add(i);
    // 95 % of 100 lines = rank 95 → the value 95; mean (1 + 100) / 2 = 50.5
    expect(stats.summary()).toEqual({ min: 1, mean: 50.5, p95: 95, max: 100 });
    const skewed = new LineStats();
    for (let i = 0; i < 19; i++) skewed.add(10);
    skewed.add(1000); // 20 lines: rank ceil(19) = 19 → 10
    expect(skewed.summary()).toMatchObject({ p95: 10, max: 1000, mean: 59.5 });
  });

  it('projects runs from --runs or --per-day × --days (default 30)', () => {
    expect(projectRuns({})).toEqual({ runs: 1, from: 'one run' });
    expect(projectRuns({ runs: 7 }).runs).toBe(7);
    expect(projectRuns({ perDay: 20_000 })).toEqual({ runs: 600_000, from: '20,000/day × 30 days' });
    expect(projectRuns({ perDay: 100, days: 7 }).runs).toBe(700);
  });

  it('gates --budget on the models asked for, and fails closed on a gated model with no price', () => {
    const tally = new Tally();
    tally.add(1000, 1000, 0);
    const row = (id: string, gated: boolean) => priceRow(lookupModel(id), gated, tally, [], { ...opts, runs: 1000 });
    // gpt-5-mini: (1,000 × 0.25 + 1,000 × 2) / 1e6 = 0.00225 a run × 1,000 runs = 2.25
    // gpt-5.2-pro: (1,000 × 21 + 1,000 × 168) / 1e6 = 0.189 a run × 1,000 = 189 (not gated: --all)
    const mini = row('gpt-5-mini', true);
    const pro = row('gpt-5.2-pro', false);
    expect([mini.totalUsd, pro.totalUsd]).toEqual([2.25, 189]);
    expect(checkBudget([mini, pro], 10)).toMatchObject({ failed: false, over: [] });
    expect(checkBudget([mini, pro], 2)).toMatchObject({ failed: true, over: [mini] });
    const unknown = row('no-such-model', true);
    expect(unknown.totalUsd).toBeNull();
    expect(checkBudget([mini, unknown], 10)).toMatchObject({ failed: true, unpriced: [unknown] });
    expect(sortByCost([pro, unknown, mini]).map((r) => r.info.id)).toEqual(['gpt-5-mini', 'gpt-5.2-pro', 'no-such-model']);
  });

  it('writes RFC 4180 CSV fields', () => {
    expect(csvLine(['a,b', 'say "hi"', null, 1.5, true])).toBe('"a,b","say ""hi""",,1.5,true');
  });
});

describe('target resolution', () => {
  const where = { cwd: dir, templatePaths: [], configDir: join(dir, 'no-config'), builtinDir: null };
  it('tells stdin, batch files, templates and messages apart', () => {
    file('t/jobs.jsonl', '{"prompt":"x"}\n');
    file('t/rows.csv', 'prompt\nx\n');
    file('t/notes.txt', 'x');
    expect(classifyTarget(undefined, where)).toEqual({ kind: 'stdin' });
    expect(classifyTarget('-', where)).toEqual({ kind: 'stdin' });
    expect(classifyTarget('t/jobs.jsonl', where)).toEqual({ kind: 'batch', path: join(dir, 't/jobs.jsonl') });
    expect(classifyTarget('t/rows.csv', where).kind).toBe('batch');
    expect(classifyTarget('classify', where)).toEqual({ kind: 'template', nameOrPath: 'classify' });
    expect(classifyTarget('prompts/classify.md', where).kind).toBe('template');
    expect(classifyTarget('Explain quicksort', where)).toEqual({ kind: 'message', text: 'Explain quicksort' });
    expect(classifyTarget('What is 3/4?', where).kind).toBe('message');
    expect(classifyTarget('hello', where).kind).toBe('message');
    expect(() => classifyTarget('missing.jsonl', where)).toThrow(/no such file: missing.jsonl/);
    expect(() => classifyTarget('t/notes.txt', where)).toThrow(/neither a batch file .* nor a template/);
  });
});

describe('gpt cost, end to end (no key, no network)', () => {
  it('"Explain quicksort": tokens and cost on the default model, with the output assumption said', async () => {
    const r = await cost(['Explain quicksort']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    // input = 3 primer + 3 message + 1 "user" + 3 "Explain quicksort" = 10; output 500 (default)
    // gpt-5-mini: 10 × 0.25 / 1e6 + 500 × 2 / 1e6 = 0.0000025 + 0.001 = 0.0010025
    expect(r.stdout).toMatch(/^model\s+input tokens\s+output tokens\s+per run\s+runs\s+total\n/);
    expect(r.stdout).toMatch(/^gpt-5-mini\s+10\s+500\s+\$0\.001\s+1\s+\$0\.001$/m);
    expect(r.stdout).toContain('output: 500 tokens per run (the default 500; set --output-tokens N)');
    const json = await costJson(['Explain quicksort']);
    expect(json).toMatchObject({ budget_usd: null, over_budget: false });
    expect(json.models).toEqual([
      expect.objectContaining({ model: 'gpt-5-mini', input_tokens: 10, output_tokens: 500, cost_per_run_usd: 0.0010025, runs: 1, total_usd: 0.0010025, exact_tokens: true }),
    ]);
  });

  it('counts -s and piped stdin into the message like gpt chat, and - reads stdin alone', async () => {
    // system "You are terse." (4) + user "Explain quicksort\n\nsome notes" → 3 + (3+1+4) + (3+1+n)
    const piped = 'some notes';
    const json = await costJson(['-s', 'You are terse.', 'Explain quicksort', '-m', 'gpt-5.2'], { stdin: piped });
    expect(json.models[0]!.input_tokens).toBe(chatTokens([{ role: 'system', content: 'You are terse.' }, { role: 'user', content: `Explain quicksort\n\n${piped}` }]));
    const dash = await costJson(['-', '-m', 'gpt-5.2'], { stdin: ARTICLE });
    expect(dash.models[0]!.input_tokens).toBe(chatTokens([{ role: 'user', content: ARTICLE.trimEnd() }]));
  });

  it('-m a,b,c on a template with --var and piped {{input}}: one row per model, in order, output from expect.output_tokens', async () => {
    const json = await costJson(['-m', 'gpt-5.2,gpt-5-mini,gpt-5.2-pro', 'summarize', '--var', 'length=3 bullet points'], { stdin: ARTICLE });
    expect(json.models.map((m) => m.model)).toEqual(['gpt-5.2', 'gpt-5-mini', 'gpt-5.2-pro']);
    const n = json.models[0]!.input_tokens;
    expect(json.models.every((m) => m.input_tokens === n && m.output_tokens === 300)).toBe(true);
    // per run = (n × in + 300 × out) / 1e6
    expect(json.models[0]!.cost_per_run_usd).toBeCloseTo((n * 1.75 + 300 * 14) / 1e6, 12);
    expect(json.models[1]!.cost_per_run_usd).toBeCloseTo((n * 0.25 + 300 * 2) / 1e6, 12);
    expect(json.models[2]!.cost_per_run_usd).toBeCloseTo((n * 21 + 300 * 168) / 1e6, 12);
    expect(json.assumptions).toMatchObject({ output_tokens: 300, output_tokens_from: 'template expect.output_tokens' });
  });

  it('projects --per-day 20000 --days 30 --cache-hit 0.6 (gpt-5.2 cached at 0.175, gpt-5.2-pro without a cached price)', async () => {
    const json = await costJson(['-m', 'gpt-5.2,gpt-5.2-pro', 'Explain quicksort', '--output-tokens', '100', '--per-day', '20000', '--days', '30', '--cache-hit', '0.6']);
    const [g, pro] = json.models;
    // runs 20,000 × 30 = 600,000. Input 10: 4 at 1.75, 6 at 0.175; output 100 at 14:
    // (4 × 1.75 + 6 × 0.175 + 100 × 14) / 1e6 = (7 + 1.05 + 1400) / 1e6 = 0.00140805 a run; × 600,000 = 844.83
    expect(g).toMatchObject({ runs: 600_000, cost_per_run_usd: 0.00140805, total_usd: 844.83, cached_input_tokens: 6 });
    // pro has no cached price, so all 10 pay 21: (10 × 21 + 100 × 168) / 1e6 = 0.01701 a run; × 600,000 = 10,206
    expect(pro).toMatchObject({ cost_per_run_usd: 0.01701, total_usd: 10_206 });
    expect(json.assumptions.cache_hit).toBe(0.6);
    const table = await cost(['Explain quicksort', '--runs', '3']);
    expect(table.stdout).toMatch(/^gpt-5-mini\s+10\s+500\s+\$0\.001\s+3\s+\$0\.003$/m); // 0.0010025 × 3 = 0.0030075
  });

  it('--effort adds reasoning billed as output; --reasoning-tokens overrides it', async () => {
    const high = await costJson(['-m', 'gpt-5.2', 'Explain quicksort', '--output-tokens', '300', '--effort', 'high']);
    // 300 answer + 2 × 300 reasoning = 900 output; (10 × 1.75 + 900 × 14) / 1e6 = 0.0126175
    expect(high.models[0]).toMatchObject({ output_tokens: 900, reasoning_tokens: 600, cost_per_run_usd: 0.0126175 });
    const fixed = await costJson(['-m', 'gpt-5.2', 'Explain quicksort', '--output-tokens', '300', '--reasoning-tokens', '50']);
    expect(fixed.models[0]).toMatchObject({ output_tokens: 350, reasoning_tokens: 50 });
  });

  it('counts gpt-4 with cl100k_base and another vendor\'s model as approximate', async () => {
    const json = await costJson(['-m', 'gpt-4,claude-sonnet-4-5', 'Explain quicksort', '--output-tokens', '0']);
    // cl100k: "Explain quicksort" is 4 tokens → 3 + 3 + 1 + 4 = 11; gpt-4: 11 × 30 / 1e6 = 0.00033
    expect(json.models[0]).toMatchObject({ model: 'gpt-4', input_tokens: 11, cost_per_run_usd: 0.00033, exact_tokens: true });
    expect(json.models[1]).toMatchObject({ model: 'claude-sonnet-4-5', input_tokens: 10, exact_tokens: false });
    const table = await cost(['-m', 'claude-sonnet-4-5', 'Explain quicksort']);
    expect(table.stdout).toMatch(/^claude-sonnet-4-5\s+~10\s/m);
  });

  it('lists an unknown model as unpriced, not an error', async () => {
    const r = await cost(['-m', 'gpt-5-mini,my-local-llm', 'Explain quicksort']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^my-local-llm\s+~10\s+500\s+unpriced\s+1\s+unpriced$/m);
    expect(r.stdout).toContain('no price known for my-local-llm');
    const json = await costJson(['-m', 'my-local-llm', 'Explain quicksort']);
    expect(json.models[0]).toMatchObject({ priced: false, cost_per_run_usd: null, total_usd: null });
  });

  it('--all lists every priced model cheapest first, the asked-for model in its place (once)', async () => {
    const json = await costJson(['--all', 'Explain quicksort']);
    expect(json.models.length).toBeGreaterThan(40);
    expect(json.models.every((m) => m.priced)).toBe(true);
    const totals = json.models.map((m) => m.total_usd!);
    expect(totals).toEqual([...totals].sort((a, b) => a - b));
    expect(json.models.filter((m) => m.model === 'gpt-5-mini')).toEqual([expect.objectContaining({ budget_gated: true })]);
    expect(json.models.filter((m) => m.budget_gated)).toHaveLength(1);
    expect(json.models[0]!.model).not.toBe('gpt-5-mini'); // something is cheaper than the default model
    const table = await cost(['--all', 'Explain quicksort']);
    const rows = table.stdout.split('\n').slice(1).filter((l) => /\$\d/.test(l)).map((l) => Number(/\$([\d.,]+)\s*$/.exec(l)![1]!.replace(/,/g, '')));
    expect(rows).toEqual([...rows].sort((a, b) => a - b));
  });
});

describe('gpt cost on batch files', () => {
  const jobs = file(
    'jobs.jsonl',
    [
      '{"id":"a","prompt":"I love it"}',
      '{"id":"b","prompt":"terrible service","model":"gpt-5.2"}',
      'not json',
      '{"id":"c","messages":[{"role":"system","content":"be short"},{"role":"user","content":"hello there"}],"max_output_tokens":50}',
      '{"id":"d"}',
      '',
    ].join('\n'),
  );

  it('totals the lines, prices a line that names its model on it, and counts bad lines without failing', async () => {
    const json = await costJson([jobs, '-m', 'gpt-5-mini,gpt-4o']);
    // a: 3 + (3+1+3) = 10, output 500; c: 3 + (3+1+2) + (3+1+2) = 15, output 50 (its own cap); b on gpt-5.2: 10, output 500
    expect(json.batch).toMatchObject({ lines: 5, counted: 3, skipped: 2, own_model_lines: { 'gpt-5.2': 1 } });
    expect(json.batch!.skipped_samples).toEqual([expect.stringMatching(/^line 3: invalid JSON/), expect.stringMatching(/^line 5: no `prompt` or `messages`/)]);
    const [mini, gpt4o] = json.models;
    expect(mini).toMatchObject({ input_tokens: 35, output_tokens: 1050, input_tokens_per_line: { min: 10, mean: 11.7, p95: 15, max: 15 } });
    // mini lines a + c: (25 × 0.25 + 550 × 2) / 1e6 = 0.00110625; line b on gpt-5.2: (10 × 1.75 + 500 × 14) / 1e6 = 0.0070175
    expect(mini!.cost_per_run_usd).toBeCloseTo(0.00110625 + 0.0070175, 12);
    // gpt-4o (2.5 / 10): (25 × 2.5 + 550 × 10) / 1e6 = 0.0055625, plus line b 0.0070175
    expect(gpt4o!.cost_per_run_usd).toBeCloseTo(0.0055625 + 0.0070175, 12);
  });

  it('--mode openai-batch prices at the Batch API rates (gpt-5.2 0.875/7, gpt-5-mini 0.125/1)', async () => {
    const json = await costJson([jobs, '--mode', 'openai-batch']);
    // mini lines: (25 × 0.125 + 550 × 1) / 1e6 = 0.000553125; line b on gpt-5.2: (10 × 0.875 + 500 × 7) / 1e6 = 0.00350875
    expect(json.models[0]!.cost_per_run_usd).toBeCloseTo(0.000553125 + 0.00350875, 12);
    expect(json.assumptions.mode).toBe('openai-batch');
  });

  it('--template classify renders each line with its fields as variables (CSV too)', async () => {
    const lines = file('reviews.jsonl', ['{"id":1,"text":"I love it"}', '{"id":2,"text":"terrible service","temperature":0.2}', '{"id":3,"txt":"typo"}', ''].join('\n'));
    const json = await costJson([lines, '--template', 'classify', '-m', 'gpt-5.2']);
    const system = 'Label the review positive, negative or neutral.';
    const expected = [
      chatTokens([{ role: 'system', content: system }, { role: 'user', content: 'Review: I love it' }]),
      chatTokens([{ role: 'system', content: system }, { role: 'user', content: 'Review: terrible service' }]),
    ];
    expect(json.models[0]).toMatchObject({ input_tokens: expected[0]! + expected[1]!, output_tokens: 10 }); // 5 per line (expect.output_tokens)
    expect(json.batch).toMatchObject({ lines: 3, counted: 2, skipped: 1 });
    expect(json.batch!.skipped_samples[0]).toMatch(/^line 3: missing template variable for classify: text$/);
    const csv = file('reviews.csv', 'id,text\n1,I love it\n2,"terrible service"\n');
    const fromCsv = await costJson([csv, '-t', 'classify', '-m', 'gpt-5.2']);
    expect(fromCsv.models[0]!.input_tokens).toBe(expected[0]! + expected[1]!);
  });

  it('streams a 20,000-line file and counts it exactly', async () => {
    const lines: string[] = [];
    let expected = 0;
    for (let i = 0; i < 20_000; i++) {
      const prompt = `Question ${i}: what is ${i % 97} times ${i % 13}? Answer briefly, and explain the steps.`;
      expected += chatTokens([{ role: 'user', content: prompt }]);
      lines.push(JSON.stringify({ id: `q${i}`, prompt }));
    }
    const big = file('big.jsonl', `${lines.join('\n')}\n`);
    const json = await costJson([big, '-m', 'gpt-5.2', '--output-tokens', '10']);
    expect(json.models[0]).toMatchObject({ input_tokens: expected, output_tokens: 200_000 });
    expect(json.batch).toMatchObject({ lines: 20_000, counted: 20_000, skipped: 0 });
  });
});

describe('--budget and formats (CI)', () => {
  it('prints the report, then exits 6 with one line on stderr when a gated model is over', async () => {
    // gpt-5-mini at 20,000/day × 30 days: 0.0010025 × 600,000 = 601.5
    const r = await cost(['Explain quicksort', '--per-day', '20000', '--budget', '50', '--format', 'markdown']);
    expect(r.code).toBe(6);
    expect(r.stderr).toBe('gpt: over budget: gpt-5-mini projects $601.50, above --budget $50.00\n');
    expect(r.stdout).toMatch(/^### gpt cost: `Explain quicksort`\n\n\*\*❌ Over budget \(\$50\.00\):\*\* gpt-5-mini projects \$601\.50\n/);
    expect(r.stdout).toContain('| model | input tokens | output tokens | per run | runs | total | budget |');
    expect(r.stdout).toContain('| gpt-5-mini | 10 | 500 | $0.001 | 600,000 | $601.50 | OVER |');
    const within = await cost(['Explain quicksort', '--per-day', '20000', '--budget', '1000', '--json']);
    expect(within.code).toBe(0);
    expect(JSON.parse(within.stdout)).toMatchObject({ budget_usd: 1000, over_budget: false });
  });

  it('gates only the models asked for: --all rows over the budget do not fail it', async () => {
    const r = await cost(['Explain quicksort', '--all', '--budget', '0.01', '--json']);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as CostJson;
    expect(json.models.some((m) => (m.total_usd ?? 0) > 0.01)).toBe(true);
    expect(json.over_budget).toBe(false);
  });

  it('fails the gate closed when an asked-for model has no price', async () => {
    const r = await cost(['-m', 'my-local-llm', 'Explain quicksort', '--budget', '5', '--json']);
    expect(r.code).toBe(6);
    expect(r.stderr).toBe('gpt: cannot check --budget $5.00: no price known for my-local-llm\n');
    expect(JSON.parse(r.stdout)).toMatchObject({ over_budget: true });
  });

  it('--format csv prints a header and one row per model', async () => {
    const r = await cost(['-m', 'gpt-5.2,gpt-5-mini', 'Explain quicksort', '--format', 'csv']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        'model,input_tokens,cached_input_tokens,output_tokens,reasoning_tokens,cost_per_run_usd,runs,total_usd,exact_tokens,priced,budget_gated,over_budget',
        // gpt-5.2: (10 × 1.75 + 500 × 14) / 1e6 = 0.0070175
        'gpt-5.2,10,0,500,0,0.0070175,1,0.0070175,true,true,true,false',
        'gpt-5-mini,10,0,500,0,0.0010025,1,0.0010025,true,true,true,false',
        '',
      ].join('\n'),
    );
    const json = await cost(['Explain quicksort', '--format', 'json']);
    expect(Object.keys(JSON.parse(json.stdout).models[0])).toEqual(
      expect.arrayContaining(['model', 'input_tokens', 'output_tokens', 'cost_per_run_usd', 'runs', 'total_usd', 'exact_tokens']),
    );
  });
});

describe('usage errors (exit 2)', () => {
  it.each([
    [['missing.jsonl'], /no such file: missing\.jsonl/],
    [['prompts/nope.md'], /cannot read template .*nope\.md: no such file/],
    [['Explain quicksort', '--days', '7'], /--days goes with --per-day/],
    [['Explain quicksort', '--runs', '2', '--per-day', '5'], /--runs or --per-day, not both/],
    [['Explain quicksort', '--json', '--format', 'csv'], /--json and --format csv disagree/],
    [['Explain quicksort', '--var', 'a=b'], /--var and --vars fill a template/],
    [['Explain quicksort', '--template', 'classify'], /--template applies to the lines of a batch file/],
    [['Explain quicksort', '--since', '7d'], /--since applies to --log/],
    [['summarize'], /missing variable: input/],
    [['Explain quicksort', '--cache-hit', '1.5'], /--cache-hit takes a number from 0 to 1/],
    [[], /empty message/],
  ])('gpt cost %j', async (args, message) => {
    const r = await cost(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
  });
});

describe('our count is what the API is sent (mock server reports cookbook prompt_tokens)', () => {
  const server = useMockServer();

  const api = (args: string[], options: CliOptions = {}) =>
    runGpt(args, { cwd: dir, ...options, env: { OPENAI_API_KEY: 'sk-fake-0000000000000000', OPENAI_BASE_URL: server.url } });

  it.each([
    [['Explain quicksort'], undefined],
    [['-s', 'You are a terse assistant. Answer in one line.', 'Explain quicksort'], undefined],
    [['summarise this'], ARTICLE],
    [['Ünïcödé, emoji 🚀 and <|endoftext|> are counted as text'], undefined],
  ])('gpt chat %j: usage.input_tokens = gpt cost input_tokens', async (args, stdin) => {
    const chat = await api(['chat', '-m', 'gpt-5.2', '--json', ...args], { stdin });
    expect(chat.code).toBe(0);
    const reported = (JSON.parse(chat.stdout) as { usage: { input_tokens: number } }).usage.input_tokens;
    const estimate = await costJson(['-m', 'gpt-5.2', ...args], { stdin });
    expect(estimate.models[0]!.input_tokens).toBe(reported);
  });

  it.each([
    [['--template', 'classify'], 'reviews-parity.jsonl'],
    [['--template', 'classify', '-s', 'Another system prompt.'], 'reviews-parity.jsonl'],
    [[], 'jobs-parity.jsonl'],
    [['-s', 'Be brief.'], 'jobs-parity.jsonl'],
  ])('gpt batch %j %s: the ok lines\' reported input tokens = gpt cost input_tokens', async (flags, name) => {
    const inputs: Record<string, string> = {
      'reviews-parity.jsonl': '{"id":1,"text":"I love it","input":"unused field"}\n{"id":2,"text":"terrible service"}\n{"id":3,"txt":"typo"}\n',
      'jobs-parity.jsonl': '{"id":"a","prompt":"I love it"}\n{"id":"b","messages":[{"role":"system","content":"own"},{"role":"user","content":"hi"}]}\nnot json\n',
    };
    const input = file(name, inputs[name]!);
    const out = join(dir, `${name}.out`);
    rmSync(out, { force: true });
    await api(['batch', input, ...flags, '-m', 'gpt-5.2', '-o', out]);
    const results = readFileSync(out, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { status: string; usage: { input_tokens: number } | null });
    const ok = results.filter((r) => r.status === 'ok');
    const estimate = await costJson([input, ...flags, '-m', 'gpt-5.2']);
    expect(estimate.batch!.counted).toBe(ok.length);
    expect(estimate.models[0]!.input_tokens).toBe(ok.reduce((sum, r) => sum + r.usage!.input_tokens, 0));
  });

  it('gpt run summarize: the template is rendered exactly as gpt run sends it', async () => {
    const home = makeHome();
    mkdirSync(join(home, '.config', 'gpt'), { recursive: true });
    writeFileSync(join(home, '.config', 'gpt', 'config.json'), JSON.stringify({ defaults: { system: 'Config default system.' } }));
    for (const extra of [[], ['-s', 'Override system.'], ['-s', '']]) {
      server.reset();
      const args = ['summarize', '--var', 'length=one line', ...extra];
      const ran = await api(['run', '-m', 'gpt-5.2', '--json', ...args], { stdin: ARTICLE, home });
      expect(ran.code).toBe(0);
      const reported = (JSON.parse(ran.stdout) as { usage: { input_tokens: number } }).usage.input_tokens;
      const estimate = await costJson(['-m', 'gpt-5.2', ...args], { stdin: ARTICLE, home });
      expect(estimate.models[0]!.input_tokens).toBe(reported);
    }
    // A template without a system prompt takes config's default, as gpt run does.
    file('prompts/bare.md', 'Say hi to {{name}}.\n');
    const ran = await api(['run', '-m', 'gpt-5.2', '--json', 'bare', '--var', 'name=Ada'], { home });
    const estimate = await costJson(['-m', 'gpt-5.2', 'bare', '--var', 'name=Ada'], { home });
    expect(estimate.models[0]!.input_tokens).toBe((JSON.parse(ran.stdout) as { usage: { input_tokens: number } }).usage.input_tokens);
    expect(estimate.models[0]!.input_tokens).toBe(chatTokens([{ role: 'system', content: 'Config default system.' }, { role: 'user', content: 'Say hi to Ada.' }]));
    rmSync(home, { recursive: true, force: true });
  });
});
