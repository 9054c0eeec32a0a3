/** A stored conversation turned back into the messages to send, and the writer that appends new turns to it. */
import type { ChatMessage } from '../domain/index.js';
import { appendRecords, newConversationId, titleOf } from './store.js';
import type { CompactionRecord, Conversation, HeaderRecord, TurnRecord } from './types.js';

/** How the summary of older turns is sent in their place. */
export const summaryMessage = (summary: string): ChatMessage => ({
  role: 'user',
  content: `Summary of our conversation so far (older turns were compacted):\n\n${summary}`,
});
const SUMMARY_ACK: ChatMessage = { role: 'assistant', content: 'Understood; I will continue from that summary.' };

/** The messages of the turns, in order, each turn's messages then its answer. */
export function turnMessages(turns: readonly TurnRecord[]): ChatMessage[] {
  return turns.flatMap((turn) => [...turn.messages, { role: 'assistant' as const, content: turn.answer }]);
}

/**
 * The compaction what is sent starts from: the last one, or with `withItems` false (not the Responses API) the last one
 * with a summary, since the Responses API's compaction items are opaque to any other API.
 */
export function lastCompaction(conversation: Pick<Conversation, 'compactions'>, withItems = true): CompactionRecord | undefined {
  return conversation.compactions.findLast((c) => c.summary !== undefined || (withItems && c.items !== undefined));
}

/**
 * What to send before a new turn: the system prompt, the summary of compacted turns (or, on the Responses API, its
 * compaction items as they came) and the turns after it, verbatim.
 */
export function historyMessages(conversation: Pick<Conversation, 'turns' | 'compactions'>, system: string | undefined, withItems = false): ChatMessage[] {
  const compaction = lastCompaction(conversation, withItems);
  const messages: ChatMessage[] = system ? [{ role: 'system', content: system }] : [];
  if (compaction?.summary !== undefined) messages.push(summaryMessage(compaction.summary), SUMMARY_ACK);
  else if (compaction?.items !== undefined) messages.push(...compaction.items.map((item): ChatMessage => ({ role: 'user', content: '', item })));
  messages.push(...turnMessages(conversation.turns.slice(compaction?.replaces ?? 0)));
  return messages;
}

/** The system prompt a conversation is at: the last turn's own (a /system or `-s` given on the way), else the header's. */
export function currentSystem(conversation: Pick<Conversation, 'header' | 'turns'>): string | undefined {
  const own = conversation.turns.findLast((turn) => turn.system !== undefined)?.system;
  const system = own ?? conversation.header.system;
  return system === '' ? undefined : system;
}

/** Appends turns to one conversation file, writing its header with the first turn (so a failed first prompt leaves no file). */
export class ConversationWriter {
  /** The system prompt the file is at (the header's, or the last turn that changed it). */
  private system: string | undefined;

  constructor(
    readonly dir: string,
    private header: Omit<HeaderRecord, 'type' | 'id' | 'created' | 'title'> & { id?: string; created?: string; title?: string },
  ) {
    this.system = header.system;
  }

  /** Continues a stored conversation, at the system prompt it is at. */
  static resume(dir: string, conversation: Pick<Conversation, 'header' | 'turns'>): ConversationWriter {
    const writer = new ConversationWriter(dir, conversation.header);
    writer.system = currentSystem(conversation);
    return writer;
  }

  get id(): string | undefined {
    return this.header.id;
  }

  /** Starts over (a session's /new): the next turn opens a new file. */
  reset(changes: { model?: string; system?: string | undefined } = {}): void {
    const { profile, model } = this.header;
    this.header = { profile, model: changes.model ?? model, ...(changes.system ? { system: changes.system } : {}) };
    this.system = this.header.system;
  }

  async appendTurn(given: TurnRecord, now = new Date()): Promise<string> {
    // A turn stores its system prompt only when it is not the one the file already holds.
    const { system, ...rest } = given;
    const turn: TurnRecord = system !== undefined && system !== (this.system ?? '') ? { ...rest, system } : rest;
    if (this.header.id === undefined) {
      const first = turn.messages.find((m) => m.role === 'user')?.content ?? '';
      const header: HeaderRecord = { type: 'conversation', id: newConversationId(now.getTime()), created: now.toISOString(), profile: this.header.profile, model: this.header.model, ...(this.header.system ? { system: this.header.system } : {}), title: titleOf(first) };
      await appendRecords(this.dir, header.id, [header, turn]);
      this.header = header;
    } else await appendRecords(this.dir, this.header.id, [turn]);
    // Only once the line is written: a turn that could not be saved leaves the file at its old system prompt.
    if (system !== undefined) this.system = system === '' ? undefined : system;
    return this.header.id!;
  }

  async appendCompaction(record: CompactionRecord): Promise<void> {
    if (this.header.id !== undefined) await appendRecords(this.dir, this.header.id, [record]);
  }
}
