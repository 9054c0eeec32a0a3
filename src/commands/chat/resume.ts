/** Which conversation `gpt chat -c` / `--cid` continues, loaded, with its torn lines reported. */
import { ConversationWriter } from '../../conversations/history.js';
import { conversationsDir, lastConversationId, loadConversation, resolveId } from '../../conversations/store.js';
import type { Conversation } from '../../conversations/types.js';
import { GptError } from '../../domain/index.js';

export interface Resumed {
  conversation: Conversation;
  /** Things to say on stderr (torn lines skipped). */
  warnings: string[];
}

/** The conversation to continue, or undefined for a new one; none saved or a bad prefix is exit 2. */
export async function resumeConversation(wanted: { continue: boolean; cid?: string }, dir = conversationsDir()): Promise<Resumed | undefined> {
  if (wanted.cid === undefined && !wanted.continue) return undefined;
  let id: string | undefined;
  if (wanted.cid !== undefined) id = await resolveId(dir, wanted.cid);
  else {
    id = await lastConversationId(dir);
    if (id === undefined) throw new GptError('usage', `no saved conversation to continue (none in ${dir}); start one with gpt chat "…"`);
  }
  const conversation = await loadConversation(dir, id);
  const warnings = conversation.skipped.map((line) => `${conversation.path}: line ${line} is torn or not a conversation record; that turn is skipped`);
  return { conversation, warnings };
}

/** Where the turns of this chat go: the resumed conversation's file, or a new one written with the first turn. */
export function writerFor(resumed: Resumed | undefined, fresh: { profile: string; model: string; system?: string | undefined }): ConversationWriter {
  if (resumed) return ConversationWriter.resume(conversationsDir(), resumed.conversation);
  return new ConversationWriter(conversationsDir(), { profile: fresh.profile, model: fresh.model, ...(fresh.system ? { system: fresh.system } : {}) });
}
