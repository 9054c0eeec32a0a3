/**
 * Rendering: `renderBody` is the pure core (strings in, string out); `renderTemplate` adds the rules around it
 * (defaults, {{input}}, file includes, messages) and reports every problem before any request can be built.
 *
 * Piped input: when the template uses {{input}} (in its body, system or a variable default) the piped text goes
 * there; when it does not, the piped text is appended to the last user message after a blank line, so any
 * template can be fed stdin. Whitespace-only stdin counts as no input.
 */
import { GptError, type ChatMessage, type GenerationOptions } from '../domain/index.js';
import { IncludeError, readTemplateFile } from './include.js';
import { templateOptions } from './options.js';
import { resolveSchema } from './schema.js';
import { TemplateSyntaxError, didYouMean, scanBody, splitSegments, variablesIn } from './syntax.js';
import type { Template, VariableInfo } from './types.js';

const plural = (n: number, word: string) => (n === 1 ? word : `${word}s`);

/** Substitutes `{{name}}` and `{{file:path}}`; throws one usage error naming every missing variable. */
export function renderBody(body: string, values: Record<string, string>, includeFile: (path: string) => string): string {
  let tokens;
  try {
    tokens = scanBody(body);
  } catch (error) {
    if (error instanceof TemplateSyntaxError) throw new GptError('usage', `line ${error.line}: ${error.message}`);
    throw error;
  }
  const missing: string[] = [];
  let out = '';
  for (const token of tokens) {
    if (token.kind === 'text') out += token.text;
    else if (token.kind === 'file') out += includeFile(token.path);
    else if (Object.hasOwn(values, token.name)) out += values[token.name];
    else if (!missing.includes(token.name)) missing.push(token.name);
  }
  if (missing.length) throw new GptError('usage', `missing ${plural(missing.length, 'variable')}: ${missing.join(', ')}`);
  return out;
}

const unique = (names: string[]) => [...new Set(names)];

/** The variables a template takes, as `gpt templates` lists them: declared ones first, then any the body uses. */
export function describeVariables(t: Template): VariableInfo[] {
  const infos: VariableInfo[] = Object.entries(t.vars).map(([name, spec]) => ({
    name,
    required: spec.default === undefined,
    ...(spec.default !== undefined ? { default: spec.default } : {}),
    ...(spec.description ? { description: spec.description } : {}),
  }));
  const texts = [t.system ?? '', ...splitSegments(t.body).map((s) => s.text)];
  for (const name of unique(texts.flatMap(variablesIn))) {
    if (Object.hasOwn(t.vars, name)) continue;
    infos.push({ name, required: true, ...(name === 'input' ? { description: 'piped stdin (or --var input=…)' } : {}) });
  }
  return infos;
}

/**
 * Renders a template into chat messages: front-matter `system` first, then the body's `---role` segments.
 * `vars` come from --var/--vars (or a batch line); `input` is piped stdin, if any.
 */
export async function renderTemplate(
  template: Template,
  vars: Record<string, string>,
  input: string | undefined,
): Promise<{ messages: ChatMessage[]; options: GenerationOptions }> {
  const t = await resolveSchema(template);
  const fail = (message: string, line?: number): never => {
    throw new GptError('usage', `${t.path}${line ? `:${line}` : ''}: ${message}`);
  };
  const piped = input !== undefined && input.trim() !== '' ? input : undefined;
  if (piped !== undefined && vars.input !== undefined) fail('{{input}} is given twice, by --var input and by piped stdin; use one');
  const given: Record<string, string> = { ...vars, ...(piped !== undefined ? { input: piped } : {}) };

  const segments = splitSegments(t.body);
  const direct = unique([t.system ?? '', ...segments.map((s) => s.text)].flatMap(variablesIn));
  const inDefaults = unique(Object.values(t.vars).flatMap((v) => (v.default ? variablesIn(v.default) : [])));
  const known = new Set(['input', ...Object.keys(t.vars), ...direct, ...inDefaults]);
  const unknown = Object.keys(vars).filter((name) => !known.has(name));
  if (unknown.length) {
    const takes = [...known].filter((n) => n !== 'input');
    fail(
      `unknown ${plural(unknown.length, 'variable')} ${unknown.map((n) => `'${n}'`).join(', ')}` +
        `${unknown.length === 1 ? didYouMean(unknown[0]!, takes) : ''}; this template takes ${takes.length ? takes.join(', ') : 'no variables'}${direct.includes('input') ? ' and {{input}}' : ''}`,
    );
  }

  const values: Record<string, string> = {};
  const missing: string[] = [];
  const usedDefaults: string[] = [];
  const inputHint = 'pipe text on stdin or pass --var input=…';
  for (const [name, spec] of Object.entries(t.vars)) {
    if (given[name] !== undefined) values[name] = given[name];
    else if (spec.default === undefined) missing.push(name === 'input' ? `input (${inputHint})` : `${name} (--var ${name}=…)`);
    else {
      const needs = variablesIn(spec.default).filter((n) => given[n] === undefined);
      if (needs.length === 0) usedDefaults.push(name);
      else if (needs.length === 1 && needs[0] === 'input') missing.push(`${name} (defaults to {{input}}: ${inputHint.replace('input=', `${name}=`)})`);
      else missing.push(`${name} (its default needs ${needs.join(', ')})`);
    }
  }
  for (const name of direct) {
    if (Object.hasOwn(t.vars, name)) continue;
    if (given[name] !== undefined) values[name] = given[name];
    else missing.push(name === 'input' ? `input (${inputHint})` : `${name} (--var ${name}=…)`);
  }
  if (missing.length) fail(`missing ${plural(missing.length, 'variable')}: ${missing.join(', ')}`);

  // Files are read up front (async), so the renderer itself stays a pure function.
  const files = new Map<string, string>();
  const readIncludes = async (text: string, line: (tokenLine: number) => number | undefined) => {
    for (const token of scanBody(text)) {
      if (token.kind !== 'file' || files.has(token.path)) continue;
      try {
        files.set(token.path, await readTemplateFile(t, token.path));
      } catch (error) {
        if (!(error instanceof IncludeError)) throw error;
        fail(`cannot include {{file:${token.path}}}: ${error.message}`, line(token.line));
      }
    }
  };
  if (t.system) await readIncludes(t.system, () => undefined);
  for (const segment of segments) await readIncludes(segment.text, (l) => t.bodyLine + segment.line - 1 + l - 1);
  for (const name of usedDefaults) await readIncludes(t.vars[name]!.default!, () => undefined);
  const include = (path: string) => files.get(path)!;

  for (const name of usedDefaults) values[name] = renderBody(t.vars[name]!.default!, given, include);
  const messages: ChatMessage[] = [];
  if (t.system) messages.push({ role: 'system', content: renderBody(t.system, values, include) });
  for (const segment of segments) messages.push({ role: segment.role, content: renderBody(segment.text, values, include) });

  if (given.input !== undefined && !direct.includes('input') && !inDefaults.includes('input')) {
    const last = messages.findLastIndex((m) => m.role === 'user');
    if (last === -1) messages.push({ role: 'user', content: given.input });
    else messages[last] = { role: 'user', content: `${messages[last]!.content}\n\n${given.input}` };
  }
  if (!messages.some((m) => m.role === 'user')) fail('the template renders no user message: its body is empty and nothing was piped');
  return { messages, options: templateOptions(t) };
}
