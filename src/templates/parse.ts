/** Parses a template file's text into a validated Template: pure, no I/O; every error names `file:line`. */
import { basename, dirname, isAbsolute, join } from 'node:path';
import { LineCounter, isMap, isScalar, parseDocument, type Node, type Pair } from 'yaml';
import { GptError, type GenerationOptions } from '../domain/index.js';
import { OPTION_SPELLINGS, checkOption, optionKey } from './options.js';
import { TemplateSyntaxError, VAR_NAME, didYouMean, scanBody } from './syntax.js';
import type { Template, TemplateVar } from './types.js';

const TOP_KEYS = ['description', 'model', 'profile', 'system', 'vars', 'schema', 'expect'];
const VAR_KEYS = ['default', 'description'];
const FENCE = /^---[ \t]*$/;
const FENCE_END = /^(?:---|\.\.\.)[ \t]*$/;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A name the Structured Outputs APIs accept (letters, digits, _ and -, at most 64). */
export const schemaNameFor = (templateName: string) => templateName.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64) || 'output';

export function parseTemplate(text: string, path: string): Template {
  const fail = (line: number, message: string): never => {
    throw new GptError('usage', `${path}:${line}: ${message}`);
  };
  const source = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const lines = source.split('\n');
  const name = basename(path).replace(/\.md$/i, '');
  const template: Template = { name, path, options: {}, vars: {}, expect: {}, body: source, bodyLine: 1 };
  const checkSyntax = (text: string, firstLine: number) => {
    try {
      scanBody(text);
    } catch (error) {
      if (error instanceof TemplateSyntaxError) fail(firstLine + error.line - 1, error.message);
      throw error;
    }
  };

  if (FENCE.test(lines[0] ?? '')) {
    const end = lines.findIndex((line, i) => i > 0 && FENCE_END.test(line));
    if (end === -1) fail(1, 'the front matter opened by --- on line 1 is never closed by a --- line');
    template.body = lines.slice(end + 1).join('\n');
    template.bodyLine = end + 2;
    readFrontMatter(lines.slice(1, end).join('\n'), template);
  }

  checkSyntax(template.body, template.bodyLine);
  return template;

  function readFrontMatter(yamlText: string, t: Template): void {
    const counter = new LineCounter();
    const doc = parseDocument(yamlText, { lineCounter: counter, prettyErrors: false });
    // Front matter starts on the file's second line.
    const lineOf = (node: unknown, offset = 0): number => {
      const range = (node as Node | null | undefined)?.range;
      return (range ? counter.linePos(range[0]).line : 1) + 1 + offset;
    };
    // A block scalar's text starts on the line after its `|` or `>`.
    const textLine = (node: unknown, fallback?: unknown): number => {
      if (isMap(node)) node = node.items.find((p) => isScalar(p.key) && p.key.value === 'default')?.value;
      const block = isScalar(node) && (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED');
      return lineOf(node ?? fallback, block ? 1 : 0);
    };
    const [problem] = doc.errors;
    if (problem) fail(counter.linePos(problem.pos[0]).line + 1, `bad YAML in front matter: ${problem.message.split('\n')[0]}`);
    if (doc.contents === null) return;
    if (!isMap(doc.contents)) fail(lineOf(doc.contents), 'front matter must be a map of keys such as description: and vars:');
    const data = doc.toJS() as Record<string, unknown>;
    const seenOptions = new Map<string, string>();

    for (const pair of (doc.contents as { items: Pair[] }).items) {
      const key = String(isScalar(pair.key) ? pair.key.value : pair.key);
      const keyLine = lineOf(pair.key);
      const valueLine = lineOf(pair.value ?? pair.key);
      const value = data[key];
      const str = (what: string): string => {
        if (typeof value !== 'string' || (what !== 'system' && what !== 'description' && value.trim() === '')) {
          return fail(valueLine, `'${what}' must be a ${what === 'system' || what === 'description' ? '' : 'non-empty '}string`);
        }
        return value;
      };
      switch (key) {
        case 'description':
          t.description = str(key).trim();
          break;
        case 'model':
          t.model = str(key).trim();
          break;
        case 'profile':
          t.profile = str(key).trim();
          break;
        case 'system': {
          t.system = str(key);
          checkSyntax(t.system, textLine(pair.value));
          break;
        }
        case 'vars':
          t.vars = readVars(pair.value, value);
          break;
        case 'schema':
          readSchema(value, valueLine);
          break;
        case 'expect':
          readExpect(pair.value, value, valueLine);
          break;
        default: {
          const option = optionKey(key);
          if (!option) {
            fail(keyLine, `unknown front matter key '${key}'${didYouMean(key, [...TOP_KEYS, ...OPTION_SPELLINGS])}; known keys: ${TOP_KEYS.join(', ')} and generation options (temperature, max_output_tokens, effort, …)`);
            break;
          }
          const earlier = seenOptions.get(option);
          if (earlier) fail(keyLine, `'${key}' sets the same option as '${earlier}' above`);
          seenOptions.set(option, key);
          try {
            (t.options as Record<string, unknown>)[option] = checkOption(option, value);
          } catch (error) {
            fail(valueLine, `'${key}': ${(error as Error).message}`);
          }
        }
      }
    }

    function readVars(node: unknown, value: unknown): Record<string, TemplateVar> {
      if (value === null || value === undefined) return {};
      if (!isMap(node) || !isPlainObject(value)) {
        return fail(lineOf(node), "'vars' must be a map: name: {default: …, description: …} (or name: default)");
      }
      const vars: Record<string, TemplateVar> = {};
      for (const varPair of node.items as Pair[]) {
        const varName = String(isScalar(varPair.key) ? varPair.key.value : varPair.key);
        const line = lineOf(varPair.key);
        if (!VAR_NAME.test(varName)) fail(line, `variable name '${varName}' must be letters, digits, _ or - (not starting with a digit or -)`);
        const spec = value[varName];
        const scalar = (v: unknown) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
        let parsed: TemplateVar;
        if (spec === null || spec === undefined) parsed = {};
        else if (scalar(spec)) parsed = { default: String(spec) };
        else if (isPlainObject(spec)) {
          parsed = {};
          for (const [k, v] of Object.entries(spec)) {
            const at = isMap(varPair.value) ? lineOf(varPair.value.items.find((p) => isScalar(p.key) && p.key.value === k)?.key) : line;
            if (k === 'default') {
              if (v === null) continue;
              if (!scalar(v)) fail(at, `vars.${varName}.default must be a string`);
              parsed.default = String(v);
            } else if (k === 'description') {
              if (typeof v !== 'string') fail(at, `vars.${varName}.description must be a string`);
              parsed.description = (v as string).trim();
            } else {
              fail(at, `unknown key '${k}' in vars.${varName}${didYouMean(k, VAR_KEYS)}; a variable takes default and description`);
            }
          }
        } else {
          return fail(line, `vars.${varName} must be a default value or a map {default, description}`);
        }
        if (parsed.default !== undefined) checkSyntax(parsed.default, textLine(varPair.value, varPair.key));
        vars[varName] = parsed;
      }
      return vars;
    }

    function readSchema(value: unknown, line: number) {
      if (typeof value === 'string' && value.trim()) {
        const file = value.trim();
        t.schemaFile = isAbsolute(file) ? file : join(dirname(path), file);
        return;
      }
      if (!isPlainObject(value)) return fail(line, "'schema' must be a JSON schema (a map) or the path of a .json file next to the template");
      const wrapped = isPlainObject(value.schema) && Object.keys(value).every((k) => k === 'name' || k === 'schema');
      if (wrapped && value.name !== undefined && (typeof value.name !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(value.name))) {
        fail(line, "schema.name must be 1-64 letters, digits, _ or -");
      }
      t.schema = wrapped
        ? { name: (value.name as string | undefined) ?? schemaNameFor(name), schema: value.schema as Record<string, unknown> }
        : { name: schemaNameFor(name), schema: value };
    }

    function readExpect(node: unknown, value: unknown, line: number) {
      if (!isMap(node) || !isPlainObject(value)) return fail(line, "'expect' must be a map, e.g. expect: {output_tokens: 300}");
      for (const [k, v] of Object.entries(value)) {
        const at = lineOf(node.items.find((p) => isScalar(p.key) && p.key.value === k)?.key);
        if (!['output_tokens', 'outputTokens', 'output-tokens'].includes(k)) {
          fail(at, `unknown key '${k}' in expect${didYouMean(k, ['output_tokens'])}; expect takes output_tokens`);
        }
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 10_000_000) {
          fail(at, `expect.output_tokens must be a whole number from 1 to 10000000, got ${JSON.stringify(v)}`);
        }
        t.expect.output_tokens = v as number;
      }
    }
  }
}

/** The options a template sets, with its schema in them (the shape a request takes). */
export function templateOptions(t: Template): GenerationOptions {
  return t.schema ? { ...t.options, schema: t.schema } : { ...t.options };
}
