/**
 * Files a template reads besides itself: `{{file:…}}` includes and `schema: file.json`. A template from
 * an untrusted folder may read only regular files inside the folder it was found in — no absolute
 * paths, no `..` or symlink escape, no devices — so a cloned repository cannot smuggle your files into
 * a prompt. The check is made on the opened file itself, so swapping a link after the check changes nothing.
 */
import { constants } from 'node:fs';
import { open, readlink, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, resolve, sep } from 'node:path';
import { fileErrorReason } from '../domain/index.js';
import type { Template } from './types.js';

/** Why a file cannot be read; the caller names the template and line. */
export class IncludeError extends Error {}

const inside = (path: string, dir: string) => path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);

const describe = (error: unknown): string => fileErrorReason(error);

/** The real path of an open file: Linux names it in /proc; elsewhere resolve the name we opened. */
async function realPathOf(fd: number, file: string): Promise<string> {
  try {
    return await readlink(`/proc/self/fd/${fd}`);
  } catch {
    return realpath(file);
  }
}

async function canonicalDir(dir: string): Promise<string> {
  try {
    return await realpath(dir);
  } catch {
    return resolve(dir);
  }
}

/** Reads `ref` (as written in the template) relative to the template's folder, under the template's trust. */
export async function readTemplateFile(t: Template, ref: string): Promise<string> {
  const confined = t.confinedTo;
  if (confined && isAbsolute(ref)) throw new IncludeError(outside(confined));
  const file = resolve(dirname(t.path), ref);
  let handle;
  try {
    // O_NONBLOCK: opening a FIFO must not hang; it is refused below as not a regular file.
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw new IncludeError(`${file}: ${describe(error)}`);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new IncludeError(`${file}: not a regular file`);
    if (confined) {
      const root = await canonicalDir(confined.dir);
      if (!inside(await realPathOf(handle.fd, file), root)) throw new IncludeError(outside(confined));
    }
    return await handle.readFile('utf8');
  } catch (error) {
    if (error instanceof IncludeError) throw error;
    throw new IncludeError(`${file}: ${describe(error)}`);
  } finally {
    await handle.close();
  }
}

function outside(confined: NonNullable<Template['confinedTo']>): string {
  return `outside the template's folder ${confined.dir}: an untrusted template may read only files there (read it, then run: gpt config trust ${confined.trust})`;
}
