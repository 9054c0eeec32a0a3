/**
 * Key safety across every output path (issue #5): a recognisable fake key goes through chat, run,
 * dry runs, verbose logs, errors that echo it back, batch output, the usage log and config views;
 * then every byte the CLI wrote — stdout, stderr and every file it created — is searched for it.
 * Files it writes must be 0600 in 0700 directories. The commands run in-process (runGpt: same entry, captured
 * stdio, virtual clock for the retries); the built CLI's own output paths are covered by the subprocess tests.
 */
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeHome, type CliResult } from './support/cli.js';
import { runGpt } from './support/in-process.js';
import { type MockServer } from './support/mock-server.js';
import { useMockServer } from './support/fixture.js';

const KEY = 'sk-proj-LEAKCANARY7f3a9c2e5f6';
/** The key without its prefix, as some servers echo it back. */
const BODY = KEY.slice('sk-proj-'.length);
const server = useMockServer(undefined, { resetEach: false });
let home: string;
let work: string;
const outputs: CliResult[] = [];

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? [path, ...walk(path)] : [path];
  });
}

beforeAll(async () => {
  home = makeHome();
  work = mkdtempSync(join(tmpdir(), 'gpt-secrets-'));
  writeFileSync(join(work, 'jobs.jsonl'), ['{"id":"a","prompt":"one"}', '{"id":"b","prompt":"two"}', '{"id":"c","prompt":"three"}'].join('\n'));
  const env = { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: server.url };
  const gpt = async (args: string[], stdin?: string) => {
    const r = await runGpt(args, { home, cwd: work, env, stdin });
    outputs.push(r);
    return r;
  };
  await gpt(['chat', '-m', 'gpt-5.2', 'hello']);
  await gpt(['chat', '--verbose', '--json', 'hello']);
  await gpt(['chat', '--api', 'responses', '-v', 'hello']);
  server.enqueue({ kind: 'error', status: 401, message: `Incorrect API key provided: ${KEY}. You can find your API key at …` });
  await gpt(['chat', '-v', 'hello']);
  server.enqueue({ kind: 'error', status: 500, rawBody: `<html><title>proxy error for Bearer ${KEY}</title></html>` }, { kind: 'error', status: 500, rawBody: `<html>${KEY}</html>` }, { kind: 'error', status: 500, rawBody: `<html>${KEY}</html>` });
  await gpt(['chat', '--retries', '2', '-v', 'hello']);
  await gpt(['run', 'summarize', '--dry-run'], 'Some article.');
  await gpt(['run', 'summarize', '--dry-run', '--json', '-v'], 'Some article.');
  await gpt(['run', 'summarize', '-v'], 'Some article.');
  await gpt(['batch', 'jobs.jsonl', '--out', 'out.jsonl', '-v']);
  server.enqueue({ kind: 'error', status: 401, message: `bad key ${KEY}` });
  await gpt(['batch', 'jobs.jsonl', '--out', 'out2.jsonl', '--retries', '0']);
  server.enqueue({ kind: 'error', status: 401, message: `Incorrect API key provided: ${BODY}.` });
  await gpt(['chat', '-v', 'hello']);
  server.enqueue({ kind: 'error', status: 401, message: `bad key ${BODY}` });
  await gpt(['batch', 'jobs.jsonl', '--out', 'out3.jsonl', '--retries', '0']);
  await gpt(['batch', 'jobs.jsonl', '--json']);
  await gpt(['cost', '--log', '--json']);
  await gpt(['cost', '--log', '--by', 'model']);
  await gpt(['config']);
  await gpt(['config', '--json', '-v']);
}, 120_000);

describe('the key never leaves', () => {
  it('the requests did carry it (so the test means something)', () => {
    expect(server.requests.length).toBeGreaterThan(10);
    expect(server.requests.every((r) => r.headers.authorization === `Bearer ${KEY}` || r.path.startsWith('/v1/models'))).toBe(true);
  });

  it('is in no stdout or stderr of any command, verbose logs and echoed errors included', () => {
    expect(outputs.length).toBe(17);
    for (const { stdout, stderr } of outputs) {
      // The key's body: so neither the whole key nor the key echoed without its sk-proj- prefix.
      expect(stdout).not.toContain(BODY);
      expect(stderr).not.toContain(BODY);
    }
    expect(outputs.map((o) => o.stderr).join('')).toContain('→ POST'); // verbose logging really ran
    expect(outputs.map((o) => o.stderr).join('')).toContain('sk-…e5f6'); // the echoed key, masked
  });

  it('is in no file the CLI wrote: usage log, batch output, state, temp spools', () => {
    const files = [...walk(home), ...walk(work)].filter((p) => statSync(p).isFile());
    const written = files.filter((p) => !p.endsWith('jobs.jsonl'));
    expect(written.some((p) => p.endsWith('usage.jsonl'))).toBe(true);
    expect(written.some((p) => p.endsWith('out.jsonl'))).toBe(true);
    expect(written.some((p) => p.endsWith('out3.jsonl'))).toBe(true);
    for (const path of written) expect(readFileSync(path, 'utf8'), path).not.toContain(BODY);
  });

  it('files under the state dir are 0600 in 0700 directories; batch output is 0600', () => {
    const state = join(home, '.local', 'state', 'gpt');
    for (const path of [state, ...walk(state)]) {
      const mode = statSync(path).mode & 0o777;
      expect(mode, path).toBe(statSync(path).isDirectory() ? 0o700 : 0o600);
    }
    expect(statSync(join(work, 'out.jsonl')).mode & 0o777).toBe(0o600);
  });
});
