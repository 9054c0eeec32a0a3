/** splitInput: paragraphs, then lines, then token boundaries; every piece within the limit, nothing lost. */
import { describe, expect, it } from 'vitest';
import { loadEncodingCounter } from '../../src/accounting/tokenizer.js';
import { splitInput } from '../../src/core/split.js';

const words = (text: string) => text.split(/\s+/).filter(Boolean);

describe('splitInput', () => {
  it('keeps text that fits whole', async () => {
    const c = await loadEncodingCounter('o200k_base');
    expect(splitInput('one\n\ntwo', 100, c.count)).toEqual(['one\n\ntwo']);
  });

  it('packs paragraphs, then lines, then pieces of a long line, each within the limit, words in order', async () => {
    const c = await loadEncodingCounter('o200k_base');
    const paragraph = (i: number) => `Paragraph ${i} says ${'something '.repeat(20)}`.trim();
    const longLine = 'x'.repeat(10) + ' word'.repeat(400);
    const text = [paragraph(1), paragraph(2), paragraph(3), `line a\nline b\n${longLine}`, paragraph(4)].join('\n\n');
    const pieces = splitInput(text, 60, c.count);
    for (const piece of pieces) expect(c.count(piece)).toBeLessThanOrEqual(60);
    expect(pieces.some((p) => p.startsWith(paragraph(1)) && p.includes(paragraph(2)))).toBe(true);
    expect(words(pieces.join(' '))).toEqual(words(text));
  });
});
