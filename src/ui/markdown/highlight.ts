/**
 * Fenced code coloured by cli-highlight (highlight.js) in the fence's language; an unknown or missing language is
 * left plain (no guessing). highlight.js registers ~190 languages when loaded (a few hundred ms), so it is
 * required only when the first code block of an answer needs it, synchronously, so rendering stays in order.
 */
import type { ChalkInstance } from 'chalk';
import { createRequire } from 'node:module';

type Highlighter = typeof import('cli-highlight');
let loaded: Highlighter | undefined;

function highlighter(): Highlighter {
  loaded ??= createRequire(import.meta.url)('cli-highlight') as Highlighter;
  return loaded;
}

const themes = new WeakMap<ChalkInstance, Record<string, (text: string) => string>>();

/** Our colours for highlight.js's classes; every class not named here stays plain (cli-highlight's own default would colour by its own detection). */
function theme(c: ChalkInstance, names: string[]): Record<string, (text: string) => string> {
  const known = themes.get(c);
  if (known) return known;
  const plain = (text: string) => text;
  const ours: Record<string, (text: string) => string> = {
    keyword: c.magenta,
    built_in: c.cyan,
    type: c.cyan,
    literal: c.yellow,
    number: c.yellow,
    regexp: c.red,
    string: c.green,
    symbol: c.yellow,
    title: c.blue,
    comment: c.dim,
    doctag: c.dim,
    meta: c.dim,
    tag: c.blue,
    name: c.blue,
    attr: c.cyan,
    attribute: c.cyan,
    addition: c.green,
    deletion: c.red,
    'selector-tag': c.magenta,
    'template-variable': c.yellow,
    section: c.bold,
  };
  const full = Object.fromEntries([...names, 'default'].map((name) => [name, ours[name] ?? plain]));
  themes.set(c, full);
  return full;
}

/** `code` coloured as `language`, or unchanged when the language is unknown (or highlight.js gives up). */
export function highlightCode(code: string, language: string, c: ChalkInstance): string {
  if (language === '') return code;
  try {
    const hl = highlighter();
    if (!hl.supportsLanguage(language)) return code;
    return hl.highlight(code, { language, ignoreIllegals: true, theme: theme(c, Object.keys(hl.DEFAULT_THEME)) });
  } catch {
    return code;
  }
}
