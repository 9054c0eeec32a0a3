/** Template variables from the command line: `--var k=v`, `--var k=@file`, `--vars file.json`. */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { GptError, fileErrorReason } from '../domain/index.js';
import { VAR_NAME } from './syntax.js';

async function readVarFile(file: string, cwd: string, flag: string): Promise<string> {
  try {
    return await readFile(resolve(cwd, file), 'utf8');
  } catch (error) {
    throw new GptError('usage', `${flag}: cannot read ${file}: ${fileErrorReason(error)}`);
  }
}

/**
 * Variables from a JSON object (a --vars file, a batch line): strings are taken as they are, anything else
 * as its JSON text, so numbers read naturally and objects reach the prompt as JSON.
 */
export function coerceVars(object: unknown, source: string): Record<string, string> {
  if (typeof object !== 'object' || object === null || Array.isArray(object)) {
    throw new GptError('usage', `${source}: variables must be a JSON object like {"lang": "French"}`);
  }
  const vars: Record<string, string> = {};
  for (const [name, value] of Object.entries(object)) {
    if (!VAR_NAME.test(name)) throw new GptError('usage', `${source}: '${name}' is not a variable name (letters, digits, _ or -)`);
    vars[name] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return vars;
}

/**
 * `--vars` first, then each `--var` over it (a later --var wins). `k=@file` reads the file (relative to cwd);
 * `k=@@text` is the literal value `@text`.
 */
export async function parseVarFlags(vars: string[] | undefined, varsFile: string | undefined, cwd: string): Promise<Record<string, string>> {
  let values: Record<string, string> = {};
  if (varsFile !== undefined) {
    const text = await readVarFile(varsFile, cwd, `--vars ${varsFile}`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new GptError('usage', `--vars ${varsFile}: not valid JSON: ${(error as Error).message}`);
    }
    values = coerceVars(parsed, `--vars ${varsFile}`);
  }
  for (const flag of vars ?? []) {
    const eq = flag.indexOf('=');
    const name = eq === -1 ? flag : flag.slice(0, eq);
    if (eq === -1 || !VAR_NAME.test(name)) {
      throw new GptError('usage', `--var ${flag}: expected name=value (or name=@file), with a name of letters, digits, _ or -`);
    }
    const raw = flag.slice(eq + 1);
    if (raw.startsWith('@@')) values[name] = raw.slice(1);
    else if (raw.startsWith('@')) {
      if (raw === '@') throw new GptError('usage', `--var ${flag}: '@' must be followed by a file name (write @@ for a literal @)`);
      values[name] = await readVarFile(raw.slice(1), cwd, `--var ${name}=${raw}`);
    } else values[name] = raw;
  }
  return values;
}
