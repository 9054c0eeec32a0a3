/**
 * Compaction of a long conversation: older turns replaced, in what is sent, by a dense summary (any API, written by a
 * model) or by the Responses API's own `/responses/compact` items; the system prompt and the last turns stay verbatim.
 * Nothing here prints: the caller shows the record (tokens before → after, cost) and appends it to the file.
 */
import { lookupModel } from '../accounting/models.js';
import { loadCounter } from '../accounting/tokenizer.js';
import type { ResolvedConfig } from '../config/types.js';
import { historyMessages, lastCompaction, summaryMessage } from '../conversations/history.js';
import type { CompactionRecord, Conversation } from '../conversations/types.js';
import { type ChatMessage, type GenerationOptions, GptError, type TextCounter } from '../domain/index.js';
import { apiFor } from '../providers/types.js';
import { answerCost } from './budget.js';
import { type PromptResult, fanOut } from './events.js';
import { runPipeline } from './pipeline.js';
import { preparePrompt } from './prompt.js';

export interface CompactionJob {
  config: ResolvedConfig;
  /** The conversation's model (the summary's too, unless conversations.compactModel names another). */
  model: string;
  options: GenerationOptions;
  conversation: Pick<Conversation, 'turns' | 'compactions'>;
  system: string | undefined;
}

const SUMMARY_PROMPT = [
  'You compact a conversation so it can continue in fewer tokens.',
  'Write a dense summary of the transcript you are given. Keep every fact, name, number, decision and its reason,',
  'constraint, preference of the user, code identifier, and every open question or unfinished task. Drop pleasantries',
  'and repetition. Write in the language of the conversation, as terse notes under the headings Facts, Decisions, Open questions.',
].join(' ');

/** Whether what is sent goes through the Responses API (whose compaction items only it can read). */
export const sendsItems = (config: ResolvedConfig, options: GenerationOptions): boolean => apiFor({ options }, config.profile) === 'responses';

/** How many turns (from the start) a compaction now would replace; 0 when no more than keepTurns are left verbatim. */
export function turnsToReplace(job: Pick<CompactionJob, 'conversation' | 'config' | 'options'>): number {
  const since = lastCompaction(job.conversation, sendsItems(job.config, job.options))?.replaces ?? 0;
  const replaces = job.conversation.turns.length - job.config.conversations.keepTurns;
  return replaces > since ? replaces : 0;
}

/** The token limit that triggers compaction: conversations.compactAt (tokens, or a fraction of window minus max output). */
export function compactLimit(config: ResolvedConfig, model: string, options: GenerationOptions): number | undefined {
  const at = config.conversations.compactAt;
  if (at !== undefined && at > 1) return at;
  const facts = lookupModel(model, config.pricing);
  if (!facts.contextWindow) return undefined;
  const room = facts.contextWindow - (options.maxOutputTokens ?? facts.maxOutputTokens ?? 0);
  return Math.max(0, (at ?? 0.8) * room);
}

const countable = (messages: ChatMessage[]) => messages.map((m) => ({ role: m.role, content: m.item !== undefined ? JSON.stringify(m.item) : m.content }));

/** Whether sending `next` (history + the new message) would pass the limit, with turns left to compact. */
export async function needsCompaction(job: CompactionJob, next: ChatMessage[]): Promise<boolean> {
  const limit = compactLimit(job.config, job.model, job.options);
  if (limit === undefined || turnsToReplace(job) === 0) return false;
  return (await loadCounter(job.model)).countChat(countable(next)) > limit;
}

