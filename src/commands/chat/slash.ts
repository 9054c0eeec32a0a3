/** Session slash commands, handled here and never sent to the model. */
import { EFFORTS, type Effort } from '../../domain/index.js';
import { sessionTotalLine } from '../../ui/footer.js';
import { formatRows, listRows } from '../history.js';
import { conversationsDir } from '../../conversations/store.js';
import type { SessionState } from './session.js';
import { compactSession } from './compact.js';

type Handler = (state: SessionState, arg: string) => Promise<'exit' | void> | 'exit' | void;

const COMMANDS: Record<string, { help: string; run: Handler }> = {
  '/help': { help: 'this list', run: (state) => state.say(helpText()) },
  '/model': { help: '<id>: the model for the next turns', run: setModel },
  '/effort': { help: `<${EFFORTS.join('|')}>: reasoning effort for the next turns`, run: setEffort },
  '/system': { help: '<text>: the system prompt for the next turns (empty: none)', run: setSystem },
  '/cost': { help: "this session's turns, tokens and USD", run: (state) => state.say(sessionTotalLine(state.totals)) },
  '/compact': { help: 'replace older turns by a summary in what is sent (the file keeps them)', run: compactNow },
  '/new': { help: 'start a new conversation', run: startNew },
  '/history': { help: 'recent conversations', run: showHistory },
  '/exit': { help: 'leave (also Ctrl-D, or Ctrl-C twice)', run: () => 'exit' },
};
const ALIASES: Record<string, string> = { '/quit': '/exit', '/?': '/help' };

const helpText = () => Object.entries(COMMANDS).map(([name, { help }]) => `  ${name.padEnd(9)} ${help}`).join('\n') + '\n  """       opens and closes a multi-line message';

/** Runs a `/word [arg]` line; 'exit' ends the session. */
export async function slashCommand(state: SessionState, line: string): Promise<'exit' | void> {
  const [word = '', ...rest] = line.trim().split(/\s+/);
  const name = ALIASES[word.toLowerCase()] ?? word.toLowerCase();
  const command = COMMANDS[name];
  if (!command) {
    state.say(`unknown command ${word}; commands: ${Object.keys(COMMANDS).join(' ')} (nothing was sent)`);
    return;
  }
  return command.run(state, line.trim().slice(word.length).trim() || rest.join(' '));
}

function setModel(state: SessionState, arg: string): void {
  if (arg === '') return state.say(`model: ${state.config.model} (/model <id> to change it)`);
  state.config = { ...state.config, model: arg };
  state.say(`model: ${arg}`);
}

function setEffort(state: SessionState, arg: string): void {
  if (!(EFFORTS as readonly string[]).includes(arg)) return state.say(`/effort takes one of ${EFFORTS.join(', ')}${arg ? `, not '${arg}'` : ''}`);
  state.options = { ...state.options, effort: arg as Effort };
  state.say(`effort: ${arg}`);
}

function setSystem(state: SessionState, arg: string): void {
  const { system: _old, ...rest } = state.options;
  state.options = arg === '' ? rest : { ...rest, system: arg };
  state.say(arg === '' ? 'system prompt removed' : 'system prompt set');
}

function startNew(state: SessionState): void {
  state.conversation = { turns: [], compactions: [] };
  state.writer.reset({ model: state.config.model, system: state.options.system });
  state.say('new conversation');
}

async function showHistory(state: SessionState): Promise<void> {
  const rows = await listRows(conversationsDir(), { limit: 10 });
  state.say(rows.length === 0 ? 'no saved conversations' : formatRows(rows, new Date()));
}

async function compactNow(state: SessionState): Promise<void> {
  await compactSession(state, true);
}
