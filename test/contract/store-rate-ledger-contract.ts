// The rate-ledger part of the Store contract (ports/rate-ledger.ts): the requests of each rate budget
// that still count against its window, kept so that a restarted process continues the window and
// replicas draw from one budget. Run by each engine's *.test.ts; where the engine opens a second store on
// the same data (`reopen`), takers also race from two stores, as two replicas would.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RateLedger, RateSlotAnswer } from '../../src/ports/rate-ledger.js';
import type { Store } from '../../src/ports/store.js';

/** The part of a store the suite uses: its rate ledger, and close. */
type LedgerStore = RateLedger & Pick<Store, 'close'>;

/** What a test file hands the suite (an engine's OpenedStore is one); a ledger of one process alone has no `reopen`. */
export interface OpenedLedger {
  readonly store: LedgerStore;
  /** Closes nothing itself: the suite closes `store` first, then reopens the same data. */
  readonly reopen?: () => Promise<LedgerStore>;
  readonly cleanup: () => Promise<void>;
}

const T = Date.UTC(2025, 0, 1);
const MINUTE = 60_000;

export function describeRateLedgerContract(engine: string, open: () => Promise<OpenedLedger>): void {
  describe(`Store contract: ${engine}: rate ledger`, () => {
    let opened: OpenedLedger;
    let store: LedgerStore;

    beforeEach(async () => {
      opened = await open();
      store = opened.store;
    });

    afterEach(async () => {
      await opened.cleanup();
    });

    function take(now: number, options: { readonly limit?: number; readonly holdUntil?: number; readonly budget?: string; readonly from?: LedgerStore } = {}): Promise<RateSlotAnswer> {
      return (options.from ?? store).takeRateSlot(options.budget ?? 'account a', { now, windowMs: MINUTE, limit: options.limit ?? 3, holdUntil: options.holdUntil ?? now });
    }

    async function granted(now: number, options: Parameters<typeof take>[1] = {}): Promise<number> {
      const answer = await take(now, options);
      if (!answer.granted) throw new Error(`refused at ${now - T}: free at ${answer.freeAt - T}`);
      return answer.slot;
    }

    it('when `limit` requests count, then the next is refused until the oldest stops counting, a window after its time, and granted then', async () => {
      await granted(T);
      await granted(T + 10_000);
      await granted(T + 20_000);
      expect(await take(T + 30_000)).toEqual({ granted: false, freeAt: T + MINUTE });
      expect(await take(T + MINUTE - 1)).toEqual({ granted: false, freeAt: T + MINUTE });
      await granted(T + MINUTE);
      expect(await take(T + MINUTE)).toEqual({ granted: false, freeAt: T + 10_000 + MINUTE });
      expect(await store.rateBudgetUsage('account a', { now: T + MINUTE, windowMs: MINUTE })).toEqual({ used: 3, pausedUntil: null });
    });

    it('when more requests count than a lowered limit allows, then one more is granted only once enough of them stop counting', async () => {
      for (let i = 0; i < 5; i += 1) await granted(T + i * 1_000, { limit: 5 });
      expect(await take(T + 5_000, { limit: 2 })).toEqual({ granted: false, freeAt: T + 3_000 + MINUTE });
      await granted(T + 3_000 + MINUTE, { limit: 2 });
    });

    it('when a request is held until its answer may come, then it counts a window after that; settled, a window after its answer', async () => {
      const held = await granted(T, { limit: 1, holdUntil: T + 30_000 });
      expect(await take(T + MINUTE, { limit: 1 })).toEqual({ granted: false, freeAt: T + 30_000 + MINUTE });
      await store.settleRateSlot('account a', held, T + 5_000);
      expect(await take(T + MINUTE, { limit: 1 })).toEqual({ granted: false, freeAt: T + 5_000 + MINUTE });
      await granted(T + 5_000 + MINUTE, { limit: 1 });
    });

    it('when a budget is paused, then nothing is granted before the pause ends, however free; a shorter pause changes nothing', async () => {
      await store.pauseRateBudget('account a', T + 20_000);
      await store.pauseRateBudget('account a', T + 10_000);
      expect(await take(T)).toEqual({ granted: false, freeAt: T + 20_000 });
      expect(await store.rateBudgetUsage('account a', { now: T, windowMs: MINUTE })).toEqual({ used: 0, pausedUntil: T + 20_000 });
      await granted(T + 20_000);
      expect(await store.rateBudgetUsage('account a', { now: T + 20_000, windowMs: MINUTE })).toEqual({ used: 1, pausedUntil: null });
    });

    it('when two budgets are used, then each has its own window and pause', async () => {
      await granted(T, { limit: 1 });
      await store.pauseRateBudget('davis b', T + MINUTE);
      await granted(T, { limit: 1, budget: 'other account' });
      expect((await take(T, { limit: 1 })).granted).toBe(false);
      expect((await take(T, { limit: 1, budget: 'davis b' })).granted).toBe(false);
      expect(await store.rateBudgetUsage('nobody', { now: T, windowMs: MINUTE })).toEqual({ used: 0, pausedUntil: null });
    });

    it('when many take the last slots at once, from one store and (where the engine opens another) from a second one, then exactly `limit` are granted', async () => {
      const second = opened.reopen === undefined ? store : await opened.reopen();
      const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => take(T, { limit: 10, from: i % 2 === 0 ? store : second })));
      expect(answers.filter((answer) => answer.granted)).toHaveLength(10);
      expect(await second.rateBudgetUsage('account a', { now: T, windowMs: MINUTE })).toEqual({ used: 10, pausedUntil: null });
    });

    it('when the store is closed and reopened, then the window and the pause are still there', async (context) => {
      const reopen = opened.reopen;
      if (reopen === undefined) {
        context.skip();
        return;
      }
      await granted(T, { limit: 1 });
      await store.pauseRateBudget('davis b', T + 5_000);
      await store.close();
      store = await reopen();
      expect(await take(T + 1_000, { limit: 1 })).toEqual({ granted: false, freeAt: T + MINUTE });
      expect(await store.rateBudgetUsage('davis b', { now: T, windowMs: MINUTE })).toEqual({ used: 0, pausedUntil: T + 5_000 });
    });

    it('when the arguments are malformed, then the call throws TypeError', async () => {
      const request = { now: T, windowMs: MINUTE, limit: 1, holdUntil: T };
      const malformed: Array<() => Promise<unknown>> = [
        () => store.takeRateSlot('', request),
        () => store.takeRateSlot('a', { ...request, limit: 0 }),
        () => store.takeRateSlot('a', { ...request, windowMs: 1.5 }),
        () => store.takeRateSlot('a', { ...request, holdUntil: T - 1 }),
        () => store.takeRateSlot('a', { ...request, now: Number.NaN }),
        () => store.settleRateSlot('a', 0, T),
        () => store.pauseRateBudget('a', -1),
        () => store.rateBudgetUsage('a', { now: T, windowMs: 0 }),
      ];
      for (const call of malformed) await expect(call()).rejects.toBeInstanceOf(TypeError);
      expect(await store.rateBudgetUsage('a', { now: T, windowMs: MINUTE })).toEqual({ used: 0, pausedUntil: null });
    });
  });
}
