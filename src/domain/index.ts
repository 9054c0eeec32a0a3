/**
 * The vocabulary every other folder speaks: messages, generation options, usage and cost, errors and
 * their exit codes, secrets masking, the clock. It imports nothing of ours.
 */
export * from './messages.js';
export * from './options.js';
export * from './usage.js';
export * from './errors.js';
export * from './redact.js';
export { type Clock, systemClock } from './clock.js';
export * from './hash.js';
export * from './lines.js';
export * from './suggest.js';
export { type AbortHub, abortHub } from './abort.js';
