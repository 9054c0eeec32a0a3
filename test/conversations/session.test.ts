/** The interactive session: -i over piped stdin, and on a real pseudo-terminal (util-linux `script`). */
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cleanEnv, makeHome } from '../support/cli.js';
import { runGpt } from '../support/in-process.js';
import { useMockServer } from '../support/fixture.js';
import { hasScript } from '../support/pty.js';

const server = useMockServer();
const env = () => ({ OPENAI_API_KEY: 'sk-test-SESSION0123456789ab', OPENAI_BASE_URL: server.url });
const bodies = () => server.requests.filter((r) => r.path.endsWith('/chat/completions')).map((r) => r.body as { model: string; reasoning_effort?: string; messages: Array<{ role: string; content: string }> });

describe('gpt chat -i over piped stdin', () => {
  it('one line = one turn; slash commands never reach the server; /cost equals the sum of the footers', async () => {
    server.enqueue({ kind: 'answer', text: 'A1', usage: { prompt_tokens: 11, completion_tokens: 2 } }, { kind: 'answer', text: 'A2', usage: { prompt_tokens: 31, completion_tokens: 5 } });
    const stdin = ['hello', '/help', '/frobnicate', '/model gpt-5.2', '/effort high', '/system Be brief.', 'second', '/cost', '/exit', 'never sent'].join('\n');
    const r = await runGpt(['chat', '-i', '-m', 'gpt-5-mini'], { stdin, env: env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('A1\nA2\n');
    const sent = bodies();
    expect(sent).toHaveLength(2);
    expect(sent[0]!.messages).toEqual([{ role: 'user', content: 'hello' }]);
    expect(sent[1]).toMatchObject({ model: 'gpt-5.2', reasoning_effort: 'high' });
    expect(sent[1]!.messages).toEqual([{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'hello' }, { role: 'assistant', content: 'A1' }, { role: 'user', content: 'second' }]);
    expect(JSON.stringify(sent)).not.toContain('/');
    expect(r.stderr).toContain('unknown command /frobnicate; commands: /help /model /effort /system /cost /compact /new /history /exit');
    expect(r.stderr).toMatch(/\/compact\s+replace older turns/);
    const footers = [...r.stderr.matchAll(/^gpt-[^\n]*? · (\d+) in · (\d+) out/gm)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(footers).toEqual([[11, 2], [31, 5]]);
    const totals = r.stderr.trimEnd().split('\n').filter((l) => l.startsWith('session: '));
    expect(totals.at(-1)).toMatch(/^session: 2 turns · 42 in · 7 out · \$/);
    expect(totals).toHaveLength(3); // after each answer, and /cost
  });

  it('/new starts another conversation; each is saved; -c continues the last one', async () => {
    const home = makeHome();
    const r = await runGpt(['chat', '-i'], { home, stdin: 'one\n/new\ntwo\n', env: env() });
    expect(r.code).toBe(0);
    expect(bodies()[1]!.messages).toEqual([{ role: 'user', content: 'two' }]);
    const history = JSON.parse((await runGpt(['history', '--json'], { home })).stdout).conversations;
    expect(history.map((c: { title: string }) => c.title)).toEqual(['two', 'one']);
    await runGpt(['chat', '-c', '-i'], { home, stdin: 'three\n', env: env() });
    expect(bodies()[2]!.messages.map((m) => m.content)).toEqual(['two', 'Hello from the mock.', 'three']);
  });
});

describe('a session then -c', () => {
  it('continues with the model of the last turn (after /model)', async () => {
    const home = makeHome();
    await runGpt(['chat', '-i'], { home, stdin: 'a\n/model gpt-5.2\nb\n', env: env() });
    await runGpt(['chat', '-c', 'c'], { home, env: env() });
    expect(bodies().map((b) => b.model)).toEqual(['gpt-5-mini', 'gpt-5.2', 'gpt-5.2']);
  });

  it('continues with the system prompt a /system (or -c -s) set last, and history show says where it changed', async () => {
    const home = makeHome();
    const system = (i: number) => bodies()[i]!.messages.find((m) => m.role === 'system')?.content;
    await runGpt(['chat', '-i', '-s', 'S0'], { home, stdin: 'a\n/system S1\nb\n', env: env() });
    await runGpt(['chat', '-c', 'c'], { home, env: env() });
    expect([system(0), system(1), system(2)]).toEqual(['S0', 'S1', 'S1']);
    await runGpt(['chat', '-c', '-s', 'S2', 'd'], { home, env: env() });
    await runGpt(['chat', '-c', 'e'], { home, env: env() });
    expect([system(3), system(4)]).toEqual(['S2', 'S2']);
    await runGpt(['chat', '-c', '-i'], { home, stdin: '/system\nf\n', env: env() });
    await runGpt(['chat', '-c', 'g'], { home, env: env() });
    expect([system(5), system(6)]).toEqual([undefined, undefined]);
    const shown = (await runGpt(['history', 'show', JSON.parse((await runGpt(['history', '--json'], { home })).stdout).conversations[0].id], { home })).stdout;
    expect(shown.match(/^\*\*System:\*\* .*$/gm)).toEqual(['**System:** S0', '**System:** S1', '**System:** S2', '**System:** (none from here on)']);
    // Only the turns that changed it carry it in the file.
    const [file] = readdirSync(join(home, '.local', 'share', 'gpt', 'conversations'));
    const turns = readFileSync(join(home, '.local', 'share', 'gpt', 'conversations', file!), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; system?: string }).filter((r) => r.type === 'turn');
    expect(turns.map((t) => t.system)).toEqual([undefined, 'S1', undefined, 'S2', undefined, '', undefined]);
  });
});


/** Output that ends at a prompt (readline may move the cursor after it). */
const prompt = (before: string, text = '> ') => new RegExp(`${before}${text.replace('.', '\\.')}(?:\u001b\\[\\d+G)?$`);

/** A session on a pty: `steps` each wait for text in the output, then type. */
function onPty(home: string, args: string[], steps: Array<[RegExp, string]>): Promise<{ code: number | null; output: string }> {
  // exec: gpt itself is the pty's foreground process, so Ctrl-C reaches it and not a shell that would die of it.
  const command = `exec ${[process.execPath, BIN, ...args].map((a) => `'${a}'`).join(' ')}`;
  return new Promise((resolve) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], { env: { ...cleanEnv(home), ...env() }, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    let step = 0;
    let seen = 0;
    const advance = () => {
      while (step < steps.length) {
        const [wait, type] = steps[step]!;
        const match = wait.exec(output.slice(seen));
        if (!match) return;
        seen += match.index + match[0].length;
        step += 1;
        child.stdin.write(type);
      }
    };
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      advance();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (process.env.DEBUG_PTY) require("node:fs").appendFileSync(process.env.DEBUG_PTY, JSON.stringify(output) + "\n");
      resolve({ code, output });
    });
  });
}

