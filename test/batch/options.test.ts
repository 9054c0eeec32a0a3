/** `gpt batch` flags → BatchOptions: commander's record read once into a typed object, bad combinations refused (exit 2). */
import { describe, expect, it } from 'vitest';
import { parseBatchOptions } from '../../src/commands/batch/options.js';

describe('parseBatchOptions', () => {
  it('reads the flags once into typed options', () => {
    const flags = { out: 'o.jsonl', resume: true, shard: '2/4', concurrency: 32, rpm: 500, maxCost: 5, mode: 'openai-batch', pollInterval: 2, failFast: true, validate: false, quiet: true, template: 'classify' };
    expect(parseBatchOptions([['in.jsonl']], flags)).toEqual({
      inputs: ['in.jsonl'],
      merge: false,
      out: 'o.jsonl',
      resume: true,
      shard: { index: 2, count: 4 },
      template: 'classify',
      mode: 'openai-batch',
      maxCost: 5,
      concurrency: 32,
      rpm: 500,
      pollIntervalSeconds: 2,
      failFast: true,
      validate: false,
      quiet: true,
      verbose: false,
      json: false,
      flags,
    });
  });

  it('defaults: live mode, validation on, nothing else set', () => {
    const o = parseBatchOptions([['in.jsonl']], {});
    expect(o).toMatchObject({ mode: 'live', validate: true, resume: false, failFast: false });
    expect(o.out).toBeUndefined();
    expect(o.shard).toBeUndefined();
  });

  it('--merge takes any number of files and leaves its own checks to the merge', () => {
    expect(parseBatchOptions([['a.jsonl', 'b.jsonl']], { merge: true, input: 'in.jsonl', shard: 'nonsense' })).toMatchObject({ merge: true, inputs: ['a.jsonl', 'b.jsonl'], mergeInput: 'in.jsonl' });
  });

  it.each([
    [[[]], {}, 'gpt batch needs an input file (JSONL or CSV), or - for stdin'],
    [[['a', 'b']], {}, 'gpt batch takes one input file, not 2; to join shard outputs use --merge'],
    [[['a']], { input: 'x' }, '--input goes with --merge (the input to check merged outputs against)'],
    [[['a']], { resume: true }, '--resume needs --out: the output file is the checkpoint'],
    [[['a.jsonl']], { out: './a.jsonl' }, '--out ./a.jsonl is the input file; choose another output'],
    [[['a']], { shard: '5/4' }, '--shard 5/4: K must be from 1 to 4'],
  ])('refuses %j with %j', (positional, flags, message) => {
    expect(() => parseBatchOptions(positional, flags)).toThrow(expect.objectContaining({ kind: 'usage', message }));
  });
});
