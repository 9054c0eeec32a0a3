/** `gpt run` end to end: the built CLI renders shipped and temp templates and talks to the loopback server. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lookupModel } from '../src/accounting/models.js';
import { makeHome, type CliOptions } from './support/cli.js';
import { runGpt } from './support/in-process.js';
import { type MockServer } from './support/mock-server.js';
import { useMockServer } from './support/fixture.js';

const KEY = 'sk-test-RUNSECRET012QRST';
const PROMPTS = resolve(import.meta.dirname, '../prompts');
const server = useMockServer();
const dir = mkdtempSync(join(tmpdir(), 'gpt-run-test-'));

const ARTICLE = [
  '# Riverside bridge approved',
  '',
  'On 3 March the city council voted 5-2 to replace the Riverside footbridge. The new bridge will cost',
  '€12.4 million, be finished by June 2027 and carry cyclists as well as pedestrians. Councillor Okafor,',
  'who voted against, said the budget ignores maintenance. Open question: who pays for the detour?',
  '',
].join('\n');
const DIFF = [
  'diff --git a/src/login.ts b/src/login.ts',
  '--- a/src/login.ts',
  '+++ b/src/login.ts',
  '@@ -1,3 +1,3 @@',
  '-const query = `SELECT * FROM users WHERE name = ?`;',
  '+const query = `SELECT * FROM users WHERE name = \'${name}\'`;',
  '',
].join('\n');
const INVOICE = 'ACME GmbH, Hauptstr. 1, Berlin. VAT DE123456789\nInvoice 2026-0042, 1 March 2026, due 31 March 2026\nBill to: Foo Ltd, 2 High St, London\n3 x Widget @ 10.00 = 30.00\nSubtotal 30.00 EUR, VAT 5.70, Total 35.70 EUR. Net 30.\n';
const VALID_INVOICE = {
  invoice_number: '2026-0042',
  issue_date: '2026-03-01',
  due_date: '2026-03-31',
  currency: 'EUR',
  vendor: { name: 'ACME GmbH', address: 'Hauptstr. 1, Berlin', tax_id: 'DE123456789' },
  customer: { name: 'Foo Ltd', address: '2 High St, London' },
  line_items: [{ description: 'Widget', quantity: 3, unit_price: 10, amount: 30 }],
  subtotal: 30,
  tax: 5.7,
  total: 35.7,
  payment_terms: 'Net 30',
};
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
});

function gpt(args: string[], options: CliOptions = {}) {
  return runGpt(['run', ...args], { ...options, env: { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: server.url, ...options.env } });
}

/** Writes a file under the test's temp dir and returns its path. */
function file(name: string, text: string): string {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

type Body = Record<string, any>;
const bodies = () => server.requests.map((r) => r.body as Body);
const userMessage = (body: Body) => (body.messages as Array<{ role: string; content: string }>).find((m) => m.role === 'user')!.content;

describe('gpt run, the README examples', () => {
  it('summarize < article.md: the piped text is {{input}}, the template system prompt goes first', async () => {
    server.enqueue({ kind: 'answer', text: '- The council approved a new bridge.' });
    const r = await gpt(['summarize'], { stdin: readFileSync(file('article.md', ARTICLE)) });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('- The council approved a new bridge.');
    expect(r.stderr).toMatch(/^gpt-5-mini · \d+ in · \d+ out · \$/m);
    const [body] = bodies();
    expect(server.requests[0]!.path).toBe('/v1/chat/completions');
    expect(body!.messages).toHaveLength(2);
    expect(body!.messages[0]).toEqual({ role: 'system', content: expect.stringMatching(/^You are a careful editor/) });
    const user = userMessage(body!);
    expect(user).toContain('Length: 5 bullet points.');
    expect(user).toContain(`<text>\n${ARTICLE}`);
    expect(user).not.toContain('{{');
  });

  it('review-diff --var focus=security < diff: a --var replaces its default', async () => {
    const r = await gpt(['review-diff', '--var', 'focus=security'], { stdin: DIFF });
    expect(r.code).toBe(0);
    const user = userMessage(bodies()[0]!);
    expect(user).toContain('Focus on: security.');
    expect(user).toContain('What the change is meant to do: none given.');
    expect(user).toContain(`<diff>\n${DIFF}`);
  });

  it('translate --var lang=French --var text="Bonjour": no stdin needed', async () => {
    server.enqueue({ kind: 'answer', text: 'Hello' });
    const r = await gpt(['translate', '--var', 'lang=French', '--var', 'text=Bonjour']);
    expect([r.code, r.stdout]).toEqual([0, 'Hello']);
    const user = userMessage(bodies()[0]!);
    expect(user).toMatch(/^Translate the text below into French\./);
    expect(user).toMatch(/<text>\nBonjour\n<\/text>$/);
  });

  it('extract-invoice --json < invoice.txt: the schema goes as response_format, a valid answer passes', async () => {
    const answer = JSON.stringify(VALID_INVOICE);
    server.enqueue({ kind: 'answer', text: answer, usage: { prompt_tokens: 900, completion_tokens: 120 } });
    const r = await gpt(['extract-invoice', '--json'], { stdin: readFileSync(file('invoice.txt', INVOICE)) });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ profile: 'openai', finish_reason: 'stop', usage: { input_tokens: 900, output_tokens: 120 }, cost: { priced: true } });
    expect(JSON.parse(out.text)).toEqual(VALID_INVOICE);
    const format = bodies()[0]!.response_format;
    expect(format).toMatchObject({ type: 'json_schema', json_schema: { name: 'extract-invoice', strict: true } });
    expect(format.json_schema.schema.required).toContain('line_items');
    expect(userMessage(bodies()[0]!)).toContain(INVOICE.trimEnd());
  });

  it('summarize --dry-run < article.md: prints the request, its tokens and cost; sends nothing', async () => {
    const article = file('article.md', ARTICLE);
    const r = await gpt(['summarize', '--dry-run'], { stdin: readFileSync(article) });
    expect(r.code).toBe(0);
    expect(server.requests).toHaveLength(0);
    const body = JSON.parse(r.stdout);
    expect(body).toMatchObject({ model: 'gpt-5-mini', stream: true, stream_options: { include_usage: true } });
    expect(r.stderr).toContain(`dry run, nothing sent: POST ${server.url}/chat/completions (profile openai, model gpt-5-mini)`);
    expect(r.stderr).toMatch(/^input tokens: +\d+$/m);
    expect(r.stderr).toMatch(/^output tokens: 300 \(template expect\.output_tokens\)$/m);
    expect(r.stderr).toMatch(/^cost: +\$0\.\d+ \(\$0\.\d+ input \+ \$0\.0006 output\)$/m);

    // The body shown is the body sent.
    const real = await gpt(['summarize'], { stdin: readFileSync(article) });
    expect(real.code).toBe(0);
    expect(server.requests[0]!.body).toEqual(body);
  });
});