describe.skipIf(!hasScript)('gpt chat on a terminal', () => {
  it('a bracketed paste of three lines is one message; """ blocks too; Ctrl-C at the prompt warns, twice leaves with exit 0', async () => {
    const home = makeHome();
    const r = await onPty(home, ['chat'], [
      [prompt(''), '\u001b[200~line one\rline two\rline three\u001b[201~'],
      [/line three/, '\r'],
      [prompt('session: 1 turn[^]*'), '"""\r'],
      [prompt('', '. '), 'a\r'],
      [prompt('', '. '), 'b\r'],
      [prompt('', '. '), '"""\r'],
      [prompt('session: 2 turns[^]*'), '\u0003'],
      [prompt('Ctrl-C again[^]*'), '\u0003'],
    ]);
    expect(r.code).toBe(0);
    const sent = bodies();
    expect(sent).toHaveLength(2);
    expect(sent[0]!.messages).toEqual([{ role: 'user', content: 'line one\nline two\nline three' }]);
    expect(sent[1]!.messages.at(-1)).toEqual({ role: 'user', content: 'a\nb' });
    expect(r.output).toContain('\u001b[?2004h');
    expect(r.output).toMatch(/\n$/);
    const historyFile = join(home, '.local', 'state', 'gpt', 'chat_history');
    expect(statSync(historyFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(historyFile, 'utf8')).toContain('line three');
  });

  it('Ctrl-D leaves with a newline; gpt chat -c on a terminal reopens the last conversation', async () => {
    const home = makeHome();
    await runGpt(['chat', 'remember 42'], { home, env: env() });
    const r = await onPty(home, ['chat', '-c'], [
      [prompt(''), 'what number?\r'],
      [prompt('session: 1 turn[^]*'), '\u0004'],
    ]);
    expect(r.code).toBe(0);
    expect(r.output).toMatch(/continuing [0-9A-Z]{26} \(1 turns?\)/);
    expect(bodies()[1]!.messages.map((m) => m.content)).toEqual(['remember 42', 'Hello from the mock.', 'what number?']);
    expect(r.output).toMatch(/> \u001b\[3G\u001b\[\?2004l\r?\n$/);
  });

  it('Ctrl-C during an answer stops it; the session goes on and the stopped turn is neither stored nor resent', async () => {
    const home = makeHome();
    server.enqueue({ kind: 'stall-mid-stream', afterChunks: 1, text: 'Partial answer that stalls' });
    const r = await onPty(home, ['chat'], [
      [prompt(''), 'tell me a long story\r'],
      [/Partial/, '\u0003'],
      [prompt('interrupted[^]*'), 'hi\r'],
      [prompt('session: 1 turn[^]*'), '/exit\r'],
    ]);
    expect(r.code).toBe(0);
    expect(bodies()[1]!.messages).toEqual([{ role: 'user', content: 'hi' }]);
    const history = JSON.parse((await runGpt(['history', '--json'], { home })).stdout).conversations;
    expect(history).toMatchObject([{ title: 'hi', turns: 1 }]);
  });
});
