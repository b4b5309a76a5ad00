// The requests of each client-side rate budget that still count against its window, kept in the store:
// a restarted process continues the window of the one before it, and replicas sharing a database draw
// from one budget. Times are epoch milliseconds of the caller's clock (replicas' clocks must agree, as
// for leases). A budget is named by what it limits (an account, a Davis Assistant host).

/** A granted request's slot (to settle it), or when to ask again. */
export type RateSlotAnswer = { readonly granted: true; readonly slot: number } | { readonly granted: false; readonly freeAt: number };

export interface RateSlotRequest {
  readonly now: number;
  readonly windowMs: number;
  /** Requests allowed to count at once. */
  readonly limit: number;
  /**
   * The latest the request's answer can arrive (≥ now): it counts from then until it is settled, so that
   * the request of a process that dies before its answer still counts as long as the server may count it.
   */
  readonly holdUntil: number;
}

export interface RateLedger {
  /**
   * A request counts while its time is later than `now − windowMs`. When fewer than `limit` of `budget`'s
   * requests count at `now` and the budget is not paused, records one at `holdUntil` and grants it;
   * otherwise records nothing and answers `freeAt`: the end of the pause, or when enough of the counting
   * requests stop counting for one more (the (n − limit + 1)-th oldest's time + windowMs), whichever is
   * later. Requests that no longer count may be forgotten. Atomic: of callers racing for the last slot, one wins.
   */
  takeRateSlot(budget: string, request: RateSlotRequest): Promise<RateSlotAnswer>;
  /** The request of `slot` was answered at `at`: it counts from then on (its time becomes `at`). */
  settleRateSlot(budget: string, slot: number, at: number): Promise<void>;
  /** Grants nothing of `budget` before `until` (a 429's `Retry-After`); a pause is only ever lengthened. */
  pauseRateBudget(budget: string, until: number): Promise<void>;
  /** How many of `budget`'s requests count at `now`, and the end of its pause when later than `now`. */
  rateBudgetUsage(budget: string, at: { readonly now: number; readonly windowMs: number }): Promise<{ readonly used: number; readonly pausedUntil: number | null }>;
}
