/** `gpt chat [message...]`: one-shot when given a message or piped stdin, else an interactive session; saved as a conversation. */
import { loadConfig } from '../config/load.js';
import type { AttachmentRef } from '../conversations/types.js';
import type { ResolvedConfig } from '../config/types.js';
import { currentSystem, historyMessages } from '../conversations/history.js';
import { composeMessage, readPipedStdin } from '../core/input.js';
import { conversationSaver } from '../core/save-conversation.js';
import { messageRequest } from '../core/template-request.js';
import { GptError, type ChatMessage, type GenerationOptions, sha256 } from '../domain/index.js';
import { warn } from '../ui/status.js';
import { sendsItems } from '../core/compact.js';
import { compactIfNeeded } from './chat/compact.js';
import { type Resumed, resumeConversation, writerFor } from './chat/resume.js';
import { reattach } from './chat/reattach.js';
import { apiFor } from '../providers/types.js';
import { resolve } from 'node:path';
import { type PromptFlags, readPromptFlags, text, texts } from './prompt/options.js';
import { attachAll, attachTakesStdin, readAttachments } from './prompt/attach.js';
import type { Attachment } from '../attachments/load.js';
import { type ShownPrompt, runPrompt } from './prompt/runner.js';
import { type Toolbox, hasTools, openToolbox } from './prompt/tools.js';

const out = { stdout: process.stdout, stderr: process.stderr };

/** `gpt chat`'s flags, read once. */
export interface ChatOptions extends PromptFlags {
  /** The message arguments (piped stdin is appended to them). */
  message: string[];
  /** -c: continue the last conversation. */
  continue: boolean;
  /** --cid: continue this conversation (id or unique prefix). */
  cid?: string;
  /** --save / --no-save; undefined: config conversations.save. */
  save?: boolean;
  /** -i: a session even with piped stdin. */
  interactive: boolean;
  /** --compact: compact older turns before sending. */
  compact: boolean;
  /** False with --no-validate. */
  validate: boolean;
}

export function parseChatOptions(positional: unknown[], flags: Record<string, unknown>): ChatOptions {
  const cid = text(flags.cid);
  return {
    message: texts(positional[0]),
    ...readPromptFlags(flags),
    validate: flags.validate !== false,
    continue: flags.continue === true,
    ...(cid !== undefined ? { cid } : {}),
    ...(typeof flags.save === 'boolean' ? { save: flags.save } : {}),
    interactive: flags.interactive === true,
    compact: flags.compact === true,
  };
}

/** What a chat (one-shot or session) starts from: config, options, the resumed conversation and whether to save. */
export interface ChatStart {
  o: ChatOptions;
  config: ResolvedConfig;
  options: GenerationOptions;
  /** The system prompt: -s, else the resumed conversation's, else config's default. */
  system: string | undefined;
  resumed: Resumed | undefined;
  /** Tools offered in every turn (-T, --mcp), opened once for the whole chat. */
  toolbox?: Toolbox;
  save: boolean;
}

export async function run(positional: unknown[], flags: Record<string, unknown>): Promise<number> {
  const start = await startChat(parseChatOptions(positional, flags));
  const { o } = start;
  const attachments = await readAttachments(o.attach);
  const piped = o.interactive || attachTakesStdin(o.attach) ? undefined : await readPipedStdin();
  const session = o.interactive || (o.message.length === 0 && piped === undefined && attachments.length === 0);
  if (o.chunk && !session) return chunked(start.config, o, piped, attachments);
  const message = composeMessage(o.message, piped);
  if (!session && message === '' && attachments.length === 0) throw new GptError('usage', piped !== undefined ? 'empty message: stdin was empty and no message was given' : 'empty message');
  // Tools are found and their servers started before anything is sent; they are closed however gpt ends.
  const toolbox = hasTools(o.tools) ? await openToolbox(o.tools, start.config, process.cwd()) : undefined;
  try {
    if (session) {
      const { runSession } = await import('./chat/session.js');
      return await runSession({ ...start, ...(toolbox ? { toolbox } : {}) });
    }
    await runPrompt({ ...(await oneShot(start, message, attachments)), ...(toolbox ? { toolbox } : {}) });
  } finally {
    await toolbox?.close();
  }
  return 0;
}

