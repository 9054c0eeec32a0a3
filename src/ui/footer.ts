import { formatUsd } from '../accounting/cost.js';
import { type Cost, type Usage, escapeControls, formatInt as int } from '../domain/index.js';

export interface FooterInput {
  model: string;
  usage: Usage;
  cost: Cost;
  elapsedMs: number;
  /** Time from the first to the last output token, for a fair tokens-per-second figure. */
  generationMs?: number;
  /** Requests of a tool loop: the line then starts `3 rounds`. */
  rounds?: number;
}

/** The one line after every run: model, tokens in (cached), out (reasoning), cost, time, speed. */
export function footerLine({ model, usage, cost, elapsedMs, generationMs, rounds }: FooterInput): string {
  const approx = usage.estimated ? '~' : '';
  const parts = [
    ...(rounds !== undefined ? [`${rounds} ${rounds === 1 ? 'round' : 'rounds'}`] : []),
    escapeControls(model), // as the API reports it
    `${approx}${int(usage.input_tokens)} in${usage.cached_input_tokens ? ` (${int(usage.cached_input_tokens)} cached)` : ''}`,
    `${approx}${int(usage.output_tokens)} out${usage.reasoning_tokens ? ` (${int(usage.reasoning_tokens)} reasoning)` : ''}`,
  ];
  if (!cost.priced) parts.push('cost unknown');
  else parts.push(`${approx}${formatUsd(cost.total_usd)}${cost.source === 'provider' ? ' (provider)' : ''}`);
  parts.push(`${(elapsedMs / 1000).toFixed(1)}s`);
  const window = generationMs && generationMs > 50 ? generationMs : elapsedMs;
  if (usage.output_tokens > 0 && window > 0) parts.push(`${int((usage.output_tokens * 1000) / window)} tok/s`);
  return `${parts.join(' · ')}${usage.estimated ? ' (estimated)' : ''}`;
}

/** A session's running total after each answer and for /cost: turns, tokens in and out, USD. */
export function sessionTotalLine(totals: { turns: number; usage: Usage; usd: number; priced: boolean }): string {
  const { turns, usage } = totals;
  const cost = totals.priced ? formatUsd(totals.usd) : `${formatUsd(totals.usd)} (some turns unpriced)`;
  return `session: ${turns} turn${turns === 1 ? '' : 's'} · ${int(usage.input_tokens)} in · ${int(usage.output_tokens)} out · ${cost}`;
}
