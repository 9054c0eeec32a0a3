/** The conversation writer as a sink of the pipeline: a finished answer is appended as one turn line. */
import type { ConversationWriter } from '../conversations/history.js';
import type { AttachmentRef, TurnRecord } from '../conversations/types.js';
import { type ChatMessage, writeErrorReason } from '../domain/index.js';
import type { PromptResult, PromptSink } from './events.js';

export interface TurnToSave {
  writer: ConversationWriter;
  /** The messages this turn adds (the new user message). */
  added: ChatMessage[];
  /** The model asked for. */
  model: string;
  /** What was attached to the user's message (stored by source and hash). */
  attachments?: AttachmentRef[];
  /** The system prompt the turn was sent with ('' = none); the writer keeps it when it changed. */
  system?: string;
}

/** Only a finished answer is a turn: a stopped or failed one is not stored (it is not in the history either). */
export function conversationSaver(turn: TurnToSave, warn: (message: string) => void, now: () => Date = () => new Date()): PromptSink {
  return (event) => {
    if (event.type === 'finished') return save(turn, event.result, warn, now());
  };
}

export function turnRecord(turn: Omit<TurnToSave, 'writer'>, result: PromptResult, at: Date): TurnRecord {
  return {
    type: 'turn',
    at: at.toISOString(),
    messages: turn.added,
    answer: result.text,
    model: turn.model,
    model_reported: result.model,
    usage: result.usage,
    cost: result.cost,
    finish_reason: result.finishReason,
    latency_ms: Math.round(result.latency.totalMs),
    ...(turn.attachments?.length ? { attachments: turn.attachments } : {}),
    ...(turn.system !== undefined ? { system: turn.system } : {}),
  };
}

async function save(turn: TurnToSave, result: PromptResult, warn: (message: string) => void, at: Date): Promise<void> {
  try {
    await turn.writer.appendTurn(turnRecord(turn, result, at), at);
  } catch (error) {
    // The answer is paid for and shown: a conversation that cannot be written is worth a warning, never a failure.
    warn(`could not save the conversation in ${turn.writer.dir}: ${writeErrorReason(error as NodeJS.ErrnoException)}`);
  }
}
