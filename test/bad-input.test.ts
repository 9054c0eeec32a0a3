/**
 * The README's bad-input table, row by row: what the user types, the one line they see, the exit
 * code — never a stack trace, and (where a request would follow) nothing sent.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runGpt } from './support/in-process.js';
import { type MockServer } from './support/mock-server.js';
import { useMockServer } from './support/fixture.js';

const server = useMockServer();
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gpt-bad-'));
  writeFileSync(join(dir, 'bad-schema.json'), '{ "type": "object", ');
  writeFileSync(join(dir, 'not-object-schema.json'), '[1, 2]');
  writeFileSync(join(dir, 'tpl.md'), '---\ndescription: t\nvars:\n  topic: {description: what}\n---\nTell me about {{topic}}.\n');
  writeFileSync(join(dir, 'bad-yaml.md'), '---\ndescription: [unclosed\n---\nBody\n');
});

const env = () => ({ OPENAI_API_KEY: 'sk-test-BADINPUT0123456789abcdef', OPENAI_BASE_URL: server.url });

interface Row {
  input: string;
  args: string[];
  stdin?: string | Buffer;
  code: number;
  sees: RegExp;
}

const ROWS: Row[] = [
  { input: 'unknown flag', args: ['chat', '--bogus', 'hi'], code: 2, sees: /unknown option '--bogus'/ },
  { input: 'bad number', args: ['chat', '--temperature', 'abc', 'hi'], code: 2, sees: /--temperature takes a number from 0 to 2, not 'abc'/ },
  { input: 'number out of range', args: ['chat', '--temperature', '3', 'hi'], code: 2, sees: /--temperature takes a number from 0 to 2, not '3'/ },
  { input: 'zero concurrency', args: ['batch', 'x.jsonl', '--concurrency', '0'], code: 2, sees: /--concurrency takes a whole number from 1/ },
  { input: 'bad effort', args: ['chat', '--effort', 'max', 'hi'], code: 2, sees: /--effort.*Allowed choices are none, minimal, low, medium, high, xhigh/ },
  { input: 'unknown profile', args: ['chat', '-p', 'nope', 'hi'], code: 3, sees: /unknown profile 'nope'/ },
  { input: 'missing template', args: ['run', 'no-such-template'], code: 2, sees: /unknown template 'no-such-template'/ },
  { input: 'missing variable', args: ['run', 'TPL'], code: 2, sees: /tpl\.md.*topic/ },
  { input: 'unknown variable', args: ['run', 'TPL', '--var', 'topic=x', '--var', 'colour=red'], code: 2, sees: /colour/ },
  { input: 'bad YAML front matter', args: ['run', 'BADYAML'], code: 2, sees: /bad-yaml\.md:\d+: bad YAML in front matter/ },
  { input: 'unreadable --var @file', args: ['run', 'TPL', '--var', 'topic=@/nonexistent/file.txt'], code: 2, sees: /\/nonexistent\/file\.txt/ },
  { input: 'unreadable --schema file', args: ['chat', '--schema', '/nonexistent/schema.json', 'hi'], code: 2, sees: /--schema \/nonexistent\/schema\.json: cannot read schema file \/nonexistent\/schema\.json: no such file/ },
  { input: 'invalid schema file (not JSON)', args: ['chat', '--schema', 'DIR/bad-schema.json', 'hi'], code: 2, sees: /bad-schema\.json: not valid JSON/ },
  { input: 'invalid schema file (not an object)', args: ['chat', '--schema', 'DIR/not-object-schema.json', 'hi'], code: 2, sees: /not-object-schema\.json: a JSON schema must be an object/ },
  { input: 'binary stdin', args: ['chat', 'what is this'], stdin: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 13]), code: 2, sees: /stdin looks like binary data/ },
  { input: 'batch line over 64 MiB', args: ['batch', '/dev/zero'], code: 2, sees: /^gpt: batch input \/dev\/zero: line 1 is longer than 64 MiB, the most one line may hold$/m },
  { input: 'empty message, no stdin', args: ['chat', ''], code: 2, sees: /empty message/ },
  { input: 'empty stdin', args: ['chat'], stdin: '', code: 2, sees: /empty message: stdin was empty/ },
  { input: 'whitespace-only stdin', args: ['chat'], stdin: '  \n\n ', code: 2, sees: /empty message/ },
  { input: 'unknown command', args: ['summon'], code: 2, sees: /unknown command 'summon'/ },
  { input: 'bad --base-url', args: ['chat', '--base-url', 'ftp://x', 'hi'], code: 2, sees: /--base-url ftp:\/\/x: expected an http\(s\) URL/ },
];

describe('bad input', () => {
  it.each(ROWS)('$input → exit $code', async (row) => {
    const args = row.args.map((a) => a.replace('DIR', dir).replace('BADYAML', join(dir, 'bad-yaml.md')).replace('TPL', join(dir, 'tpl.md')));
    const r = await runGpt(args, { env: env(), stdin: row.stdin, cwd: dir });
    expect(r.code).toBe(row.code);
    expect(r.stderr).toMatch(row.sees);
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
    expect(server.requests).toHaveLength(0);
  });

  it('unknown model: works, warns that its cost is unknown (exit 0)', async () => {
    const r = await runGpt(['chat', '-m', 'mystery-model-7b', '--json', 'hi'], { env: env() });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/no price known for model 'mystery-model-7b'/);
    expect(JSON.parse(r.stdout).cost.priced).toBe(false);
  });
});

describe('malformed config, in each supported format → exit 3 naming the file', () => {
  const cases: Array<[string, string]> = [
    ['.gptrc', 'defaults: {temperature: [}'],
    ['.gptrc.json', '{"defaults": '],
    ['.gptrc.yaml', 'defaults:\n  - a\n b: c'],
    ['.gptrc.yml', 'profiles: 12'],
    ['package.json', '{"name": "x", "gpt": {"defaultProfile": 5}}'],
    ['.gptrc.cjs', 'module.exports = { defaults: { temperature: "warm" } };'],
    ['.gptrc.mjs', 'export default { nope: 1 };'],
    ['.gptrc.js', 'throw new Error("boom");'],
    ['gpt.config.mjs', 'export default { pricing: { m: { input: "free" } } };'],
  ];
  it.each(cases)('%s', async (name, text) => {
    const project = mkdtempSync(join(tmpdir(), 'gpt-badcfg-'));
    const file = join(project, name);
    writeFileSync(file, text);
    // Code configs run only when named with --config or trusted; --config is always trusted.
    const args = /\.(c|m)?js$/.test(name) ? ['--config', file, 'chat', '-p', 'simulate', 'hi'] : ['chat', '-p', 'simulate', 'hi'];
    const r = await runGpt(args, { cwd: project });
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(file);
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });
});
