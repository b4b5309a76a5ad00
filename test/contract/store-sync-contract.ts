// The sync-work part of the Store contract: what each mutation enqueues in its own transaction
// (sync-queue.ts, store.ts), and the queue protocol: generations, leases, completion, deferral,
// permanent failure, retry and stats. Run by describeStoreContract against every engine.
import { beforeEach, describe, expect, it } from 'vitest';
import type { ChangeContext, Store } from '../../src/ports/store.js';
import type { SyncItem, SyncTarget } from '../../src/ports/sync-queue.js';
import type { StoreUnderTest } from './store-fixtures.js';
import {
  change,
  drainQueue,
  expectStoreError,
  far,
  groupWrite,
  peekQueue,
  queuedTargets,
  t0,
  t1,
  t2,
  t3,
  t4,
  targetOf,
  userWrite,
} from './store-fixtures.js';

/** `t0` plus `n` minutes. */
function minute(n: number): string {
  return new Date(Date.parse(t0) + n * 60_000).toISOString();
}

/** One millisecond before `time`. */
function justBefore(time: string): string {
  return new Date(Date.parse(time) - 1).toISOString();
}

function target(text: string): SyncTarget {
  const [resourceType, resourceId] = text.split(':');
  if ((resourceType !== 'User' && resourceType !== 'Group') || resourceId === undefined) throw new Error(`bad target ${text}`);
  return { resourceType, resourceId };
}

/** The item the queue should hand out for `text` (`User:u1`), with the defaults of a fresh enqueue at t0. */
function item(text: string, fields: Partial<Omit<SyncItem, 'resourceType' | 'resourceId'>> = {}): SyncItem {
  return {
    ...target(text),
    generation: fields.generation ?? 1,
    attempts: fields.attempts ?? 0,
    firstEnqueuedAt: fields.firstEnqueuedAt ?? t0,
    requestId: fields.requestId ?? null,
    lastError: fields.lastError ?? null,
  };
}

