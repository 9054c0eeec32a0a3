/** `gpt models` fits the terminal (#12: it was 199 columns wide): columns dropped, long ids abbreviated; --wide shows all. */
import { describe, expect, it } from 'vitest';
import { listModels } from '../src/accounting/models.js';
import { renderTable, tableWidth } from '../src/commands/models.js';
import { runCli } from './support/cli.js';

const models = listModels();
const tableLines = (text: string) => text.split('\n').slice(0, models.length + 1);

describe('gpt models fits the width', () => {
  it.each([60, 80, 100, 120, 160])('at %i columns every line fits, and model, input and output stay', (width) => {
    const text = renderTable(models, width);
    for (const line of text.split('\n')) expect(line.length, line).toBeLessThanOrEqual(width);
    const header = text.split('\n')[0]!;
    expect(header).toMatch(/^model\s+input\/1M\s+.*output\/1M/);
    if (width <= 100) expect(text.replace(/\n */g, ' ')).toMatch(/Not shown \(\d+ columns\): .*--wide shows all/);
  });

  it('drops the least needed columns first: source, then tokenizer', () => {
    const at100 = renderTable(models, 100).split('\n')[0]!;
    expect(at100).not.toMatch(/source/);
    expect(at100).toMatch(/context/);
    expect(renderTable(models, 80).split('\n')[0]).toBe(renderTable(models, 80).split('\n')[0]!.trimEnd());
  });

  it('abbreviates a long id with an ellipsis, keeping its start and end, and every row stays distinct', () => {
    const lines = tableLines(renderTable(models, 80));
    const long = models.map((m) => m.id).find((id) => id.length > 30)!;
    const row = lines.find((l) => l.startsWith(long.slice(0, 10)) && l.includes('…'));
    expect(row).toBeDefined();
    expect(row!.split(/\s{2,}/)[0]!.endsWith(long.slice(-5))).toBe(true);
    const ids = lines.slice(1).map((l) => l.split(/\s{2,}/)[0]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('--wide (null width) keeps every column and every id whole', () => {
    const text = renderTable(models, null);
    expect(text.split('\n')[0]).toMatch(/^model\s+input\/1M\s+cached\/1M\s+output\/1M\s+context\s+max out\s+tokenizer\s+source$/);
    expect(text).not.toContain('…');
    expect(text).toContain('Sources:');
  });

  it('a terminal gives its width; a pipe gets 80', () => {
    expect(tableWidth({ isTTY: true, columns: 132 })).toBe(132);
    expect(tableWidth({ isTTY: false, columns: 132 })).toBe(80);
    expect(tableWidth({})).toBe(80);
  });

  it('the built CLI, piped: 80 columns; --wide: all of them', async () => {
    const narrow = await runCli(['models']);
    expect(narrow.code).toBe(0);
    for (const line of narrow.stdout.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
    const wide = await runCli(['models', '--wide']);
    expect(Math.max(...wide.stdout.split('\n').map((l) => l.length))).toBeGreaterThan(80);
  });
});
