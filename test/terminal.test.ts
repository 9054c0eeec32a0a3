/** Text from a server never acts on the terminal: control characters are shown escaped wherever it can appear. */
import { escapeControls } from '../src/domain/index.js';
import { describe, expect, it } from 'vitest';
import { footerLine } from '../src/ui/footer.js';
import { ProgressLine } from '../src/ui/progress.js';

describe('escapeControls', () => {
  it.each([
    ['an OSC title', 'a\u001b]0;title\u0007b', 'a\\x1b]0;title\\x07b'],
    ['a CSI clear', '\u001b[2J', '\\x1b[2J'],
    ['CR, backspace, NUL, DEL', '\r\b\u0000\u007f', '\\x0d\\x08\\x00\\x7f'],
    ['C1 CSI', '\u009b2J', '\\x9b2J'],
    ['newline and tab kept', 'one\n\ttwo', 'one\n\ttwo'],
    ['ordinary text, accents and emoji untouched', 'héllo 👋 — ok', 'héllo 👋 — ok'],
  ])('%s', (_name, text, shown) => {
    expect(escapeControls(text)).toBe(shown);
  });
});

describe('where server text is shown', () => {
  it('a progress note (the Batch API log) is escaped', () => {
    let written = '';
    const line = new ProgressLine({ stream: { write: (t: string) => (written += t) }, live: false });
    line.note('batch_1 failed: \u001b]0;pwned\u0007');
    expect(written).toBe('batch_1 failed: \\x1b]0;pwned\\x07\n');
  });

  it('the model name the API reports is escaped in the footer', () => {
    const usage = { input_tokens: 1, cached_input_tokens: 0, output_tokens: 1, reasoning_tokens: 0, total_tokens: 2, estimated: false };
    const cost = { input_usd: 0, cached_input_usd: 0, output_usd: 0, total_usd: 0, priced: false };
    expect(footerLine({ model: 'gpt\u001b[2J', usage, cost, elapsedMs: 1000 })).toMatch(/^gpt\\x1b\[2J · /);
  });
});
