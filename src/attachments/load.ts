/**
 * `-a/--attach PATH|URL|-`: each attachment read once, its type told by its bytes (file-type's magic numbers, not
 * its name), checked against the size limits, and turned into an image, a PDF or a text file. Nothing is sent here.
 */
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { GptError } from '../domain/index.js';

export type AttachmentKind = 'image' | 'pdf' | 'text';

export interface Attachment {
  /** As given on the command line or in a batch line. */
  source: string;
  /** The file name the model is told (basename of a path or URL; `stdin` for `-`). */
  name: string;
  kind: AttachmentKind;
  /** The detected media type (image/png, application/pdf, text/plain). */
  mime: string;
  /** Bytes read, or absent for a URL the API fetches itself. */
  data?: Buffer;
  /** http(s) URL passed through as a URL. */
  url?: string;
  /** Pixel size, read from an image's header. */
  width?: number;
  height?: number;
}

const MB = 1024 * 1024;
/**
 * Per-file limits as OpenAI documents them (platform docs, "Images and vision": 20 MB per image; "File inputs": PDFs
 * up to 32 MB): over them the API answers 400 after the upload, so we refuse first. Text files become prompt text,
 * which the context-window guard limits; 64 MiB is the bound the rest of gpt reads text lines with.
 */
export const SIZE_LIMITS: Readonly<Record<AttachmentKind, number>> = { image: 20 * MB, pdf: 32 * MB, text: 64 * MB };

const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/webp', 'image/gif']);

export interface LoadDeps {
  cwd: string;
  /** `-`: all of stdin as bytes. */
  readStdin: () => Promise<Buffer>;
}

const fail = (source: string, message: string) => new GptError('usage', `--attach ${source}: ${message}`);
const mb = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`;

/** Reads and classifies every attachment, in order; the first bad one is a usage error (exit 2). */
export async function loadAttachments(sources: readonly string[], deps: LoadDeps): Promise<Attachment[]> {
  if (sources.filter((s) => s === '-').length > 1) throw new GptError('usage', '--attach -: stdin can be attached only once');
  const out: Attachment[] = [];
  for (const source of sources) out.push(await loadOne(source, deps));
  return out;
}

async function loadOne(source: string, deps: LoadDeps): Promise<Attachment> {
  if (/^https?:\/\//i.test(source)) return fromUrl(source);
  if (source === '-') return classify(source, 'stdin', await deps.readStdin());
  return classify(source, basename(source), await readFileBounded(source, deps.cwd));
}

function fromUrl(source: string): Attachment {
  let url: URL;
  try {
    url = new URL(source);
  } catch {
    throw fail(source, 'not a valid URL');
  }
  const name = basename(decodeURIComponent(url.pathname)) || url.hostname;
  // The bytes are the API's to fetch: a .pdf path is a file, anything else is taken for an image.
  const pdf = /\.pdf$/i.test(url.pathname);
  return { source, name, kind: pdf ? 'pdf' : 'image', mime: pdf ? 'application/pdf' : 'image/*', url: source };
}

/** The file's bytes, refusing non-regular files and anything over the largest limit before reading it. */
async function readFileBounded(path: string, cwd: string): Promise<Buffer> {
  const { resolve } = await import('node:path');
  let handle;
  try {
    handle = await open(resolve(cwd, path), 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw fail(path, code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : `cannot be read (${code ?? 'error'})`);
  }
  try {
    const stat = await handle.stat();
    if (stat.isDirectory()) throw fail(path, 'is a directory');
    const max = Math.max(...Object.values(SIZE_LIMITS));
    if (stat.isFile() && stat.size > max) throw fail(path, `${mb(stat.size)} is over the ${mb(max)} limit for any attachment`);
    return await handle.readFile();
  } catch (error) {
    if (error instanceof GptError) throw error;
    throw fail(path, `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  } finally {
    await handle.close();
  }
}

/** Image, PDF or text by magic bytes; any other detected type, or binary without a known signature, is refused. */
export async function classify(source: string, name: string, data: Buffer): Promise<Attachment> {
  const { fileTypeFromBuffer } = await import('file-type');
  const detected = await fileTypeFromBuffer(data);
  let attachment: Attachment;
  if (detected && IMAGE_TYPES.has(detected.mime)) {
    attachment = { source, name, kind: 'image', mime: detected.mime, data, ...(await dimensions(data)) };
  } else if (detected?.mime === 'application/pdf') {
    attachment = { source, name, kind: 'pdf', mime: detected.mime, data };
  } else if (detected === undefined && isText(data)) {
    attachment = { source, name, kind: 'text', mime: 'text/plain', data };
  } else {
    const what = detected ? `${detected.mime} files are not supported` : 'binary data of unknown type is not supported';
    throw fail(source, `${what} (attach PNG, JPEG, WebP or GIF images, PDFs, or text files)`);
  }
  const limit = SIZE_LIMITS[attachment.kind];
  if (data.length > limit) throw fail(source, `${mb(data.length)} is over the ${mb(limit)} limit for ${attachment.kind === 'pdf' ? 'PDFs' : `${attachment.kind}s`}`);
  return attachment;
}

/** UTF-8 without NUL bytes. */
function isText(data: Buffer): boolean {
  if (data.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(data);
    return true;
  } catch {
    return false;
  }
}

/** Width and height from the image header (image-size reads headers only); absent when it cannot tell. */
async function dimensions(data: Buffer): Promise<{ width?: number; height?: number }> {
  const { imageSize } = await import('image-size');
  try {
    const size = imageSize(data);
    return size.width && size.height ? { width: size.width, height: size.height } : {};
  } catch {
    return {};
  }
}
