/**
 * Terminal behaviour, in a real pseudo-terminal (util-linux `script`): the interactive multi-turn
 * session keeps its history, Markdown is rendered on a colour TTY, and a pty with no size (as
 * `script` gives) never gets a spinner that would scroll forever.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BIN, cleanEnv, makeHome } from './support/cli.js';
import { type MockServer } from './support/mock-server.js';
import { useMockServer } from './support/fixture.js';
import { hasScript } from './support/pty.js';


const server = useMockServer();

/** Runs `gpt args` on a pty, typing each line after the previous answer has had time to arrive. */
function onPty(args: string[], lines: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const home = makeHome();
  const command = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return new Promise((resolve) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], { env: { ...cleanEnv(home), ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
    void (async () => {
      for (const line of lines) {
        await new Promise((r) => setTimeout(r, 1200));
        child.stdin.write(`${line}\n`);
      }
    })();
  });
}

describe.skipIf(!hasScript)('on a terminal', () => {
  it('an interactive session sends the whole history each turn and renders Markdown', async () => {
    server.reset();
    server.enqueue({ kind: 'answer', text: '# Title\n\nThe **first** answer.' }, { kind: 'answer', text: 'Second answer.' });
    const r = await onPty(['chat', '-m', 'gpt-5.2'], ['hello', 'and again', '/exit'], {
      OPENAI_API_KEY: 'sk-test-TTY0123456789abcdef',
      OPENAI_BASE_URL: server.url,
      FORCE_COLOR: '1',
      NO_COLOR: '',
    });
    expect(r.code).toBe(0);
    expect(r.output).toContain('gpt chat · openai · gpt-5.2');
    expect(r.output).toContain('\u001b[1m\u001b[4mTitle'); // heading rendered bold + underlined
    expect(r.output).toContain('The \u001b[1mfirst\u001b[22m answer.');
    // The raw line may show while it streams, but is then erased (back to its start, erase down) for its rendering.
    expect(r.output.replace(/The \*\*first\*\* answer\.\r\u001b\[J/g, '')).not.toContain('**first**');
    expect(r.output).toContain('Second answer.');
    const bodies = server.requests.map((q) => q.body as { messages: Array<{ role: string; content: string }> });
    expect(bodies).toHaveLength(2);
    expect(bodies[1]!.messages).toEqual([
      { role: 'user', content: 'hello' },
      { role: 'assistant', content: '# Title\n\nThe **first** answer.' },
      { role: 'user', content: 'and again' },
    ]);
  });

  it('--raw prints the bytes as sent, even on a colour terminal', async () => {
    server.reset();
    server.enqueue({ kind: 'answer', text: '# Title\n\n**bold**' });
    const r = await onPty(['chat', '--raw', 'hi'], [], { OPENAI_API_KEY: 'sk-test-TTY0123456789abcdef', OPENAI_BASE_URL: server.url, FORCE_COLOR: '1', NO_COLOR: '' });
    expect(r.code).toBe(0);
    expect(r.output.replace(/\r/g, '')).toContain('# Title\n\n**bold**\n'); // and a final newline on a TTY
  });
});
