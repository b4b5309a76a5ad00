// Client-side rate budget of one Dynatrace service (an account, a Davis Assistant host): at most N
// requests in any window (default 200 a minute, Dynatrace's documented limit), so that steady state
// never provokes a 429. Its window lives in a rate ledger: the store's (ports/rate-ledger.ts), so a
// restarted process continues it and replicas share one budget, or this process's own. Callers are
// served first come, first served; on shutdown (its `signal` aborted) nobody waits for it any more.
import type { Clock } from '../../ports/clock.js';
import { systemClock } from '../../ports/clock.js';
import type { RateLedger } from '../../ports/rate-ledger.js';
import { createMemoryRateLedger } from '../store/index.js';

export interface RateBudget {
  /** Requests allowed in any window of `windowMs`. */
  readonly limit: number;
  readonly windowMs: number;
  /**
   * Resolves when one request may be sent, with a function to call once its answer has arrived: the
   * request then counts from that moment (never less than a window after upstream counted it). Until
   * then it counts from `answerWithinMs` after the grant (default 0), the latest its answer can come —
   * so the request of a process that dies waiting for the answer counts as long as upstream may count it.
   * Once `signal` has aborted, a caller that would have to wait is refused at once with the signal's
   * reason, and so is every caller still waiting then.
   */
  acquire(answerWithinMs?: number): Promise<() => void>;
  /** Aborted when the process shuts down (null: never); callers end their retry pauses with it too. */
  readonly signal: AbortSignal | null;
  /** Holds every caller — of every process sharing the ledger — until `epochMs` (after a 429 carrying `Retry-After`). */
  pauseUntil(epochMs: number): void;
  /** What the budget is doing now, for the status endpoint. */
  usage(): Promise<RateBudgetUsage>;
}

export interface RateBudgetUsage {
  readonly limit: number;
  readonly windowMs: number;
  /** Requests counting in the window now, by every process sharing the ledger. */
  readonly used: number;
  /** Callers of this process waiting for a grant. */
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
  /** Where the window's requests are kept; default: in this process only. */
  readonly ledger?: RateLedger;
  /** The budget's name in the ledger: what it limits (e.g. the account). Default `default`. */
  readonly name?: string;
}

/**
 * Longest wait before asking the ledger again: a grant settled since (its time moved earlier), or
 * another process's, may free a slot sooner than the answer said.
 */
const RECHECK_MS = 1_000;

export function createRateBudget(options: RateBudgetOptions = {}): RateBudget {
  if (typeof options !== 'object' || options === null) throw new TypeError('createRateBudget: options must be an object');
  const limit = options.requestsPerMinute ?? 200;
  const windowMs = options.windowMs ?? 60_000;
  const clock = options.clock ?? systemClock;
  const signal = options.signal ?? null;
  const ledger = options.ledger ?? createMemoryRateLedger();
  const name = options.name ?? 'default';
  if (!Number.isInteger(limit) || limit < 1 || limit > 1_000_000) throw new TypeError('createRateBudget: requestsPerMinute must be an integer from 1 to 1000000');
  if (!Number.isInteger(windowMs) || windowMs <= 0) throw new TypeError('createRateBudget: windowMs must be a positive whole number');
  if (typeof clock?.now !== 'function' || typeof clock.sleep !== 'function') throw new TypeError('createRateBudget: clock must have now() and sleep()');
  if (typeof ledger?.takeRateSlot !== 'function') throw new TypeError('createRateBudget: ledger must be a RateLedger');
  if (typeof name !== 'string' || name === '') throw new TypeError('createRateBudget: name must be a non-empty string');

  let pausedUntil = 0;
  const waiters: Array<{ readonly holdMs: number; readonly grant: (settle: () => void) => void; readonly refuse: (reason: unknown) => void }> = [];
  let pumping = false;
  const refuseAll = (reason: unknown): void => {
    for (const waiter of waiters.splice(0)) waiter.refuse(reason);
  };
  signal?.addEventListener('abort', () => refuseAll(signal.reason), { once: true });

  /** The settle function of a granted slot: the request counts from when its answer arrived. */
  const settler = (slot: number) => () => {
    ledger.settleRateSlot(name, slot, Math.round(clock.now())).catch(() => undefined);
  };

  async function pump(): Promise<void> {
    try {
      while (waiters.length > 0) {
        const now = Math.round(clock.now());
        const first = waiters[0];
        if (first === undefined) break;
        let answer;
        try {
          answer = now < pausedUntil
            ? { granted: false as const, freeAt: pausedUntil }
            : await ledger.takeRateSlot(name, { now, windowMs, limit, holdUntil: now + first.holdMs });
        } catch (error) {
          // The ledger (the store) failed: every waiting call fails with it, as its store would.
          refuseAll(error);
          break;
        }
        if (answer.granted) {
          // A waiter refused meanwhile (shutdown) has left the queue: the grant goes to the next one.
          const served = waiters.shift();
          if (served === undefined) settler(answer.slot)();
          else served.grant(settler(answer.slot));
        } else if (signal?.aborted === true) {
          refuseAll(signal.reason);
        } else {
          await clock.sleep(Math.min(RECHECK_MS, Math.max(1, answer.freeAt - now)));
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
    acquire(answerWithinMs = 0): Promise<() => void> {
      if (!Number.isFinite(answerWithinMs) || answerWithinMs < 0) return Promise.reject(new TypeError('acquire: answerWithinMs must be >= 0'));
      return new Promise<() => void>((resolve, reject) => {
        waiters.push({ holdMs: Math.round(answerWithinMs), grant: resolve, refuse: reject });
        if (!pumping) {
          pumping = true;
          void pump();
        }
      });
    },
    pauseUntil(epochMs: number): void {
      if (!Number.isFinite(epochMs) || epochMs <= pausedUntil) return;
      pausedUntil = Math.round(epochMs);
      ledger.pauseRateBudget(name, pausedUntil).catch(() => undefined);
    },
    async usage(): Promise<RateBudgetUsage> {
      const { used, pausedUntil: shared } = await ledger.rateBudgetUsage(name, { now: Math.round(clock.now()), windowMs });
      const local = pausedUntil > clock.now() ? pausedUntil : null;
      return { limit, windowMs, used, waiting: waiters.length, pausedUntil: Math.max(shared ?? 0, local ?? 0) || null };
    },
  };
}
