/** Fenced code is highlighted with highlight.js's core and only the fence's language (src/ui/markdown/highlight.ts). */
import { Chalk } from 'chalk';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { highlightCode, registeredLanguages } from '../src/ui/markdown/highlight.js';
import { LANGUAGES } from '../src/ui/markdown/languages.js';

const c = new Chalk({ level: 1 });
const MAGENTA = (s: string) => `\u001b[35m${s}\u001b[39m`;

describe('the language table', () => {
  it('sends every name and alias where the installed highlight.js resolves it (run scripts/hljs-languages.mjs after an upgrade)', () => {
    type Hljs = { listLanguages(): string[]; getLanguage(name: string): { aliases?: string[] } | undefined };
    const hljs = createRequire(import.meta.url)('highlight.js') as Hljs;
    const nameOf = new Map(hljs.listLanguages().map((name) => [hljs.getLanguage(name), name]));
    const expected: Record<string, string> = {};
    for (const name of hljs.listLanguages()) {
      for (const alias of [name, ...(hljs.getLanguage(name)!.aliases ?? [])]) expected[alias.toLowerCase()] = nameOf.get(hljs.getLanguage(alias))!;
    }
    expect(LANGUAGES).toEqual(expected);
  });
});

describe('highlightCode', () => {
  it('loads only the languages of the fences it saw, by name or alias, in any case', () => {
    expect(registeredLanguages()).toEqual([]);
    expect(highlightCode('def f():\n    return 1', 'Py', c)).toContain(MAGENTA('def'));
    expect(highlightCode('echo hi', 'sh', c)).not.toBe('echo hi');
    expect(registeredLanguages().sort()).toEqual(['bash', 'python']);
  });

  it('paints nested scopes, keeps the text of sub-language spans and decodes only the five entities', () => {
    const source = '<p class="x">a &amp; b &#27;</p>\n<script>let n = 1</script>';
    expect(highlightCode(source, 'html', c)).not.toContain(MAGENTA('let')); // javascript not loaded: the script stays plain
    highlightCode('let n = 1', 'js', c); // now it is: the script's span (class language-javascript) gets painted inside
    const html = highlightCode(source, 'html', c);
    expect(html).toContain(MAGENTA('let'));
    expect(html).toContain('\u001b[36mclass\u001b[39m\u001b[34m='); // attr (cyan) inside tag (blue): blue resumes after it
    expect(html).not.toContain('\u001b\u001b');
    // The source's own text, its entities not decoded again:
    expect(html.replace(/\u001b\[\d+m/g, '')).toBe('<p class="x">a &amp; b &#27;</p>\n<script>let n = 1</script>');
  });

  it('leaves unknown languages, a missing language and the prototype\'s names plain', () => {
    expect(highlightCode('x = 1', 'nosuchlanguage', c)).toBe('x = 1');
    expect(highlightCode('x = 1', '', c)).toBe('x = 1');
    expect(highlightCode('x = 1', 'constructor', c)).toBe('x = 1');
    expect(highlightCode('x = 1', '__proto__', c)).toBe('x = 1');
  });
});
