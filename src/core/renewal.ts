// Keeping a lease alive while its work runs: a sync item's lease or a store lock is renewed every so
// often (real time), so that a short lease outlives long work but not a process that died doing it.

/**
 * Runs `work`, calling `renew` every `everyMs` until it settles. A renewal that fails is left to the
 * next one (the lease then lapses only if every renewal fails for its whole length).
 */
export async function renewWhile<T>(everyMs: number, renew: () => Promise<unknown>, work: () => Promise<T>): Promise<T> {
  if (!(everyMs > 0)) throw new TypeError('renewWhile: everyMs must be positive');
  const timer = setInterval(() => {
    renew().catch(() => undefined);
  }, everyMs);
  timer.unref();
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
