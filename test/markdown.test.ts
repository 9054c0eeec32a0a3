import { describe, expect, it } from 'vitest';
import { MarkdownStream } from '../src/ui/markdown.js';
import { screenOf } from './support/screen.js';

/** Everything the renderer writes for `chunks`, as a terminal `columns` wide would receive it. */
function bytes(chunks: string[], columns = 80, rows?: number): string {
  const md = new MarkdownStream({ columns: () => columns, ...(rows ? { rows: () => rows } : {}) });
  return chunks.map((c) => md.write(c)).join('') + md.end();
}
const screen = (chunks: string[], columns = 80) => screenOf(bytes(chunks, columns), columns, { plain: true });

/** A seeded cut of `text` into pieces of 1–7 characters, as a model's tokens might come. */
function pieces(text: string, seed: number): string[] {
  const out: string[] = [];
  let state = seed;
  for (let i = 0; i < text.length; ) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const n = 1 + (state % 7);
    out.push(text.slice(i, i + n));
    i += n;
  }
  return out;
}

const DOC = [
  '# Title',
  '',
  'Some **bold** and `code` and a [link](https://example.com).',
  '',
  '- one',
  '- two',
  '  - nested',
  '',
  '3. third',
  '4. fourth',
  '',
  '```js',
  'const x = "s"; // c',
  '```',
  '| a | b |',
  '|---|--:|',
  '| apple | 3 |',
  '',
  '> quoted',
  '',
  '---',
  'last line',
].join('\n');

/** Less usual constructs: setext underline, HTML, a link definition, indented code, a loose list, nested quotes, wide characters, tabs, an unclosed fence. */
const EDGE = [
  'Title',
  '===',
  '<details>',
  '<summary>x</summary>',
  '',
  '[ref]: https://example.com "t"',
  '',
  '    indented code',
  '',
  '- loose one',
  '',
  '  more of one',
  '- two',
  '> outer',
  '>> inner',
  '',
  '漢字とかなの混じった長い行は二桁の幅で折り返されるのでその行数を数えて消す必要があります。',
  '\ttabbed | not a table',
  '```python',
  'def f():',
  '\treturn 1',
].join('\n');

describe('MarkdownStream: what it renders', () => {
  it('lays out headings, paragraphs, lists, code, tables, quotes and rules, and styles them', () => {
    expect(screen([DOC], 40)).toEqual([
      'Title',
      '',
      'Some bold and code and a link',
      '(https://example.com).',
      '',
      '• one',
      '• two',
      '  • nested',
      '',
      '3. third',
      '4. fourth',
      '',
      '┌─ js',
      '│ const x = "s"; // c',
      '└─',
      'a     │ b',
      '──────┼──',
      'apple │ 3',
      '',
      '│ quoted',
      '',
      '─'.repeat(40),
      'last line',
      '',
    ]);
    const out = bytes([DOC]);
    expect(out).toContain('\u001b[1m\u001b[4mTitle\u001b[24m\u001b[22m'); // h1 bold + underlined
    expect(out).toContain('\u001b[1mbold\u001b[22m');
    expect(out).toContain('\u001b[36mcode\u001b[39m');
    expect(out).toContain('\u001b[33m•\u001b[39m one');
  });

  it('highlights fenced code in the fence language, and leaves an unknown language plain', () => {
    const js = bytes(['```js\nconst x = 1; // note\n```\n']);
    expect(js).toContain('\u001b[35mconst\u001b[39m'); // keyword
    expect(js).toContain('\u001b[2m// note\u001b[22m'); // comment
    const python = bytes(['```python\ndef f():\n    return "s"\n```\n']);
    expect(python).toContain('\u001b[35mdef\u001b[39m');
    expect(python).toContain('\u001b[32m"s"\u001b[39m');
    expect(python).toContain('│\u001b[22m     \u001b[35mreturn'); // indentation kept
    const unknown = bytes(['```nosuchlanguage\nconst x = 1;\n```\n']);
    expect(unknown).toContain('\u001b[2m┌─ nosuchlanguage\u001b[22m\n\u001b[2m│\u001b[22m const x = 1;\n');
    const bare = bytes(['```\nconst x = 1;\n```\n']);
    expect(bare).toContain('\u001b[2m│\u001b[22m const x = 1;\n');
  });

  it('aligns table columns as the delimiter row says, and wraps cells when the table is wider than the terminal', () => {
    const table = '| name | qty | note |\n|:-----|----:|:----:|\n| apple | 3 | ok |\n| kiwi | 120 | fine |\n';
    expect(screen([table])).toEqual(['name  │ qty │ note', '──────┼─────┼─────', 'apple │   3 │  ok', 'kiwi  │ 120 │ fine', '']);
    const wide = '| a | b |\n|---|---|\n| a long cell that cannot fit | another long cell here |\n';
    const rows = screen([wide], 24);
    expect(rows.every((r) => r.length <= 24)).toBe(true);
    expect(rows.join(' ').replace(/[│─┼ ]+/g, ' ')).toContain('long');
    expect(rows.length).toBeGreaterThan(4); // the cells wrapped onto more rows
  });

  it('numbers ordered lists from their start, indents nested ones and shows task boxes', () => {
    expect(screen(['7. seven\n8. eight\n   - inner\n\n- [x] done\n- [ ] todo\n'])).toEqual(['7. seven', '8. eight', '   • inner', '', '• [x] done', '• [ ] todo', '']);
  });

  it('wraps at word boundaries to the terminal width, and never cuts a word that fits', () => {
    const words = 'Streaming answers should wrap between words rather than inside them on narrow terminals too.';
    const rows = screen([`${words}\n`], 30);
    expect(rows.every((r) => r.length <= 30)).toBe(true);
    expect(rows.join(' ').trim().split(/\s+/)).toEqual(words.split(' '));
    const long = screen([`${'x'.repeat(25)} ok\n`], 10);
    expect(long.slice(0, 3)).toEqual(['x'.repeat(10), 'x'.repeat(10), 'xxxxx ok']); // a word longer than a row is cut
  });
});

