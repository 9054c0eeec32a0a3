import { describe, expect, it } from 'vitest';
import { MarkdownStream } from '../src/ui/markdown.js';

// eslint-disable-next-line no-control-regex
const plain = (s: string) => s.replace(/\u001b\[\d+m/g, '');

function render(chunks: string[]): string {
  const md = new MarkdownStream();
  return chunks.map((c) => md.write(c)).join('') + md.end();
}

describe('MarkdownStream', () => {
  const doc = '# Title\n\nSome **bold** and `code`.\n\n- one\n- two\n\n```js\nconst x = "s"; // c\n```\n> quoted\n1. first\nlast line';

  it('renders structure and keeps every word, however the text is cut', () => {
    const whole = render([doc]);
    expect(plain(whole)).toBe('Title\n\nSome bold and code.\n\n• one\n• two\n\n┌─ js\n│ const x = "s"; // c\n└─\n│ quoted\n1. first\nlast line');
    const byChar = render([...doc]);
    expect(byChar).toBe(whole);
    expect(whole).toContain('\u001b[1m'); // bold is styled
  });

  it('holds back an unfinished line until its newline or the end', () => {
    const md = new MarkdownStream();
    expect(md.write('partial')).toBe('');
    expect(plain(md.write(' line\nnext'))).toBe('partial line\n');
    expect(plain(md.end())).toBe('next');
  });
});

describe('MarkdownStream and terminal sequences in the model text', () => {
  const OSC_TITLE = '\u001b]0;pwned\u0007';
  const OSC_LINK = '\u001b]8;;https://evil.example\u001b\\link\u001b]8;;\u001b\\';
  const CLEAR = '\u001b[2J\u001b[H';

  it.each([
    ['an OSC title (BEL)', `a${OSC_TITLE}b`, 'ab'],
    ['an OSC hyperlink (ST)', `see ${OSC_LINK}`, 'see link'],
    ['CSI clear and home', `x${CLEAR}y`, 'xy'],
    ['a CSI colour', 'r\u001b[31mred\u001b[0m', 'rred'],
    ['C1 CSI', 'a\u009b2Jb', 'ab'],
    ['a lone ESC, BEL, backspace, CR', 'a\u001bcb\u0007\bc\r', 'acbc'],
    ['a DCS string', 'a\u001bP1$r\u001b\\b', 'ab'],
  ])('drops %s', (_name, text, shown) => {
    expect(render([`${text}\n`])).toBe(`${shown}\n`);
  });

  it('keeps tabs and newlines, and still styles the text', () => {
    const out = render([`# T${OSC_TITLE}itle\n\tcode\u001b[2J\n`]);
    expect(out).toBe(`\u001b[1m\u001b[4mTitle\u001b[24m\u001b[22m\n\tcode\n`);
  });

  it('drops sequences inside fenced code and when streamed a character at a time', () => {
    const doc = `\`\`\`\nrm${CLEAR} -rf\n\`\`\`\nend${OSC_TITLE}\n`;
    const whole = render([doc]);
    expect(render([...doc])).toBe(whole);
    expect(plain(whole)).toBe('┌─ code\n│ rm -rf\n└─\nend\n');
    // eslint-disable-next-line no-control-regex
    expect(whole.replace(/\u001b\[\d+m/g, '')).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
  });
});
