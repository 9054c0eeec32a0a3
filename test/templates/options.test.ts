import { describe, expect, it } from 'vitest';
import type { GenerationOptions } from '../../src/domain/index.js';
import { mergeOptions } from '../../src/templates/options.js';

// Layers in precedence order: flags > front matter > profile > config defaults.
describe('mergeOptions: the first layer that sets a key wins', () => {
  const schemaA = { name: 'a', schema: { type: 'object' } };
  const cases: Array<[string, Array<GenerationOptions | undefined>, GenerationOptions]> = [
    ['nothing set', [{}, {}, {}, {}], {}],
    ['only config defaults', [{}, {}, {}, { temperature: 1, maxOutputTokens: 100 }], { temperature: 1, maxOutputTokens: 100 }],
    ['profile over defaults', [{}, {}, { api: 'responses' }, { api: 'chat' }], { api: 'responses' }],
    ['front matter over profile and defaults', [{}, { temperature: 0.2 }, { temperature: 0.5 }, { temperature: 1 }], { temperature: 0.2 }],
    ['flags over everything', [{ temperature: 0 }, { temperature: 0.2 }, { temperature: 0.5 }, { temperature: 1 }], { temperature: 0 }],
    ['a flag of 0 still wins (0 is a value)', [{ seed: 0 }, { seed: 5 }, {}, {}], { seed: 0 }],
    ['false still wins', [{ stream: false }, {}, {}, { stream: true }], { stream: false }],
    ['undefined does not hide a lower layer', [{ temperature: undefined }, { temperature: 0.3 }, {}, {}], { temperature: 0.3 }],
    ['keys merge independently', [{ effort: 'high' }, { maxOutputTokens: 50 }, {}, { temperature: 1, effort: 'low' }], { effort: 'high', maxOutputTokens: 50, temperature: 1 }],
    ['lists are not concatenated', [{ stop: ['A'] }, { stop: ['B', 'C'] }, {}, {}], { stop: ['A'] }],
    ['the schema comes whole from one layer', [{}, { schema: schemaA }, {}, {}], { schema: schemaA }],
    ['missing layers are skipped', [undefined, { retries: 1 }, undefined, { retries: 5 }], { retries: 1 }],
  ];
  it.each(cases)('%s', (_title, layers, expected) => {
    expect(mergeOptions(layers)).toEqual(expected);
  });
});
