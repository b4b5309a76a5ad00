// How fast the sync queue drains — items that left it (completed or failed) per minute over the last
// five minutes, counted in the store by every replica — and when it will be empty at that rate.
import type { SyncQueue } from '../ports/sync-queue.js';

/** The minutes the drain rate looks back. */
export const DRAIN_WINDOW_MINUTES = 5;

export interface Drain {
  /** Items per minute, one decimal. */
  readonly perMinute: number;
  /** Seconds until the queue is empty at that rate: 0 when it is, null when nothing drains. */
  readonly emptyInSeconds: number | null;
}

/**
 * The rate over the window, from its start or from the first minute that counted an item, whichever is
 * later — but over one minute at least, so that a queue that just began to drain is not overestimated.
 */
export async function drainOf(queue: Pick<SyncQueue, 'syncDrainedSince'>, depth: number, now: Date): Promise<Drain> {
  const since = now.getTime() - DRAIN_WINDOW_MINUTES * 60_000;
  const { items, from } = await queue.syncDrainedSince(new Date(since).toISOString());
  const start = from === null ? now.getTime() : Math.max(since, Date.parse(from));
  const perMinute = items / Math.max(1, (now.getTime() - start) / 60_000);
  const emptyInSeconds = depth === 0 ? 0 : perMinute > 0 ? Math.round((depth / perMinute) * 60) : null;
  return { perMinute: Math.round(perMinute * 10) / 10, emptyInSeconds };
}
