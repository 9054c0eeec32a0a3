/** The records of a conversation file: one header line, then one line per finished turn (or compaction). */
import type { ChatMessage, Cost, Usage } from '../domain/index.js';

export interface HeaderRecord {
  type: 'conversation';
  id: string;
  /** ISO 8601. */
  created: string;
  profile: string;
  model: string;
  system?: string;
  /** The first prompt, cut to one line. */
  title: string;
}

export interface TurnRecord {
  type: 'turn';
  /** ISO 8601 time the turn ended. */
  at: string;
  /** The messages this turn added before the answer (the user's). */
  messages: ChatMessage[];
  answer: string;
  /** The model asked for. */
  model: string;
  /** The model the API reported. */
  model_reported: string;
  usage: Usage;
  cost: Cost;
  finish_reason: string;
  latency_ms: number;
  /** Files sent with the user's message (`-a`): where they came from and a hash of their bytes, never the bytes. */
  attachments?: AttachmentRef[];
  /** The system prompt this turn was sent with, when it is not the header's (a session's /system, `-c -s`; '' = none). */
  system?: string;
}

export interface AttachmentRef {
  /** The path or URL as given (`-` for stdin). */
  source: string;
  mime: string;
  /** sha256 of the bytes sent (absent for a URL the API fetched). */
  sha256?: string;
  bytes?: number;
}

/** Older turns replaced, in what is sent, by a summary (the turns stay in the file). */
export interface CompactionRecord {
  type: 'compaction';
  at: string;
  /** The turns before this index (0-based, counting turns only) are replaced. */
  replaces: number;
  /** The dense summary (summarising path), sent as one message in place of the replaced turns. */
  summary?: string;
  /** The Responses API's compacted output items (its `/responses/compact` path), sent as they are. */
  items?: unknown[];
  model: string;
  usage: Usage;
  cost: Cost;
  tokens_before: number;
  tokens_after: number;
}

export type ConversationRecord = HeaderRecord | TurnRecord | CompactionRecord;

/** A conversation as loaded: its header, its turns and compactions in file order, and the lines skipped. */
export interface Conversation {
  header: HeaderRecord;
  turns: TurnRecord[];
  compactions: CompactionRecord[];
  path: string;
  /** Line numbers (1-based) that were torn or not records. */
  skipped: number[];
}

/** One row of `gpt history`: the header plus totals summed from the stored usage. */
export interface ConversationSummary {
  header: HeaderRecord;
  turns: number;
  tokens: number;
  usd: number;
  priced: boolean;
  /** ISO 8601 time of the last turn, else the creation time. */
  updated: string;
  path: string;
}
