/** JSON Schema for tool parameters: checked against the meta-schema when a tool is loaded, and used to check a call's arguments. */
import { GptError } from '../domain/index.js';

type Validator = ((data: unknown) => boolean) & { errors?: unknown };

async function newAjv() {
  // ajv is only loaded when tools are in play.
  const { Ajv } = await import('ajv');
  return new Ajv({ strict: false, strictSchema: true, validateFormats: false, allErrors: true });
}

/** A schema that is not valid JSON Schema, or uses unknown keywords (a typo), fails with `source: invalid JSON schema: …`. */
export async function checkParameters(schema: Record<string, unknown>, source: string): Promise<void> {
  const ajv = await newAjv();
  const meta = typeof schema.$schema === 'string' ? schema.$schema : undefined;
  if (meta && !ajv.getSchema(meta)) return;
  if (!ajv.validateSchema(schema)) throw new GptError('usage', `${source}: invalid JSON schema: ${ajv.errorsText(ajv.errors, { dataVar: 'parameters' })}`);
  if (schema.type !== undefined && schema.type !== 'object') throw new GptError('usage', `${source}: parameters must be a schema of type object`);
  try {
    ajv.compile(schema);
  } catch (error) {
    throw new GptError('usage', `${source}: invalid JSON schema: ${(error as Error).message.replace(/^strict mode: /, '')}`);
  }
}

/**
 * Compiles each schema once; `check` returns the problems of a value (empty when it conforms). Leniently: an MCP
 * server's schema may name another draft or use keywords ajv does not know; a schema ajv cannot compile at all
 * is left to the server to enforce rather than failing the loop.
 */
export async function argumentChecker(): Promise<(schema: Record<string, unknown>, value: unknown) => string[]> {
  const { Ajv } = await import('ajv');
  const ajv = new Ajv({ strict: false, validateSchema: false, validateFormats: false, allErrors: true });
  const cache = new Map<Record<string, unknown>, Validator | null>();
  const compile = (schema: Record<string, unknown>): Validator | null => {
    const { $schema: _draft, $id: _id, ...rest } = schema;
    try {
      return ajv.compile(rest) as Validator;
    } catch {
      return null;
    }
  };
  return (schema, value) => {
    if (!cache.has(schema)) cache.set(schema, compile(schema));
    const validate = cache.get(schema);
    if (!validate || validate(value)) return [];
    return ajv.errorsText(validate.errors as never, { dataVar: 'arguments', separator: '\n' }).split('\n');
  };
}
