/** `gpt history`: recent conversations; `history show <id>` as Markdown (or --json); `history rm <id>|--all`. */
import { createInterface } from 'node:readline/promises';
import { formatUsd } from '../accounting/cost.js';
import { conversationIds, conversationsDir, loadConversation, removeConversation, resolveId, summarize } from '../conversations/store.js';
import type { Conversation, ConversationSummary } from '../conversations/types.js';
import { GptError, escapeControls, formatInt as int } from '../domain/index.js';
import { footerLine } from '../ui/footer.js';
import { text } from './prompt/options.js';

export async function run(positional: unknown[], flags: Record<string, unknown>): Promise<number> {
  const [action, id] = [text(positional[0]), text(positional[1])];
  const dir = conversationsDir();
  const json = flags.json === true;
  if (action === undefined || action === 'list') {
    const rows = await listRows(dir, { limit: typeof flags.limit === 'number' ? flags.limit : 20, search: text(flags.search) });
    if (json) process.stdout.write(`${JSON.stringify({ conversations: rows.map(rowJson) }, null, 2)}\n`);
    else if (rows.length === 0) process.stderr.write(flags.search ? 'no conversation matches\n' : `no saved conversations (in ${dir})\n`);
    else process.stdout.write(`${formatRows(rows, new Date())}\n`);
    return 0;
  }
  if (action === 'show') {
    if (id === undefined) throw new GptError('usage', 'gpt history show needs a conversation id (or unique prefix)');
    const conversation = await loadConversation(dir, await resolveId(dir, id));
    for (const line of conversation.skipped) process.stderr.write(`gpt: warning: ${conversation.path}: line ${line} is torn or not a record; skipped\n`);
    const { header, turns, compactions } = conversation;
    // Stored answers came from a server: on a terminal their control characters are shown, not obeyed.
    const shown = process.stdout.isTTY ? escapeControls : (text: string) => text;
    process.stdout.write(json ? `${JSON.stringify({ conversation: header, turns, compactions }, null, 2)}\n` : shown(markdown(conversation)));
    return 0;
  }
  if (action === 'rm') return remove(dir, id, flags.all === true, flags.yes === true);
  throw new GptError('usage', `unknown history action '${action}' (use show or rm)`);
}

/** The listing's rows, newest first: headers and sums of stored usage, read line by line. */
export async function listRows(dir: string, { limit, search }: { limit: number; search?: string | undefined }): Promise<ConversationSummary[]> {
  const rows: ConversationSummary[] = [];
  for (const id of await conversationIds(dir)) {
    if (rows.length >= limit) break;
    const row = await summarize(dir, id, search);
    if (row) rows.push(row);
  }
  return rows;
}

const when = (iso: string) => iso.slice(0, 16).replace('T', ' ');

export function formatRows(rows: ConversationSummary[], _now: Date): string {
  return rows
    .map((r) => {
      const usd = r.priced ? formatUsd(r.usd) : `${formatUsd(r.usd)}+`;
      const turns = `${r.turns} turn${r.turns === 1 ? '' : 's'}`;
      return [r.header.id, when(r.updated), escapeControls(r.header.model), turns, `${int(r.tokens)} tok`, usd, escapeControls(r.header.title)].join('  ');
    })
    .join('\n');
}

const rowJson = (r: ConversationSummary) => ({
  id: r.header.id,
  created: r.header.created,
  updated: r.updated,
  title: r.header.title,
  profile: r.header.profile,
  model: r.header.model,
  turns: r.turns,
  tokens: r.tokens,
  usd: r.usd,
  priced: r.priced,
});

/** The conversation as Markdown: each turn's message, answer and footer. */
function markdown({ header, turns, compactions }: Conversation): string {
  const parts = [`# ${header.title}`, `${header.id} · ${header.created} · ${header.profile} · ${header.model}`];
  if (header.system) parts.push(`**System:** ${header.system}`);
  turns.forEach((turn, i) => {
    for (const c of compactions.filter((c) => c.replaces === i)) parts.push(`> (compacted here: ${int(c.tokens_before)} → ${int(c.tokens_after)} tokens)`);
    if (turn.system !== undefined) parts.push(turn.system === '' ? '**System:** (none from here on)' : `**System:** ${turn.system}`);
    for (const m of turn.messages) parts.push(`## ${m.role === 'user' ? 'You' : m.role}`, m.content);
    parts.push(`## ${turn.model_reported}`, turn.answer);
    parts.push(`_${footerLine({ model: turn.model_reported, usage: turn.usage, cost: turn.cost, elapsedMs: turn.latency_ms })}_`);
  });
  return `${parts.join('\n\n')}\n`;
}

async function remove(dir: string, id: string | undefined, all: boolean, yes: boolean): Promise<number> {
  if (!all) {
    if (id === undefined) throw new GptError('usage', 'gpt history rm needs a conversation id (or --all)');
    const full = await resolveId(dir, id);
    await removeConversation(dir, full);
    process.stderr.write(`removed ${full}\n`);
    return 0;
  }
  const ids = await conversationIds(dir);
  if (!yes) {
    if (!process.stdin.isTTY) throw new GptError('usage', 'gpt history rm --all deletes every conversation: add --yes (stdin is not a terminal to ask)');
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    const answer = await rl.question(`Delete all ${ids.length} conversations in ${dir}? [y/N] `);
    rl.close();
    if (!/^y(es)?$/i.test(answer.trim())) {
      process.stderr.write('nothing deleted\n');
      return 0;
    }
  }
  for (const each of ids) await removeConversation(dir, each);
  process.stderr.write(`removed ${ids.length} conversation${ids.length === 1 ? '' : 's'}\n`);
  return 0;
}
