// Waiting at start for a PostgreSQL server that cannot be reached yet (starting, restarting, not yet
// routable): the attempt is repeated with a doubling pause until it succeeds, fails for another
// reason (the server refuses the bridge), or the time allowed is spent.
import { StoreError } from '../../../ports/store.js';
import { isUnreachable, toStoreError } from './postgres-errors.js';

/** First wait between attempts; it doubles up to the longest. */
const firstRetryMs = 500;
const longestRetryMs = 5_000;

/** Runs `attempt` until it succeeds, fails otherwise than by an unreachable server, or `timeoutMs` is spent. */
export async function untilReachable(attempt: () => Promise<void>, timeoutMs: number, onUnreachable: (error: StoreError, retryInMs: number) => void): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (let wait = firstRetryMs; ; wait = Math.min(wait * 2, longestRetryMs)) {
    try {
      return await attempt();
    } catch (error) {
      const failure = toStoreError(error);
      if (!isUnreachable(failure.cause)) throw failure;
      const left = deadline - performance.now();
      if (left <= 0) {
        if (timeoutMs === 0) throw failure;
        throw new StoreError('unavailable', `${failure.message} (still unreachable after ${Math.round(timeoutMs / 1000)} s)`, { cause: failure.cause });
      }
      const retryInMs = Math.ceil(Math.min(wait, left));
      onUnreachable(failure, retryInMs);
      await new Promise((resolve) => setTimeout(resolve, retryInMs));
    }
  }
}
