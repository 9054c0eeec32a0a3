#!/usr/bin/env node
// V8 otherwise keeps the process alive ~80 ms after the answer (and ~35 MiB bigger) to optimise undici's
// llhttp WASM; Liftoff alone is plenty for a CLI run. Only heavy tokenising (tiktoken is WASM too, 37 %
// slower under Liftoff) keeps the optimising tier: `gpt cost`, and `gpt batch` with a token budget.
import { setFlagsFromString } from 'node:v8';
// The command may come after global flags (`gpt -p openai cost …`): the first word that names one.
const COMMANDS = new Set(['chat', 'run', 'batch', 'cost', 'models', 'templates', 'config', 'completion']);
const args = process.argv.slice(2);
const at = args.findIndex((a) => COMMANDS.has(a));
const [command, ...rest] = at === -1 ? [] : args.slice(at);
const tokenises = command === 'cost' || (command === 'batch' && rest.some((a) => a === '--tpm' || a === '--max-cost' || a.startsWith('--tpm=') || a.startsWith('--max-cost=')));
if (!tokenises) setFlagsFromString('--liftoff-only');
await import('../dist/cli.js');
