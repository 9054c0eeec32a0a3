/** `gpt chat -c/--cid/--no-save`, `gpt run --save-conversation` and `gpt history` end to end against the loopback server. */
import { appendFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeHome, type CliOptions } from '../support/cli.js';
import { runGpt } from '../support/in-process.js';
import { useMockServer } from '../support/fixture.js';
import { pngHeader } from '../support/images.js';
import { createHash } from 'node:crypto';

const server = useMockServer();

function gpt(home: string, args: string[], options: CliOptions = {}) {
  return runGpt(args, { home, ...options, env: { OPENAI_API_KEY: 'sk-test-CONV0123456789abcd', OPENAI_BASE_URL: server.url, ...options.env } });
}
const convDir = (home: string) => join(home, '.local', 'share', 'gpt', 'conversations');
const ids = (home: string) => readdirSync(convDir(home)).map((f) => f.replace(/\.jsonl$/, '')).sort();
const sent = () => server.requests.filter((r) => r.path.endsWith('/chat/completions') || r.path.endsWith('/responses')).map((r) => r.body as Record<string, any>);

describe('saved conversations', () => {
  it('-c sends the history and the new turn, and appends it to the same file (chat API)', async () => {
    const home = makeHome();
    server.enqueue({ kind: 'answer', text: 'Hi Zed.', usage: { prompt_tokens: 20, completion_tokens: 3 } });
    expect((await gpt(home, ['chat', '-s', 'Be terse.', 'my name is Zed, remember it'])).code).toBe(0);
    server.enqueue({ kind: 'answer', text: 'Zed.' });
    const second = await gpt(home, ['chat', '-c', 'what is my name?']);
    expect([second.code, second.stdout]).toEqual([0, 'Zed.']);
    expect(sent()[1]!.messages).toEqual([
      { role: 'system', content: 'Be terse.' },
      { role: 'user', content: 'my name is Zed, remember it' },
      { role: 'assistant', content: 'Hi Zed.' },
      { role: 'user', content: 'what is my name?' },
    ]);
    const [id] = ids(home);
    const file = join(convDir(home), `${id}.jsonl`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(convDir(home)).mode & 0o777).toBe(0o700);
    const records = readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(records.map((r) => r.type)).toEqual(['conversation', 'turn', 'turn']);
    expect(records[0]).toMatchObject({ id, profile: 'openai', model: 'gpt-5-mini', system: 'Be terse.', title: 'my name is Zed, remember it' });
    expect(records[1]).toMatchObject({ answer: 'Hi Zed.', usage: { input_tokens: 20, output_tokens: 3 }, finish_reason: 'stop', model_reported: 'gpt-5-mini' });
    expect(readFileSync(file, 'utf8')).not.toContain('sk-test');
  });

  it('an attachment is sent with the turn and stored by source and sha256, never its bytes', async () => {
    const home = makeHome();
    const png = pngHeader(64, 32);
    writeFileSync(join(home, 'shot.png'), png);
    const r = await gpt(home, ['chat', '-m', 'gpt-5.2', '-a', join(home, 'shot.png'), 'what is this?']);
    expect(r.code).toBe(0);
    expect(JSON.stringify(sent()[0]!.messages)).toContain(`data:image/png;base64,${png.toString('base64')}`);
    const [id] = ids(home);
    const text = readFileSync(join(convDir(home), `${id}.jsonl`), 'utf8');
    expect(text).not.toContain(png.toString('base64'));
    const turn = JSON.parse(text.trimEnd().split('\n')[1]!);
    expect(turn.messages).toEqual([{ role: 'user', content: 'what is this?' }]);
    expect(turn.attachments).toEqual([{ source: join(home, 'shot.png'), mime: 'image/png', sha256: createHash('sha256').update(png).digest('hex'), bytes: png.length }]);
  });

  it('-c sends earlier turns\' files again while their bytes are unchanged; a changed, missing or stdin one is left out, said once', async () => {
    const home = makeHome();
    const png = pngHeader(64, 32);
    writeFileSync(join(home, 'shot.png'), png);
    writeFileSync(join(home, 'notes.txt'), 'line one\n');
    // Relative paths: stored absolute, so -c from another folder finds them.
    expect((await gpt(home, ['chat', '-m', 'gpt-5.2', '-a', 'shot.png', '-a', 'notes.txt', 'what is this?'])).code).toBe(0);
    mkdirSync(join(home, 'elsewhere'));
    const again = await gpt(home, ['chat', '-c', 'and the colours?'], { cwd: join(home, 'elsewhere') });
    expect([again.code, again.stderr]).toEqual([0, expect.not.stringContaining('not sent again')]);
    const first = sent()[1]!.messages[0];
    expect(first.role).toBe('user');
    expect(JSON.stringify(first.content)).toContain(`data:image/png;base64,${png.toString('base64')}`);
    expect(JSON.stringify(first.content)).toContain('notes.txt:\\n```\\nline one\\n```');
    expect(sent()[1]!.messages.at(-1)).toEqual({ role: 'user', content: 'and the colours?' });

    writeFileSync(join(home, 'shot.png'), pngHeader(10, 10));
    rmSync(join(home, 'notes.txt'));
    const third = await gpt(home, ['chat', '-c', 'still there?']);
    expect(third.code).toBe(0);
    expect(third.stderr).toContain(`-c: ${join(home, 'shot.png')} (sent with an earlier turn) is not sent again: the file has changed since`);
    expect(third.stderr).toMatch(new RegExp(`-c: ${join(home, 'notes.txt').replace(/[.\\/]/g, '\\$&')} \\(sent with an earlier turn\\) is not sent again: `));
    expect(sent()[2]!.messages[0]).toEqual({ role: 'user', content: 'what is this?' });
  });

  it('--cid by prefix with --api responses: model and system from the conversation unless given again', async () => {
    const home = makeHome();
    await gpt(home, ['chat', '-m', 'gpt-5.2', '-s', 'S1', 'first']);
    await gpt(home, ['chat', '-m', 'gpt-5-mini', 'other conversation']);
    const [first] = ids(home);
    const r = await gpt(home, ['chat', '--api', 'responses', '--cid', first!.slice(0, 20).toLowerCase(), 'again']);
    expect(r.code).toBe(0);
    const body = sent()[2]!;
    expect(body.model).toBe('gpt-5.2');
    expect(body.instructions).toBe('S1');
    expect(body.input).toEqual([
      { role: 'user', content: 'first' },
      { role: 'assistant', content: 'Hello from the mock.' },
      { role: 'user', content: 'again' },
    ]);
    const overridden = await gpt(home, ['chat', '--cid', first!, '-m', 'gpt-5-mini', '-s', 'S2', 'third']);
    expect(overridden.code).toBe(0);
    expect(sent()[3]).toMatchObject({ model: 'gpt-5-mini', messages: [{ role: 'system', content: 'S2' }, {}, {}, {}, {}, { role: 'user', content: 'third' }] });
  });

  it('unknown and ambiguous prefixes, and -c with nothing saved, are exit 2 before any request', async () => {
    const home = makeHome();
    const none = await gpt(home, ['chat', '-c', 'hi']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no saved conversation to continue/);
    await gpt(home, ['chat', 'a']);
    await gpt(home, ['chat', 'b']);
    const unknown = await gpt(home, ['chat', '--cid', 'ZZZZ', 'hi']);
    expect([unknown.code, unknown.stderr]).toEqual([2, "gpt: no conversation matches 'ZZZZ' (see gpt history)\n"]);
    const [a, b] = ids(home);
    const ambiguous = await gpt(home, ['chat', '--cid', '0', 'hi']);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain(a!);
    expect(ambiguous.stderr).toContain(b!);
    expect(sent()).toHaveLength(2);
  });

  it('a torn last line is skipped with a warning and the rest loads', async () => {
    const home = makeHome();
    await gpt(home, ['chat', 'one']);
    const [id] = ids(home);
    appendFileSync(join(convDir(home), `${id}.jsonl`), '{"type":"turn","messages":[{"role":"user","con');
    const r = await gpt(home, ['chat', '-c', 'two']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/line 3 is torn or not a conversation record; that turn is skipped/);
    expect(sent()[1]!.messages).toEqual([{ role: 'user', content: 'one' }, { role: 'assistant', content: 'Hello from the mock.' }, { role: 'user', content: 'two' }]);
  });

  it('--no-save stores nothing; with -c the turn is not appended and it says so once', async () => {
    const home = makeHome();
    await gpt(home, ['chat', '--no-save', 'secret']);
    expect(() => ids(home)).toThrow();
    await gpt(home, ['chat', 'kept']);
    const [id] = ids(home);
    const before = readFileSync(join(convDir(home), `${id}.jsonl`), 'utf8');
    const r = await gpt(home, ['chat', '-c', '--no-save', 'not kept']);
    expect(r.code).toBe(0);
    expect(r.stderr.match(/not added to conversation/g)).toHaveLength(1);
    expect(readFileSync(join(convDir(home), `${id}.jsonl`), 'utf8')).toBe(before);
    const cfg = join(home, '.config', 'gpt');
    mkdirSync(cfg, { recursive: true });
    writeFileSync(join(cfg, 'config.yaml'), 'conversations:\n  save: false\n');
    await gpt(home, ['chat', 'also not kept']);
    expect(ids(home)).toEqual([id]);
  });

  it('gpt run --save-conversation stores the run; plain gpt run does not', async () => {
    const home = makeHome();
    writeFileSync(join(home, 't.md'), '---\nsystem: Tmpl system\n---\nSay {{word}}');
    await gpt(home, ['run', 't.md', '--var', 'word=hi']);
    expect(() => ids(home)).toThrow();
    const r = await gpt(home, ['run', 't.md', '--var', 'word=hi', '--save-conversation']);
    expect(r.code).toBe(0);
    await gpt(home, ['chat', '-c', 'more']);
    expect(sent()[2]!.messages).toEqual([{ role: 'system', content: 'Tmpl system' }, { role: 'user', content: 'Say hi' }, { role: 'assistant', content: 'Hello from the mock.' }, { role: 'user', content: 'more' }]);
  });
});