describe('gpt run --dry-run', () => {
  it('its token count is what the API reports as prompt_tokens for the same request, and its cost is tokens × price', async () => {
    const stdin = readFileSync(file('article.md', ARTICLE));
    const dry = await gpt(['summarize', '--dry-run', '--json', '-m', 'gpt-5.2'], { stdin });
    expect(dry.code).toBe(0);
    expect(server.requests).toHaveLength(0);
    const plan = JSON.parse(dry.stdout);
    expect(plan).toMatchObject({ model: 'gpt-5.2', profile: 'openai', output_tokens: 300, priced: true, exact_tokens: true, request: { url: `${server.url}/chat/completions` } });

    const real = await gpt(['summarize', '--json', '-m', 'gpt-5.2'], { stdin });
    expect(real.code).toBe(0);
    expect(server.requests[0]!.body).toEqual(plan.request.body);
    // The mock counts prompt_tokens with the cookbook formula, as OpenAI does for these models.
    expect(JSON.parse(real.stdout).usage).toMatchObject({ input_tokens: plan.input_tokens, estimated: false });

    const price = lookupModel('gpt-5.2').price!;
    expect(plan.cost_usd).toBeCloseTo((plan.input_tokens * price.input + 300 * price.output) / 1e6, 12);
  });

  it('needs no API key and never shows one', async () => {
    const noKey = await runGpt(['run', 'summarize', '--dry-run'], { stdin: ARTICLE, env: { OPENAI_API_KEY: undefined, OPENAI_BASE_URL: server.url } });
    expect(noKey.code).toBe(0);
    expect(JSON.parse(noKey.stdout).model).toBe('gpt-5-mini');
    const withKey = await gpt(['summarize', '--dry-run', '--verbose'], { stdin: ARTICLE });
    const json = await gpt(['summarize', '--dry-run', '--json'], { stdin: ARTICLE });
    for (const text of [withKey.stdout, withKey.stderr, json.stdout, json.stderr]) expect(text).not.toContain(KEY);
    expect(server.requests).toHaveLength(0);
  });

  it('shows the responses body and URL with --api responses, and the schema as text.format', async () => {
    const r = await gpt(['extract-invoice', '--dry-run', '--json', '--api', 'responses', '--no-stream'], { stdin: INVOICE });
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan.request.url).toBe(`${server.url}/responses`);
    expect(plan.request.body).toMatchObject({ model: 'gpt-5-mini', instructions: expect.stringMatching(/^You read invoices/), store: false, text: { format: { type: 'json_schema', name: 'extract-invoice', strict: true } } });
    expect(plan.request.body.stream).toBeUndefined();
    expect(typeof plan.request.body.input).toBe('string');
    expect(server.requests).toHaveLength(0);
  });

  it('says the output is unknown when nothing gives its length, and prices --max-output-tokens as the most it can be', async () => {
    const plain = file('plain/hello.md', 'Say hello to {{who}}.');
    let r = await gpt([plain, '--var', 'who=Ada', '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^output tokens: unknown: the template has no expect\.output_tokens and no --max-output-tokens was given$/m);
    expect(r.stderr).toMatch(/^cost: +\$0\.\d+ for the input alone; the output is not counted$/m);
    expect(JSON.parse(r.stdout).messages).toEqual([{ role: 'user', content: 'Say hello to Ada.' }]);

    r = await gpt([plain, '--var', 'who=Ada', '--dry-run', '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ output_tokens: null, priced: true });

    r = await gpt([plain, '--var', 'who=Ada', '--dry-run', '--json', '--max-output-tokens', '123']);
    const plan = JSON.parse(r.stdout);
    expect(plan.output_tokens).toBe(123);
    expect(plan.request.body.max_completion_tokens).toBe(123);

    // expect.output_tokens above the cap is capped: the model cannot write more.
    r = await gpt(['summarize', '--dry-run', '--json', '--max-output-tokens', '100'], { stdin: ARTICLE });
    expect(JSON.parse(r.stdout).output_tokens).toBe(100);
    expect(server.requests).toHaveLength(0);
  });

  it('an unpriced model is shown as such, with cost_usd null', async () => {
    const r = await gpt(['summarize', '--dry-run', '--json', '-m', 'my-local-model'], { stdin: ARTICLE });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ model: 'my-local-model', cost_usd: null, priced: false, exact_tokens: false });
    const plain = await gpt(['summarize', '--dry-run', '-m', 'my-local-model'], { stdin: ARTICLE });
    expect(plain.stderr).toMatch(/cost: +unknown: no price known for model 'my-local-model'/);
  });
});

describe('gpt run, precedence: flags > front matter > profile > config defaults', () => {
  const home = makeHome();
  mkdirSync(join(home, '.config', 'gpt'), { recursive: true });
  writeFileSync(
    join(home, '.config', 'gpt', 'config.json'),
    JSON.stringify({
      profiles: { openai: { model: 'gpt-4.1' } },
      defaults: { model: 'gpt-4o-mini', temperature: 0.3, maxOutputTokens: 50, seed: 9, system: 'Default system.' },
    }),
  );
  const withModel = file(
    'precedence/with-model.md',
    '---\nmodel: gpt-5.2\ntemperature: 0.7\nsystem: Front matter system.\nexpect:\n  output_tokens: 40\n---\nTell me about {{topic}}.',
  );
  const bare = file('precedence/bare.md', 'Tell me about {{topic}}.');
  const run = (args: string[], env: Record<string, string> = {}) => gpt([...args, '--var', 'topic=owls'], { home, env });

  it('front matter beats the profile and config defaults; defaults fill the rest', async () => {
    const r = await run([withModel]);
    expect(r.code).toBe(0);
    expect(bodies()[0]).toMatchObject({
      model: 'gpt-5.2',
      temperature: 0.7,
      max_completion_tokens: 50,
      seed: 9,
      messages: [
        { role: 'system', content: 'Front matter system.' },
        { role: 'user', content: 'Tell me about owls.' },
      ],
    });
  });

  it('flags beat front matter; -s replaces the template system prompt', async () => {
    const r = await run([withModel, '-m', 'gpt-5-nano', '--temperature', '1.1', '--max-output-tokens', '20', '-s', 'Flag system.']);
    expect(r.code).toBe(0);
    expect(bodies()[0]).toMatchObject({
      model: 'gpt-5-nano',
      temperature: 1.1,
      max_completion_tokens: 20,
      messages: [
        { role: 'system', content: 'Flag system.' },
        { role: 'user', content: 'Tell me about owls.' },
      ],
    });
  });

  it('the environment beats front matter (GPT_MODEL)', async () => {
    const r = await run([withModel], { GPT_MODEL: 'gpt-4.1-mini' });
    expect(r.code).toBe(0);
    expect(bodies()[0]!.model).toBe('gpt-4.1-mini');
  });

  it('without front matter, the profile model beats defaults.model, and defaults apply (their system prompt too)', async () => {
    const r = await run([bare]);
    expect(r.code).toBe(0);
    expect(bodies()[0]).toMatchObject({
      model: 'gpt-4.1',
      temperature: 0.3,
      max_completion_tokens: 50,
      messages: [
        { role: 'system', content: 'Default system.' },
        { role: 'user', content: 'Tell me about owls.' },
      ],
    });
  });

  it('-s "" removes the template system prompt', async () => {
    const r = await run([withModel, '-s', '']);
    expect(r.code).toBe(0);
    expect(bodies()[0]!.messages).toEqual([{ role: 'user', content: 'Tell me about owls.' }]);
  });

  it('front matter profile: is used unless --profile says otherwise', async () => {
    const simulated = file('precedence/offline.md', '---\nprofile: simulate\nexpect:\n  output_tokens: 12\n---\nHi {{topic}}.');
    let r = await runGpt(['run', simulated, '--var', 'topic=owls', '--json'], { home, env: { OPENAI_API_KEY: undefined } });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).profile).toBe('simulate');
    expect(server.requests).toHaveLength(0);
    r = await run([simulated, '--profile', 'openai']);
    expect(r.code).toBe(0);
    expect(server.requests).toHaveLength(1);
  });

  it('--schema wins over the template schema', async () => {
    const schema = file('precedence/count.json', JSON.stringify({ type: 'object', additionalProperties: false, required: ['n'], properties: { n: { type: 'number' } } }));
    server.enqueue({ kind: 'answer', text: '{"n": 3}' });
    const r = await gpt(['extract-invoice', '--schema', schema], { stdin: INVOICE });
    expect([r.code, r.stdout]).toEqual([0, '{"n": 3}']);
    expect(bodies()[0]!.response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'count', strict: true, schema: { type: 'object', additionalProperties: false, required: ['n'], properties: { n: { type: 'number' } } } },
    });
  });
});

