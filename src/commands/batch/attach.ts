/**
 * A batch line's `"attachments": ["a.png"]`: paths relative to the batch file, under the rule untrusted templates
 * follow — only regular files inside the batch file's folder (no absolute path, no `..` or symlink escape, checked
 * on the opened file) — so a batch file from elsewhere cannot smuggle your files into prompts. http(s) URLs pass.
 */
import { constants } from 'node:fs';
import { open, readlink, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, resolve, sep } from 'node:path';
import { checkAttachments, withAttachments } from '../../attachments/apply.js';
import { type Attachment, classify, loadAttachments } from '../../attachments/load.js';
import type { Render } from '../../batch/item.js';
import { defaultMessages } from '../../batch/item.js';
import type { BatchItem } from '../../batch/types.js';
import { type ApiShape, GptError, type ImageDetail } from '../../domain/index.js';

const inside = (path: string, dir: string) => path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);

/** Reads one attachment named by a line, confined to `root` (the batch file's real folder). */
async function readConfined(ref: string, root: string, line: number): Promise<Attachment> {
  if (/^https?:\/\//i.test(ref)) return (await loadAttachments([ref], { cwd: root, readStdin: async () => Buffer.alloc(0) }))[0]!;
  const fail = (why: string) => new GptError('usage', `line ${line}: attachment ${ref}: ${why}`);
  if (isAbsolute(ref) || ref === '-') throw fail('must be a path relative to the batch file');
  const file = resolve(root, ref);
  if (!inside(file, root)) throw fail("outside the batch file's folder"); // before opening: not even whether it exists
  let handle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw fail((error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'cannot be read');
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw fail('not a regular file');
    const real = await readlink(`/proc/self/fd/${handle.fd}`).catch(() => realpath(file));
    if (!inside(real, root)) throw fail("outside the batch file's folder");
    return await classify(ref, ref.split(sep).at(-1)!, await handle.readFile());
  } catch (error) {
    if (error instanceof GptError) throw new GptError('usage', error.message.replace(/^--attach /, `line ${line}: attachment `));
    throw fail('cannot be read');
  } finally {
    await handle.close();
  }
}

export interface LineAttachSetup {
  /** The batch file's path, or undefined for stdin (then the working directory). */
  batchPath: string | undefined;
  cwd: string;
  model: string;
  api: ApiShape;
  profileName: string;
  detail?: ImageDetail;
}

/** `render` (or a line's own prompt/messages) with the line's attachments added to its last user message. */
export async function withLineAttachments(render: Render | undefined, s: LineAttachSetup): Promise<Render> {
  const dir = s.batchPath === undefined ? s.cwd : dirname(resolve(s.cwd, s.batchPath));
  const root = await realpath(dir).catch(() => dir);
  return async (item: BatchItem) => {
    const messages = render ? await render(item) : defaultMessages(item);
    if (!item.attachments?.length) return messages;
    const attachments: Attachment[] = [];
    for (const ref of item.attachments) attachments.push(await readConfined(ref, root, item.line));
    checkAttachments(attachments, { model: item.model ?? s.model, api: s.api, profileName: s.profileName });
    return withAttachments(messages, attachments, s.detail ?? 'auto');
  };
}
