/** What `npm pack` ships (#12): a LICENSE, no source maps, and a small tarball. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');

describe('the package', () => {
  it('ships LICENSE (MIT, gpt contributors), bin, dist, prompts; no source maps, no tests or sources', () => {
    // --ignore-scripts: the suite's global setup has just built dist/ (prepare would rebuild it under other test files).
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const [pack] = JSON.parse(out) as Array<{ files: Array<{ path: string; size: number }>; unpackedSize: number }>;
    const paths = pack!.files.map((f) => f.path);
    expect(paths).toContain('LICENSE');
    expect(paths).toContain('bin/gpt.js');
    expect(paths).toContain('dist/cli.js');
    expect(paths).toContain('prompts/classify.md');
    expect(paths.filter((p) => p.endsWith('.map'))).toEqual([]);
    expect(paths.filter((p) => p.startsWith('src/') || p.startsWith('test/'))).toEqual([]);
    expect(pack!.unpackedSize).toBeLessThan(1_000_000);
    const license = readFileSync(resolve(root, 'LICENSE'), 'utf8');
    expect(license).toMatch(/^MIT License\n\nCopyright \(c\) 2026 gpt contributors\n/);
    expect((JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { license: string }).license).toBe('MIT');
  });
});

describe('the test suite', () => {
  it('makes its temp dirs (and the CLIs it runs theirs) inside one folder per run, which global-setup removes', () => {
    expect(tmpdir()).toMatch(/[\\/]gpt-test-run-[^\\/]+$/);
    expect(process.env.TMPDIR).toBe(tmpdir());
  });
});