/** Compacts now; undefined when there is nothing to compact. `warn` gets a usage log that cannot be written. */
export async function compactConversation(job: CompactionJob, warn: (message: string) => void, now = new Date()): Promise<CompactionRecord | undefined> {
  const replaces = turnsToReplace(job);
  if (replaces === 0) return undefined;
  const items = sendsItems(job.config, job.options);
  const older = historyMessages({ turns: job.conversation.turns.slice(0, replaces), compactions: job.conversation.compactions }, job.system, items);
  const done = items && !job.config.profile.simulate ? await viaResponses(job, older, warn) : await viaSummary(job, older, warn);
  const counter = await loadCounter(job.model);
  const record: CompactionRecord = { type: 'compaction', at: now.toISOString(), replaces, ...done.kept, model: done.result.model, usage: done.result.usage, cost: done.result.cost, tokens_before: 0, tokens_after: 0 };
  const after = { turns: job.conversation.turns, compactions: [...job.conversation.compactions, record] };
  record.tokens_before = tokens(counter, historyMessages(job.conversation, job.system, items));
  record.tokens_after = tokens(counter, historyMessages(after, job.system, items));
  return record;
}

const tokens = (counter: TextCounter, messages: ChatMessage[]) => counter.countChat(countable(messages));

type Done = { kept: Pick<CompactionRecord, 'summary' | 'items'>; result: PromptResult };

/** The Responses API's own compaction; its usage is logged like any call. */
async function viaResponses(job: CompactionJob, older: ChatMessage[], warn: (message: string) => void): Promise<Done> {
  const prepared = preparePrompt({ command: 'chat', config: job.config, model: job.model, messages: older, options: callOptions(job.options), validate: false });
  const { provider, facts, clock } = prepared.deps;
  if (!provider.compact) throw new GptError('usage', 'this profile cannot compact through the Responses API');
  const started = clock.now();
  const answer = await provider.compact({ model: job.model, messages: older, options: callOptions(job.options) });
  const result: PromptResult = { text: '', model: answer.model, usage: answer.usage, cost: answerCost(answer.usage, facts.price, undefined), finishReason: 'stop', accounted: true, latency: { totalMs: clock.now() - started, firstTokenMs: null } };
  await prepared.usageLog(warn)?.({ type: 'finished', result });
  return { kept: { items: answer.items }, result };
}

/** A model writes the summary (conversations.compactModel, else the conversation's model), through the usual pipeline. */
async function viaSummary(job: CompactionJob, older: ChatMessage[], warn: (message: string) => void): Promise<Done> {
  const model = job.config.conversations.compactModel ?? job.model;
  const messages: ChatMessage[] = [
    { role: 'system', content: SUMMARY_PROMPT },
    { role: 'user', content: transcript(older) },
  ];
  const prepared = preparePrompt({ command: 'chat', config: job.config, model, messages, options: callOptions(job.options), validate: false });
  const usageLog = prepared.usageLog(warn);
  const outcome = await runPipeline(prepared.spec, { ...prepared.deps, emit: fanOut(usageLog ? [usageLog] : []) });
  if (outcome.error !== undefined) throw outcome.error;
  if (outcome.result.text.trim() === '') throw new GptError('api', 'the summary for compaction came back empty; nothing was compacted');
  return { kept: { summary: outcome.result.text.trim() }, result: outcome.result };
}

/** Only what shapes the call, not the conversation's sampling or output format. */
const callOptions = (o: GenerationOptions): GenerationOptions => ({
  ...(o.api !== undefined ? { api: o.api } : {}),
  ...(o.timeoutSeconds !== undefined ? { timeoutSeconds: o.timeoutSeconds } : {}),
  ...(o.retries !== undefined ? { retries: o.retries } : {}),
});

/** The older turns as a transcript for the summariser (an earlier summary comes first, as it was sent). */
function transcript(messages: ChatMessage[]): string {
  const summaryPrefix = summaryMessage('').content;
  return messages
    .filter((m) => m.role !== 'system' && m.item === undefined)
    .map((m) => (m.content.startsWith(summaryPrefix) ? `Earlier summary:\n${m.content.slice(summaryPrefix.length)}` : `${m.role === 'user' ? 'User' : 'Assistant'}: ${m.content}`))
    .join('\n\n');
}
