/** The template loader: where templates live, reading them, listing them. All file I/O for templates is here. */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { homedir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { GptError, fileErrorReason } from '../domain/index.js';
import { readTemplateFile } from './include.js';
import { resolveSchema } from './schema.js';
import { closest } from './syntax.js';
import type { Template, TemplateWhere } from './types.js';

export interface TemplateDir {
  dir: string;
  /** How the folder is shown to the user: ./prompts, a templates.paths entry, the user folder, or built-in. */
  label: string;
  source: 'project' | 'templates.paths' | 'user' | 'built-in';
  /** Absent for a trusted folder; else the confinement its templates get (see Template.confinedTo). */
  confinedTo?: { dir: string; trust: string };
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

const inside = (path: string, dir: string) => path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);

/** Whether a folder is the user's: under a trusted directory, the user config dir or the shipped prompts. */
function trustedFolder(dir: string, where: TemplateWhere, builtin: string | null): boolean {
  const real = canonical(dir);
  const own = [...(where.trust?.dirs ?? []), canonical(where.configDir), ...(builtin ? [canonical(builtin)] : [])];
  return own.some((d) => inside(real, d));
}

/** The search path in order (SPEC: ./prompts, templates.paths, $XDG_CONFIG_HOME/gpt/prompts), then the shipped ones. */
export function templateDirs(where: TemplateWhere): TemplateDir[] {
  const home = homedir();
  const show = (dir: string) => (home && dir.startsWith(home + sep) ? `~${dir.slice(home.length)}` : dir);
  const builtin = where.builtinDir === undefined ? builtinPromptsDir() : where.builtinDir;
  const untrustedPaths = new Set((where.trust?.untrustedPaths ?? []).map((p) => resolve(where.cwd, p)));
  const confine = (dir: string, trust: string) => (trustedFolder(dir, where, builtin) ? {} : { confinedTo: { dir, trust } });
  const project = join(where.cwd, 'prompts');
  const dirs: TemplateDir[] = [
    { dir: project, label: `.${sep}prompts`, source: 'project', ...confine(project, where.cwd) },
    ...where.templatePaths.map((p) => {
      const dir = resolve(where.cwd, p);
      const untrusted = untrustedPaths.has(dir) ? confine(dir, where.trust?.untrustedConfig ?? dir) : {};
      return { dir, label: show(dir), source: 'templates.paths' as const, ...untrusted };
    }),
    { dir: join(where.configDir, 'prompts'), label: show(join(where.configDir, 'prompts')), source: 'user' },
  ];
  if (builtin) dirs.push({ dir: builtin, label: 'built-in', source: 'built-in' });
  const seen = new Set<string>();
  return dirs.filter(({ dir }) => {
    const key = canonical(dir);
    return seen.has(key) ? false : (seen.add(key), true);
  });
}

/** A template named by path is confined to its own folder unless that folder is one the user trusts. */
function dirForPath(file: string, where: TemplateWhere): TemplateDir {
  const dir = dirname(file);
  const known = templateDirs(where).find((d) => canonical(d.dir) === canonical(dir));
  if (known) return known;
  const builtin = where.builtinDir === undefined ? builtinPromptsDir() : where.builtinDir;
  return { dir, label: dir, source: 'project', ...(trustedFolder(dir, where, builtin) ? {} : { confinedTo: { dir, trust: dir } }) };
}

/** A value with a slash or ending in .md is a file path; anything else is a name to look up. */
export const isTemplatePath = (nameOrPath: string) => /[\\/]/.test(nameOrPath) || /\.md$/i.test(nameOrPath);

/** Reads, parses and checks one template file (its schema file too), under its folder's trust. */
export async function loadTemplate(file: string, confinedTo?: TemplateDir['confinedTo']): Promise<Template> {
  let text: string;
  try {
    // The template itself is read like an include of its own folder: a link out of an untrusted folder is refused.
    text = await readTemplateFile({ path: file, ...(confinedTo ? { confinedTo } : {}) } as Template, basename(file));
  } catch (error) {
    throw new GptError('usage', `cannot read template ${file}: ${(error as Error).message.replace(`${file}: `, '')}`);
  }
  // The parser (and yaml, ~75 CommonJS files) loads with the first template: batch and chat start without it.
  const { parseTemplate } = await import('./parse.js');
  const template = parseTemplate(text, file);
  return resolveSchema(confinedTo ? { ...template, confinedTo } : template);
}

const missingFile = (error: unknown) => ['ENOENT', 'ENOTDIR'].includes((error as NodeJS.ErrnoException).code ?? '');

async function templateFiles(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.filter((e) => !e.isDirectory() && e.name.toLowerCase().endsWith('.md')).map((e) => e.name).sort();
  } catch (error) {
    if (missingFile(error)) return [];
    throw new GptError('usage', `cannot list templates in ${dir}: ${fileErrorReason(error)}`);
  }
}

export async function findTemplate(nameOrPath: string, where: TemplateWhere): Promise<Template> {
  if (isTemplatePath(nameOrPath)) {
    const file = resolve(where.cwd, nameOrPath);
    return loadTemplate(file, dirForPath(file, where).confinedTo);
  }
  const dirs = templateDirs(where);
  for (const { dir, confinedTo } of dirs) {
    const file = join(dir, `${nameOrPath}.md`);
    if (existsSync(file)) return loadTemplate(file, confinedTo);
  }
  const names = (await Promise.all(dirs.map((d) => templateFiles(d.dir)))).flat().map((f) => f.replace(/\.md$/i, ''));
  const guess = closest(nameOrPath, names);
  throw new GptError(
    'usage',
    `unknown template '${nameOrPath}' (looked in: ${dirs.map((d) => d.label).join(', ')})${guess ? `; did you mean '${guess}'?` : ''}`,
  );
}

export interface ListedTemplate {
  template: Template;
  foundIn: string;
  source: TemplateDir['source'];
  /** Later folders on the search path that hold a template of the same name, hidden by this one. */
  shadows: string[];
}

/**
 * Every template on the search path, the first of each name winning as in findTemplate. A file that fails
 * to load goes to `onError` when given (so one broken file does not hide the rest); otherwise it throws.
 */
export async function listTemplates(where: TemplateWhere, onError?: (file: string, error: unknown) => void): Promise<ListedTemplate[]> {
  const found: ListedTemplate[] = [];
  const byName = new Map<string, ListedTemplate>();
  for (const { dir, label, source, confinedTo } of templateDirs(where)) {
    for (const file of await templateFiles(dir)) {
      const name = file.replace(/\.md$/i, '');
      const first = byName.get(name);
      if (first) {
        first.shadows.push(label);
        continue;
      }
      try {
        const listed = { template: await loadTemplate(join(dir, file), confinedTo), foundIn: label, source, shadows: [] };
        byName.set(name, listed);
        found.push(listed);
      } catch (error) {
        if (!onError) throw error;
        onError(join(dir, file), error);
      }
    }
  }
  return found;
}

/** The folders after the template's own that hold a template of the same name (what it hides). */
export async function shadowedBy(template: Template, where: TemplateWhere): Promise<string[]> {
  const dirs = templateDirs(where);
  const own = dirs.findIndex((d) => canonical(d.dir) === canonical(dirname(template.path)));
  if (own === -1) return [];
  const later = await Promise.all(dirs.slice(own + 1).map(async (d) => ((await templateFiles(d.dir)).includes(basename(template.path)) ? [d.label] : [])));
  return later.flat();
}
