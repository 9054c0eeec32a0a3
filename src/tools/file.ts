/** A tool file (YAML or JSON): name, description, parameters, command, timeout, cwd, env — read and checked once. */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { GptError } from '../domain/index.js';
import { checkParameters } from './schema.js';
import { DEFAULT_TOOL_TIMEOUT_SECONDS, type ToolFile } from './types.js';

const KEYS = ['name', 'description', 'parameters', 'command', 'timeout', 'cwd', 'env'];
export const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** Environment variables a tool never gets, whatever its file lists: they hold keys. */
const SECRET_ENV = /(^|_)(API_KEY|KEY|TOKEN|SECRET|PASSWORD)$/i;

const fail = (path: string, message: string) => new GptError('usage', `${path}: ${message}`);
const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isTextList = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

async function parseText(path: string, text: string): Promise<unknown> {
  if (/\.json$/i.test(path)) {
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw fail(path, `not valid JSON: ${(error as Error).message}`);
    }
  }
  const { parseDocument } = await import('yaml');
  const doc = parseDocument(text);
  const problem = doc.errors[0];
  if (problem) {
    const what = problem.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw fail(path, `bad YAML${problem.linePos ? ` on line ${problem.linePos[0].line}` : ''}: ${what}`);
  }
  return doc.toJS() as unknown;
}

/** Reads and checks a tool file; every problem is one usage error naming the file (exit 2). */
export async function loadToolFile(path: string): Promise<ToolFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw fail(path, `cannot read tool file: ${code === 'ENOENT' ? 'no such file' : (code ?? (error as Error).message)}`);
  }
  const raw = await parseText(path, text);
  if (!isMap(raw)) throw fail(path, 'a tool file must be a map with name, description, parameters and command');
  const unknown = Object.keys(raw).find((k) => !KEYS.includes(k));
  if (unknown) throw fail(path, `unknown key '${unknown}' (known: ${KEYS.join(', ')})`);
  const { name, description, parameters, command, timeout, cwd, env } = raw;
  if (typeof name !== 'string' || !TOOL_NAME.test(name)) throw fail(path, 'name must be 1-64 letters, digits, _ or -');
  if (typeof description !== 'string' || description.trim() === '') throw fail(path, 'description must be a non-empty text');
  const schema = parameters ?? { type: 'object', properties: {} };
  if (!isMap(schema)) throw fail(path, 'parameters must be a JSON schema (a map)');
  await checkParameters(schema, path);
  if (!isTextList(command) || command.length === 0 || command[0] === '') throw fail(path, 'command must be a list: the program and its arguments (no shell)');
  if (timeout !== undefined && (typeof timeout !== 'number' || !(timeout > 0) || timeout > 3600)) throw fail(path, 'timeout must be a number of seconds (0-3600)');
  if (cwd !== undefined && typeof cwd !== 'string') throw fail(path, 'cwd must be a path');
  if (env !== undefined && !isTextList(env)) throw fail(path, 'env must be a list of environment variable names');
  const secret = (env ?? []).find((v) => SECRET_ENV.test(v));
  if (secret) throw fail(path, `env: ${secret} looks like a secret; tools never get keys`);
  const folder = dirname(resolve(path));
  return {
    path: resolve(path),
    name,
    description,
    parameters: schema,
    command,
    timeoutSeconds: timeout ?? DEFAULT_TOOL_TIMEOUT_SECONDS,
    cwd: cwd === undefined ? folder : resolve(folder, cwd),
    env: env ?? [],
  };
}
