/** Parses a template file's text into a validated Template: pure, no I/O; every error names `file:line`. */
import { basename, dirname, isAbsolute, join } from 'node:path';
import { LineCounter, isMap, isScalar, parseDocument, type Node, type Pair } from 'yaml';
import { GptError } from '../domain/index.js';
import { OPTION_SPELLINGS, checkOption, optionKey, schemaNameFor } from './options.js';
import { TemplateSyntaxError, VAR_NAME, didYouMean, scanBody } from './syntax.js';
import type { Template, TemplateVar } from './types.js';

const TOP_KEYS = ['description', 'model', 'profile', 'system', 'vars', 'schema', 'expect', 'tools', 'chunk'];
const VAR_KEYS = ['default', 'description'];
const FENCE = /^---[ \t]*$/;
const FENCE_END = /^(?:---|\.\.\.)[ \t]*$/;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** What every reader of one file needs: failing at a line, and checking a text's {{…}} syntax. */
interface FileContext {
  path: string;
  fail(line: number, message: string): never;
  checkSyntax(text: string, firstLine: number): void;
}

/** Adds YAML positions: the file line of a node (front matter starts on the file's second line). */
interface YamlContext extends FileContext {
  lineOf(node: unknown, offset?: number): number;
  /** A block scalar's text starts on the line after its `|` or `>`. */
  textLine(node: unknown, fallback?: unknown): number;
}

function fileContext(path: string): FileContext {
  const fail = (line: number, message: string): never => {
    throw new GptError('usage', `${path}:${line}: ${message}`);
  };
  const checkSyntax = (text: string, firstLine: number) => {
    try {
      scanBody(text);
    } catch (error) {
      if (error instanceof TemplateSyntaxError) fail(firstLine + error.line - 1, error.message);
      throw error;
    }
  };
  return { path, fail, checkSyntax };
}

export function parseTemplate(text: string, path: string): Template {
  const ctx = fileContext(path);
  const source = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const lines = source.split('\n');
  const name = basename(path).replace(/\.md$/i, '');
  const template: Template = { name, path, options: {}, vars: {}, expect: {}, body: source, bodyLine: 1 };
  if (FENCE.test(lines[0] ?? '')) {
    const end = lines.findIndex((line, i) => i > 0 && FENCE_END.test(line));
    if (end === -1) ctx.fail(1, 'the front matter opened by --- on line 1 is never closed by a --- line');
    template.body = lines.slice(end + 1).join('\n');
    template.bodyLine = end + 2;
    readFrontMatter(lines.slice(1, end).join('\n'), template, ctx);
  }
  ctx.checkSyntax(template.body, template.bodyLine);
  return template;
}

