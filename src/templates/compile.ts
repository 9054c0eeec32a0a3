/** Templates for many lines (`gpt batch --template`, and `gpt cost` on a batch file, which must count the same). */
import { GptError, type ChatMessage, withSystem } from '../domain/index.js';
import { IncludeError, readTemplateFile } from './include.js';
import { scanBody, splitSegments, TemplateSyntaxError, type Token } from './syntax.js';
import type { Template } from './types.js';

/** What a template needs of one line: its number (for errors) and its variables. A batch item is one. */
export interface TemplateLine {
  line: number;
  vars?: Record<string, string>;
}

/**
 * A template made ready for many lines: body split and scanned, `{{file:}}` includes read, and syntax
 * problems reported (exit 2) once; each line then only fills in values. A line's fields the template
 * does not use are ignored (a CSV row has an id, a JSONL line may have more); a variable the line lacks
 * makes that line an error result naming it.
 */
export async function compileTemplate(t: Template, system: { flag?: string; fallback?: string }): Promise<(item: TemplateLine) => ChatMessage[]> {
  const scan = (text: string, lineOf: (line: number) => number | undefined): Token[] => {
    try {
      return scanBody(text);
    } catch (err) {
      if (!(err instanceof TemplateSyntaxError)) throw err;
      const line = lineOf(err.line);
      throw new GptError('usage', `${t.path}${line ? `:${line}` : ''}: ${err.message}`);
    }
  };
  const segments = splitSegments(t.body).map((s) => ({ role: s.role, tokens: scan(s.text, (l) => t.bodyLine + s.line - 1 + l - 1) }));
  if (!segments.some((s) => s.role === 'user')) throw new GptError('usage', `${t.path}: the template renders no user message: its body is empty`);
  const systemTokens = t.system ? scan(t.system, () => undefined) : undefined;
  const declared = Object.entries(t.vars).map(([name, spec]) => ({ name, defaultTokens: spec.default !== undefined ? scan(spec.default, () => undefined) : undefined }));

  const all = [...(systemTokens ? [systemTokens] : []), ...segments.map((s) => s.tokens), ...declared.flatMap((d) => (d.defaultTokens ? [d.defaultTokens] : []))];
  const files = new Map<string, string>();
  for (const tokens of all) {
    for (const token of tokens) {
      if (token.kind !== 'file' || files.has(token.path)) continue;
      try {
        files.set(token.path, await readTemplateFile(t, token.path));
      } catch (err) {
        if (!(err instanceof IncludeError)) throw err;
        throw new GptError('usage', `${t.path}: cannot include {{file:${token.path}}}: ${err.message}`);
      }
    }
  }
  const used = new Set<string>();
  for (const tokens of [...(systemTokens ? [systemTokens] : []), ...segments.map((s) => s.tokens)]) {
    for (const token of tokens) if (token.kind === 'var' && !Object.hasOwn(t.vars, token.name)) used.add(token.name);
  }
  const direct = [...used];

  const fill = (tokens: Token[], values: Record<string, string>, missing: string[]): string => {
    let text = '';
    for (const token of tokens) {
      if (token.kind === 'text') text += token.text;
      else if (token.kind === 'file') text += files.get(token.path)!;
      else if (Object.hasOwn(values, token.name)) text += values[token.name];
      else if (!missing.includes(token.name)) missing.push(token.name);
    }
    return text;
  };

  return (item) => {
    const given = item.vars ?? {};
    const values: Record<string, string> = {};
    const missing: string[] = [];
    for (const { name, defaultTokens } of declared) {
      if (Object.hasOwn(given, name)) values[name] = given[name]!;
      else if (!defaultTokens) missing.push(name);
    }
    for (const name of direct) {
      if (Object.hasOwn(given, name)) values[name] = given[name]!;
      else missing.push(name);
    }
    // Defaults see the line's values, as in `gpt run`.
    for (const { name, defaultTokens } of declared) {
      if (!defaultTokens || Object.hasOwn(given, name)) continue;
      const needs: string[] = [];
      values[name] = fill(defaultTokens, given, needs);
      if (needs.length) missing.push(`${name} (its default needs ${needs.join(', ')})`);
    }
    if (missing.length) {
      throw new GptError('usage', `line ${item.line}: missing template ${missing.length === 1 ? 'variable' : 'variables'} for ${t.name}: ${missing.join(', ')}`);
    }
    let messages: ChatMessage[] = [];
    if (systemTokens) messages.push({ role: 'system', content: fill(systemTokens, values, missing) });
    for (const s of segments) messages.push({ role: s.role, content: fill(s.tokens, values, missing) });
    // -s replaces the template's system prompt (-s '' removes it); config's default only fills a gap.
    if (system.flag === '') messages = systemTokens ? messages.slice(1) : messages;
    else if (system.flag !== undefined) messages = withSystem(messages, system.flag);
    else if (!systemTokens && system.fallback) messages = withSystem(messages, system.fallback);
    return messages;
  };
}

