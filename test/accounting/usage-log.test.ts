import { execFile } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { appendUsageRecord, readUsageLog, usageLogPath, type UsageRecord } from '../../src/accounting/usage-log.js';

const run = promisify(execFile);

function record(n: number, extra: Partial<UsageRecord> = {}): UsageRecord {
  return {
    ts: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
    command: 'chat',
    profile: 'openai',
    model: 'gpt-5.2-2025-12-11',
    requested_model: 'gpt-5.2',
    usage: { input_tokens: 1000, cached_input_tokens: 200, output_tokens: 500, reasoning_tokens: 0, total_tokens: 1500, estimated: false },
    prices: { input: 1.75, cachedInput: 0.175, output: 14, batchInput: 0.875, batchOutput: 7 },
    cost: { input_usd: 0.0014, cached_input_usd: 0.000035, output_usd: 0.007, total_usd: 0.008435, priced: true },
    latency_ms: n,
    ...extra,
  };
}

async function collect(stateDir: string): Promise<UsageRecord[]> {
  const out: UsageRecord[] = [];
  for await (const r of readUsageLog(stateDir)) out.push(r);
  return out;
}

const tempDir = () => mkdtempSync(join(tmpdir(), 'gpt-usage-'));

describe('usage log', () => {
  it('lives at <stateDir>/usage.jsonl', () => {
    expect(usageLogPath('/x/state/gpt')).toBe('/x/state/gpt/usage.jsonl');
  });

  it('creates the state dir 0700 and the log 0600, and appends one line per record', async () => {
    const stateDir = join(tempDir(), 'deep', 'gpt');
    await appendUsageRecord(stateDir, record(1));
    await appendUsageRecord(stateDir, record(2, { command: 'batch', batch_id: 'batch_abc', template: 'summarise' }));
    expect(statSync(stateDir).mode & 0o777).toBe(0o700);
    expect(statSync(usageLogPath(stateDir)).mode & 0o777).toBe(0o600);
    const lines = readFileSync(usageLogPath(stateDir), 'utf8').split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    expect(JSON.parse(lines[1]!)).toEqual(record(2, { command: 'batch', batch_id: 'batch_abc', template: 'summarise' }));
    expect(await collect(stateDir)).toEqual([record(1), record(2, { command: 'batch', batch_id: 'batch_abc', template: 'summarise' })]);
  });

  it('yields nothing when the log does not exist', async () => {
    expect(await collect(join(tempDir(), 'missing'))).toEqual([]);
  });

  it('skips a torn last line and foreign lines instead of failing', async () => {
    const stateDir = tempDir();
    await appendUsageRecord(stateDir, record(1));
    appendFileSync(usageLogPath(stateDir), 'not json\n{"ts": 1}\n\n');
    await appendUsageRecord(stateDir, record(2));
    const whole = JSON.stringify(record(3));
    appendFileSync(usageLogPath(stateDir), whole.slice(0, whole.length / 2)); // a writer killed mid-line
    expect((await collect(stateDir)).map((r) => r.latency_ms)).toEqual([1, 2]);
  });

  it('never interleaves lines when several processes append at once', async () => {
    const dir = tempDir();
    const worker = join(dir, 'worker.mjs');
    const entry = join(dir, 'worker-entry.ts');
    writeFileSync(
      entry,
      `import { appendUsageRecord } from ${JSON.stringify(join(import.meta.dirname, '../../src/accounting/usage-log.ts'))};
const [stateDir, id, count] = process.argv.slice(2);
const template = String(id).repeat(16_384); // 16 KB lines: far past PIPE_BUF and stdio buffer sizes
const base = ${JSON.stringify(record(0))};
await Promise.all(Array.from({ length: Number(count) }, (_, i) => appendUsageRecord(stateDir, { ...base, template, latency_ms: i, profile: 'p' + id })));
`,
    );
    await build({ entryPoints: [entry], outfile: worker, bundle: true, platform: 'node', format: 'esm', logLevel: 'silent' });
    const stateDir = join(dir, 'state');
    const processes = 4;
    const perProcess = 150;
    await Promise.all(Array.from({ length: processes }, (_, id) => run(process.execPath, [worker, stateDir, String(id), String(perProcess)])));
    const lines = readFileSync(usageLogPath(stateDir), 'utf8').split('\n').filter(Boolean);
    expect(lines).toHaveLength(processes * perProcess);
    for (const line of lines) {
      const parsed = JSON.parse(line) as UsageRecord;
      expect(parsed.template).toBe(parsed.profile.slice(1).repeat(16_384));
    }
    const records = await collect(stateDir);
    for (let id = 0; id < processes; id++) {
      const mine = records.filter((r) => r.profile === `p${id}`).map((r) => r.latency_ms).sort((a, b) => a! - b!);
      expect(mine).toEqual(Array.from({ length: perProcess }, (_, i) => i));
    }
  });

  it('keeps API keys out: a record holds only what the type names', async () => {
    const stateDir = tempDir();
    await appendUsageRecord(stateDir, record(1));
    const text = readFileSync(usageLogPath(stateDir), 'utf8');
    expect(Object.keys(JSON.parse(text)).sort()).toEqual(
      ['command', 'cost', 'latency_ms', 'model', 'prices', 'profile', 'requested_model', 'ts', 'usage'],
    );
    expect(text).not.toMatch(/sk-|authorization|api_key/i);
  });
});
