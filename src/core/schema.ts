/** Structured output: checking an answer against its schema (schemas are read by src/templates/schema.ts). */
import { type GenerationOptions, GptError } from '../domain/index.js';

export type NamedSchema = NonNullable<GenerationOptions['schema']>;

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
