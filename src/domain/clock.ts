import { GptError } from './errors.js';

/** Time, injected so retries, scheduling and back-off can be tested in virtual time. */
export interface Clock {
  now(): number;
  /**
   * Resolves after `ms`. When `signal` aborts (before or during the wait) it rejects at once with a
   * GptError of kind 'interrupted'; a caller for whom an abort is a normal end catches that.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  random(): number;
}

const interrupted = () => new GptError('interrupted', 'interrupted');

/** The real clock: Date.now, setTimeout and Math.random. */
export const systemClock: Clock = {
  now: () => Date.now(),
  random: () => Math.random(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(interrupted());
      const onAbort = () => {
        clearTimeout(timer);
        reject(interrupted());
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, Math.max(0, ms));
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};
