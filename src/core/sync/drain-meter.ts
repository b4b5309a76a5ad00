// How fast this replica drains the sync queue: items completed within the last window, told by the
// worker's observer; with the queue depth, the estimated time until the queue is empty.
import type { SyncObserver } from '../../ports/observer.js';

export interface DrainRate {
  /** Items completed per minute over the window (this replica). */
  readonly perMinute: number;
  /** depth ÷ rate, in seconds; null when nothing completed in the window (no estimate) or the queue is empty. */
  readonly secondsToEmpty: number | null;
}

export interface DrainMeter {
  /** Counts completions; hand it to the worker beside any other observer. */
  readonly observer: Pick<SyncObserver, 'syncProcessed'>;
  rate(depth: number): DrainRate;
}

/** Completions kept per window: a bound on memory whatever the rate. */
const MAX_KEPT = 100_000;

export function createDrainMeter(options: { readonly windowMs: number; readonly now: () => number }): DrainMeter {
  const { windowMs, now } = options;
  if (!Number.isSafeInteger(windowMs) || windowMs < 1000) throw new TypeError('createDrainMeter: windowMs must be at least 1000');
  let completions: number[] = [];
  const trim = () => {
    const since = now() - windowMs;
    const first = completions.findIndex((at) => at > since);
    completions = first === -1 ? [] : completions.slice(first);
  };
  return {
    observer: {
      syncProcessed(item) {
        if (item.outcome !== 'completed') return;
        completions.push(now());
        if (completions.length > MAX_KEPT) trim();
      },
    },
    rate(depth) {
      trim();
      const perMinute = (completions.length * 60_000) / windowMs;
      return { perMinute: Math.round(perMinute * 10) / 10, secondsToEmpty: depth === 0 || perMinute === 0 ? (depth === 0 ? 0 : null) : Math.ceil((depth / perMinute) * 60) };
    },
  };
}
