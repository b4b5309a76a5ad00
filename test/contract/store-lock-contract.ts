// The lock part of the Store contract (ports/store.ts LockStore): named locks with an expiry that
// replicas sharing one database use so that some work runs on one of them at a time (a reconcile,
// creating one Dynatrace group). Run by each engine's *.test.ts; where the engine can open a second
// store on the same data (`reopen`), owners also race from two stores, as two replicas would.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/ports/store.js';
import type { OpenedStore } from './store-fixtures.js';
import { expectStoreError, t0, t1, t2, t3, t4 } from './store-fixtures.js';

/** One millisecond before `time`. */
function justBefore(time: string): string {
  return new Date(Date.parse(time) - 1).toISOString();
}

export function describeStoreLockContract(engine: string, open: () => Promise<OpenedStore>): void {
  describe(`Store contract: ${engine}: locks`, () => {
    let opened: OpenedStore;
    let store: Store;

    beforeEach(async () => {
      opened = await open();
      store = opened.store;
    });

    afterEach(async () => {
      await opened.cleanup();
    });

    function take(name: string, owner: string, now: string, until: string): Promise<boolean> {
      return store.tryAcquireLock(name, owner, { now, until });
    }

    it('when a lock is free, then its first owner takes it, and another owner is refused until its until has passed', async () => {
      expect(await take('reconcile', 'a', t0, t2)).toBe(true);
      expect(await take('reconcile', 'b', t1, t3)).toBe(false);
      expect(await take('reconcile', 'b', justBefore(t2), t3)).toBe(false);
      // Expired at exactly its until (until ≤ now): the next owner takes it, and the former one is refused.
      expect(await take('reconcile', 'b', t2, t3)).toBe(true);
      expect(await take('reconcile', 'a', t2, t4)).toBe(false);
    });

    it('when the holder takes its lock again, then it keeps it until the new until, later or earlier', async () => {
      expect(await take('reconcile', 'a', t0, t1)).toBe(true);
      expect(await take('reconcile', 'a', t0, t3)).toBe(true);
      expect(await take('reconcile', 'b', t2, t4)).toBe(false);
      expect(await take('reconcile', 'a', t2, justBefore(t3))).toBe(true);
      expect(await take('reconcile', 'b', justBefore(t3), t4)).toBe(true);
    });

    it('when locks are released by prefix, then every lock so named is free whoever held it, and no other', async () => {
      expect(await take('group:g1', 'a', t0, t4)).toBe(true);
      expect(await take('group:g2', 'b', t0, t4)).toBe(true);
      expect(await take('groupie', 'c', t0, t4)).toBe(true);
      expect(await take('reconcile', 'd', t0, t4)).toBe(true);
      expect(await store.releaseLocksByPrefix('group:')).toBe(2);
      expect(await take('group:g1', 'x', t1, t2)).toBe(true);
      expect(await take('group:g2', 'x', t1, t2)).toBe(true);
      expect(await take('groupie', 'x', t1, t2)).toBe(false);
      expect(await take('reconcile', 'x', t1, t2)).toBe(false);
      expect(await store.releaseLocksByPrefix('%')).toBe(0);
      await expect(store.releaseLocksByPrefix('')).rejects.toBeInstanceOf(TypeError);
    });

    it('when the holder releases its lock, then another owner takes it at once; a release by anyone else or of a free lock changes nothing', async () => {
      await store.releaseLock('reconcile', 'a');
      expect(await take('reconcile', 'a', t0, t3)).toBe(true);
      await store.releaseLock('reconcile', 'b');
      expect(await take('reconcile', 'b', t1, t3)).toBe(false);
      await store.releaseLock('reconcile', 'a');
      expect(await take('reconcile', 'b', t1, t3)).toBe(true);
      await store.releaseLock('reconcile', 'b');
      await store.releaseLock('reconcile', 'b');
      expect(await take('reconcile', 'c', t1, t2)).toBe(true);
    });

    it('when a lock expired and another owner took it, then the former holder\'s late release leaves it with the new holder', async () => {
      expect(await take('group:g1', 'a', t0, t1)).toBe(true);
      expect(await take('group:g1', 'b', t1, t3)).toBe(true);
      await store.releaseLock('group:g1', 'a');
      expect(await take('group:g1', 'c', t2, t4)).toBe(false);
      expect(await take('group:g1', 'b', t2, t4)).toBe(true);
    });

    it('when locks have different names, then each has its own holder', async () => {
      expect(await take('group:g1', 'a', t0, t2)).toBe(true);
      expect(await take('group:g2', 'b', t0, t2)).toBe(true);
      expect(await take('reconcile', 'c', t0, t2)).toBe(true);
      expect(await take('group:g1', 'b', t1, t2)).toBe(false);
      expect(await take('group:g2', 'a', t1, t2)).toBe(false);
      await store.releaseLock('group:g1', 'a');
      expect(await take('group:g2', 'a', t1, t2)).toBe(false);
      expect(await take('group:g1', 'b', t1, t2)).toBe(true);
    });

    it('when many owners race for one free lock, from one store and (where the engine opens another) from a second one, then exactly one gets it', async () => {
      const second = opened.reopen === undefined ? store : await opened.reopen();
      const stores = [store, second];
      for (const [round, name] of ['reconcile', 'group:g1', 'group:g2'].entries()) {
        const now = new Date(Date.parse(t0) + round * 60_000).toISOString();
        const owners = Array.from({ length: 24 }, (_unused, index) => `owner-${index}`);
        const won = await Promise.all(owners.map((owner, index) =>
          (stores[index % stores.length] as Store).tryAcquireLock(name, owner, { now, until: far(now) })));
        expect(won.filter(Boolean)).toHaveLength(1);
        const winner = owners[won.indexOf(true)] as string;
        // The winner holds it as seen from either store.
        expect(await second.tryAcquireLock(name, 'late-owner', { now, until: far(now) })).toBe(false);
        expect(await store.tryAcquireLock(name, winner, { now, until: far(now) })).toBe(true);
      }
    });

    it('when the store is closed and reopened, then a held lock is still held', async (context) => {
      const reopen = opened.reopen;
      if (reopen === undefined) {
        context.skip();
        return;
      }
      expect(await take('reconcile', 'a', t0, t2)).toBe(true);
      await store.close();
      store = await reopen();
      expect(await take('reconcile', 'b', t1, t3)).toBe(false);
      expect(await take('reconcile', 'b', t2, t3)).toBe(true);
    });

    it('when the arguments are malformed, then the call throws TypeError and the lock is unchanged', async () => {
      expect(await take('reconcile', 'a', t0, t2)).toBe(true);
      const malformed: Array<() => Promise<unknown>> = [
        () => store.tryAcquireLock('', 'b', { now: t3, until: t4 }),
        () => store.tryAcquireLock('reconcile', '', { now: t3, until: t4 }),
        () => store.tryAcquireLock(undefined as unknown as string, 'b', { now: t3, until: t4 }),
        () => store.tryAcquireLock('reconcile', 'b', undefined as unknown as { now: string; until: string }),
        () => store.tryAcquireLock('reconcile', 'b', { now: '2025-01-04', until: t4 }),
        () => store.tryAcquireLock('reconcile', 'b', { now: t3, until: 'tomorrow' }),
        () => store.tryAcquireLock('reconcile', 'b', { now: t3, until: t3 }),
        () => store.tryAcquireLock('reconcile', 'b', { now: t4, until: t3 }),
        () => store.releaseLock('', 'a'),
        () => store.releaseLock('reconcile', 42 as unknown as string),
      ];
      for (const call of malformed) await expect(call()).rejects.toBeInstanceOf(TypeError);
      expect(await take('reconcile', 'b', t1, t3)).toBe(false);
      expect(await take('reconcile', 'a', t1, t3)).toBe(true);
    });

    it('when the store is closed, then lock calls reject with unavailable', async () => {
      await store.close();
      await expectStoreError(store.tryAcquireLock('reconcile', 'a', { now: t0, until: t1 }), 'unavailable');
      await expectStoreError(store.releaseLock('reconcile', 'a'), 'unavailable');
    });
  });
}

/** An hour after `time`. */
function far(time: string): string {
  return new Date(Date.parse(time) + 3_600_000).toISOString();
}
