/**
 * Fenced code coloured by highlight.js in the fence's language; an unknown or missing language is left plain (no
 * guessing). Only highlight.js's core and that one language are loaded (~10 ms), synchronously when the first block
 * in it ends, so rendering stays in order: highlight.js's index (what cli-highlight loads) registers all ~190
 * languages, 150–600 ms at the first code fence. Its HTML result becomes ANSI here, a few lines for the only markup
 * it emits (nested `<span class="hljs-…">` and five entities).
 */
import type { ChalkInstance } from 'chalk';
import type { HLJSApi, LanguageFn } from 'highlight.js';
import { createRequire } from 'node:module';
import { LANGUAGES } from './languages.js';

const load = createRequire(import.meta.url);
let core: HLJSApi | undefined;

/** highlight.js with `language` registered, and its registered name; undefined for a language it does not know. */
function hljsFor(language: string): { hljs: HLJSApi; name: string } | undefined {
  const name = Object.hasOwn(LANGUAGES, language.toLowerCase()) ? LANGUAGES[language.toLowerCase()] : undefined;
  if (name === undefined) return undefined;
  core ??= (load('highlight.js/lib/core') as HLJSApi).newInstance();
  if (!core.getLanguage(name)) core.registerLanguage(name, load(`highlight.js/lib/languages/${name}`) as LanguageFn);
  return { hljs: core, name };
}

/** The languages registered so far (for tests: one fence loads one language). */
export const registeredLanguages = (): string[] => core?.listLanguages() ?? [];

type Paint = (text: string) => string;
const themes = new WeakMap<ChalkInstance, Record<string, Paint>>();

/** Our colours for highlight.js's scopes (the first word of the class); every other scope stays plain. */
function theme(c: ChalkInstance): Record<string, Paint> {
  let known = themes.get(c);
  known ??= {
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
    section: c.bold,
  };
  themes.set(c, known);
  return known;
}

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#x27;': "'" };
const unescape = (text: string) => text.replace(/&(?:amp|lt|gt|quot|#x27);/g, (e) => ENTITIES[e]!);

/** highlight.js's HTML as ANSI: each span's text (inner spans already painted) painted by its scope, outermost last. */
function toAnsi(html: string, colours: Record<string, Paint>): string {
  const open: Array<{ scope: string; text: string }> = [{ scope: '', text: '' }];
  for (const [, classes, close, text] of html.matchAll(/<span class="([^"]*)">|(<\/span>)|([^<]+)/g)) {
    const top = open[open.length - 1]!;
    if (text !== undefined) top.text += unescape(text);
    // A sub-language's span (`language-xml`) has no scope: its text stays as its inner spans paint it.
    else if (close === undefined) open.push({ scope: /hljs-(\w+)/.exec(classes!)?.[1] ?? '', text: '' });
    else if (open.length > 1) {
      open.pop();
      const paint = Object.hasOwn(colours, top.scope) ? colours[top.scope]! : undefined;
      open[open.length - 1]!.text += paint ? paint(top.text) : top.text;
    }
  }
  return open.map((o) => o.text).join('');
}

/** `code` coloured as `language`, or unchanged when the language is unknown (or highlight.js gives up). */
export function highlightCode(code: string, language: string, c: ChalkInstance): string {
  if (language === '') return code;
  try {
    const found = hljsFor(language);
    if (!found) return code;
    return toAnsi(found.hljs.highlight(code, { language: found.name, ignoreIllegals: true }).value, theme(c));
  } catch {
    return code;
  }
}
