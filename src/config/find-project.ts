/**
 * Finding the project config: cosmiconfig's search, with loaders that only mark a file as found (config/load
 * reads, checks trust, then parses). Nothing of the project is parsed or run here.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join, parse, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** SPEC: Configuration — the names searched in each directory, first match wins. */
export const PROJECT_CONFIG_NAMES = [
  'package.json',
  '.gptrc',
  '.gptrc.json',
  '.gptrc.yaml',
  '.gptrc.yml',
  '.gptrc.js',
  '.gptrc.cjs',
  '.gptrc.mjs',
  'gpt.config.js',
  'gpt.config.mjs',
];

/**
 * cosmiconfig() first reads its own "meta config" from the process's working directory (package.json's
 * "cosmiconfig" key, .config/config.js, ...) with its default loaders, which would run a cloned repository's
 * .config/config.js and let it add search places. That synchronous read is made from gpt's own folder instead.
 */
function outsideCwd<T>(create: () => T): T {
  const cwd = process.cwd();
  let moved = false;
  try {
    process.chdir(dirname(fileURLToPath(import.meta.url)));
    moved = true;
  } catch {
    // A worker thread cannot chdir (only tests run gpt in one); the CLI always can.
  }
  try {
    return create();
  } finally {
    if (moved) process.chdir(cwd);
  }
}

/** Whether any search-place name exists from cwd upward: a few stats, so a run with no candidate never loads cosmiconfig (~25 ms). */
function anyCandidate(cwd: string): boolean {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (PROJECT_CONFIG_NAMES.some((name) => existsSync(join(dir, name)))) return true;
    if (dirname(dir) === dir) return false;
  }
}

/**
 * The first project config found walking up from cwd (SPEC: searched from the working directory upward),
 * found by cosmiconfig with loaders that only mark a file as found: nothing is parsed or run here, so an
 * untrusted JS config never executes, and readProjectConfig reads the bytes it hashes itself. Loaded
 * lazily: only commands that read config pay for it.
 */
export async function findProjectConfig(cwd: string, skipDir: string): Promise<string | null> {
  if (!anyCandidate(cwd)) return null;
  const { cosmiconfig } = await import('cosmiconfig');
  const skip = resolve(skipDir);
  // cosmiconfig reads package.json's "gpt" key from what the loader returns: an object, or it throws.
  const found = (path: string, content: string): unknown => {
    const pkg = basename(path) === 'package.json';
    if (resolve(dirname(path)) === skip) return pkg ? {} : undefined;
    if (!pkg) return { found: true };
    try {
      const value = JSON.parse(content) as unknown; // kept only when it has a "gpt" key
      return typeof value === 'object' && value !== null ? value : {};
    } catch {
      return /"gpt"\s*:/.test(content) ? { gpt: 'unparsable' } : {}; // with one, readProjectConfig says why (exit 3)
    }
  };
  const loaders = Object.fromEntries(['.json', '.yaml', '.yml', '.js', '.cjs', '.mjs', '.ts', 'noExt'].map((ext) => [ext, found]));
  const explorer = outsideCwd(() => cosmiconfig('gpt', { searchPlaces: PROJECT_CONFIG_NAMES, loaders, searchStrategy: 'global', stopDir: parse(resolve(cwd)).root, cache: false }));
  const result = await explorer.search(cwd);
  // 'global' ends with cosmiconfig's own global config dir: the user's config is read apart, so only cwd and its ancestors count.
  const start = resolve(cwd);
  const dir = result ? dirname(result.filepath) : null;
  return dir !== null && (start === dir || start.startsWith(dir.endsWith(sep) ? dir : dir + sep)) ? result!.filepath : null;
}