describe('gpt history', () => {
  it('lists, searches, shows and removes conversations, with totals from the stored usage', async () => {
    const home = makeHome();
    server.enqueue({ kind: 'answer', text: 'Otters hold hands.', usage: { prompt_tokens: 100, completion_tokens: 50 } }, { kind: 'answer', text: 'Dams.', usage: { prompt_tokens: 200, completion_tokens: 10 } });
    await gpt(home, ['chat', '-m', 'gpt-5.2', 'Tell me about otters\nin detail']);
    await gpt(home, ['chat', '-c', 'and beavers?']);
    await gpt(home, ['chat', 'unrelated']);
    const [otters, other] = ids(home);
    const list = await gpt(home, ['history', '--json']);
    const rows = JSON.parse(list.stdout).conversations;
    expect(rows.map((r: { id: string }) => r.id)).toEqual([other, otters]);
    // gpt-5.2: $1.75/M in, $14/M out
    expect(rows[1]).toMatchObject({ title: 'Tell me about otters', model: 'gpt-5.2', turns: 2, tokens: 360 });
    expect(rows[1].usd).toBeCloseTo((300 * 1.75 + 60 * 14) / 1e6, 12);
    const text = await gpt(home, ['history', '-n', '1']);
    expect(text.stdout.trim().split('\n')).toHaveLength(1);
    expect(text.stdout).toContain(other!);
    const search = await gpt(home, ['history', '--search', 'DAMS', '--json']);
    expect(JSON.parse(search.stdout).conversations.map((r: { id: string }) => r.id)).toEqual([otters]);
    const show = await gpt(home, ['history', 'show', otters!.slice(0, 24)]);
    expect(show.stdout).toContain('# Tell me about otters');
    expect(show.stdout).toContain('## You\n\nand beavers?\n\n## gpt-5.2\n\nDams.');
    const json = JSON.parse((await gpt(home, ['history', 'show', otters!, '--json'])).stdout);
    expect(json.turns.map((t: { answer: string }) => t.answer)).toEqual(['Otters hold hands.', 'Dams.']);
    expect((await gpt(home, ['history', 'rm', otters!])).code).toBe(0);
    expect(ids(home)).toEqual([other]);
    const refused = await gpt(home, ['history', 'rm', '--all']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--yes/);
    expect((await gpt(home, ['history', 'rm', '--all', '--yes'])).code).toBe(0);
    expect(ids(home)).toEqual([]);
  });
});
