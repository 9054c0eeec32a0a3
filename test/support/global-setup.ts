import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * Tests run the built CLI: build it once per run, so `npx vitest` never tests a stale dist/. Every temp
 * dir a test (or a CLI it spawns) makes lands in one folder for the run, removed at the end.
 */
export default function setup(): () => void {
  execFileSync(process.execPath, [resolve(import.meta.dirname, '../../scripts/build.mjs'), '--keep'], { stdio: 'inherit' });
  const runDir = mkdtempSync(join(tmpdir(), 'gpt-test-run-'));
  process.env.TMPDIR = runDir;
  return () => rmSync(runDir, { recursive: true, force: true });
}
