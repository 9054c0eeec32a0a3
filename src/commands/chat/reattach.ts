/**
 * `-c` / `--cid`: the files earlier turns were sent with go again with those turns (the API keeps no state, and a
 * conversation about a picture needs the picture). A conversation stores only where each came from and a hash
 * of its bytes: a file is read again and sent only when its bytes are still those; a URL is passed again; stdin,
 * a changed or missing file, or a file the model cannot take is left out with one warning naming it.
 */
import { checkAttachments, withAttachments } from '../../attachments/apply.js';
import { type Attachment, loadAttachments } from '../../attachments/load.js';
import { lastCompaction } from '../../conversations/history.js';
import type { AttachmentRef, Conversation, TurnRecord } from '../../conversations/types.js';
import { type ImageDetail, sha256 } from '../../domain/index.js';
import type { AttachmentTarget } from '../../attachments/apply.js';

export interface Reattach {
  target: AttachmentTarget;
  detail: ImageDetail;
  cwd: string;
  warn: (message: string) => void;
}

/** The conversation with each sent turn's user message carrying its files again (turns a compaction replaced are not sent: skipped). */
export async function reattach(conversation: Conversation, how: Reattach): Promise<Conversation> {
  const from = lastCompaction(conversation)?.replaces ?? 0;
  const turns: TurnRecord[] = [];
  for (const [i, turn] of conversation.turns.entries()) {
    turns.push(i < from || !turn.attachments?.length ? turn : { ...turn, messages: withAttachments(turn.messages, await loadAgain(turn.attachments, how), how.detail) });
  }
  return { ...conversation, turns };
}

async function loadAgain(refs: readonly AttachmentRef[], how: Reattach): Promise<Attachment[]> {
  const out: Attachment[] = [];
  for (const ref of refs) {
    const skip = (why: string) => how.warn(`-c: ${ref.source} (sent with an earlier turn) is not sent again: ${why}`);
    if (ref.source === '-') {
      skip('it came from stdin');
      continue;
    }
    try {
      const [attachment] = await loadAttachments([ref.source], { cwd: how.cwd, readStdin: () => Promise.reject(new Error('no stdin')) });
      if (ref.sha256 !== undefined && (attachment!.data === undefined || sha256(attachment!.data) !== ref.sha256)) {
        skip('the file has changed since');
        continue;
      }
      checkAttachments([attachment!], how.target).forEach(how.warn);
      out.push(attachment!);
    } catch (error) {
      skip((error as Error).message.replace(/^--attach [^:]*: /, ''));
    }
  }
  return out;
}
