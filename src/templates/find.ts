/** The template loader: where templates live, reading them, listing them. All file I/O for templates is here. */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { homedir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { GptError } from '../errors.js';
import { parseTemplate } from './parse.js';
import { resolveSchema } from './schema.js';
import { closest } from './syntax.js';
import type { Template, TemplateWhere } from './types.js';

export interface TemplateDir {
  dir: string;
  /** How the folder is shown to the user: ./prompts, a templates.paths entry, the user folder, or built-in. */
  label: string;
  source: 'project' | 'templates.paths' | 'user' | 'built-in';
}

/**
 * The prompts/ folder shipped with gpt: next to the package.json named gpt-cli above this module
 * (src/templates/ when run from source, dist/ or dist/chunks/ when bundled).
 */
export function builtinPromptsDir(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++, dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'gpt-cli') return existsSync(join(dir, 'prompts')) ? join(dir, 'prompts') : null;
    } catch {
      // No package.json at this level; keep climbing.
    }
  }
  return null;
}

const canonical = (dir: string) => {
  try {
    return realpathSync(dir);
  } catch {
    return dir;
  }
};

/** The search path in order (SPEC: ./prompts, templates.paths, $XDG_CONFIG_HOME/gpt/prompts), then the shipped ones. */
export function templateDirs(where: TemplateWhere): TemplateDir[] {
  const home = homedir();
  const show = (dir: string) => (home && dir.startsWith(home + sep) ? `~${dir.slice(home.length)}` : dir);
  const dirs: TemplateDir[] = [
    { dir: join(where.cwd, 'prompts'), label: `.${sep}prompts`, source: 'project' },
    ...where.templatePaths.map((p) => ({ dir: resolve(where.cwd, p), label: show(resolve(where.cwd, p)), source: 'templates.paths' as const })),
    { dir: join(where.configDir, 'prompts'), label: show(join(where.configDir, 'prompts')), source: 'user' },
  ];
  const builtin = where.builtinDir === undefined ? builtinPromptsDir() : where.builtinDir;
  if (builtin) dirs.push({ dir: builtin, label: 'built-in', source: 'built-in' });
  const seen = new Set<string>();
  return dirs.filter(({ dir }) => {
    const key = canonical(dir);
    return seen.has(key) ? false : (seen.add(key), true);
  });
}

/** A value with a slash or ending in .md is a file path; anything else is a name to look up. */
export const isTemplatePath = (nameOrPath: string) => /[\\/]/.test(nameOrPath) || /\.md$/i.test(nameOrPath);

/** Reads, parses and checks one template file (its schema file too). */
export async function loadTemplate(file: string): Promise<Template> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new GptError('usage', `cannot read template ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (code ?? (error as Error).message)}`);
  }
  return resolveSchema(parseTemplate(text, file));
}

const missingFile = (error: unknown) => ['ENOENT', 'ENOTDIR'].includes((error as NodeJS.ErrnoException).code ?? '');

async function templateFiles(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.filter((e) => !e.isDirectory() && e.name.toLowerCase().endsWith('.md')).map((e) => e.name).sort();
  } catch (error) {
    if (missingFile(error)) return [];
    throw new GptError('usage', `cannot list templates in ${dir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

export async function findTemplate(nameOrPath: string, where: TemplateWhere): Promise<Template> {
  if (isTemplatePath(nameOrPath)) return loadTemplate(resolve(where.cwd, nameOrPath));
  const dirs = templateDirs(where);
  for (const { dir } of dirs) {
    const file = join(dir, `${nameOrPath}.md`);
    if (existsSync(file)) return loadTemplate(file);
  }
  const names = (await Promise.all(dirs.map((d) => templateFiles(d.dir)))).flat().map((f) => f.replace(/\.md$/i, ''));
  const guess = closest(nameOrPath, names);
  throw new GptError(
    'usage',
    `unknown template '${nameOrPath}' (looked in: ${dirs.map((d) => d.label).join(', ')})${guess ? `; did you mean '${guess}'?` : ''}`,
  );
}

/**
 * Every template on the search path, the first of each name winning as in findTemplate. A file that fails
 * to load goes to `onError` when given (so one broken file does not hide the rest); otherwise it throws.
 */
export async function listTemplates(
  where: TemplateWhere,
  onError?: (file: string, error: unknown) => void,
): Promise<Array<{ template: Template; foundIn: string; source: TemplateDir['source'] }>> {
  const found: Array<{ template: Template; foundIn: string; source: TemplateDir['source'] }> = [];
  const seen = new Set<string>();
  for (const { dir, label, source } of templateDirs(where)) {
    for (const file of await templateFiles(dir)) {
      const name = file.replace(/\.md$/i, '');
      if (seen.has(name)) continue;
      seen.add(name);
      try {
        found.push({ template: await loadTemplate(join(dir, file)), foundIn: label, source });
      } catch (error) {
        if (!onError) throw error;
        onError(join(dir, file), error);
      }
    }
  }
  return found;
}
