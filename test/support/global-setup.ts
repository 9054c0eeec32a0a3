import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

/** Tests run the built CLI: build it once per run, so `npx vitest` never tests a stale dist/. */
export default function setup(): void {
  execFileSync(process.execPath, [resolve(import.meta.dirname, '../../scripts/build.mjs'), '--keep'], { stdio: 'inherit' });
}
