// Waiting for a condition in tests: polled, bounded, and named in the failure.

/** Polls `condition` every 25 ms, at most `ms`; throws naming `what` when it does not hold in time. */
export async function until(condition: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
