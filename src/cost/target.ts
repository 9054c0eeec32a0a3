/** What `gpt cost [target]` was given: piped stdin, a batch file, a template, or the text of a message. */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GptError } from '../domain/index.js';
import { templateDirs } from '../templates/find.js';
import type { TemplateWhere } from '../templates/types.js';

export type Target =
  | { kind: 'stdin' }
  | { kind: 'batch'; path: string }
  | { kind: 'template'; nameOrPath: string }
  | { kind: 'message'; text: string };

const BATCH_FILE = /\.(jsonl|ndjson|csv)$/i;
const TEMPLATE_FILE = /\.md$/i;
/** A single word with one of these endings (or a ./, ../, / or ~/ start) means a file, so a missing one is an error. */
const FILE_LIKE = /^(\.{0,2}\/|~\/)|\.(jsonl|ndjson|csv|md|json|txt|ya?ml)$/i;
const TEMPLATE_NAME = /^[\w.-]+$/;

function fileKind(path: string): 'file' | 'dir' | null {
  try {
    return statSync(path).isDirectory() ? 'dir' : 'file';
  } catch {
    return null;
  }
}

/**
 * `-` or nothing: stdin. An existing .jsonl/.ndjson/.csv file: a batch. A .md path, or a name found on the template
 * search path: a template. Anything else is the message itself, except a single word that names a file which does
 * not exist (a typo must not be priced as a two-token message).
 */
export function classifyTarget(target: string | undefined, where: TemplateWhere): Target {
  if (target === undefined || target === '-') return { kind: 'stdin' };
  const path = resolve(where.cwd, target);
  const kind = fileKind(path);
  if (kind === 'file') {
    if (BATCH_FILE.test(target)) return { kind: 'batch', path };
    if (TEMPLATE_FILE.test(target)) return { kind: 'template', nameOrPath: target };
    throw new GptError('usage', `${target} is neither a batch file (.jsonl, .csv) nor a template (.md); to price its text, pipe it: gpt cost < ${target}`);
  }
  const oneWord = !/\s/.test(target);
  if (oneWord && TEMPLATE_FILE.test(target)) return { kind: 'template', nameOrPath: target };
  if (oneWord && kind === null && FILE_LIKE.test(target)) throw new GptError('usage', `no such file: ${target}`);
  if (TEMPLATE_NAME.test(target) && templateDirs(where).some(({ dir }) => existsSync(join(dir, `${target}.md`)))) {
    return { kind: 'template', nameOrPath: target };
  }
  return { kind: 'message', text: target };
}
