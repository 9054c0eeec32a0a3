/** Time, injected so retries, scheduling and back-off can be tested in virtual time. */
export interface Clock {
  now(): number;
  /** Resolves after `ms`; when `signal` aborts it may end early, resolving or rejecting. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  random(): number;
}
