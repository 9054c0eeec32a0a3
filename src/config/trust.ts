/**
 * Trust for project config files, like git's safe.directory or direnv's allow: a file found by
 * walking up from the working directory is trusted only once the user has run `gpt config trust`
 * on it, and only while its content is unchanged (its sha256 is recorded).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

type TrustStore = Record<string, string>;

function storePath(stateDir: string): string {
  return join(stateDir, 'trusted-configs.json');
}

function readStore(stateDir: string): TrustStore {
  try {
    const parsed: unknown = JSON.parse(readFileSync(storePath(stateDir), 'utf8'));
    return typeof parsed === 'object' && parsed !== null ? (parsed as TrustStore) : {};
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

export function fileHash(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

export function isTrusted(stateDir: string, path: string): boolean {
  const recorded = readStore(stateDir)[resolve(path)];
  if (!recorded) return false;
  try {
    return recorded === fileHash(path);
  } catch {
    return false;
  }
}

export function trustFile(stateDir: string, path: string): string {
  const full = resolve(path);
  const hash = fileHash(full);
  writeStore(stateDir, { ...readStore(stateDir), [full]: hash });
  return hash;
}

export function untrustFile(stateDir: string, path: string): boolean {
  const store = readStore(stateDir);
  const full = resolve(path);
  if (!(full in store)) return false;
  delete store[full];
  writeStore(stateDir, store);
  return true;
}
