/**
 * Trust for project content, like git's safe.directory or direnv's allow. A config file found by walking
 * up from the working directory is trusted only once the user has run `gpt config trust` on it, and only
 * while its bytes are unchanged (their sha256 is recorded). A directory can be trusted too: its
 * `prompts/` (and the templates inside it) may then include any file and choose any profile.
 */
import { mkdirSync, readFileSync, realpathSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { sha256 } from '../domain/index.js';

/** path → sha256 of a trusted file, or DIRECTORY for a trusted directory. */
type TrustStore = Record<string, string>;

const DIRECTORY = 'directory';

function storePath(stateDir: string): string {
  return join(stateDir, 'trusted-configs.json');
}

function readStore(stateDir: string): TrustStore {
  try {
    const parsed: unknown = JSON.parse(readFileSync(storePath(stateDir), 'utf8'));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as TrustStore) : {};
  } catch {
    return {};
  }
}

function writeStore(stateDir: string, store: TrustStore): void {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const tmp = `${storePath(stateDir)}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(store, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, storePath(stateDir));
}

/** Symlinks resolved, so a trusted folder cannot be reached (or faked) through another name. */
export function canonicalPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

/** Whether these exact bytes, read from `path`, are what the user trusted (the caller parses the same bytes). */
export function bytesTrusted(stateDir: string, path: string, bytes: Uint8Array): boolean {
  const recorded = readStore(stateDir)[canonicalPath(path)];
  return recorded !== undefined && recorded !== DIRECTORY && recorded === sha256(bytes);
}

/** The trusted directories, canonical. */
export function trustedDirs(stateDir: string): string[] {
  return Object.entries(readStore(stateDir))
    .filter(([, value]) => value === DIRECTORY)
    .map(([path]) => path);
}

/** `path` is `dir` or lies below it (both canonical). */
export function isInside(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

/** Records a file's current bytes (one read) as trusted; returns their sha256. */
export function trustFile(stateDir: string, path: string): string {
  const full = canonicalPath(path);
  const hash = sha256(readFileSync(full));
  writeStore(stateDir, { ...readStore(stateDir), [full]: hash });
  return hash;
}

/** Trusts a directory and everything below it (its prompts/, whatever their content). */
export function trustDir(stateDir: string, dir: string): string {
  const full = canonicalPath(dir);
  writeStore(stateDir, { ...readStore(stateDir), [full]: DIRECTORY });
  return full;
}

export function untrust(stateDir: string, path: string): boolean {
  const store = readStore(stateDir);
  const full = canonicalPath(path);
  if (!(full in store)) return false;
  delete store[full];
  writeStore(stateDir, store);
  return true;
}