function yamlContext(ctx: FileContext, counter: LineCounter): YamlContext {
  const lineOf = (node: unknown, offset = 0): number => {
    const range = (node as Node | null | undefined)?.range;
    return (range ? counter.linePos(range[0]).line : 1) + 1 + offset;
  };
  const textLine = (node: unknown, fallback?: unknown): number => {
    if (isMap(node)) node = node.items.find((p) => isScalar(p.key) && p.key.value === 'default')?.value;
    const block = isScalar(node) && (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED');
    return lineOf(node ?? fallback, block ? 1 : 0);
  };
  return { ...ctx, lineOf, textLine };
}

function readFrontMatter(yamlText: string, t: Template, file: FileContext): void {
  const counter = new LineCounter();
  const doc = parseDocument(yamlText, { lineCounter: counter, prettyErrors: false });
  const ctx = yamlContext(file, counter);
  const [problem] = doc.errors;
  if (problem) ctx.fail(counter.linePos(problem.pos[0]).line + 1, `bad YAML in front matter: ${problem.message.split('\n')[0]}`);
  if (doc.contents === null) return;
  if (!isMap(doc.contents)) ctx.fail(ctx.lineOf(doc.contents), 'front matter must be a map of keys such as description: and vars:');
  const data = doc.toJS() as Record<string, unknown>;
  const seenOptions = new Map<string, string>();
  for (const pair of (doc.contents as { items: Pair[] }).items) {
    const key = String(isScalar(pair.key) ? pair.key.value : pair.key);
    readKey(key, pair, data[key], t, ctx, seenOptions);
  }
}

/** One top-level front matter key into the template. */
function readKey(key: string, pair: Pair, value: unknown, t: Template, ctx: YamlContext, seenOptions: Map<string, string>): void {
  const valueLine = ctx.lineOf(pair.value ?? pair.key);
  const str = (what: string): string => {
    const free = what === 'system' || what === 'description';
    if (typeof value !== 'string' || (!free && value.trim() === '')) return ctx.fail(valueLine, `'${what}' must be a ${free ? '' : 'non-empty '}string`);
    return value;
  };
  switch (key) {
    case 'description':
      t.description = str(key).trim();
      return;
    case 'model':
      t.model = str(key).trim();
      return;
    case 'profile':
      t.profile = str(key).trim();
      return;
    case 'system':
      t.system = str(key);
      ctx.checkSyntax(t.system, ctx.textLine(pair.value));
      return;
    case 'vars':
      t.vars = readVars(pair.value, value, ctx);
      return;
    case 'schema':
      readSchema(value, valueLine, t, ctx);
      return;
    case 'expect':
      readExpect(pair.value, value, valueLine, t, ctx);
      return;
    case 'tools':
      if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'string' && v.trim() !== '')) {
        ctx.fail(valueLine, "'tools' must be a list of tool names or files, e.g. tools: [search-issues]");
      }
      t.tools = value as string[];
      break;
    case 'chunk':
      readChunk(pair.value, value, valueLine, t, ctx);
      return;
    default:
      readOption(key, pair, value, t, ctx, seenOptions);
  }
}

/** A generation option (any spelling), checked with the one option table; each option once. */
function readOption(key: string, pair: Pair, value: unknown, t: Template, ctx: YamlContext, seenOptions: Map<string, string>): void {
  const keyLine = ctx.lineOf(pair.key);
  const option = optionKey(key);
  if (!option) {
    ctx.fail(keyLine, `unknown front matter key '${key}'${didYouMean(key, [...TOP_KEYS, ...OPTION_SPELLINGS])}; known keys: ${TOP_KEYS.join(', ')} and generation options (temperature, max_output_tokens, effort, …)`);
  }
  const earlier = seenOptions.get(option);
  if (earlier) ctx.fail(keyLine, `'${key}' sets the same option as '${earlier}' above`);
  seenOptions.set(option, key);
  try {
    (t.options as Record<string, unknown>)[option] = checkOption(option, value);
  } catch (error) {
    ctx.fail(ctx.lineOf(pair.value ?? pair.key), `'${key}': ${(error as Error).message}`);
  }
}

function readVars(node: unknown, value: unknown, ctx: YamlContext): Record<string, TemplateVar> {
  if (value === null || value === undefined) return {};
  if (!isMap(node) || !isPlainObject(value)) {
    return ctx.fail(ctx.lineOf(node), "'vars' must be a map: name: {default: …, description: …} (or name: default)");
  }
  const vars: Record<string, TemplateVar> = {};
  for (const varPair of node.items as Pair[]) {
    const varName = String(isScalar(varPair.key) ? varPair.key.value : varPair.key);
    if (!VAR_NAME.test(varName)) ctx.fail(ctx.lineOf(varPair.key), `variable name '${varName}' must be letters, digits, _ or - (not starting with a digit or -)`);
    const parsed = readVar(varName, varPair, value[varName], ctx);
    if (parsed.default !== undefined) ctx.checkSyntax(parsed.default, ctx.textLine(varPair.value, varPair.key));
    vars[varName] = parsed;
  }
  return vars;
}

