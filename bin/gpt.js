#!/usr/bin/env node
// V8 otherwise keeps the process alive ~80 ms after the answer to optimise undici's llhttp WASM;
// Liftoff alone is plenty for one CLI run. `gpt cost` and `gpt batch` tokenise heavily (tiktoken is
// WASM too) and keep the optimising tier.
import { setFlagsFromString } from 'node:v8';
const heavy = new Set(['cost', 'batch']);
if (!heavy.has(process.argv[2] ?? '')) setFlagsFromString('--liftoff-only');
await import('../dist/cli.js');
