// The RateLedger port over an engine's synchronous tables: inputs checked (misuse throws TypeError),
// then one engine call in one transaction. The window rule is the port's (ports/rate-ledger.ts); an
// engine keeps, per budget, its pause and its requests' times, and answers the counting questions below.
import type { RateLedger, RateSlotAnswer } from '../../ports/rate-ledger.js';
import type { StoreRunner } from './sync-queue-port.js';

/** The window a take or a usage looks at: requests later than `now − windowMs` count. */
export interface RateWindow {
  readonly now: number;
  readonly windowMs: number;
}

/**
 * Per budget: a pause end (0 when never paused) and requests (slot → time). `take` runs in one
 * transaction and is atomic across processes sharing the data: it forgets the budget's requests that no
 * longer count, grants (recording a request at `holdUntil`) when the budget is not paused at `now` and
 * fewer than `limit` requests count, and otherwise answers `refusedUntil(…)`.
 */
export interface RateLedgerEngine {
  take(budget: string, window: RateWindow, limit: number, holdUntil: number): RateSlotAnswer;
  settle(budget: string, slot: number, at: number): void;
  pause(budget: string, until: number): void;
  /** How many of `budget`'s requests count, and its pause end when later than `now` (pausedOf). */
  usage(budget: string, window: RateWindow): { used: number; pausedUntil: number | null };
}

function assertName(value: unknown): asserts value is string {
  if (typeof value !== 'string' || value === '') throw new TypeError('budget must be a non-empty string');
}

function assertTime(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new TypeError(`${name} must be a whole number of epoch milliseconds`);
}

function assertPositive(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) throw new TypeError(`${name} must be a positive whole number`);
}

/** The RateLedger port over `engine`, every call checked and then run through `run`. */
export function rateLedgerPort(engine: RateLedgerEngine, run: StoreRunner): RateLedger {
  return {
    async takeRateSlot(budget, request) {
      assertName(budget);
      if (typeof request !== 'object' || request === null) throw new TypeError('takeRateSlot needs { now, windowMs, limit, holdUntil }');
      const { now, windowMs, limit, holdUntil } = request;
      assertTime(now, 'now');
      assertPositive(windowMs, 'windowMs');
      assertPositive(limit, 'limit');
      assertTime(holdUntil, 'holdUntil');
      if (holdUntil < now) throw new TypeError('holdUntil must not be earlier than now');
      return run(() => engine.take(budget, { now, windowMs }, limit, holdUntil));
    },

    async settleRateSlot(budget, slot, at) {
      assertName(budget);
      assertPositive(slot, 'slot');
      assertTime(at, 'at');
      run(() => engine.settle(budget, slot, at));
    },

    async pauseRateBudget(budget, until) {
      assertName(budget);
      assertTime(until, 'until');
      run(() => engine.pause(budget, until));
    },

    async rateBudgetUsage(budget, at) {
      assertName(budget);
      if (typeof at !== 'object' || at === null) throw new TypeError('rateBudgetUsage needs { now, windowMs }');
      assertTime(at.now, 'now');
      assertPositive(at.windowMs, 'windowMs');
      return run(() => engine.usage(budget, { now: at.now, windowMs: at.windowMs }));
    },
  };
}

/**
 * When a refused take may succeed: the pause's end, or when the (n − limit + 1)-th oldest counting
 * request stops counting (`kthOldest`: its time; null when fewer than `limit` count), whichever is later.
 */
export function refusedUntil(pausedUntil: number, kthOldest: number | null, windowMs: number): number {
  return Math.max(pausedUntil, kthOldest === null ? 0 : kthOldest + windowMs);
}

/** A pause end as usage reports it: null unless later than `now` (0 = never paused). */
export function pausedOf(pausedUntil: number, now: number): number | null {
  return pausedUntil > now ? pausedUntil : null;
}

/** The oldest counting request whose end frees one slot: its index among them in time order, or null when one is free. */
export function freeingRank(counting: number, limit: number): number | null {
  return counting < limit ? null : counting - limit;
}
