/** Approval on a real pseudo-terminal (util-linux `script`): each call is shown and asked y/n/always, answered as prompts appear. */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, cleanEnv, makeHome } from '../support/cli.js';
import { useMockServer } from '../support/fixture.js';
import { weatherTool } from './support.js';
import { hasScript } from '../support/pty.js';


const server = useMockServer();
const homes: string[] = [];
afterEach(() => {
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

/** Runs `gpt args` on a pty and types the next answer each time the approval question shows. */
function onPty(home: string, args: string[], answers: string[]): Promise<{ code: number | null; output: string }> {
  const command = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const env = { ...cleanEnv(home), OPENAI_API_KEY: 'sk-test-TTYTOOL0123456789', OPENAI_BASE_URL: server.url };
  return new Promise((resolve) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    let asked = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const questions = output.split('run it? [y]es, [n]o, [a]lways for this tool:').length - 1;
      while (asked < questions) child.stdin.write(`${answers[asked++] ?? 'n'}\n`);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe.skipIf(!hasScript)('approval on a terminal', () => {
  it('shows the tool and its arguments; n declines (told to the model), always stops asking for that tool', async () => {
    const home = makeHome();
    homes.push(home);
    const tool = weatherTool(join(home, '.config/gpt/t'));
    const marker = join(home, '.config/gpt/t', 'weather.ran');
    server.enqueue(
      { kind: 'answer', toolCalls: [{ id: 'c1', name: 'weather', arguments: '{"city":"Lyon"}' }] },
      { kind: 'answer', toolCalls: [{ id: 'c2', name: 'weather', arguments: '{"city":"Paris"}' }, { id: 'c3', name: 'weather', arguments: '{"city":"Nice"}' }] },
      { kind: 'answer', text: 'Done.' },
    );
    const r = await onPty(home, ['chat', '-T', tool, 'Umbrella?'], ['n', 'a']);
    expect(r.code).toBe(0);
    expect(r.output).toContain('gpt: the model wants to run weather');
    expect(r.output).toMatch(/"city": "Lyon"/);
    expect(r.output.split('run it?').length - 1).toBe(2); // Lyon (n), Paris (always); Nice not asked
    const bodies = server.requests.map((q) => q.body as Record<string, any>);
    expect(bodies[1]!.messages.at(-1)).toEqual({ role: 'tool', tool_call_id: 'c1', content: 'error: the user declined to run this call' });
    expect(bodies[2]!.messages.filter((m: any) => m.role === 'tool').map((m: any) => m.content).slice(1)).toEqual(['rain in Paris', 'rain in Nice']);
    expect(readFileSync(marker, 'utf8').trim().split('\n').map((l) => JSON.parse(l).city)).toEqual(['Paris', 'Nice']);
    expect(existsSync(marker)).toBe(true);
    expect(r.output).toContain('Done.');
  });
});
