/** `gpt batch` with the API unreachable: the built CLI stops after a streak of failed connections instead of failing every line. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ResultLine } from '../../src/batch/types.js';
import { runCli } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'gpt-batch-down-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A loopback port nobody listens on: connecting to it is refused at once. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('gpt batch against an API that is down', () => {
  it('stops after 20 refused connections in a row with exit 7 and one line saying why; the rest is left for --resume', async () => {
    const port = await closedPort();
    const input = join(dir, 'in.jsonl');
    const out = join(dir, 'out.jsonl');
    writeFileSync(input, Array.from({ length: 1_000 }, (_, i) => `${JSON.stringify({ id: `d${i}`, prompt: `item ${i}` })}\n`).join(''));
    const result = await runCli(['batch', input, '--out', out, '--concurrency', '4', '--retries', '0'], {
      env: { OPENAI_API_KEY: 'sk-test-DOWN0123456789abcdefWXYZ', OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1` },
      timeoutMs: 20_000,
    });
    expect(result.code).toBe(7);
    const reason = result.stderr.split('\n').filter((l) => l.startsWith('gpt: '));
    expect(reason).toHaveLength(1);
    expect(reason[0]).toMatch(
      new RegExp(`^gpt: batch stopped: the last 20 requests all failed with network errors \\(cannot connect to 127\\.0\\.0\\.1:${port}: connection refused\\); 9[78]\\d not run, rerun with --resume once the API is reachable$`),
    );
    const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as ResultLine);
    // The 20 that failed, plus any in-flight one that failed before the stop could cut it.
    expect(lines.length).toBeGreaterThanOrEqual(20);
    expect(lines.length).toBeLessThanOrEqual(23);
    expect(lines.every((l) => l.status === 'error' && l.error?.type === 'ECONNREFUSED')).toBe(true);
  });
});