describe('MarkdownStream: live', () => {
  it('shows the current line as it arrives, then renders it in place', () => {
    const md = new MarkdownStream({ columns: () => 80 });
    expect(md.write('Some **bo')).toBe('Some **bo');
    expect(md.write('ld** text')).toBe('ld** text');
    const done = md.write('.\nNext');
    expect(done).toBe('\r\u001b[JSome \u001b[1mbold\u001b[22m text.\nNext');
    expect(md.end()).toBe('\r\u001b[JNext\n');
  });

  it('erases exactly the rows the raw text took, wide characters and wrapped rows included', () => {
    const md = new MarkdownStream({ columns: () => 10 });
    expect(md.write('漢字漢字漢字')).toBe('漢字漢字漢字'); // 12 columns: two rows
    const out = md.write('\n');
    expect(out.startsWith('\r\u001b[1A\u001b[J')).toBe(true);
  });

  it('ends on the same screen however the answer is cut', () => {
    for (const doc of [DOC, EDGE]) {
      for (const width of [80, 23]) {
        const whole = screenOf(bytes([doc], width), width);
        expect(screenOf(bytes([...doc], width), width)).toEqual(whole);
        for (const seed of [1, 2, 3]) expect(screenOf(bytes(pieces(doc, seed), width), width)).toEqual(whole);
      }
    }
  });

  it('renders a code block taller than the screen in parts, so no raw row scrolls out of reach', () => {
    const code = `\`\`\`js\n${Array.from({ length: 30 }, (_, i) => `let v${i} = ${i};`).join('\n')}\n\`\`\`\n`;
    const md = new MarkdownStream({ columns: () => 40, rows: () => 12 });
    let live = 0;
    for (const line of code.split(/(?<=\n)/)) {
      const out = md.write(line);
      const up = /\u001b\[(\d+)A/.exec(out);
      live = Math.max(live, up ? Number(up[1]) : 0);
    }
    md.end();
    expect(live).toBeLessThan(12);
    const rows = screenOf(bytes(code.split(/(?<=\n)/), 40, 12), 40, { plain: true });
    expect(rows.filter((r) => r.startsWith('│ let v'))).toHaveLength(30);
  });
});

describe('MarkdownStream and terminal sequences in the model text', () => {
  const OSC_TITLE = '\u001b]0;pwned\u0007';
  const OSC_LINK = '\u001b]8;;https://evil.example\u001b\\link\u001b]8;;\u001b\\';
  const CLEAR = '\u001b[2J\u001b[H';
  /** Our own sequences: SGR styling, CR, cursor up, erase down. */
  // eslint-disable-next-line no-control-regex
  const ours = (s: string) => s.replace(/\u001b\[[0-9;]*[mAJ]|\r/g, '');

  it.each([
    ['an OSC title (BEL)', `a${OSC_TITLE}b`, 'ab'],
    ['an OSC hyperlink (ST)', `see ${OSC_LINK}`, 'see link'],
    ['CSI clear and home', `x${CLEAR}y`, 'xy'],
    ['a CSI colour', 'r\u001b[31mred\u001b[0m', 'rred'],
    ['C1 CSI', 'a\u009b2Jb', 'ab'],
    ['a lone ESC, BEL, backspace, CR', 'a\u001bcb\u0007\bc\r', 'acbc'],
    ['a DCS string', 'a\u001bP1$r\u001b\\b', 'ab'],
  ])('drops %s, whole or a character at a time', (_name, text, shown) => {
    expect(bytes([`${text}\n`])).toBe(`${shown}\n`);
    const streamed = bytes([...`${text}\n`]);
    // eslint-disable-next-line no-control-regex
    expect(ours(streamed)).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(screenOf(streamed, 80)).toEqual([shown, '']);
  });

  it('drops sequences written as character references, which marked decodes (&#27; is ESC)', () => {
    const doc = '# T&#27;]0;x&#7;itle\nsee &#27;[2J[here](https://e.example/&#27;[2J) `&#x9b;2J` &#155;\n| a&#27;[31m |\n|---|\n| ![i&#27;](p) |\n\n- item &#27;c\n';
    for (const chunks of [[doc], [...doc]]) {
      const out = bytes(chunks);
      // eslint-disable-next-line no-control-regex
      expect(ours(out)).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    }
  });

  it('drops sequences inside fenced code, headings and tables', () => {
    const doc = `# T${OSC_TITLE}itle\n\`\`\`sh\nrm${CLEAR} -rf\n\`\`\`\n| a${CLEAR} |\n|---|\n| b${OSC_TITLE} |\n\nend${OSC_TITLE}\n`;
    for (const chunks of [[doc], [...doc]]) {
      const out = bytes(chunks);
      // eslint-disable-next-line no-control-regex
      expect(ours(out)).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
      expect(screenOf(out, 80, { plain: true })).toEqual(['Title', '┌─ sh', '│ rm -rf', '└─', 'a', '─', 'b', '', 'end', '']);
    }
  });
});
