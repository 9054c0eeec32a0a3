/** Money in decimals everywhere, and a cost gate that fails closed on lines it could not count (#12). */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatUsd } from '../src/accounting/cost.js';
import { renderTable } from '../src/commands/models.js';
import { listModels } from '../src/accounting/models.js';
import { runGpt } from './support/in-process.js';

const dir = mkdtempSync(join(tmpdir(), 'gpt-money-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('money is written in decimals', () => {
  it.each([
    [1e-7, '$0.0000001'],
    [1.5e-9, '$0.0000000015'],
    [0.0000123, '$0.0000123'],
    [0.175, '$0.175'],
    [14, '$14.00'],
    [1234.5, '$1,234.50'],
  ])('exact %s is %s', (n, text) => {
    expect(formatUsd(n, { exact: true })).toBe(text);
  });

  it.each([1e-7, 3.3e-12, 1e-20, 5e-30, 2e21])('rounded %s has no exponent', (n) => {
    expect(formatUsd(n)).not.toMatch(/e/i);
    expect(formatUsd(n)).toMatch(/^\$[\d,]+\.\d+$/);
  });

  it('--max-cost 1e-7 is shown as $0.0000001, in the refusal and the stop', async () => {
    const r = await runGpt(['-p', 'simulate', '--max-cost', '1e-7', 'chat', 'hi']);
    expect(r.code).toBe(6);
    expect(r.stderr).toContain('over --max-cost $0.0000001;');
    expect(r.stderr).not.toMatch(/\d[eE]-?\d/);
  });

  it('gpt models prints no price in exponent form', () => {
    expect(renderTable(listModels(), null)).not.toMatch(/\$\d+(\.\d+)?e/i);
  });
});

describe('gpt cost --budget fails closed on lines it could not count', () => {
  const mixed = file('mixed.jsonl', ['not json', '{"id":"b","prompt":"hello there"}', '{"id":"c","prompt":"hi"}'].join('\n'));
  const allBad = file('bad.jsonl', 'not json\n{"id": 1,\n');

  it('some lines skipped: exit 6, saying how many and what to do', async () => {
    const r = await runGpt(['cost', mixed, '--budget', '20']);
    expect(r.code).toBe(6);
    expect(r.stderr).toBe('gpt: cannot check --budget $20.00: 1 line could not be counted (fix them, or pass --allow-skipped to gate on the rest)\n');
    expect(r.stdout).toContain('cannot check');
  });

  it('every line skipped: no "$0.00, within budget"', async () => {
    const r = await runGpt(['cost', allBad, '--budget', '20', '--json']);
    expect(r.code).toBe(6);
    expect(r.stderr).toContain('2 lines could not be counted');
    expect(JSON.parse(r.stdout)).toMatchObject({ over_budget: true });
  });

  it('--allow-skipped gates on the lines it counted', async () => {
    const r = await runGpt(['cost', mixed, '--budget', '20', '--allow-skipped']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/budget \$20\.00: within/);
    const over = await runGpt(['cost', mixed, '--budget', '0.0000001', '--allow-skipped']);
    expect(over.code).toBe(6);
    expect(over.stderr).toMatch(/over budget/);
  });

  it('no skipped lines: the gate is as before; --allow-skipped is refused with --log', async () => {
    const clean = file('clean.jsonl', '{"prompt":"a"}\n{"prompt":"b"}\n');
    expect((await runGpt(['cost', clean, '--budget', '20'])).code).toBe(0);
    const r = await runGpt(['cost', '--log', '--allow-skipped']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--allow-skipped applies to an estimate');
  });
});
