/** The batch summary's counts partition the input (#12: "4 ok · 20 skipped · 2 aborted · 16 not run" of 40 added up to 42). */
import { describe, expect, it } from 'vitest';
import { Tally } from '../../src/batch/tally.js';
import { formatSummary } from '../../src/ui/progress.js';

function summaryLine(t: Tally, total: number | undefined): string {
  const s = t.summary({ wallMs: 1000, stopReason: 'interrupted', rateLimited: 0, ...(total !== undefined ? { total } : {}) });
  return formatSummary(s)[0]!;
}

/** The numbers of "N ok · N failed · N skipped (…) · N not run (N cut off …)", without those in parentheses. */
const counted = (line: string) => [...line.replace(/\([^)]*\)/g, '').matchAll(/(\d[\d,]*) (ok|failed|skipped|not run)/g)].reduce((sum, m) => sum + Number(m[1]!.replace(/,/g, '')), 0);

describe('batch summary counts', () => {
  it.each([
    [4, 0, 20, 2, 40],
    [4, 3, 0, 5, 40],
    [0, 0, 0, 8, 8],
    [10, 2, 3, 0, 15],
    [1200, 30, 5000, 64, 10_000],
  ])('%i ok, %i failed, %i skipped, %i cut off, of %i lines: ok + failed + skipped + not run = lines', (ok, failed, skipped, aborted, lines) => {
    const t = new Tally();
    Object.assign(t, { ok, failed, skipped, aborted });
    const line = summaryLine(t, lines);
    expect(counted(line), line).toBe(lines);
    if (aborted > 0) expect(line).toContain(`(${aborted.toLocaleString('en-US')} cut off in flight)`);
    expect(line).not.toMatch(/aborted/);
  });

  it('the example from the issue reads as a partition', () => {
    const t = new Tally();
    Object.assign(t, { ok: 4, skipped: 20, aborted: 2 });
    expect(summaryLine(t, 40)).toBe('batch interrupted: 4 ok · 0 failed · 20 skipped (already ok) · 16 not run (2 cut off in flight)');
  });

  it('without a known total, cut-off requests are still named as not run', () => {
    const t = new Tally();
    Object.assign(t, { ok: 3, aborted: 2 });
    expect(summaryLine(t, undefined)).toBe('batch interrupted: 3 ok · 0 failed · 2 cut off in flight, not run');
  });
});
