/**
 * Runs a trusted project JS config from the exact bytes that were hashed, never from the file again, and
 * only when it imports nothing but Node built-ins: trust covers one file, so a local import (whose
 * content could change after `gpt config trust`) is refused instead of silently run.
 */
import { builtinModules, createRequire } from 'node:module';
import { extname } from 'node:path';
import { Script } from 'node:vm';
import { GptError } from '../domain/index.js';

const BUILTINS = new Set(builtinModules);
const isBuiltin = (specifier: string) => specifier.startsWith('node:') || BUILTINS.has(specifier.split('/')[0]!);

function refuse(path: string, what: string): never {
  throw new GptError(
    'config',
    `${path}: a project JS config may import only Node built-ins (trust covers this one file), but it ${what}; put that code in the file itself, or use .gptrc.json/.gptrc.yaml`,
  );
}

async function runModule(path: string, source: string): Promise<unknown> {
  const { init, parse } = await import('es-module-lexer');
  await init;
  const [imports] = parse(source, path);
  for (const entry of imports) {
    if (entry.type === 'import-meta') continue;
    if (typeof entry.specifier !== 'string') refuse(path, 'imports a computed path');
    if (!isBuiltin(entry.specifier)) refuse(path, `imports '${entry.specifier}'`);
  }
  const mod = (await import(`data:text/javascript;base64,${Buffer.from(source).toString('base64')}`)) as { default?: unknown };
  return mod.default ?? mod;
}

function runCommonJs(path: string, source: string): unknown {
  const nodeRequire = createRequire(path);
  const require = (specifier: string): unknown => (isBuiltin(specifier) ? nodeRequire(specifier) : refuse(path, `requires '${specifier}'`));
  const module = { exports: {} as unknown };
  const wrapper = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: path });
  (wrapper.runInThisContext() as (...args: unknown[]) => void)(module.exports, require, module, path, path.replace(/[\\/][^\\/]*$/, ''));
  return module.exports;
}

/** `.mjs` is a module, `.cjs` CommonJS; a `.js` file is a module when it has import/export syntax. */
export async function runTrustedConfig(path: string, source: string): Promise<unknown> {
  const ext = extname(path);
  if (ext === '.cjs') return runCommonJs(path, source);
  if (ext === '.mjs') return runModule(path, source);
  const { init, parse } = await import('es-module-lexer');
  await init;
  const hasModuleSyntax = parse(source, path)[3];
  return hasModuleSyntax ? runModule(path, source) : runCommonJs(path, source);
}