async function startChat(o: ChatOptions): Promise<ChatStart> {
  const resumed = await resumeConversation(o);
  const header = resumed?.conversation.header;
  // The model of the last turn (a session's /model may have changed it), else the conversation's.
  const model = resumed?.conversation.turns.at(-1)?.model ?? header?.model;
  const config = await loadConfig(o.config, process.env, process.cwd(), header ? { profileHint: header.profile, modelHint: model! } : {});
  for (const message of [...config.warnings, ...(resumed?.warnings ?? [])]) warn(out, o.display, message);
  const base = await withSchemaFlag(messageRequest('', config, o.generation).options, o);
  const system = o.generation.system ?? (resumed ? currentSystem(resumed.conversation) : base.system);
  const options = { ...base, ...(system !== undefined ? { system } : {}) };
  if (system === undefined) delete options.system;
  if (resumed) {
    const target = { model: config.model, api: apiFor({ options }, config.profile), profileName: config.profileName };
    resumed.conversation = await reattach(resumed.conversation, { target, detail: o.detail ?? 'auto', cwd: process.cwd(), warn: (m) => warn(out, o.display, m) });
  }
  const save = o.save ?? config.conversations.save;
  if (!save && resumed) warn(out, o.display, `--no-save: this turn is not added to conversation ${resumed.conversation.header.id}`);
  return { o, config, options, system, resumed, save };
}

/** A --schema file, read and checked once, before anything is sent (loaded only then: chat stays free of the template code). */
async function withSchemaFlag(options: GenerationOptions, o: ChatOptions): Promise<GenerationOptions> {
  if (o.schemaFile === undefined) return options;
  const { schemaFromFlag } = await import('../templates/schema.js');
  return { ...options, schema: await schemaFromFlag(o.schemaFile, process.cwd()) };
}

/** The one prompt of `gpt chat "…"`: the history of a resumed conversation (compacted first when asked or due), then the new message. */
async function oneShot(start: ChatStart, message: string, attachments: readonly Attachment[]): Promise<ShownPrompt> {
  const { o, config, options, system, resumed, save } = start;
  const user: ChatMessage = { role: 'user', content: message };
  const writer = writerFor(resumed, { profile: config.profileName, model: config.model, system });
  const conversation = resumed?.conversation ?? { turns: [], compactions: [] };
  const withItems = sendsItems(config, options);
  const history = () => historyMessages(conversation, system, withItems);
  if (resumed) {
    const say = (line: string) => void process.stderr.write(`${line}\n`);
    const c = { config, options, system, conversation, writer: save ? writer : undefined, say, warn: (m: string) => warn(out, o.display, m) };
    await compactIfNeeded(c, o.compact, [...history(), user]);
  } else if (o.compact) throw new GptError('usage', '--compact needs a conversation to compact: add -c or --cid');
  return {
    // The conversation keeps the text: attachments are sent, not stored.
    ...chatJob(config, o, attachAll([...history(), user], attachments, { config, model: config.model, options, ...(o.detail ? { detail: o.detail } : {}) }, (m) => warn(out, o.display, m)), options),
    ...(save ? { subscribers: (w: (message: string) => void) => [conversationSaver({ writer, added: [user], model: config.model, system: system ?? '', attachments: attachmentRefs(attachments) }, w)] } : {}),
  };
}

/** Attachments as a conversation keeps them: source and hash, never the bytes. */
function attachmentRefs(attachments: readonly Attachment[]): AttachmentRef[] {
  return attachments.map((a) => ({
    // A file by its absolute path, so `-c` from another folder finds it again.
    source: a.url !== undefined || a.source === '-' ? a.source : resolve(process.cwd(), a.source),
    mime: a.mime,
    ...(a.data ? { sha256: sha256(a.data), bytes: a.data.length } : {}),
  }));
}

/** `gpt chat --chunk`: the message arguments are the instruction, piped stdin the long input. */
async function chunked(config: ResolvedConfig, o: ChatOptions, piped: string | undefined, attachments: Attachment[]): Promise<number> {
  if (piped === undefined || piped.trim() === '') throw new GptError('usage', '--chunk splits piped input: pipe the long text on stdin (the message is the instruction)');
  const base = messageRequest(composeMessage(o.message, ''), config, o.generation);
  const options = await withSchemaFlag(base.options, o);
  const where = { config, model: config.model, options, ...(o.detail ? { detail: o.detail } : {}) };
  const render = (input: string) => attachAll(messageRequest(composeMessage(o.message, input), config, o.generation).messages, attachments, where, () => {});
  const { runChunked } = await import('./prompt/chunk.js');
  return runChunked({ command: 'chat', config, options, render, input: piped, flags: o, validate: true, ...(o.chunkTokens !== undefined ? { chunkTokens: o.chunkTokens } : {}) });
}

export function chatJob(config: ResolvedConfig, o: PromptFlags & { validate?: boolean }, messages: ChatMessage[], options: GenerationOptions, toolbox?: Toolbox): ShownPrompt {
  return { command: 'chat', config, model: config.model, messages, options, display: o.display, validate: o.validate !== false, ...(o.maxCost !== undefined ? { maxCost: o.maxCost } : {}), ...(toolbox ? { toolbox } : {}) };
}
