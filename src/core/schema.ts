/** Structured output: loading a JSON schema (--schema, front matter) and checking an answer against it. */
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { GptError } from '../errors.js';

export interface NamedSchema {
  name: string;
  schema: Record<string, unknown>;
}

/** The API wants `[A-Za-z0-9_-]{1,64}` as the schema's name. */
export function schemaName(from: string): string {
  return from.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 64) || 'answer';
}

export function loadSchemaFile(path: string, flag = '--schema'): NamedSchema {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new GptError('usage', `${flag} ${path}: cannot read the file`);
  }
  let schema: unknown;
  try {
    schema = JSON.parse(text);
  } catch (error) {
    throw new GptError('usage', `${flag} ${path}: not valid JSON (${(error as Error).message})`);
  }
  return checkSchema(schema, `${flag} ${path}`, basename(path, extname(path)));
}

export function checkSchema(schema: unknown, where: string, name: string): NamedSchema {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    throw new GptError('usage', `${where}: a JSON schema must be an object`);
  }
  return { name: schemaName(name), schema: schema as Record<string, unknown> };
}

/** Validates an answer; returns the problems (empty when valid). Ajv is loaded only when a schema is in use. */
export async function validateAnswer(text: string, schema: NamedSchema): Promise<string[]> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return ['the answer is not valid JSON'];
  }
  const { default: Ajv } = (await import('ajv')) as unknown as { default: new (o: object) => { compile(s: object): ((v: unknown) => boolean) & { errors?: Array<{ instancePath: string; message?: string }> | null } } };
  let validate;
  try {
    validate = new Ajv({ allErrors: true, strict: false }).compile(schema.schema);
  } catch (error) {
    throw new GptError('usage', `schema ${schema.name} is not a valid JSON schema: ${(error as Error).message}`);
  }
  if (validate(value)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}`);
}
