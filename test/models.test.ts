/** `gpt models` as a user runs it (needs `npm run build`, which `npm test` does first). */
import { describe, expect, it } from 'vitest';
import { runGpt } from './support/in-process.js';

const KEYS = [
  'id', 'input_per_1m', 'cached_input_per_1m', 'output_per_1m', 'batch_input_per_1m', 'batch_output_per_1m',
  'context_window', 'max_output_tokens', 'tokenizer', 'source', 'as_of',
];

describe('gpt models', () => {
  it('--json prints the SPEC shape with the gpt-5.2 row at litellm prices', async () => {
    const result = await runGpt(['models', '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const body = JSON.parse(result.stdout) as { models: Record<string, unknown>[] };
    expect(Object.keys(body)).toEqual(['models']);
    expect(body.models.length).toBeGreaterThan(20);
    for (const model of body.models) expect(Object.keys(model)).toEqual(KEYS);
    expect(body.models.find((m) => m.id === 'gpt-5.2')).toEqual({
      id: 'gpt-5.2',
      input_per_1m: 1.75,
      cached_input_per_1m: 0.175,
      output_per_1m: 14,
      batch_input_per_1m: 0.875,
      batch_output_per_1m: 7,
      context_window: 400_000,
      max_output_tokens: 128_000,
      tokenizer: 'o200k_base',
      source: expect.stringMatching(/^litellm model_prices_and_context_window\.json \(2026-07-24\)/),
      as_of: '2026-07-24',
    });
    expect(body.models.find((m) => m.id === 'gpt-5.2-pro')).toMatchObject({ cached_input_per_1m: null, input_per_1m: 21, output_per_1m: 168 });
  });

  it('--wide prints every column, aligned, on stdout', async () => {
    const result = await runGpt(['models', '--wide']);
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^model\s+input\/1M\s+cached\/1M\s+output\/1M\s+context\s+max out\s+tokenizer\s+source$/);
    const row = lines.find((l) => l.startsWith('gpt-5.2 '));
    expect(row).toMatch(/\$1\.75\s+\$0\.175\s+\$14\.00\s+400,000\s+128,000\s+o200k_base\s+litellm 2026-07-24/);
    expect(lines[0]!.indexOf('input/1M') + 'input/1M'.length).toBe(row!.indexOf('$1.75') + '$1.75'.length);
    expect(result.stdout).toMatch(/~o200k_base/); // another vendor's model, counted approximately
  });

  it('applies config pricing: an override of a known model and a model the table lacks', async () => {
    const { makeHome } = await import('./support/cli.js');
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const home = makeHome();
    mkdirSync(join(home, '.config', 'gpt'), { recursive: true });
    writeFileSync(join(home, '.config', 'gpt', 'config.json'), JSON.stringify({ pricing: { 'gpt-5.2': { input: 1.5 }, 'my-finetune': { input: 3, output: 12 } } }));
    const body = JSON.parse((await runGpt(['models', '--json'], { home })).stdout) as { models: Array<Record<string, unknown>> };
    expect(body.models.find((m) => m.id === 'gpt-5.2')).toMatchObject({ input_per_1m: 1.5, output_per_1m: 14, source: expect.stringMatching(/config/) });
    expect(body.models.find((m) => m.id === 'my-finetune')).toMatchObject({ input_per_1m: 3, output_per_1m: 12 });
  });
});
