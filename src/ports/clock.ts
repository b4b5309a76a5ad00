// Time as an injectable seam: wall-clock milliseconds and a sleep, so retries, rate budgets and
// token expiry can be tested with a virtual clock instead of real waiting.

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Resolves after `ms` milliseconds (0 or less: on a later tick). */
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms))),
});
