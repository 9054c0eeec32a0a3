/**
 * The built CLI talks HTTP through dist/undici.cjs (scripts/build.mjs): undici's Agent and request() in one file,
 * without node:http2 (and the tls and crypto it pulls in), which cost ~30 ms of every start; the llhttp WASM stays in the
 * installed package. The test runs a real
 * streamed answer through the built CLI and looks at what the process loaded.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';
import { useMockServer } from './support/fixture.js';

const server = useMockServer();
const BUNDLE = resolve(import.meta.dirname, '../dist/undici.cjs');

describe('the bundled undici', () => {
  it('carries a streamed answer; the process loads no node:http2 or node:assert, and of the undici package only its WASM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpt-undici-'));
    const report = join(dir, 'loaded.json');
    const preload = join(dir, 'preload.cjs');
    writeFileSync(
      preload,
      `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(report)}, JSON.stringify({ builtins: process.moduleLoadList, files: Object.keys(require.cache) })));\n`,
    );
    server.enqueue({ kind: 'answer', chunks: ['Hello ', 'from the ', 'bundle'], usage: { prompt_tokens: 3, completion_tokens: 3 } });
    const r = await runCli(['--base-url', server.url, 'chat', '--no-save', 'hi'], { env: { OPENAI_API_KEY: 'sk-test-0123456789abcdef', NODE_OPTIONS: `--require ${preload}` } });
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('Hello from the bundle');
    const loaded = JSON.parse(readFileSync(report, 'utf8')) as { builtins: string[]; files: string[] };
    expect(loaded.files).toContain(BUNDLE);
    // From the package itself only the llhttp WASM, read when the connection opens.
    const fromPackage = loaded.files.filter((f) => f.includes(join('node_modules', 'undici')));
    expect(fromPackage.length).toBeGreaterThan(0);
    for (const file of fromPackage) expect(file).toMatch(/[\\/]undici[\\/]lib[\\/]llhttp[\\/]llhttp[-_a-z]*wasm\.js$/);
    expect(loaded.builtins).not.toContain('NativeModule http2');
    expect(loaded.builtins).not.toContain('NativeModule assert'); // undici's assert(value) calls go to a light stand-in
  });

  it('exports the two pieces src/providers/undici.ts takes from it', async () => {
    const { createRequire } = await import('node:module');
    const bundle = createRequire(import.meta.url)(BUNDLE) as { Agent: unknown; request: unknown };
    expect(typeof bundle.Agent).toBe('function');
    expect(typeof bundle.request).toBe('function');
  });
});
