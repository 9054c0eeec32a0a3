import { redact } from './redact.js';

/** Every failure the user can see has a kind; the kind alone decides the exit code (SPEC: exit codes). */
export type ErrorKind =
  | 'internal'
  | 'usage'
  | 'config'
  | 'auth'
  | 'rate_limit'
  | 'budget'
  | 'api'
  | 'batch_failed'
  | 'output'
  | 'interrupted';

const EXIT_CODES: Record<ErrorKind, number> = {
  internal: 1,
  usage: 2,
  config: 3,
  auth: 4,
  rate_limit: 5,
  budget: 6,
  api: 7,
  batch_failed: 8,
  output: 9,
  interrupted: 130,
};

export function exitCodeFor(kind: ErrorKind): number {
  return EXIT_CODES[kind];
}

export interface ApiErrorDetails {
  status?: number;
  type?: string;
  code?: string;
  requestId?: string;
  retryable?: boolean;
}

export class GptError extends Error {
  override name = 'GptError';
  readonly kind: ErrorKind;
  readonly details: ApiErrorDetails;

  constructor(kind: ErrorKind, message: string, details: ApiErrorDetails = {}, options?: { cause?: unknown }) {
    // APIs echo keys back ("Incorrect API key provided: sk-…"); an error message goes everywhere, so mask it at birth.
    super(redact(message), options);
    this.kind = kind;
    this.details = details;
  }

  get exitCode(): number {
    return exitCodeFor(this.kind);
  }
}

export const usageError = (message: string) => new GptError('usage', message);
export const configError = (message: string) => new GptError('config', message);

/** Writing failed (a full disk, a closed pipe): the words for it, and the one-line error (exit 9). */
const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EIO: 'input/output error',
  EROFS: 'read-only file system',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large',
  EACCES: 'permission denied',
};

/** Reading or opening a file failed: the words for each code (never a bare ENOENT on screen). */
const FILE_REASONS: Record<string, string> = {
  ...REASONS,
  ENOENT: 'no such file',
  EISDIR: 'is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  EPERM: 'operation not permitted',
  ELOOP: 'too many symbolic links',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'file name too long',
  EBUSY: 'file is busy',
};

/** Why reading a file failed, in words: `no such file`, `permission denied` (the caller names the path). */
export function fileErrorReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code && FILE_REASONS[code]) return FILE_REASONS[code];
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]!.replace(/^E[A-Z]+: /, '').replace(/, \w+ '.*'$/, '');
}

/** Why a write failed, in words, with the code: `no space left on device (ENOSPC)`. */
export function writeErrorReason(error: NodeJS.ErrnoException): string {
  const first = error.message.split('\n')[0]!.replace(/^E[A-Z]+: /, '').replace(/, \w+ '.*'$/, '');
  return error.code ? `${REASONS[error.code] ?? first} (${error.code})` : first;
}

/** The one-line error for a failed write to `where` (exit 9). */
export function writeFailure(where: string, error: NodeJS.ErrnoException): GptError {
  return new GptError('output', `cannot write ${where}: ${writeErrorReason(error)}`);
}

export const isClosedPipe = (error: unknown): boolean => (error as NodeJS.ErrnoException | undefined)?.code === 'EPIPE';