const isScalarValue = (v: unknown) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/** `name: default` or `name: {default, description}`. */
function readVar(varName: string, varPair: Pair, spec: unknown, ctx: YamlContext): TemplateVar {
  const line = ctx.lineOf(varPair.key);
  if (spec === null || spec === undefined) return {};
  if (isScalarValue(spec)) return { default: String(spec) };
  if (!isPlainObject(spec)) return ctx.fail(line, `vars.${varName} must be a default value or a map {default, description}`);
  const parsed: TemplateVar = {};
  for (const [k, v] of Object.entries(spec)) {
    const at = isMap(varPair.value) ? ctx.lineOf(varPair.value.items.find((p) => isScalar(p.key) && p.key.value === k)?.key) : line;
    if (k === 'default') {
      if (v === null) continue;
      if (!isScalarValue(v)) ctx.fail(at, `vars.${varName}.default must be a string`);
      parsed.default = String(v);
    } else if (k === 'description') {
      if (typeof v !== 'string') ctx.fail(at, `vars.${varName}.description must be a string`);
      parsed.description = (v as string).trim();
    } else {
      ctx.fail(at, `unknown key '${k}' in vars.${varName}${didYouMean(k, VAR_KEYS)}; a variable takes default and description`);
    }
  }
  return parsed;
}

function readSchema(value: unknown, line: number, t: Template, ctx: YamlContext): void {
  if (typeof value === 'string' && value.trim()) {
    const file = value.trim();
    t.schemaFile = isAbsolute(file) ? file : join(dirname(ctx.path), file);
    return;
  }
  if (!isPlainObject(value)) return ctx.fail(line, "'schema' must be a JSON schema (a map) or the path of a .json file next to the template");
  const wrapped = isPlainObject(value.schema) && Object.keys(value).every((k) => k === 'name' || k === 'schema');
  if (wrapped && value.name !== undefined && (typeof value.name !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(value.name))) {
    ctx.fail(line, 'schema.name must be 1-64 letters, digits, _ or -');
  }
  t.schema = wrapped
    ? { name: (value.name as string | undefined) ?? schemaNameFor(t.name), schema: value.schema as Record<string, unknown> }
    : { name: schemaNameFor(t.name), schema: value };
}

function readExpect(node: unknown, value: unknown, line: number, t: Template, ctx: YamlContext): void {
  if (!isMap(node) || !isPlainObject(value)) return ctx.fail(line, "'expect' must be a map, e.g. expect: {output_tokens: 300}");
  for (const [k, v] of Object.entries(value)) {
    const at = ctx.lineOf(node.items.find((p) => isScalar(p.key) && p.key.value === k)?.key);
    if (!['output_tokens', 'outputTokens', 'output-tokens'].includes(k)) {
      ctx.fail(at, `unknown key '${k}' in expect${didYouMean(k, ['output_tokens'])}; expect takes output_tokens`);
    }
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 10_000_000) {
      ctx.fail(at, `expect.output_tokens must be a whole number from 1 to 10000000, got ${JSON.stringify(v)}`);
    }
    t.expect.output_tokens = v as number;
  }
}

/** `chunk: {map, reduce}`: the prompts `--chunk` runs over each piece of input and over the answers (both use {{input}}). */
function readChunk(node: unknown, value: unknown, line: number, t: Template, ctx: YamlContext): void {
  if (!isMap(node) || !isPlainObject(value)) return ctx.fail(line, "'chunk' must be a map, e.g. chunk: {map: 'Summarise: {{input}}', reduce: 'Merge: {{input}}'}");
  t.chunk = {};
  for (const [k, v] of Object.entries(value)) {
    const pair = node.items.find((p) => isScalar(p.key) && p.key.value === k);
    const at = ctx.lineOf(pair?.key);
    if (k !== 'map' && k !== 'reduce') ctx.fail(at, `unknown key '${k}' in chunk${didYouMean(k, ['map', 'reduce'])}; chunk takes map and reduce`);
    if (typeof v !== 'string' || v.trim() === '') ctx.fail(at, `chunk.${k} must be a non-empty string (a prompt using {{input}})`);
    ctx.checkSyntax(v as string, ctx.textLine(pair?.value));
    t.chunk[k as 'map' | 'reduce'] = v as string;
  }
}

