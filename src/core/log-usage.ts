/** The usage-log writer: one record per answer that reached the model. A log that cannot be written is a warning, never a failure. */
import { appendUsageRecord, usageLogPath, type UsageRecord } from '../accounting/usage-log.js';
import { type Price, writeErrorReason } from '../domain/index.js';
import { type PromptResult, type PromptSink, isEnd } from './events.js';

export interface UsageLogEntry {
  stateDir: string;
  command: UsageRecord['command'];
  profile: string;
  /** The model asked for (the record's `model` is the one the API reported). */
  requestedModel: string;
  template?: string;
  /** The prices applied, so a later price change never rewrites history. */
  prices: Price | null;
}

export function usageLogWriter(entry: UsageLogEntry, warn: (message: string) => void, now: () => Date = () => new Date()): PromptSink {
  // Not async itself: only the end of an answer is worth a promise.
  return (event) => {
    // A tool loop logs each request (its `round` events), not the total at its end.
    if (event.type === 'round' && event.result.accounted) return append(entry, event.result, warn, now());
    if (isEnd(event) && event.result.accounted && !event.result.tools) return append(entry, event.result, warn, now());
  };
}

async function append(entry: UsageLogEntry, result: PromptResult, warn: (message: string) => void, at: Date): Promise<void> {
  try {
    await appendUsageRecord(entry.stateDir, {
      ts: at.toISOString(),
      command: entry.command,
      profile: entry.profile,
      model: result.model,
      requested_model: entry.requestedModel,
      ...(entry.template ? { template: entry.template } : {}),
      usage: result.usage,
      prices: entry.prices,
      cost: result.cost,
      latency_ms: Math.round(result.latency.totalMs),
    });
  } catch (error) {
    // The answer is paid for and shown: a log that cannot be written is worth a warning, never a failure.
    warn(`could not write the usage log ${usageLogPath(entry.stateDir)}: ${writeErrorReason(error as NodeJS.ErrnoException)}`);
  }
}
