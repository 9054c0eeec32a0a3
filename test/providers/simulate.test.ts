import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateAnswer } from '../../src/core/schema.js';
import { loadCounter } from '../../src/accounting/tokenizer.js';
import { createSimulateProvider, sampleForSchema, simulatedPieces } from '../../src/providers/simulate.js';
import type { ProviderEvent } from '../../src/providers/types.js';

const words = () => 'word';

describe('simulate provider', () => {
  it('is deterministic per prompt', () => {
    expect(simulatedPieces('a prompt', 30).join('')).toBe(simulatedPieces('a prompt', 30).join(''));
    expect(simulatedPieces('a prompt', 30).join('')).not.toBe(simulatedPieces('another', 30).join(''));
  });

  it('produces an answer that validates against the schema of each shipped structured template', async () => {
    let checked = 0;
    for (const name of ['extract-invoice', 'extract-json']) {
      const text = readFileSync(resolve(import.meta.dirname, `../../prompts/${name}.md`), 'utf8');
      const { parse } = await import('yaml');
      const front = parse(text.split(/^---$/m)[1]!) as { schema?: Record<string, unknown> };
      if (!front.schema || typeof front.schema !== 'object') continue;
      const sample = JSON.stringify(sampleForSchema(front.schema, words));
      expect(await validateAnswer(sample, { name, schema: front.schema })).toEqual([]);
      checked++;
    }
    expect(checked).toBe(2);
  });

  it('streams text, then usage counted by the tokenizer, then finish', async () => {
    const provider = createSimulateProvider({ tokensPerSecond: 0, counterFor: loadCounter });
    const events: ProviderEvent[] = [];
    for await (const e of provider.stream({ model: 'gpt-5.2', messages: [{ role: 'user', content: 'hi' }], options: {}, expectedOutputTokens: 40 })) events.push(e);
    const usage = events.find((e) => e.type === 'usage');
    expect(usage && usage.type === 'usage' && usage.usage.input_tokens).toBe(8);
    const output = usage && usage.type === 'usage' ? usage.usage.output_tokens : 0;
    expect(output).toBeLessThanOrEqual(40);
    expect(output).toBeGreaterThanOrEqual(36);
    expect(events.at(-1)).toEqual({ type: 'finish', reason: 'stop' });
  });
});
