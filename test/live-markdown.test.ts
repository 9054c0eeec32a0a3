/**
 * Live Markdown and the footer's line, on a real terminal: the CLI runs in a 120×40 tmux pane against the
 * loopback server, and the test reads the screen back. The first words of a slow answer are on screen before
 * their line ends; the final screen (styling included) is the same as when the whole answer comes in one piece;
 * the footer starts a line of its own after a piped answer without a final newline and after Ctrl-C.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cleanEnv, makeHome } from './support/cli.js';
import { useMockServer } from './support/fixture.js';
import { Tmux, hasTmux, shellQuote } from './support/tmux.js';

const server = useMockServer();

const ANSWER = [
  'The first words of this answer arrive before the line ends, and the line is rendered when it is complete.',
  '',
  '## A heading',
  '',
  'A paragraph with **bold**, *emphasis*, `inline code` and a [link](https://example.com/docs). It is long enough to wrap at a word boundary on a terminal of one hundred and twenty columns.',
  '',
  '- one item',
  '- another item',
  '  - a nested item',
  '',
  '```js',
  'const answer = 42; // the answer',
  'function greet(name) {',
  '  return `hello ${name}`;',
  '}',
  '```',
  '',
  '| fruit | qty |',
  '|:------|----:|',
  '| apple | 3 |',
  '| banana | 12 |',
  '',
  '> a quoted line',
  '',
  'The last line has no newline.',
].join('\n');

/** The answer as a model streams it: a word (and its space) at a time. */
const words = (text: string): string[] => text.match(/\S+\s*|\s+/g) ?? [];

let tmux: Tmux;
const gpt = (...args: string[]) => shellQuote([process.execPath, BIN, ...args]);
const footerAt = (screen: string[]) => screen.findIndex((row) => row.startsWith('gpt-5.2 · '));

describe.skipIf(!hasTmux)('on a 120×40 terminal (tmux)', () => {
  beforeAll(() => {
    const env = cleanEnv(makeHome());
    delete env.NO_COLOR;
    tmux = new Tmux({ ...env, OPENAI_API_KEY: 'sk-test-TMUX0123456789abcdef', OPENAI_BASE_URL: server.url, GPT_MODEL: 'gpt-5.2' });
  });
  afterAll(() => tmux?.close());

  it('shows the first words before their line ends, and ends on the screen a one-piece answer gives', async () => {
    let resume!: () => void;
    const resumed = new Promise<void>((r) => (resume = r));
    server.enqueue(
      { kind: 'answer', chunks: words(ANSWER), pauseAfterChunks: 3, resume: resumed, chunkDelayMs: 2 },
      { kind: 'answer', chunks: [ANSWER] },
    );
    const slow = tmux.run(gpt('chat', 'hi'));
    const early = await tmux.waitFor(slow.pane, (s) => s.some((row) => row.includes('The first words')));
    resume();
    expect(early.some((row) => row.startsWith('The first words'))).toBe(true);
    expect(early.join('\n')).not.toContain('arrive'); // the rest of the line has not come yet
    await slow.done;

    const whole = tmux.run(gpt('chat', 'hi'));
    await whole.done;
    const streamed = tmux.screen(slow.pane, { styled: true });
    const oneGo = tmux.screen(whole.pane, { styled: true });
    const plain = tmux.screen(slow.pane);
    const footer = footerAt(plain);
    expect(footer).toBeGreaterThan(10);
    // Same rows, same styling, up to the footer (its timings differ).
    expect(streamed.slice(0, footer)).toEqual(oneGo.slice(0, footer));
    expect(footerAt(tmux.screen(whole.pane))).toBe(footer);

    // It was rendered: no Markdown markers left, code coloured, table laid out, long line wrapped at a space.
    const text = plain.slice(0, footer).join('\n');
    expect(text).not.toMatch(/\*\*|```|^## |\|:-/m);
    expect(text).toContain('A heading');
    expect(text).toMatch(/apple\s+│\s+3/);
    expect(plain.find((row) => row.startsWith('A paragraph'))!.length).toBeLessThanOrEqual(120);
    expect(plain.every((row) => row.length <= 120)).toBe(true);
    expect(streamed.join('\n')).toMatch(/\u001b\[35mconst/); // the js keyword coloured
    expect(plain[footer - 1]).toBe('The last line has no newline.');
  }, 30_000);

  it('starts the footer on its own line when stdout is piped to the same terminal', async () => {
    server.enqueue({ kind: 'answer', text: 'An answer without a final newline.' });
    const run = tmux.run(`${gpt('chat', 'hi')} | cat`);
    await run.done;
    const screen = tmux.screen(run.pane);
    expect(screen).toContain('An answer without a final newline.');
    const footer = footerAt(screen);
    expect(footer).toBeGreaterThanOrEqual(0);
    expect(screen.filter((row) => row.includes('newline.gpt'))).toEqual([]);
  }, 20_000);

  it('starts the footer on its own line after Ctrl-C', async () => {
    server.enqueue({ kind: 'answer', chunks: ['First line.\n', 'never sent'], pauseAfterChunks: 1, resume: new Promise(() => {}) });
    const run = tmux.run(gpt('chat', '--raw', 'hi'));
    await tmux.waitFor(run.pane, (s) => s.includes('First line.'));
    tmux.keys(run.pane, 'C-c');
    await run.done;
    const screen = tmux.screen(run.pane);
    const footer = footerAt(screen);
    expect(footer).toBeGreaterThan(0);
    expect(screen.filter((row) => /\^Cgpt/.test(row))).toEqual([]);
  }, 20_000);
});
