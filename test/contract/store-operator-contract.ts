// The operator's reads in the Store contract (the console's people search, audit filters, the queue's
// rows per resource and those being retried): the same answers from every engine, from indexes.
import { beforeEach, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/ports/audit-log.js';
import type { Store } from '../../src/ports/store.js';
import type { StoreUnderTest } from './store-fixtures.js';
import { change, far, groupWrite, t0, t1, t2, targetOf, userWrite } from './store-fixtures.js';

function entry(n: number, overrides: Partial<AuditEntry> = {}): AuditEntry {
  return {
    at: new Date(Date.parse(t0) + n * 60_000).toISOString(),
    requestId: null,
    resourceType: 'User',
    resourceId: `u${n % 3}`,
    operation: n % 2 === 0 ? 'createUser' : 'addUserToGroups',
    target: `u${n % 3}@example.com`,
    outcome: n === 7 ? 'failed' : 'applied',
    detail: null,
    ...overrides,
  };
}

export function describeOperatorQueriesContract(subject: StoreUnderTest): void {
  let store: Store;

  beforeEach(() => {
    store = subject.store;
  });

  describe('people search', () => {
    beforeEach(async () => {
      await store.insertUser(userWrite('u1', 'Ada.Lovelace@example.com', { emails: ['ada@work.example'], displayName: 'Ada Lovelace' }), change(t0));
      await store.insertUser(userWrite('u2', 'grace@example.com', { emails: ['grace@example.com'], displayName: 'Grace Hopper' }), change(t0));
      await store.insertUser(userWrite('u3', 'alan@example.com', { displayName: 'alan turing' }), change(t0));
      await store.insertUser(userWrite('u4', 'zed@example.com'), change(t0));
    });

    it('when the text starts a userName, an email or a displayName in any case, then those users are listed by userName', async () => {
      const ids = async (text: string) => (await store.searchUsers({ text, offset: 0, limit: 10 })).users.map((u) => u.id);
      expect(await ids('a')).toEqual(['u1', 'u3']);
      expect(await ids('ADA.')).toEqual(['u1']);
      expect(await ids('ada@work')).toEqual(['u1']);
      expect(await ids('grace h')).toEqual(['u2']);
      expect(await ids('Alan T')).toEqual(['u3']);
      expect(await ids('lovelace')).toEqual([]);
      expect(await ids('  zed@  ')).toEqual(['u4']);
    });

    it('when a displayName has letters beyond ASCII, then the search folds them as it folds every key: any case, either Unicode normalisation', async () => {
      await store.insertUser(userWrite('u5', 'ez@example.com', { displayName: 'Émile Zola' }), change(t0));
      await store.insertUser(userWrite('u6', 'ao@example.com', { displayName: 'Ángel Órtiz' }), change(t0));
      const ids = async (text: string) => (await store.searchUsers({ text, offset: 0, limit: 10 })).users.map((u) => u.id);
      expect(await ids('émile')).toEqual(['u5']);
      expect(await ids('ÉMILE Z')).toEqual(['u5']);
      expect(await ids('e\u0301mile')).toEqual(['u5']);
      expect(await ids('ángel ó')).toEqual(['u6']);
      expect(await ids('emile')).toEqual([]);
      await store.replaceUser(userWrite('u5', 'ez@example.com', { displayName: 'Ödön Zola' }), change(t1));
      expect(await ids('émile')).toEqual([]);
      expect(await ids('öDÖN')).toEqual(['u5']);
    });

    it('when the matches outnumber the page, then pages follow one another and say whether more follow', async () => {
      const first = await store.searchUsers({ text: 'a', offset: 0, limit: 1 });
      expect({ ids: first.users.map((u) => u.id), more: first.more }).toEqual({ ids: ['u1'], more: true });
      const second = await store.searchUsers({ text: 'a', offset: 1, limit: 1 });
      expect({ ids: second.users.map((u) => u.id), more: second.more }).toEqual({ ids: ['u3'], more: false });
    });

    it('when the text is empty or the page is not a count, then TypeError', async () => {
      await expect(store.searchUsers({ text: ' ', offset: 0, limit: 1 })).rejects.toThrow(TypeError);
      await expect(store.searchUsers({ text: 'a', offset: -1, limit: 1 })).rejects.toThrow(TypeError);
    });
  });

  describe('audit filters', () => {
    beforeEach(async () => {
      await store.appendAudit(Array.from({ length: 12 }, (_, n) => entry(n)));
    });

    it('when filtered by resource, operation, outcome and time, then only matching entries come, newest first', async () => {
      const seqsOf = async (filter: Parameters<Store['findAudit']>[0]) => (await store.findAudit(filter, { offset: 0, limit: 100 })).entries.map((e) => e.seq);
      expect(await seqsOf({ resourceId: 'u1' })).toEqual([11, 8, 5, 2]);
      expect(await seqsOf({ resourceId: 'u1', operation: 'createUser' })).toEqual([11, 5]);
      expect(await seqsOf({ outcome: 'failed' })).toEqual([8]);
      expect(await seqsOf({ from: entry(3).at, to: entry(6).at })).toEqual([6, 5, 4]);
      expect(await seqsOf({})).toHaveLength(12);
      expect(await seqsOf({ resourceId: 'nobody' })).toEqual([]);
    });

    it('when a filtered page is asked for, then it says whether more entries follow', async () => {
      const page = await store.findAudit({ resourceId: 'u0' }, { offset: 1, limit: 2 });
      expect({ seqs: page.entries.map((e) => e.seq), more: page.more }).toEqual({ seqs: [7, 4], more: true });
      expect((await store.findAudit({ resourceId: 'u0' }, { offset: 3, limit: 2 })).more).toBe(false);
    });

    it('when a filter holds a time not in toISOString form or an unknown outcome, then TypeError', async () => {
      await expect(store.findAudit({ from: '2025-01-01' }, { offset: 0, limit: 1 })).rejects.toThrow(TypeError);
      await expect(store.findAudit({ outcome: 'maybe' as never }, { offset: 0, limit: 1 })).rejects.toThrow(TypeError);
    });
  });

  describe('the queue per resource', () => {
    it('when resources have pending, retrying or failed work, then syncWorkOf tells which and why, and the queue’s stats list the retrying one', async () => {
      await store.insertUser(userWrite('u1', 'u1@example.com'), change(t0));
      await store.insertUser(userWrite('u2', 'u2@example.com'), change(t0));
      await store.insertGroup(groupWrite('g1', 'Team'), [], change(t0, { syncDueAt: t1 }));
      const leased = await store.leaseSyncWork({ now: t2, limit: 10, leaseUntil: far, owner: 'o' });
      const u1 = leased.find((item) => item.resourceId === 'u1');
      const u2 = leased.find((item) => item.resourceId === 'u2');
      if (u1 === undefined || u2 === undefined) throw new Error('not leased');
      await store.deferSyncWork(u1, 'o', { dueAt: far, error: 'Dynatrace answered 503' });
      await store.failSyncWork(u2, 'o', { at: t2, reason: 'email refused' });
      await store.releaseSyncLeases('o');
      const work = await store.syncWorkOf([
        { resourceType: 'User', resourceId: 'u1' },
        { resourceType: 'User', resourceId: 'u2' },
        { resourceType: 'Group', resourceId: 'g1' },
        { resourceType: 'User', resourceId: 'nobody' },
        { resourceType: 'User', resourceId: 'u1' },
      ]);
      const byTarget = new Map(work.map((w) => [targetOf(w), w]));
      expect([...byTarget.keys()].sort()).toEqual(['Group:g1', 'User:u1', 'User:u2']);
      expect(byTarget.get('User:u1')).toMatchObject({ attempts: 1, lastError: 'Dynatrace answered 503', dueAt: far, failedReason: null });
      expect(byTarget.get('User:u2')).toMatchObject({ failedReason: 'email refused', failedAt: t2 });
      expect(byTarget.get('Group:g1')).toMatchObject({ attempts: 0, lastError: null, failedReason: null, dueAt: t1 });
      const stats = await store.syncQueueStats({ failedLimit: 0, retryingLimit: 10 });
      expect(stats.retrying.map(targetOf)).toEqual(['User:u1']);
      expect((await store.syncQueueStats({ failedLimit: 0 })).retrying).toEqual([]);
      expect(await store.syncWorkOf([])).toEqual([]);
    });
  });
}
