/**
 * Finding tools: `-T` takes a file or a name, looked up in ./tools, then config `tools.paths`, then
 * `$XDG_CONFIG_HOME/gpt/tools`. A tool from an untrusted project (./tools outside a trusted directory, a
 * path an untrusted project config added) runs code the user has not chosen: it is refused until trusted.
 */
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { GptError } from '../domain/index.js';
import { loadToolFile } from './file.js';
import type { ToolFile, ToolWhere } from './types.js';

const EXTENSIONS = ['.yaml', '.yml', '.json'];

/** A reference that names a file rather than a tool. */
export const isToolPath = (ref: string) => ref.includes('/') || ref.includes(sep) || /\.(ya?ml|json)$/i.test(ref);

interface Folder {
  dir: string;
  /** Set when the folder is project content the user has not trusted: what to trust. */
  untrusted?: string;
}

const inside = (path: string, dir: string) => path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);

const canonical = (path: string) => {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
};

/** A file named by path runs only from a folder that is the user's: trusted, the config dir, or the user's own tools.paths. */
function trustedFile(file: string, where: ToolWhere): boolean {
  const own = [...where.trustedDirs, where.configDir, ...where.paths.filter((p) => !where.untrustedPaths.includes(p))].map(canonical);
  const real = canonical(file);
  return own.some((dir) => inside(real, dir));
}

/** The folders searched, in order, each marked when untrusted. */
export function toolFolders(where: ToolWhere): Folder[] {
  const project = resolve(where.cwd, 'tools');
  const trusted = (dir: string) => where.trustedDirs.some((t) => inside(dir, t));
  return [
    { dir: project, ...(trusted(project) ? {} : { untrusted: where.cwd }) },
    ...where.paths.map((dir) => ({ dir, ...(where.untrustedPaths.includes(dir) && !trusted(dir) ? { untrusted: dir } : {}) })),
    { dir: join(where.configDir, 'tools') },
  ];
}

function fileIn(dir: string, name: string): string | undefined {
  return EXTENSIONS.map((ext) => join(dir, `${name}${ext}`)).find((file) => existsSync(file));
}

/** A tool by name or file; either way, one from a folder the user has not trusted is refused (exit 3). */
export async function findTool(ref: string, where: ToolWhere, origin = '-T'): Promise<ToolFile> {
  if (isToolPath(ref)) {
    const file = resolve(where.cwd, ref);
    if (existsSync(file) && !trustedFile(file, where)) {
      throw new GptError('config', `${origin} ${ref}: ${file} is not in a folder you trust and would run code; after reading it, trust it with: gpt config trust ${dirname(file)}`);
    }
    return loadToolFile(file);
  }
  for (const folder of toolFolders(where)) {
    const file = fileIn(folder.dir, ref);
    if (!file) continue;
    if (folder.untrusted) {
      throw new GptError('config', `${origin} ${ref}: ${file} is in an untrusted project and would run code; after reading it, trust it with: gpt config trust ${folder.untrusted}`);
    }
    return loadToolFile(file);
  }
  const searched = toolFolders(where).map((f) => f.dir).join(', ');
  throw new GptError('usage', `${origin} ${ref}: no such tool (searched ${searched})`);
}

/** Every tool file on the search path, for `gpt tools`: loaded when trusted, else only named. */
export async function listToolFiles(where: ToolWhere): Promise<Array<{ file: string; tool?: ToolFile; untrusted?: string; error?: string }>> {
  const out: Array<{ file: string; tool?: ToolFile; untrusted?: string; error?: string }> = [];
  for (const folder of toolFolders(where)) {
    let names: string[];
    try {
      names = readdirSync(folder.dir).filter((n) => EXTENSIONS.some((ext) => n.endsWith(ext))).sort();
    } catch {
      continue;
    }
    for (const name of names) {
      const file = join(folder.dir, name);
      try {
        out.push({ file, tool: await loadToolFile(file), ...(folder.untrusted ? { untrusted: folder.untrusted } : {}) });
      } catch (error) {
        out.push({ file, error: (error as Error).message });
      }
    }
  }
  return out;
}