describe('gpt run, usage errors before any request', () => {
  const expectOneLine = (stderr: string) => expect(stderr.trim().split('\n')).toHaveLength(1);

  it('a missing variable exits 2 naming the file and the variable', async () => {
    const r = await gpt(['translate', '--var', 'text=Bonjour']);
    expect(r.code).toBe(2);
    expectOneLine(r.stderr);
    expect(r.stderr).toContain(join(PROMPTS, 'translate.md'));
    expect(r.stderr).toMatch(/missing variable: lang \(--var lang=…\)/);
    expect(server.requests).toHaveLength(0);
  });

  it('a required {{input}} with nothing piped exits 2 and says to pipe text', async () => {
    const r = await gpt(['summarize', '--dry-run']);
    expect(r.code).toBe(2);
    expectOneLine(r.stderr);
    expect(r.stderr).toMatch(/summarize\.md: missing variable: input \(pipe text on stdin or pass --var input=…\)/);
    expect(r.stdout).toBe('');
  });

  it('an unknown variable exits 2 naming the file and the variable', async () => {
    const r = await gpt(['translate', '--var', 'lang=French', '--var', 'text=Bonjour', '--var', 'tone=formal']);
    expect(r.code).toBe(2);
    expectOneLine(r.stderr);
    expect(r.stderr).toContain(join(PROMPTS, 'translate.md'));
    expect(r.stderr).toMatch(/unknown variable 'tone'/);
    expect(server.requests).toHaveLength(0);
  });

  it('an unknown template exits 2 with a suggestion', async () => {
    const r = await gpt(['sumarize'], { stdin: ARTICLE });
    expect(r.code).toBe(2);
    expectOneLine(r.stderr);
    expect(r.stderr).toMatch(/unknown template 'sumarize' .*did you mean 'summarize'\?/);
    expect(server.requests).toHaveLength(0);
  });

  it('bad YAML in front matter exits 2 naming file:line', async () => {
    const broken = file('broken/bad-yaml.md', '---\ndescription: fine\nmodel: [gpt-5.2\n---\nHello {{who}}.');
    const r = await gpt([broken, '--var', 'who=x']);
    expect(r.code).toBe(2);
    expectOneLine(r.stderr);
    expect(r.stderr).toMatch(new RegExp(`${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: bad YAML in front matter`));
    expect(server.requests).toHaveLength(0);
  });

  it('an unreadable --schema or --vars file exits 2', async () => {
    let r = await gpt(['translate', '--var', 'lang=French', '--var', 'text=x', '--schema', join(dir, 'nope.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--schema .*nope\.json: cannot read schema file/);
    r = await gpt(['translate', '--vars', join(dir, 'nope-vars.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--vars .*nope-vars\.json: cannot read/);
    expect(server.requests).toHaveLength(0);
  });

  it('--vars gives variables from a JSON file, a --var overrides it', async () => {
    const vars = file('vars.json', JSON.stringify({ lang: 'German', text: 'Good morning' }));
    const r = await gpt(['translate', '--vars', vars, '--var', 'lang=Italian']);
    expect(r.code).toBe(0);
    const user = userMessage(bodies()[0]!);
    expect(user).toMatch(/into Italian\./);
    expect(user).toContain('<text>\nGood morning\n</text>');
  });
});

describe('gpt run, structured output', () => {
  const invalid = '{"invoice_number": 42, "total": "35.70"}';

  it('an answer that breaks the schema exits 7 with the errors; the answer stays on stdout', async () => {
    server.enqueue({ kind: 'answer', text: invalid });
    const r = await gpt(['extract-invoice'], { stdin: INVOICE });
    expect(r.code).toBe(7);
    expect(r.stdout).toBe(invalid);
    expect(r.stderr).toMatch(/the answer does not match schema extract-invoice: .*must have required property/);
    expect(r.stderr).toMatch(/--no-validate/);
  });

  it('with --json the object is printed before exit 7', async () => {
    server.enqueue({ kind: 'answer', text: invalid });
    const r = await gpt(['extract-invoice', '--json'], { stdin: INVOICE });
    expect(r.code).toBe(7);
    expect(JSON.parse(r.stdout).text).toBe(invalid);
  });

  it('--no-validate accepts it', async () => {
    server.enqueue({ kind: 'answer', text: invalid });
    const r = await gpt(['extract-invoice', '--no-validate'], { stdin: INVOICE });
    expect([r.code, r.stdout]).toEqual([0, invalid]);
    expect(bodies()[0]!.response_format.type).toBe('json_schema');
  });

  it('a non-JSON answer exits 7', async () => {
    server.enqueue({ kind: 'answer', text: 'Sorry, I cannot read that.' });
    const r = await gpt(['extract-invoice'], { stdin: INVOICE });
    expect(r.code).toBe(7);
    expect(r.stderr).toMatch(/not valid JSON/);
  });
});

describe('gpt run, offline and accounting', () => {
  it('--profile simulate honours expect.output_tokens, with no key and no network', async () => {
    const r = await runGpt(['run', 'summarize', '--profile', 'simulate', '--json'], { stdin: ARTICLE, env: { OPENAI_API_KEY: undefined } });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.profile).toBe('simulate');
    expect(out.usage.output_tokens).toBeLessThanOrEqual(300);
    expect(out.usage.output_tokens).toBeGreaterThanOrEqual(270);
    expect(out.usage.estimated).toBe(false);
    expect(server.requests).toHaveLength(0);
  });

  it('the simulated input count matches the dry run', async () => {
    const dry = await runGpt(['run', 'summarize', '--profile', 'simulate', '--dry-run', '--json'], { stdin: ARTICLE });
    const real = await runGpt(['run', 'summarize', '--profile', 'simulate', '--json'], { stdin: ARTICLE });
    expect(JSON.parse(real.stdout).usage.input_tokens).toBe(JSON.parse(dry.stdout).input_tokens);
  });

  it('the usage log records the command and the template', async () => {
    const home = makeHome();
    server.enqueue({ kind: 'answer', text: 'ok', usage: { prompt_tokens: 10, completion_tokens: 1 } });
    const r = await gpt(['translate', '--var', 'lang=French', '--var', 'text=Hi', '-m', 'gpt-5.2'], { home });
    expect(r.code).toBe(0);
    const record = JSON.parse(readFileSync(join(home, '.local', 'state', 'gpt', 'usage.jsonl'), 'utf8').trim());
    expect(record).toMatchObject({ command: 'run', template: 'translate', profile: 'openai', requested_model: 'gpt-5.2', usage: { input_tokens: 10, output_tokens: 1 } });
  });

  it('with no key, a real run to another host exits 3 after rendering (a loopback URL needs none: first-run.test)', async () => {
    const r = await runGpt(['run', 'translate', '--var', 'lang=French', '--var', 'text=Hi'], { env: { OPENAI_API_KEY: undefined, OPENAI_BASE_URL: 'https://llm.example.invalid/v1' } });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/OPENAI_API_KEY/);
    expect(server.requests).toHaveLength(0);
  });
});
