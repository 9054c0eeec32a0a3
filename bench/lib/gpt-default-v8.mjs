#!/usr/bin/env node
// bin/gpt.js minus its `--liftoff-only` V8 flag: the built CLI on V8's default tiers, to measure the flag.
await import('../../dist/cli.js');
