/** `gpt batch`'s flags as one typed object, read once from commander's options; flags that do not go together are refused here (exit 2). */
import { resolve } from 'node:path';
import { parseShard, type Shard } from '../../batch/shard.js';
import { usageError } from '../../domain/index.js';

/** `gpt batch`'s flags, read once from commander's options. */
export interface BatchOptions {
  /** Input files: one to run, or the outputs to merge. */
  inputs: string[];
  merge: boolean;
  /** --input: with --merge, the input whose ids the merged output must cover. */
  mergeInput?: string;
  out?: string;
  resume: boolean;
  shard?: Shard;
  template?: string;
  schema?: string;
  mode: 'live' | 'openai-batch';
  maxCost?: number;
  concurrency?: number;
  rpm?: number;
  tpm?: number;
  pollIntervalSeconds?: number;
  failFast: boolean;
  validate: boolean;
  quiet: boolean;
  verbose: boolean;
  json: boolean;
  /** Commander's options as given: config loading, generation options, colour and warnings read the flags they share with other commands. */
  flags: Record<string, unknown>;
}

const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const number = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

/** Reads commander's options into BatchOptions, refusing flags that do not go together (exit 2). */
export function parseBatchOptions(positional: unknown[], flags: Record<string, unknown>): BatchOptions {
  const inputs = Array.isArray(positional[0]) ? positional[0].filter((p): p is string => typeof p === 'string') : [];
  const o: BatchOptions = {
    inputs,
    merge: flags.merge === true,
    resume: flags.resume === true,
    mode: flags.mode === 'openai-batch' ? 'openai-batch' : 'live',
    failFast: flags.failFast === true,
    validate: flags.validate !== false,
    quiet: flags.quiet === true,
    verbose: flags.verbose === true,
    json: flags.json === true,
    flags,
  };
  const optional = { mergeInput: text(flags.input), out: text(flags.out), template: text(flags.template), schema: text(flags.schema) };
  const numbers = { maxCost: number(flags.maxCost), concurrency: number(flags.concurrency), rpm: number(flags.rpm), tpm: number(flags.tpm), pollIntervalSeconds: number(flags.pollInterval) };
  for (const [key, value] of Object.entries({ ...optional, ...numbers })) if (value !== undefined) Object.assign(o, { [key]: value });
  if (o.merge) return o;
  if (o.mergeInput !== undefined) throw usageError('--input goes with --merge (the input to check merged outputs against)');
  if (inputs.length !== 1) {
    throw usageError(inputs.length === 0 ? 'gpt batch needs an input file (JSONL or CSV), or - for stdin' : `gpt batch takes one input file, not ${inputs.length}; to join shard outputs use --merge`);
  }
  const input = inputs[0]!;
  if (o.resume && !o.out) throw usageError('--resume needs --out: the output file is the checkpoint');
  if (o.out && input !== '-' && resolve(o.out) === resolve(input)) throw usageError(`--out ${o.out} is the input file; choose another output`);
  if (input === '-' && process.stdin.isTTY) throw usageError('gpt batch -: stdin is a terminal; pipe a JSONL or CSV file into it');
  const shard = text(flags.shard);
  if (shard !== undefined) o.shard = parseShard(shard);
  return o;
}
