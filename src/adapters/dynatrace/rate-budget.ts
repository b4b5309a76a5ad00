// Client-side rate budget shared by every call to one Dynatrace account: at most N requests in any
// window (default 200 a minute, Dynatrace's documented limit), so that steady state never provokes a 429.
// A token bucket whose each token comes back exactly one window after it was spent. On shutdown (its
// `signal` aborted) nobody waits for it any more: waiting callers are refused, free slots still granted.
import type { Clock } from '../../ports/clock.js';
import { systemClock } from '../../ports/clock.js';

export interface RateBudget {
  /** Requests allowed in any window of `windowMs`. */
  readonly limit: number;
  readonly windowMs: number;
  /**
   * Resolves when one request may be sent, with a function to call once its answer has arrived:
   * the slot then counts from that moment (never less than a window after the request was
   * counted upstream). Callers are served first come, first served. Once `signal` has aborted, a
   * caller that would have to wait is refused at once with the signal's reason, and so is every
   * caller still waiting then.
   */
  acquire(): Promise<() => void>;
  /** Aborted when the process shuts down (null: never); callers end their retry pauses with it too. */
  readonly signal: AbortSignal | null;
  /** Holds every caller until `epochMs` (used after a 429 carrying `Retry-After`). */
  pauseUntil(epochMs: number): void;
  /** What the budget is doing now, for the status endpoint. */
  usage(): RateBudgetUsage;
}

export interface RateBudgetUsage {
  readonly limit: number;
  readonly windowMs: number;
  /** Requests granted in the last window. */
  readonly used: number;
  /** Callers waiting for a grant. */
  readonly waiting: number;
  /** Epoch ms until which a 429 paused the budget, or null. */
  readonly pausedUntil: number | null;
}

export interface RateBudgetOptions {
  /** Default 200. */
  readonly requestsPerMinute?: number;
  /** Window length, default 60 000 ms (a minute); `requestsPerMinute` is then "per window". */
  readonly windowMs?: number;
  readonly clock?: Clock;
  /** Aborted on shutdown: every wait for a grant is abandoned (see `acquire`). */
  readonly signal?: AbortSignal;
}

export function createRateBudget(options: RateBudgetOptions = {}): RateBudget {
  if (typeof options !== 'object' || options === null) throw new TypeError('createRateBudget: options must be an object');
  const limit = options.requestsPerMinute ?? 200;
  const windowMs = options.windowMs ?? 60_000;
  const clock = options.clock ?? systemClock;
  const signal = options.signal ?? null;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1_000_000) throw new TypeError('createRateBudget: requestsPerMinute must be an integer from 1 to 1000000');
  if (!Number.isFinite(windowMs) || windowMs <= 0) throw new TypeError('createRateBudget: windowMs must be a positive number');
  if (typeof clock?.now !== 'function' || typeof clock.sleep !== 'function') throw new TypeError('createRateBudget: clock must have now() and sleep()');

  // Ring of the last `limit` grant times (moved to the answer's time when settled), oldest at `head`.
  const grants: number[] = new Array<number>(limit).fill(0);
  let head = 0;
  let count = 0;
  let pausedUntil = 0;
  const waiters: Array<{ readonly grant: (settle: () => void) => void; readonly refuse: (reason: unknown) => void }> = [];
  let pumping = false;
  signal?.addEventListener(
    'abort',
    () => {
      for (const waiter of waiters.splice(0)) waiter.refuse(signal.reason);
    },
    { once: true },
  );

  /** Grants now and returns the slot's index, or returns how long to wait (negative) before asking again. */
  function tryGrant(now: number): number {
    if (now < pausedUntil) return -(pausedUntil - now);
    if (count < limit) {
      const slot = (head + count) % limit;
      grants[slot] = now;
      count += 1;
      return slot;
    }
    const freeAt = (grants[head] ?? 0) + windowMs;
    if (now >= freeAt) {
      const slot = head;
      grants[slot] = now;
      head = (head + 1) % limit;
      return slot;
    }
    return -(freeAt - now);
  }

  /** The settle function of a granted slot: its time moves to when the answer arrived. */
  function settler(slot: number): () => void {
    const grantedAt = grants[slot] ?? 0;
    return () => {
      if (grants[slot] === grantedAt) grants[slot] = Math.max(grantedAt, clock.now());
    };
  }

  async function pump(): Promise<void> {
    try {
      while (waiters.length > 0) {
        const grant = tryGrant(clock.now());
        if (grant >= 0) {
          waiters.shift()?.grant(settler(grant));
        } else {
          await clock.sleep(-grant);
        }
      }
    } finally {
      pumping = false;
    }
  }

  return {
    limit,
    windowMs,
    signal,
    acquire(): Promise<() => void> {
      if (!pumping && waiters.length === 0) {
        const grant = tryGrant(clock.now());
        if (grant >= 0) return Promise.resolve(settler(grant));
      }
      if (signal?.aborted) {
        // Shutting down: nobody waits (and so nobody queues ahead); a free slot is still taken.
        const grant = tryGrant(clock.now());
        return grant >= 0 ? Promise.resolve(settler(grant)) : Promise.reject(signal.reason as Error);
      }
      return new Promise<() => void>((resolve, reject) => {
        waiters.push({ grant: resolve, refuse: reject });
        if (!pumping) {
          pumping = true;
          void pump();
        }
      });
    },
    pauseUntil(epochMs: number): void {
      if (Number.isFinite(epochMs) && epochMs > pausedUntil) pausedUntil = epochMs;
    },
    usage(): RateBudgetUsage {
      const now = clock.now();
      let used = 0;
      for (let i = 0; i < count; i++) if ((grants[(head + i) % limit] ?? 0) > now - windowMs) used += 1;
      return { limit, windowMs, used, waiting: waiters.length, pausedUntil: pausedUntil > now ? pausedUntil : null };
    },
  };
}
