// Bundles src/ into dist/ with esbuild: one small entry plus lazily loaded chunks per command,
// so `gpt --version` never pays for undici, ora, cosmiconfig or the tokenizer.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

// --keep: rebuild in place (the test suite does this; others may be running the CLI meanwhile).
if (!process.argv.includes('--keep')) rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: ['src/cli.ts'],
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  packages: 'external',
  chunkNames: 'chunks/[name]-[hash]',
  logLevel: 'warning',
});
