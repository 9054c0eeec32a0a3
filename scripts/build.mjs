// Bundles src/ into dist/ with esbuild: one small entry plus lazily loaded chunks per command,
// so `gpt --version` never pays for undici, ora, cosmiconfig or the tokenizer.
// Then renders dist/static.json: the version and the top-level help as commander prints them, so bin/gpt.js can
// answer `gpt --version` and `gpt --help` without loading commander (the help comes FROM the program, so any
// change to a description flows in at the next build).
import { build } from 'esbuild';
import { rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chatChunk } from './chat-chunk.mjs';

const dist = new URL('../dist/', import.meta.url);
// --keep: rebuild in place (the test suite does this; others may be running the CLI meanwhile).
if (!process.argv.includes('--keep')) rmSync(dist, { recursive: true, force: true });
const common = { bundle: true, format: 'esm', platform: 'node', target: 'node20', packages: 'external', logLevel: 'warning' };

// commander is bundled, not imported: from ESM, Node reads its eight CommonJS files one by one and loads
// cjs-module-lexer to find their exports. Its `require('node:…')` calls become process.getBuiltinModule()
// (an ESM bundle has no require), and node:child_process (with net, dgram and their bindings), used only
// for executable subcommands we never declare, loads on first use. ~10 ms less at every start but --version/--help.
const commanderBundled = {
  name: 'commander-bundled',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path === 'commander' || args.importer.includes('/node_modules/commander/')) {
        if (args.path.startsWith('node:')) return { path: args.path, namespace: 'builtin' };
        return undefined;
      }
      return args.path.startsWith('node:') ? undefined : { path: args.path, external: true };
    });
    b.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({
      loader: 'js',
      contents: args.path === 'node:child_process'
        ? `module.exports = new Proxy({}, { get: (_, key) => process.getBuiltinModule('node:child_process')[key] });`
        : `module.exports = process.getBuiltinModule(${JSON.stringify(args.path)});`,
    }));
  },
};
const app = { ...common, packages: undefined, entryPoints: ['src/cli.ts'], outdir: 'dist', splitting: true, chunkNames: 'chunks/[name]-[hash]' };
// A first pass only for the import graph, which chatChunk needs to put chat's modules into one chunk.
const { metafile } = await build({ ...app, plugins: [commanderBundled], write: false, metafile: true });
const chatPath = chatChunk(metafile, { entryPoints: app.entryPoints, roots: ['src/main.ts', 'src/commands/chat.ts'] });
// chatPath first: commanderBundled would take its virtual module for a package.
await build({ ...app, plugins: [chatPath, commanderBundled], sourcemap: 'linked' });

// undici's Agent and request(), bundled into one minified CommonJS file that src/providers/undici.ts requires:
// one file instead of ~30 resolved and read one by one, and without node:http2 (with node:tls and node:crypto under it),
// which undici loads at start-up for HTTP/2 we never ask for (allowH2 is off; undici itself falls back to this stub
// when node:http2 is missing). ~30 ms less at every start of chat, run and batch (bench/startup.mjs).
const noHttp2 = {
  name: 'no-http2',
  setup(b) {
    b.onResolve({ filter: /^node:http2$/ }, () => ({ path: 'http2', namespace: 'no-http2' }));
    b.onLoad({ filter: /.*/, namespace: 'no-http2' }, () => ({ contents: 'module.exports = { constants: {} };', loader: 'js' }));
  },
};
// undici only ever calls assert(value, message) for its own invariants; node:assert (with its error formatting and
// colours) costs ~5 ms to load. The stand-in throws the same ERR_ASSERTION and hands any other member to node:assert.
const lightAssert = {
  name: 'light-assert',
  setup(b) {
    // Inside the stand-in, node:assert is the real one.
    b.onResolve({ filter: /^(node:)?assert$/ }, (args) => (args.namespace === 'light-assert' ? { path: 'node:assert', external: true } : { path: 'assert', namespace: 'light-assert' }));
    b.onLoad({ filter: /.*/, namespace: 'light-assert' }, () => ({
      loader: 'js',
      contents: `function assert(value, message) {
  if (!value) throw Object.assign(message instanceof Error ? message : new Error(message ?? 'assertion failed in undici'), { code: 'ERR_ASSERTION' });
}
module.exports = new Proxy(assert, { get: (target, key) => (key in target ? target[key] : require('node:assert')[key]) });`,
    }));
  },
};
// The llhttp WASM (two ~85 kB base64 files) stays in the installed package, required when the first connection opens:
// bundled, every start would scan it.
const wasmFromPackage = {
  name: 'wasm-from-package',
  setup(b) {
    b.onResolve({ filter: /\/llhttp[-_a-z]*wasm\.js$/ }, (args) => ({ path: `undici/lib/llhttp/${args.path.split('/').pop()}`, external: true }));
  },
};
await build({
  stdin: { contents: "exports.Agent = require('undici/lib/dispatcher/agent.js');\nexports.request = require('undici/lib/api/api-request.js');\n", resolveDir: fileURLToPath(new URL('..', import.meta.url)) },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  minify: true,
  banner: { js: '// undici (MIT, https://github.com/nodejs/undici), bundled from node_modules/undici by scripts/build.mjs' },
  outfile: 'dist/undici.cjs',
  plugins: [noHttp2, lightAssert, wasmFromPackage],
  logLevel: 'warning',
});

/** The width commander uses when stdout is not a terminal; bin/gpt.js uses the static help only then (or at 80 columns). */
const HELP_WIDTH = 80;
const tmp = fileURLToPath(new URL(`.program-${process.pid}.mjs`, dist));
try {
  await build({ ...common, entryPoints: ['src/program.ts'], outfile: tmp });
  const { buildProgram } = await import(pathToFileURL(tmp).href);
  const program = buildProgram();
  // outputHelp, not helpInformation: the texts added after the help (examples, environment, exit codes) belong to it.
  let help = '';
  program.configureOutput({ getOutHelpWidth: () => HELP_WIDTH, getOutHasColors: () => false, writeOut: (text) => { help += text; } });
  program.outputHelp();
  const version = program.version();
  writeFileSync(new URL('static.json', dist), `${JSON.stringify({ version, helpWidth: HELP_WIDTH, help, commands: program.commands.map((c) => c.name()) })}\n`);
} finally {
  rmSync(tmp, { force: true });
}
