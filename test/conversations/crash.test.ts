/** `kill -9` in the middle of an answer loses at most the turn in flight: every finished turn is on disk, whole. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeHome, runCli } from '../support/cli.js';
import { useMockServer } from '../support/fixture.js';

const server = useMockServer();
const env = () => ({ OPENAI_API_KEY: 'sk-test-CRASH0123456789abcd', OPENAI_BASE_URL: server.url });

describe('resume after kill -9', () => {
  it('a session killed mid-answer keeps its finished turns, and -c continues from them', async () => {
    const home = makeHome();
    server.enqueue({ kind: 'answer', text: 'first answer' }, { kind: 'answer', text: 'second answer' }, { kind: 'stall-mid-stream', afterChunks: 1, text: 'never finished' });
    const killed = await runCli(['chat', '-i'], {
      home,
      env: env(),
      stdin: 'one\ntwo\nthree\n',
      onSpawn: (child) => {
        // Killed once the third answer has begun to stream: no chance to clean up, the turn in flight is lost.
        let seen = '';
        child.stdout!.on('data', (chunk: Buffer) => {
          seen += chunk.toString('utf8');
          if (/second answer\n.+/s.test(seen)) child.kill('SIGKILL');
        });
      },
    });
    expect(killed.signal).toBe('SIGKILL');
    const dir = join(home, '.local', 'share', 'gpt', 'conversations');
    const [file] = readdirSync(dir);
    const text = readFileSync(join(dir, file!), 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const records = text.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(records.map((r) => [r.type, r.answer])).toEqual([['conversation', undefined], ['turn', 'first answer'], ['turn', 'second answer']]);
    server.reset();
    const resumed = await runCli(['chat', '-c', 'three again'], { home, env: env() });
    expect(resumed.code).toBe(0);
    expect((server.requests[0]!.body as { messages: Array<{ content: string }> }).messages.map((m) => m.content)).toEqual(['one', 'first answer', 'two', 'second answer', 'three again']);
  });
});