export function describeSyncWorkContract(subject: StoreUnderTest): void {
  let store: Store;

  beforeEach(() => {
    store = subject.store;
  });

  async function lease(now: string, owner = 'w1', options: { readonly limit?: number; readonly leaseUntil?: string } = {}): Promise<SyncItem[]> {
    return store.leaseSyncWork({ now, owner, limit: options.limit ?? 100, leaseUntil: options.leaseUntil ?? far });
  }

  async function enqueue(targets: readonly string[], context: { at: string; requestId?: string | null; dueAt?: string }): Promise<void> {
    await store.enqueueSync(targets.map(target), { at: context.at, requestId: context.requestId ?? null, dueAt: context.dueAt ?? context.at });
  }

  async function seedUsers(...ids: string[]): Promise<void> {
    for (const id of ids) await store.insertUser(userWrite(id, `name-of-${id}`), change(t0));
  }

  async function depth(): Promise<number> {
    return (await store.syncQueueStats({ failedLimit: 0 })).depth;
  }

  describe('sync work: what each mutation enqueues', () => {
    it('when a user is inserted, then the User is enqueued with generation 1, the request id and the change\'s due time', async () => {
      await store.insertUser(userWrite('u1', 'alice'), change(t0, { requestId: 'r1', syncDueAt: t1 }));
      expect(await lease(justBefore(t1))).toEqual([]);
      expect(await lease(t1)).toEqual([item('User:u1', { firstEnqueuedAt: t0, requestId: 'r1' })]);
    });

    it('when a pending user is replaced, then its one item moves to generation 2 with the new request id, the first enqueue time and the later due time', async () => {
      await store.insertUser(userWrite('u1', 'alice'), change(t0, { requestId: 'r1', syncDueAt: t0 }));
      await store.replaceUser(userWrite('u1', 'alicia'), change(t1, { requestId: 'r2', syncDueAt: t2 }));
      expect(await depth()).toBe(1);
      expect(await lease(justBefore(t2))).toEqual([]);
      expect(await lease(t2)).toEqual([item('User:u1', { generation: 2, firstEnqueuedAt: t0, requestId: 'r2' })]);
    });

    it('when a member user is deleted, then only the User is enqueued, not its groups', async () => {
      await seedUsers('u1', 'u2');
      await store.insertGroup(groupWrite('g1', 'Admins'), ['u1', 'u2'], change(t0));
      await store.insertGroup(groupWrite('g2', 'Ops'), ['u1'], change(t0));
      await drainQueue(store);
      await store.deleteUser('u1', change(t1, { requestId: 'r-del' }));
      expect(await peekQueue(store)).toEqual([item('User:u1', { firstEnqueuedAt: t1, requestId: 'r-del' })]);
    });

    it('when a group is inserted with members, then the Group and each member User are enqueued once, in that order', async () => {
      await seedUsers('u1', 'u2', 'u3');
      await drainQueue(store);
      await store.insertGroup(groupWrite('g1', 'Admins'), ['u2', 'u1', 'u2'], change(t1, { requestId: 'r1' }));
      expect(await peekQueue(store)).toEqual([
        item('Group:g1', { firstEnqueuedAt: t1, requestId: 'r1' }),
        item('User:u2', { firstEnqueuedAt: t1, requestId: 'r1' }),
        item('User:u1', { firstEnqueuedAt: t1, requestId: 'r1' }),
      ]);
    });

    it('when a group is inserted without members, then only the Group is enqueued', async () => {
      await store.insertGroup(groupWrite('g1', 'Admins'), [], change(t0));
      expect(await queuedTargets(store)).toEqual(['Group:g1']);
    });

    it('when a group is inserted while its members still have pending work, then their items coalesce to generation 2', async () => {
      await seedUsers('u1');
      await store.insertGroup(groupWrite('g1', 'Admins'), ['u1'], change(t1, { requestId: 'r2' }));
      expect(await peekQueue(store)).toEqual([
        item('User:u1', { generation: 2, firstEnqueuedAt: t0, requestId: 'r2' }),
        item('Group:g1', { firstEnqueuedAt: t1, requestId: 'r2' }),
      ]);
    });

    describe('updateGroup', () => {
      beforeEach(async () => {
        await seedUsers('u1', 'u2', 'u3', 'u4');
        await store.insertGroup(groupWrite('g1', 'Admins'), ['u1', 'u2'], change(t0));
        await drainQueue(store);
      });

      it('when only attributes change, then only the Group is enqueued', async () => {
        await store.updateGroup({ id: 'g1', group: groupWrite('g1', 'Operators') }, change(t1, { requestId: 'r1' }));
        expect(await peekQueue(store)).toEqual([item('Group:g1', { firstEnqueuedAt: t1, requestId: 'r1' })]);
      });

      it('when neither attributes nor members are given, then nothing is enqueued', async () => {
        await store.updateGroup({ id: 'g1' }, change(t1));
        expect(await queuedTargets(store)).toEqual([]);
      });

      it('when a delta adds and removes, then only Users whose membership changed are enqueued, the Group is not', async () => {
        await store.updateGroup(
          { id: 'g1', members: { kind: 'delta', add: ['u3', 'u1'], remove: ['u2', 'u4', 'ghost'] } },
          change(t1, { requestId: 'r1' }),
        );
        expect(await peekQueue(store)).toEqual([
          item('User:u3', { firstEnqueuedAt: t1, requestId: 'r1' }),
          item('User:u2', { firstEnqueuedAt: t1, requestId: 'r1' }),
        ]);
      });

      it('when a delta only re-adds members and removes non-members, then nothing is enqueued', async () => {
        const meta = await store.updateGroup({ id: 'g1', members: { kind: 'delta', add: ['u1', 'u2'], remove: ['u3', 'ghost'] } }, change(t1));
        expect(meta.version).toBe(2);
        expect(await queuedTargets(store)).toEqual([]);
      });

      it('when members are replaced, then the symmetric difference of old and new lists is enqueued: added first, then removed', async () => {
        await store.updateGroup({ id: 'g1', members: { kind: 'delta', add: ['u3'], remove: [] } }, change(t1));
        await drainQueue(store);
        await store.updateGroup({ id: 'g1', members: { kind: 'replace', members: ['u3', 'u4', 'u1', 'u4'] } }, change(t2));
        expect(await queuedTargets(store)).toEqual(['User:u4', 'User:u2']);
      });

      it('when members are replaced by the same set in another order, then nothing is enqueued', async () => {
        await store.updateGroup({ id: 'g1', members: { kind: 'replace', members: ['u2', 'u1'] } }, change(t1));
        expect(await queuedTargets(store)).toEqual([]);
      });

      it('when members are replaced by an empty list, then every former member is enqueued', async () => {
        await store.updateGroup({ id: 'g1', members: { kind: 'replace', members: [] } }, change(t1));
        expect(await queuedTargets(store)).toEqual(['User:u1', 'User:u2']);
      });

      it('when attributes and members change together, then the Group comes first, then the changed Users', async () => {
        await store.updateGroup(
          { id: 'g1', group: groupWrite('g1', 'Operators'), members: { kind: 'delta', add: ['u4'], remove: ['u1'] } },
          change(t1),
        );
        expect(await queuedTargets(store)).toEqual(['Group:g1', 'User:u4', 'User:u1']);
      });
    });

    it('when a group is deleted, then the Group and each former member are enqueued, in member order', async () => {
      await seedUsers('u1', 'u2', 'u3');
      await store.insertGroup(groupWrite('g1', 'Admins'), ['u2', 'u1'], change(t0));
      await drainQueue(store);
      await store.deleteGroup('g1', change(t1, { requestId: 'r1', syncDueAt: t2 }));
      expect(await lease(justBefore(t2))).toEqual([]);
      expect(await lease(t2)).toEqual([
        item('Group:g1', { firstEnqueuedAt: t1, requestId: 'r1' }),
        item('User:u2', { firstEnqueuedAt: t1, requestId: 'r1' }),
        item('User:u1', { firstEnqueuedAt: t1, requestId: 'r1' }),
      ]);
    });

    it('when an empty group is deleted, then only the Group is enqueued', async () => {
      await store.insertGroup(groupWrite('g1', 'Admins'), [], change(t0));
      await drainQueue(store);
      await store.deleteGroup('g1', change(t1));
      expect(await queuedTargets(store)).toEqual(['Group:g1']);
    });

    it('when mutations are rejected, then none of them enqueues anything', async () => {
      await seedUsers('u1', 'u2');
      await store.insertGroup(groupWrite('g1', 'Admins'), ['u1'], change(t0));
      await store.insertGroup(groupWrite('g2', 'Ops'), [], change(t0));
      await drainQueue(store);
      const rejected = change(t1, { requestId: 'rejected' });
      await expectStoreError(store.insertUser(userWrite('u3', 'NAME-OF-U1'), rejected), 'conflict');
      await expectStoreError(store.replaceUser(userWrite('u2', 'name-of-u1'), rejected), 'conflict');
      await expectStoreError(store.replaceUser(userWrite('u1', 'x'), rejected, { expectedVersion: 9 }), 'version_mismatch');
      await expectStoreError(store.replaceUser(userWrite('ghost', 'x'), rejected), 'not_found');
      await expectStoreError(store.deleteUser('u1', rejected, { expectedVersion: 9 }), 'version_mismatch');
      await expectStoreError(store.deleteUser('ghost', rejected), 'not_found');
      await expectStoreError(store.insertGroup(groupWrite('g3', 'New'), ['u2', 'ghost'], rejected), 'unknown_members');
      await expectStoreError(store.insertGroup(groupWrite('g3', 'admins'), ['u2'], rejected), 'conflict');
      await expectStoreError(
        store.updateGroup({ id: 'g2', group: groupWrite('g2', 'ADMINS'), members: { kind: 'delta', add: ['u2'], remove: [] } }, rejected),
        'conflict',
      );
      await expectStoreError(
        store.updateGroup({ id: 'g1', members: { kind: 'delta', add: ['u2', 'ghost'], remove: ['u1'] } }, rejected),
        'unknown_members',
      );
      await expectStoreError(
        store.updateGroup({ id: 'g1', members: { kind: 'replace', members: ['u2'] } }, rejected, { expectedVersion: 9 }),
        'version_mismatch',
      );
      await expectStoreError(store.updateGroup({ id: 'ghost', group: groupWrite('ghost', 'G') }, rejected), 'not_found');
      await expect(store.updateGroup({ id: 'g1', members: { kind: 'delta', add: ['u2'], remove: ['u2'] } }, rejected))
        .rejects.toBeInstanceOf(TypeError);
      await expectStoreError(store.deleteGroup('g1', rejected, { expectedVersion: 9 }), 'version_mismatch');
      await expectStoreError(store.deleteGroup('ghost', rejected), 'not_found');
      expect(await queuedTargets(store)).toEqual([]);
      expect(await store.syncQueueStats({ failedLimit: 10 })).toEqual({ depth: 0, oldestEnqueuedAt: null, failedCount: 0, failed: [], retryingCount: 0, retrying: [] });
    });

    it('when a ChangeContext is malformed, then the mutation rejects with TypeError and writes nothing', async () => {
      const malformed: ChangeContext[] = [
        { at: '2025-01-01T00:00:00Z', requestId: null, syncDueAt: t0 },
        { at: t0, requestId: null, syncDueAt: 'tomorrow' },
        { at: t0, requestId: 42 as unknown as string, syncDueAt: t0 },
        undefined as unknown as ChangeContext,
      ];
      for (const context of malformed) {
        await expect(store.insertUser(userWrite('u1', 'alice'), context)).rejects.toBeInstanceOf(TypeError);
        await expect(store.insertGroup(groupWrite('g1', 'Admins'), [], context)).rejects.toBeInstanceOf(TypeError);
      }
      expect(await store.getUser('u1')).toBeNull();
      expect(await store.getGroup('g1')).toBeNull();
      expect(await depth()).toBe(0);
    });

    it('when one member of a large group is added or removed, then only that User is enqueued', async () => {
      const ids = Array.from({ length: 1500 }, (_unused, index) => `m${index}`);
      for (const id of ids) await store.insertUser(userWrite(id, id), change(t0));
      await store.insertUser(userWrite('newcomer', 'newcomer'), change(t0));
      await store.insertGroup(groupWrite('big', 'Everyone'), ids, change(t0));
      await drainQueue(store);
      await store.updateGroup({ id: 'big', members: { kind: 'delta', add: ['newcomer'], remove: [] } }, change(t1, { requestId: 'r-add' }));
      expect(await peekQueue(store)).toEqual([item('User:newcomer', { firstEnqueuedAt: t1, requestId: 'r-add' })]);
      await drainQueue(store);
      await store.updateGroup({ id: 'big', members: { kind: 'delta', add: [], remove: ['m700'] } }, change(t2));
      expect(await queuedTargets(store)).toEqual(['User:m700']);
      expect((await store.membersOfGroups(['big'])).get('big')?.length).toBe(1500);
    });
  });

  describe('sync queue: enqueueSync and generations', () => {
    it('when a resource is enqueued, then its item starts at generation 1 with no attempts, no error and the given request id', async () => {
      await enqueue(['Group:g1'], { at: t1, requestId: 'reconcile-1', dueAt: t2 });
      expect(await lease(t2)).toEqual([item('Group:g1', { firstEnqueuedAt: t1, requestId: 'reconcile-1' })]);
    });

    it('when a pending resource is enqueued again with an earlier due time, then one item remains at generation 2 and keeps the later due time', async () => {
      await enqueue(['User:u1'], { at: t0, requestId: 'r1', dueAt: t2 });
      await enqueue(['User:u1'], { at: t1, requestId: 'r2', dueAt: t1 });
      expect(await depth()).toBe(1);
      expect(await lease(justBefore(t2))).toEqual([]);
      expect(await lease(t2)).toEqual([item('User:u1', { generation: 2, firstEnqueuedAt: t0, requestId: 'r2' })]);
    });

    it('when a pending resource is enqueued again with a later due time, then its due time moves later', async () => {
      await enqueue(['User:u1'], { at: t0, dueAt: t1 });
      await enqueue(['User:u1'], { at: t0, dueAt: t3 });
      expect(await lease(t2)).toEqual([]);
      expect(await lease(t3)).toEqual([item('User:u1', { generation: 2 })]);
    });

    it('when one call names a target twice, then it counts as one enqueue', async () => {
      await enqueue(['User:u1', 'Group:g1', 'User:u1'], { at: t0 });
      expect(await peekQueue(store)).toEqual([item('User:u1'), item('Group:g1')]);
    });

    it('when a User and a Group share an id, then they are separate items', async () => {
      await enqueue(['User:x', 'Group:x'], { at: t0 });
      expect(await queuedTargets(store)).toEqual(['User:x', 'Group:x']);
    });

    it('when no targets are given, then nothing is enqueued', async () => {
      await store.enqueueSync([], { at: t0, requestId: null, dueAt: t0 });
      expect(await depth()).toBe(0);
    });

    it('when a leased item is enqueued again, then the lease stays with its holder and the generation moves on', async () => {
      await enqueue(['User:u1'], { at: t0 });
      await lease(t0, 'w1', { leaseUntil: t2 });
      await enqueue(['User:u1'], { at: t1, requestId: 'r2' });
      expect(await lease(t1, 'w2')).toEqual([]);
      expect(await lease(t2, 'w2')).toEqual([item('User:u1', { generation: 2, requestId: 'r2' })]);
    });

    it('when enqueueSync gets a bad target or time, then it rejects with TypeError and enqueues nothing', async () => {
      const bad: readonly (() => Promise<void>)[] = [
        () => store.enqueueSync([{ resourceType: 'Team' as 'User', resourceId: 'x' }], { at: t0, requestId: null, dueAt: t0 }),
        () => store.enqueueSync([{ resourceType: 'User', resourceId: '' }], { at: t0, requestId: null, dueAt: t0 }),
        () => store.enqueueSync([target('User:u1')], { at: '2025-01-01', requestId: null, dueAt: t0 }),
        () => store.enqueueSync([target('User:u1')], { at: t0, requestId: null, dueAt: '2025-01-01T00:00:00+01:00' }),
      ];
      for (const call of bad) await expect(call()).rejects.toBeInstanceOf(TypeError);
      expect(await depth()).toBe(0);
    });
  });

  describe('sync queue: leasing', () => {
    it('when an item is not yet due, then it is not leased; at its due time exactly, it is', async () => {
      await enqueue(['User:u1'], { at: t0, dueAt: t1 });
      expect(await lease(justBefore(t1))).toEqual([]);
      expect(await lease(t1)).toEqual([item('User:u1')]);
    });

    it('when an item is leased by another owner, then it is not leased again until that lease expires', async () => {
      await enqueue(['User:u1'], { at: t0 });
      expect(await lease(t0, 'w1', { leaseUntil: t2 })).toEqual([item('User:u1')]);
      expect(await lease(t0, 'w1')).toEqual([]);
      expect(await lease(justBefore(t2), 'w2')).toEqual([]);
      expect(await lease(t2, 'w2', { leaseUntil: t4 })).toEqual([item('User:u1')]);
      expect(await depth()).toBe(1);
    });

    it('when a lease expired and another owner took the item, then the first owner\'s complete, defer and fail are no-ops', async () => {
      await enqueue(['User:u1'], { at: t0 });
      const [first] = await lease(t0, 'w1', { leaseUntil: t1 });
      if (first === undefined) throw new Error('nothing leased');
      const [second] = await lease(t1, 'w2', { leaseUntil: t3 });
      expect(second).toEqual(item('User:u1'));
      await store.completeSyncWork(first, 'w1');
      await store.deferSyncWork(first, 'w1', { dueAt: t1, error: 'late' });
      await store.failSyncWork(first, 'w1', { at: t1, reason: 'late' });
      expect(await store.syncQueueStats({ failedLimit: 5 })).toEqual({ depth: 1, oldestEnqueuedAt: t0, failedCount: 0, failed: [], retryingCount: 0, retrying: [] });
      expect(await lease(t2, 'w3')).toEqual([]);
      if (second === undefined) throw new Error('nothing leased');
      await store.completeSyncWork(second, 'w2');
      expect(await depth()).toBe(0);
    });

    it('when an item has failed, then it is never leased, however late', async () => {
      await enqueue(['User:u1', 'User:u2'], { at: t0 });
      const [u1] = await lease(t0, 'w1', { limit: 1 });
      if (u1 === undefined) throw new Error('nothing leased');
      await store.failSyncWork(u1, 'w1', { at: t1, reason: 'no email' });
      await store.releaseSyncLeases('w1');
      expect(await lease(far, 'w2')).toEqual([item('User:u2')]);
    });

    it('when items differ in due time, enqueue time and age, then they are leased by due time, then first enqueue, then age', async () => {
      await enqueue(['User:a'], { at: minute(2), dueAt: minute(10) });
      await enqueue(['User:b'], { at: minute(1), dueAt: minute(10) });
      await enqueue(['User:c'], { at: minute(3), dueAt: minute(5) });
      await enqueue(['User:d'], { at: minute(1), dueAt: minute(10) });
      await enqueue(['User:e'], { at: minute(0), dueAt: minute(20) });
      expect((await lease(minute(30))).map(targetOf)).toEqual(['User:c', 'User:b', 'User:d', 'User:a', 'User:e']);
    });

    it('when more items are due than the limit, then the oldest `limit` are leased and the next call gets the rest', async () => {
      for (let n = 1; n <= 5; n += 1) await enqueue([`User:u${n}`], { at: minute(n) });
      expect((await lease(minute(10), 'w1', { limit: 2 })).map(targetOf)).toEqual(['User:u1', 'User:u2']);
      expect((await lease(minute(10), 'w2', { limit: 2 })).map(targetOf)).toEqual(['User:u3', 'User:u4']);
      expect((await lease(minute(10), 'w3', { limit: 2 })).map(targetOf)).toEqual(['User:u5']);
      expect(await lease(minute(10), 'w4', { limit: 2 })).toEqual([]);
    });

    it('when the limit is 0, then nothing is leased', async () => {
      await enqueue(['User:u1'], { at: t0 });
      expect(await lease(t1, 'w1', { limit: 0 })).toEqual([]);
      expect(await lease(t1, 'w2')).toEqual([item('User:u1')]);
    });

    it('when lease options are malformed, then leaseSyncWork rejects with TypeError', async () => {
      await expect(store.leaseSyncWork({ now: t0, limit: -1, leaseUntil: t1, owner: 'w1' })).rejects.toBeInstanceOf(TypeError);
      await expect(store.leaseSyncWork({ now: t0, limit: 1.5, leaseUntil: t1, owner: 'w1' })).rejects.toBeInstanceOf(TypeError);
      await expect(store.leaseSyncWork({ now: t0, limit: 1, leaseUntil: t1, owner: '' })).rejects.toBeInstanceOf(TypeError);
      await expect(store.leaseSyncWork({ now: 'now', limit: 1, leaseUntil: t1, owner: 'w1' })).rejects.toBeInstanceOf(TypeError);
    });
  });

  describe('sync queue: complete, defer, fail, retry, release', () => {
    async function leaseOne(now: string, owner = 'w1'): Promise<SyncItem> {
      const [leased] = await lease(now, owner, { limit: 1, leaseUntil: t4 });
      if (leased === undefined) throw new Error('nothing leased');
      return leased;
    }

    it('when work completes and no change arrived meanwhile, then the item is removed', async () => {
      await enqueue(['User:u1', 'User:u2'], { at: t0 });
      const leased = await leaseOne(t0);
      await store.completeSyncWork(leased, 'w1');
      expect(await queuedTargets(store)).toEqual(['User:u2']);
    });

    it('when work completes after a newer enqueue, then the item stays pending at generation 2, lease released, at its due time', async () => {
      await enqueue(['User:u1'], { at: t0 });
      const leased = await leaseOne(t0);
      await enqueue(['User:u1'], { at: t1, requestId: 'r2', dueAt: t2 });
      await store.completeSyncWork(leased, 'w1');
      expect(await depth()).toBe(1);
      expect(await lease(justBefore(t2), 'w2')).toEqual([]);
      const again = await lease(t2, 'w2');
      expect(again).toEqual([item('User:u1', { generation: 2, requestId: 'r2' })]);
      const [second] = again;
      if (second === undefined) throw new Error('nothing leased');
      await store.completeSyncWork(second, 'w2');
      expect(await depth()).toBe(0);
    });

    it('when someone who does not hold the lease completes, then nothing changes', async () => {
      await enqueue(['User:u1'], { at: t0 });
      const leased = await leaseOne(t0, 'w1');
      await store.completeSyncWork(leased, 'intruder');
      expect(await depth()).toBe(1);
      expect(await lease(t1, 'w2')).toEqual([]);
    });

    it('when work is deferred, then attempts go up, the error is kept, the lease is released and it is due again at the given time', async () => {
      await enqueue(['User:u1'], { at: t0, requestId: 'r1' });
      await store.deferSyncWork(await leaseOne(t0), 'w1', { dueAt: t2, error: 'upstream_unavailable (HTTP 503)' });
      expect(await lease(justBefore(t2), 'w2')).toEqual([]);
      const again = await lease(t2, 'w2', { leaseUntil: t4 });
      expect(again).toEqual([item('User:u1', { attempts: 1, requestId: 'r1', lastError: 'upstream_unavailable (HTTP 503)' })]);
      const [second] = again;
      if (second === undefined) throw new Error('nothing leased');
      await store.deferSyncWork(second, 'w2', { dueAt: t3, error: 'upstream_throttled (HTTP 429)' });
      expect(await lease(t3, 'w3')).toEqual([item('User:u1', { attempts: 2, requestId: 'r1', lastError: 'upstream_throttled (HTTP 429)' })]);
    });

    it('when work is deferred to an earlier time than its due time, then it is due at the deferred time', async () => {
      await enqueue(['User:u1'], { at: t0, dueAt: t2 });
      await store.deferSyncWork(await leaseOne(t2), 'w1', { dueAt: t1, error: 'e' });
      expect((await lease(t1, 'w2')).map(targetOf)).toEqual(['User:u1']);
    });

    it('when someone who does not hold the lease defers, then nothing changes', async () => {
      await enqueue(['User:u1'], { at: t0 });
      const leased = await leaseOne(t0, 'w1');
      await store.deferSyncWork(leased, 'intruder', { dueAt: t1, error: 'e' });
      await store.releaseSyncLeases('w1');
      expect(await lease(t0, 'w2')).toEqual([item('User:u1')]);
    });

    it('when work fails permanently, then it leaves the depth, counts as failed with its reason and time, and is not leased', async () => {
      await enqueue(['User:u1'], { at: t0, requestId: 'r1' });
      await store.deferSyncWork(await leaseOne(t0), 'w1', { dueAt: t0, error: 'timeout' });
      await store.failSyncWork(await leaseOne(t0), 'w1', { at: t1, reason: 'user has no usable email' });
      expect(await store.syncQueueStats({ failedLimit: 10 })).toEqual({
        depth: 0,
        oldestEnqueuedAt: null,
        failedCount: 1,
        failed: [{ ...item('User:u1', { attempts: 1, requestId: 'r1', lastError: 'timeout' }), reason: 'user has no usable email', failedAt: t1 }],
        retryingCount: 0,
        retrying: [],
      });
      expect(await lease(far, 'w2')).toEqual([]);
    });

    it('when a failed item is enqueued again, then it is pending afresh: generation + 1, no attempts, no error, the new enqueue time and due time', async () => {
      await enqueue(['User:u1'], { at: t0, dueAt: t2 });
      const leased = await leaseOne(t2);
      await store.deferSyncWork(leased, 'w1', { dueAt: t2, error: 'timeout' });
      await store.failSyncWork(await leaseOne(t2), 'w1', { at: t3, reason: 'rejected' });
      await store.insertUser(userWrite('u1', 'alice'), change(t3, { requestId: 'r-fix', syncDueAt: t3 }));
      expect(await store.syncQueueStats({ failedLimit: 10 })).toEqual({ depth: 1, oldestEnqueuedAt: t3, failedCount: 0, failed: [], retryingCount: 0, retrying: [] });
      expect(await lease(t3, 'w2')).toEqual([item('User:u1', { generation: 2, firstEnqueuedAt: t3, requestId: 'r-fix' })]);
    });

    it('when a failed item is enqueued again with an earlier due time than before, then the new due time applies', async () => {
      await enqueue(['User:u1'], { at: t0, dueAt: t3 });
      await store.failSyncWork(await leaseOne(t3), 'w1', { at: t3, reason: 'rejected' });
      await enqueue(['User:u1'], { at: t3, dueAt: t1 });
      expect((await lease(t1, 'w2')).map(targetOf)).toEqual(['User:u1']);
    });

    it('when work fails after a newer enqueue, then the newer change is kept: the item stays pending with the reason as lastError', async () => {
      await enqueue(['User:u1'], { at: t0 });
      const leased = await leaseOne(t0);
      await enqueue(['User:u1'], { at: t1, requestId: 'r2' });
      await store.failSyncWork(leased, 'w1', { at: t2, reason: 'rejected' });
      expect(await store.syncQueueStats({ failedLimit: 10 })).toEqual({ depth: 1, oldestEnqueuedAt: t0, failedCount: 0, failed: [], retryingCount: 0, retrying: [] });
      expect(await lease(t2, 'w2')).toEqual([item('User:u1', { generation: 2, requestId: 'r2', lastError: 'rejected' })]);
    });

    it('when someone who does not hold the lease fails it, then nothing changes', async () => {
      await enqueue(['User:u1'], { at: t0 });
      await leaseOne(t0, 'w1');
      const forged = item('User:u1');
      await store.failSyncWork(forged, 'intruder', { at: t1, reason: 'x' });
      expect(await store.syncQueueStats({ failedLimit: 10 })).toEqual({ depth: 1, oldestEnqueuedAt: t0, failedCount: 0, failed: [], retryingCount: 0, retrying: [] });
    });

    it('when failed work is retried, then every failed item is pending again with no attempts, due at the given time, and the count is returned', async () => {
      await enqueue(['User:u1', 'User:u2', 'Group:g1'], { at: t0, requestId: 'r1' });
      const [u1, u2] = await lease(t0, 'w1', { leaseUntil: t4 });
      if (u1 === undefined || u2 === undefined) throw new Error('nothing leased');
      await store.deferSyncWork(u1, 'w1', { dueAt: t0, error: 'e' });
      await store.failSyncWork(await leaseOne(t0), 'w1', { at: t1, reason: 'r-a' });
      await store.failSyncWork(u2, 'w1', { at: t1, reason: 'r-b' });
      expect(await store.retryFailedSyncWork(t2)).toBe(2);
      expect(await store.syncQueueStats({ failedLimit: 10 })).toEqual({ depth: 3, oldestEnqueuedAt: t0, failedCount: 0, failed: [], retryingCount: 0, retrying: [] });
      expect(await lease(justBefore(t2), 'w2')).toEqual([]);
      expect(await lease(t2, 'w2')).toEqual([item('User:u1', { requestId: 'r1' }), item('User:u2', { requestId: 'r1' })]);
      expect(await store.retryFailedSyncWork(t3)).toBe(0);
    });

    it('when an owner releases its leases, then only its items become leasable again, keeping their generation and attempts', async () => {
      await enqueue(['User:u1', 'User:u2', 'User:u3'], { at: t0 });
      await lease(t0, 'w1', { limit: 2, leaseUntil: t4 });
      await lease(t0, 'w2', { limit: 1, leaseUntil: t4 });
      await store.releaseSyncLeases('w1');
      expect((await lease(t1, 'w3')).map(targetOf)).toEqual(['User:u1', 'User:u2']);
      await store.releaseSyncLeases('nobody');
      expect(await lease(t1, 'w4')).toEqual([]);
    });

    it('when the holder renews a lease, then the item stays its own past the old lease end; a renewal by anyone else, or after another took the item, is refused', async () => {
      await enqueue(['User:u1'], { at: t0 });
      const [leased] = await lease(t0, 'w1', { leaseUntil: t1 });
      if (leased === undefined) throw new Error('nothing leased');
      expect(await store.renewSyncLease(leased, 'w1', t3)).toBe(true);
      expect(await store.renewSyncLease(leased, 'w2', t4)).toBe(false);
      expect(await lease(t2, 'w2')).toEqual([]);
      // Expired and not yet taken: still its holder's to renew.
      expect(await store.renewSyncLease(leased, 'w1', t4)).toBe(true);
      expect(await lease(justBefore(t4), 'w2')).toEqual([]);
      expect(await lease(t4, 'w2', { leaseUntil: far })).toEqual([item('User:u1')]);
      expect(await store.renewSyncLease(leased, 'w1', far)).toBe(false);
      await expect(store.renewSyncLease(leased, 'w1', 'soon')).rejects.toBeInstanceOf(TypeError);
    });

    it('when every lease is released, then every leased item is leasable at once, keeping its generation and attempts, and the count is returned', async () => {
      await enqueue(['User:u1', 'User:u2', 'User:u3'], { at: t0 });
      await lease(t0, 'w1', { limit: 1, leaseUntil: far });
      const [second] = await lease(t0, 'w2', { limit: 1, leaseUntil: far });
      if (second === undefined) throw new Error('nothing leased');
      await store.deferSyncWork(second, 'w2', { dueAt: t0, error: 'boom' });
      await lease(t0, 'w2', { limit: 1, leaseUntil: far });
      expect(await store.releaseAllSyncLeases()).toBe(2);
      expect(await lease(t1, 'w3')).toEqual([item('User:u1'), item('User:u2', { attempts: 1, lastError: 'boom' }), item('User:u3')]);
      await store.releaseSyncLeases('w3');
      expect(await store.releaseAllSyncLeases()).toBe(0);
    });

    it('when an item is malformed, then complete, defer and fail reject with TypeError', async () => {
      const broken = { ...item('User:u1'), generation: 0 };
      await expect(store.completeSyncWork(broken, 'w1')).rejects.toBeInstanceOf(TypeError);
      await expect(store.deferSyncWork(item('User:u1'), 'w1', { dueAt: 'soon', error: 'e' })).rejects.toBeInstanceOf(TypeError);
      await expect(store.failSyncWork(item('User:u1'), '', { at: t0, reason: 'r' })).rejects.toBeInstanceOf(TypeError);
      await expect(store.retryFailedSyncWork('later')).rejects.toBeInstanceOf(TypeError);
    });
  });

  describe('sync queue: stats', () => {
    it('when items failed transiently, then they are counted retrying and listed by next attempt, with their attempts and last error, up to the limit', async () => {
      await enqueue(['User:r1', 'User:r2', 'User:r3'], { at: minute(0) });
      await enqueue(['User:fresh'], { at: minute(0), dueAt: minute(30) });
      const [r1, r2, r3] = await lease(minute(0), 'w1', { limit: 3 });
      if (r1 === undefined || r2 === undefined || r3 === undefined) throw new Error('nothing leased');
      await store.deferSyncWork(r1, 'w1', { dueAt: minute(9), error: 'unavailable — connection refused' });
      await store.deferSyncWork(r2, 'w1', { dueAt: minute(5), error: 'throttled' });
      await store.deferSyncWork(r3, 'w1', { dueAt: minute(5), error: 'timeout' });
      const [again] = await lease(minute(5), 'w1', { limit: 1 });
      if (again === undefined) throw new Error('nothing leased');
      await store.deferSyncWork(again, 'w1', { dueAt: minute(7), error: 'throttled again' });
      const stats = await store.syncQueueStats({ failedLimit: 0, retryingLimit: 2 });
      expect(stats.retryingCount).toBe(3);
      expect(stats.depth).toBe(4);
      expect(stats.retrying).toEqual([
        { ...item('User:r3', { attempts: 1, lastError: 'timeout', firstEnqueuedAt: minute(0) }), nextAttemptAt: minute(5) },
        { ...item('User:r2', { attempts: 2, lastError: 'throttled again', firstEnqueuedAt: minute(0) }), nextAttemptAt: minute(7) },
      ]);
      expect((await store.syncQueueStats({ failedLimit: 0 })).retrying).toEqual([]);
      await expect(store.syncQueueStats({ failedLimit: 0, retryingLimit: -1 })).rejects.toBeInstanceOf(TypeError);
    });

    it('when items leave the queue, then the drained counts add up per minute across the store and forget what is 15 minutes old', async () => {
      const at = (m: number, s = 0) => new Date(Date.parse(t0) + m * 60_000 + s * 1000).toISOString();
      await store.recordSyncDrained(at(0, 5));
      await store.recordSyncDrained(at(0, 59));
      await store.recordSyncDrained(at(3, 1));
      expect(await store.syncDrainedSince(at(0, 30))).toEqual({ items: 3, from: at(0) });
      expect(await store.syncDrainedSince(at(1))).toEqual({ items: 1, from: at(3) });
      expect(await store.syncDrainedSince(at(4))).toEqual({ items: 0, from: null });
      await store.recordSyncDrained(at(16));
      expect(await store.syncDrainedSince(at(0))).toEqual({ items: 2, from: at(3) });
      await expect(store.recordSyncDrained('now')).rejects.toBeInstanceOf(TypeError);
    });

    it('when the queue is empty, then depth and failures are zero and there is no oldest time', async () => {
      expect(await store.syncQueueStats({ failedLimit: 10 })).toEqual({ depth: 0, oldestEnqueuedAt: null, failedCount: 0, failed: [], retryingCount: 0, retrying: [] });
    });

    it('when items are pending, leased and failed, then depth counts pending and leased, oldest is the earliest pending enqueue, failures come newest first up to the limit', async () => {
      await enqueue(['User:f1'], { at: minute(0) });
      await enqueue(['User:f2'], { at: minute(1) });
      await enqueue(['User:f3'], { at: minute(2) });
      await enqueue(['User:p1'], { at: minute(4), dueAt: minute(50) });
      await enqueue(['User:p2'], { at: minute(3), dueAt: minute(60) });
      const failing = await lease(minute(10), 'w1', { leaseUntil: far });
      expect(failing.map(targetOf)).toEqual(['User:f1', 'User:f2', 'User:f3']);
      const [f1, f2, f3] = failing;
      if (f1 === undefined || f2 === undefined || f3 === undefined) throw new Error('nothing leased');
      await store.failSyncWork(f1, 'w1', { at: minute(20), reason: 'one' });
      await store.failSyncWork(f3, 'w1', { at: minute(20), reason: 'three' });
      await store.failSyncWork(f2, 'w1', { at: minute(21), reason: 'two' });
      await lease(minute(50), 'w2', { leaseUntil: far });

      const failedOf = (source: SyncItem, reason: string, failedAt: string) => ({ ...source, reason, failedAt });
      expect(await store.syncQueueStats({ failedLimit: 2 })).toEqual({
        depth: 2,
        oldestEnqueuedAt: minute(3),
        failedCount: 3,
        failed: [failedOf(f2, 'two', minute(21)), failedOf(f3, 'three', minute(20))],
        retryingCount: 0,
        retrying: [],
      });
      expect((await store.syncQueueStats({ failedLimit: 10 })).failed.map(targetOf)).toEqual(['User:f2', 'User:f3', 'User:f1']);
      expect((await store.syncQueueStats({ failedLimit: 0 })).failed).toEqual([]);
    });

    it('when failedLimit is negative or fractional, then syncQueueStats rejects with TypeError', async () => {
      await expect(store.syncQueueStats({ failedLimit: -1 })).rejects.toBeInstanceOf(TypeError);
      await expect(store.syncQueueStats({ failedLimit: 0.5 })).rejects.toBeInstanceOf(TypeError);
    });
  });

  describe('sync queue: persistence', () => {
    it('when the store is closed and reopened, then pending, leased, deferred and failed items survive with every field', async (context) => {
      const reopen = subject.opened.reopen;
      if (reopen === undefined) {
        context.skip();
        return;
      }
      await store.insertUser(userWrite('u1', 'alice'), change(t0, { requestId: 'r1', syncDueAt: t1 }));
      await store.insertUser(userWrite('u2', 'bob'), change(t0, { requestId: 'r2' }));
      await store.replaceUser(userWrite('u1', 'alicia'), change(t1, { requestId: 'r3', syncDueAt: t2 }));
      await enqueue(['Group:g1', 'Group:g2', 'User:u3'], { at: t0, requestId: 'reconcile' });
      const [u2, g1, g2, u3] = await lease(t0, 'w1', { leaseUntil: t3 });
      if (u2 === undefined || g1 === undefined || g2 === undefined || u3 === undefined) throw new Error('nothing leased');
      expect([u2, g1, g2, u3].map(targetOf)).toEqual(['User:u2', 'Group:g1', 'Group:g2', 'User:u3']);
      await store.deferSyncWork(g2, 'w1', { dueAt: t2, error: 'HTTP 503' });
      await store.failSyncWork(u2, 'w1', { at: t1, reason: 'gone' });
      const stats = await store.syncQueueStats({ failedLimit: 10 });
      await store.close();

      subject.store = await reopen();
      store = subject.store;
      expect(await store.syncQueueStats({ failedLimit: 10 })).toEqual(stats);
      expect(await lease(justBefore(t2), 'w2')).toEqual([]);
      expect(await lease(t2, 'w2')).toEqual([
        item('User:u1', { generation: 2, requestId: 'r3' }),
        item('Group:g2', { attempts: 1, requestId: 'reconcile', lastError: 'HTTP 503' }),
      ]);
      await store.completeSyncWork(u3, 'w1');
      expect(await lease(t3, 'w3')).toEqual([item('Group:g1', { requestId: 'reconcile' })]);
    });
  });
}
