/** Reading and checking JSON schemas for structured output (front matter `schema:` and `--schema file.json`). */
import { readFile } from 'node:fs/promises';
import { basename, dirname, relative, resolve } from 'node:path';
import { GptError, fileErrorReason } from '../domain/index.js';
import { IncludeError, readTemplateFile } from './include.js';
import { schemaNameFor } from './options.js';
import type { Template } from './types.js';

/** Reads a JSON schema file; the schema's name comes from the file name. Errors are usage errors naming the file. */
export async function loadSchemaFile(
  file: string,
  source = file,
  read: (file: string) => Promise<string> = (f) => readFile(f, 'utf8'),
): Promise<{ name: string; schema: Record<string, unknown> }> {
  let text: string;
  try {
    text = await read(file);
  } catch (error) {
    const why = error instanceof IncludeError ? error.message.replace(`${file}: `, '') : fileErrorReason(error);
    throw new GptError('usage', `${source}: cannot read schema file ${file}: ${why}`);
  }
  let schema: unknown;
  try {
    schema = JSON.parse(text);
  } catch (error) {
    throw new GptError('usage', `${file}: not valid JSON: ${(error as Error).message}`);
  }
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    throw new GptError('usage', `${file}: a JSON schema must be an object`);
  }
  const named = schema as Record<string, unknown>;
  // Accept the OpenAI `{name, schema}` wrapper as well as a bare schema.
  if (typeof named.name === 'string' && typeof named.schema === 'object' && named.schema !== null && Object.keys(named).every((k) => k === 'name' || k === 'schema')) {
    return { name: named.name, schema: named.schema as Record<string, unknown> };
  }
  return { name: schemaNameFor(basename(file).replace(/(\.schema)?\.json$/i, '')), schema: named };
}

/**
 * Checks a schema against the JSON Schema meta-schema and rejects unknown keywords, so a typo such as
 * `type: strng` or `requried:` fails before any request instead of being silently ignored.
 */
export async function checkSchema(schema: Record<string, unknown>, source: string): Promise<void> {
  // ajv is only loaded for templates that have a schema.
  const { Ajv } = await import('ajv');
  const ajv = new Ajv({ strict: false, strictSchema: true, validateFormats: false });
  const metaSchema = typeof schema.$schema === 'string' ? schema.$schema : undefined;
  if (metaSchema && !ajv.getSchema(metaSchema)) return;
  if (!ajv.validateSchema(schema)) {
    throw new GptError('usage', `${source}: invalid JSON schema: ${ajv.errorsText(ajv.errors, { dataVar: 'schema' })}`);
  }
  try {
    ajv.compile(schema);
  } catch (error) {
    throw new GptError('usage', `${source}: invalid JSON schema: ${(error as Error).message.replace(/^strict mode: /, '')}`);
  }
}

/** Reads a template's `schema: file.json` and checks its schema; returns the template with `schema` filled in. */
export async function resolveSchema(t: Template): Promise<Template> {
  if (!t.schema && !t.schemaFile) return t;
  // Read like an include: an untrusted template's schema file must sit in its own folder.
  const schema = t.schema ?? (await loadSchemaFile(t.schemaFile!, t.path, (file) => readTemplateFile(t, relative(dirname(t.path), file))));
  await checkSchema(schema.schema, t.schemaFile ?? t.path);
  return { ...t, schema };
}

/** `--schema <file>` (chat, run, batch): read relative to `cwd` and checked once, before anything is sent. */
export async function schemaFromFlag(file: string, cwd: string): Promise<NamedSchema> {
  const source = `--schema ${file}`;
  const schema = await loadSchemaFile(resolve(cwd, file), source);
  await checkSchema(schema.schema, source);
  return schema;
}

export type NamedSchema = { name: string; schema: Record<string, unknown> };
