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
