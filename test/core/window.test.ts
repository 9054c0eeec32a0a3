/** The context-window guard: a byte bound settles small prompts uncounted; over the window is exit 2, counted no further than needed. */
import { describe, expect, it } from 'vitest';
import { loadEncodingCounter } from '../../src/accounting/tokenizer.js';
import { countUpTo, guardWindow, tokenUpperBound } from '../../src/core/window.js';
import type { ChatMessage, TextCounter } from '../../src/domain/index.js';

const user = (content: string): ChatMessage[] => [{ role: 'user', content }];
const never = async (): Promise<TextCounter> => {
  throw new Error('counted a prompt the byte bound settles');
};

describe('guardWindow', () => {
  it('a prompt whose byte count fits is never tokenized', async () => {
    await expect(guardWindow('gpt-4', user('hello '.repeat(1000)), 1000, { contextWindow: 8192 }, never)).resolves.toBeUndefined();
  });

  it('the byte bound is never below the real count, even for text of many short tokens', async () => {
    const counter = await loadEncodingCounter('o200k_base');
    for (const text of ['a b c d e f', '日本語のテキスト', '🙂🙃🙂', '{"k":[1,2,3]}\n\n\t x']) expect(tokenUpperBound(user(text))).toBeGreaterThanOrEqual(counter.countChat(user(text)));
  });

  it('near the limit it counts exactly and lets a prompt that fits through, returning its tokens', async () => {
    const counter = await loadEncodingCounter('cl100k_base');
    const messages = user('word '.repeat(7000)); // 35,000 bytes, ~7,000 tokens
    const exact = counter.countChat(messages);
    await expect(guardWindow('gpt-4', messages, 1000, { contextWindow: 8192 }, async () => counter)).resolves.toBe(exact);
  });

  it('input + max output over the window is a usage error with both numbers and the two ways out', async () => {
    const counter = await loadEncodingCounter('cl100k_base');
    const messages = user('word '.repeat(7000));
    const exact = counter.countChat(messages);
    const refused = guardWindow('gpt-4', messages, 2000, { contextWindow: 8192 }, async () => counter);
    await expect(refused).rejects.toMatchObject({ kind: 'usage' });
    await expect(refused).rejects.toThrow(`${exact.toLocaleString('en-US')} input tokens + 2,000 max output tokens is over gpt-4's context window of 8,192; nothing was sent. Split the input with --chunk, or use a model with a bigger window`);
  });

  it('counting stops once the tokens seen are enough to refuse', async () => {
    let counted = 0;
    const counter = { count: (text: string) => ((counted += text.length), Math.ceil(text.length / 4)), countChat: () => 0 } as TextCounter;
    const huge = `${'x'.repeat(1023)}\n`.repeat(20 * 1024); // 20 MiB in 20 slices
    const result = countUpTo(user(huge), counter, 0, 300_000);
    expect(result.atLeast).toBe(true);
    expect(counted).toBeLessThanOrEqual(2 * 1024 * 1024 + 'user'.length); // 2 of the 20 slices
  });
});
