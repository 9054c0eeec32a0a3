/** Compaction from the command line and the session: run it, show tokens before → after and its cost, keep its record. */
import { formatUsd } from '../../accounting/cost.js';
import type { ResolvedConfig } from '../../config/types.js';
import type { ConversationWriter } from '../../conversations/history.js';
import type { Conversation } from '../../conversations/types.js';
import { type CompactionJob, compactConversation, needsCompaction } from '../../core/compact.js';
import type { ChatMessage, GenerationOptions } from '../../domain/index.js';
import { escapeControls, formatInt as int } from '../../domain/index.js';
import type { SessionState } from './session.js';

export interface Compactable {
  config: ResolvedConfig;
  options: GenerationOptions;
  system: string | undefined;
  conversation: Pick<Conversation, 'turns' | 'compactions'>;
  /** Where the compaction record goes; undefined with --no-save. */
  writer: ConversationWriter | undefined;
  say(line: string): void;
  warn(message: string): void;
}

/** Compacts when asked, or when `next` would pass the threshold; returns the USD it cost (0 when nothing was done). */
export async function compactIfNeeded(c: Compactable, asked: boolean, next?: ChatMessage[]): Promise<{ usd: number; tokens: number }> {
  const job: CompactionJob = { config: c.config, model: c.config.model, options: c.options, conversation: c.conversation, system: c.system };
  if (!asked && (next === undefined || !(await needsCompaction(job, next)))) return { usd: 0, tokens: 0 };
  const record = await compactConversation(job, c.warn);
  if (!record) {
    if (asked) c.say(`nothing to compact: the last ${c.config.conversations.keepTurns} turns stay verbatim (conversations.keepTurns)`);
    return { usd: 0, tokens: 0 };
  }
  c.conversation.compactions.push(record);
  if (c.writer) await c.writer.appendCompaction(record);
  const cost = record.cost.priced ? formatUsd(record.cost.total_usd) : 'cost unknown';
  const how = record.items ? 'Responses API /responses/compact' : `summary by ${escapeControls(record.model)}`;
  c.say(`compacted ${record.replaces} turns (${how}): ${int(record.tokens_before)} → ${int(record.tokens_after)} tokens sent · ${cost}`);
  return { usd: record.cost.total_usd, tokens: record.usage.total_tokens };
}

export async function compactSession(state: SessionState, asked: boolean, next?: ChatMessage[]): Promise<void> {
  const spent = await compactIfNeeded(
    {
      config: state.config,
      options: state.options,
      system: state.options.system,
      conversation: state.conversation,
      writer: state.start.save ? state.writer : undefined,
      say: state.say,
      warn: (message) => state.say(`gpt: warning: ${escapeControls(message)}`),
    },
    asked,
    next,
  );
  state.totals.usd += spent.usd;
  state.totals.compactionTokens += spent.tokens;
}
