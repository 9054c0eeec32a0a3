/**
 * The interactive session: messages from a terminal's line editor or, with -i, from piped lines; slash commands
 * handled here and never sent; each answer saved as a turn; after each answer the footer and the session's total.
 */
import { join } from 'node:path';
import type { ResolvedConfig } from '../../config/types.js';
import { historyMessages } from '../../conversations/history.js';
import type { CompactionRecord, TurnRecord } from '../../conversations/types.js';
import { conversationSaver, turnRecord } from '../../core/save-conversation.js';
import { type ChatMessage, type GenerationOptions, GptError, ZERO_USAGE, addUsage, escapeControls } from '../../domain/index.js';
import { type LineSource, lineEditor, pipedLines } from '../../ui/line-editor.js';
import { sessionTotalLine } from '../../ui/footer.js';
import type { ChatStart } from '../chat.js';
import { chatJob } from '../chat.js';
import { runPrompt } from '../prompt/runner.js';
import { writerFor } from './resume.js';
import { slashCommand } from './slash.js';
import { compactSession } from './compact.js';
import { sendsItems } from '../../core/compact.js';
import type { ConversationWriter } from '../../conversations/history.js';

/** What a session holds between turns. */
export interface SessionState {
  start: ChatStart;
  config: ResolvedConfig;
  options: GenerationOptions;
  /** The turns and compactions of the conversation being continued or written. */
  conversation: { turns: TurnRecord[]; compactions: CompactionRecord[] };
  writer: ConversationWriter;
  /** This session's turns (all conversations), tokens and USD. */
  totals: { turns: number; usage: typeof ZERO_USAGE; usd: number; priced: boolean; compactionTokens: number };
  say(line: string): void;
}

export async function runSession(start: ChatStart): Promise<number> {
  const { o, config, resumed } = start;
  const state: SessionState = {
    start,
    config,
    options: start.options,
    conversation: resumed ? { turns: [...resumed.conversation.turns], compactions: [...resumed.conversation.compactions] } : { turns: [], compactions: [] },
    writer: writerFor(resumed, { profile: config.profileName, model: config.model, system: start.system }),
    totals: { turns: 0, usage: { ...ZERO_USAGE }, usd: 0, priced: true, compactionTokens: 0 },
    say: (line) => void process.stderr.write(`${line}\n`),
  };
  const tty = Boolean(process.stdin.isTTY);
  const input: LineSource = tty ? lineEditor({ input: process.stdin, output: process.stderr, historyFile: join(config.stateDir, 'chat_history') }) : pipedLines(process.stdin);
  const resumedNote = resumed ? ` · continuing ${resumed.conversation.header.id} (${resumed.conversation.turns.length} turns)` : '';
  if (!o.display.quiet) state.say(`gpt chat · ${config.profileName} · ${config.model}${resumedNote} — /help for commands, Ctrl-D or /exit to leave`);
  try {
    if (o.compact && resumed) await compactSession(state, true);
    for (;;) {
      const line = await input.next();
      if (line === null) break;
      const message = line.trim() === '' ? '' : line;
      if (message === '') continue;
      if (message.startsWith('/') && !message.includes('\n')) {
        if ((await slashCommand(state, message)) === 'exit') break;
        continue;
      }
      input.pause();
      try {
        await turn(state, message);
      } finally {
        input.resume();
      }
    }
  } finally {
    input.close();
  }
  return 0;
}

/** One turn: history + the new message sent, the answer saved and counted; a failed turn is reported and dropped. */
async function turn(state: SessionState, message: string): Promise<void> {
  const { config, options, start } = state;
  const user: ChatMessage = { role: 'user', content: message };
  const withItems = sendsItems(config, options);
  const display = { ...start.o.display, json: false };
  const added = { added: [user], model: config.model, system: options.system ?? '' };
  try {
    await compactSession(state, false, [...historyMessages(state.conversation, options.system, withItems), user]);
    const messages = [...historyMessages(state.conversation, options.system, withItems), user];
    const result = await runPrompt({
      ...chatJob(config, { ...start.o, display }, messages, options, start.toolbox),
      ...(start.save ? { subscribers: (w: (m: string) => void) => [conversationSaver({ writer: state.writer, ...added }, w)] } : {}),
    });
    // Answers on a pipe are kept apart, one per line (a terminal already got its newline).
    if (!process.stdout.isTTY && result.text !== '' && !result.text.endsWith('\n')) process.stdout.write('\n');
    state.conversation.turns.push(turnRecord(added, result, new Date()));
    addToTotals(state, result.usage, result.cost.total_usd, result.cost.priced);
    if (!display.quiet) state.say(sessionTotalLine(state.totals));
  } catch (error) {
    if (error instanceof GptError && error.kind === 'interrupted') state.say('\n(interrupted)');
    else if (error instanceof GptError && error.kind !== 'config') state.say(`gpt: ${escapeControls(error.message)}`);
    else throw error;
  }
}

export function addToTotals(state: SessionState, usage: typeof ZERO_USAGE, usd: number, priced: boolean): void {
  const t = state.totals;
  t.turns += 1;
  t.usage = addUsage(t.usage, usage);
  t.usd += usd;
  t.priced &&= priced;
}
