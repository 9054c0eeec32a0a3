#!/usr/bin/env node
// CommonJS on purpose (bin/package.json): Node's ESM loader costs ~15 ms of start-up that `--version` need not pay.
// `gpt --version` and `gpt --help` are answered here from dist/static.json (rendered at build time from the
// commander program), so they cost about what `node -e ''` costs: no commander, no program built.
// The help is static for a pipe, a file or a terminal at least 80 columns wide (the help is 80 wide there too);
// a narrower terminal goes through commander, which wraps to its width.
'use strict';
const [command, ...rest] = process.argv.slice(2);
if (rest.length === 0 && (command === '--version' || command === '--help' || command === '-h')) {
  const stat = require('../dist/static.json');
  if (command === '--version') print(`${stat.version}\n`);
  else if (!require('node:tty').isatty(1) || process.stdout.columns >= stat.helpWidth) print(stat.help);
  else run();
} else run();

/** One synchronous write to fd 1 (no stdout stream to set up); a closed pipe (`| head -1`) ends quietly. */
function print(text) {
  const bytes = Buffer.from(text);
  let at = 0;
  try {
    while (at < bytes.length) at += require('node:fs').writeSync(1, bytes, at);
  } catch (error) {
    if (error.code === 'EAGAIN') process.stdout.write(bytes.subarray(at));
    else if (error.code !== 'EPIPE') throw error;
  }
}

// V8 otherwise keeps the process alive ~80 ms after the answer (and ~35 MiB bigger) to optimise undici's
// llhttp WASM; Liftoff alone is plenty for a CLI run. Only heavy tokenising (tiktoken is WASM too, 37 %
// slower under Liftoff) keeps the optimising tier: `gpt cost`, and `gpt batch` with a token budget.
function run() {
  // The command may come after global flags (`gpt -p openai cost …`): the first word that names one (the names
  // come from the program, through the build).
  const commands = new Set(require('../dist/static.json').commands);
  const args = process.argv.slice(2);
  const at = args.findIndex((a) => commands.has(a));
  const [name, ...after] = at === -1 ? [] : args.slice(at);
  const tokenises = name === 'cost' || (name === 'batch' && after.some((a) => a === '--tpm' || a === '--max-cost' || a.startsWith('--tpm=') || a.startsWith('--max-cost=')));
  if (!tokenises) require('node:v8').setFlagsFromString('--liftoff-only');
  import('../dist/cli.js');
}
