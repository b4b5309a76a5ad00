// The applied-state and audit-log part of the Store contract (applied-state.ts, audit-log.ts):
// plain keyed rows with JSON fields that round-trip exactly, and an append-only log listed newest first.
import { beforeEach, describe, expect, it } from 'vitest';
import type { AppliedBinding, AppliedGroup, AppliedUser } from '../../src/ports/applied-state.js';
import type { AuditEntry } from '../../src/ports/audit-log.js';
import type { Store } from '../../src/ports/store.js';
import type { StoreUnderTest } from './store-fixtures.js';
import { t0, t1, t2 } from './store-fixtures.js';

function appliedUser(userId: string, overrides: Partial<AppliedUser> = {}): AppliedUser {
  return {
    userId,
    email: `${userId}@example.com`,
    uid: `uid-${userId}`,
    provenance: 'created',
    groupUuids: ['0b5e1c1a-0000-4000-8000-000000000001'],
    davis: null,
    ...overrides,
  };
}

function appliedGroup(groupId: string, overrides: Partial<AppliedGroup> = {}): AppliedGroup {
  return {
    groupId,
    uuid: `uuid-${groupId}`,
    name: `Name of ${groupId}`,
    provenance: 'created',
    bindings: {},
    ...overrides,
  };
}

function binding(policyUuid: string, overrides: Partial<AppliedBinding> = {}): AppliedBinding {
  return { policyUuid, boundaries: [], parameters: {}, ...overrides };
}

function auditEntry(n: number, overrides: Partial<AuditEntry> = {}): AuditEntry {
  return {
    at: new Date(Date.parse(t0) + n * 1000).toISOString(),
    requestId: `req-${n}`,
    resourceType: 'User',
    resourceId: `u${n}`,
    operation: 'createUser',
    target: `u${n}@example.com`,
    outcome: 'applied',
    detail: null,
    ...overrides,
  };
}

export function describeAppliedStateAndAuditContract(subject: StoreUnderTest): void {
  let store: Store;

  beforeEach(() => {
    store = subject.store;
  });

  describe('applied state: users', () => {
    it('when an applied user is put, then it reads back field for field, Davis fields and group UUIDs included', async () => {
      const user = appliedUser('u1', {
        email: 'alice@example.com',
        provenance: 'adopted',
        groupUuids: ['g-uuid-2', 'g-uuid-1'],
        davis: { email: 'alice@example.com', firstName: 'Alice', admin: true, nested: { list: [1, 'two', null], empty: {} } },
      });
      await store.putAppliedUser(user);
      expect(await store.getAppliedUser('u1')).toEqual(user);
    });

    it('when an applied user has no uid, no groups and no Davis user, then the nulls and the empty list round-trip', async () => {
      const user = appliedUser('u1', { uid: null, groupUuids: [], davis: null });
      await store.putAppliedUser(user);
      expect(await store.getAppliedUser('u1')).toEqual(user);
    });

    it('when an unknown user id is read, then getAppliedUser returns null', async () => {
      await store.putAppliedUser(appliedUser('u1'));
      expect(await store.getAppliedUser('u2')).toBeNull();
    });

    it('when an applied user is put again, then the row is replaced whole and keeps its place in the list', async () => {
      await store.putAppliedUser(appliedUser('u1'));
      await store.putAppliedUser(appliedUser('u2'));
      const replaced = appliedUser('u1', { email: 'new@example.com', uid: null, groupUuids: [], davis: { timezone: 'UTC' } });
      await store.putAppliedUser(replaced);
      expect(await store.getAppliedUser('u1')).toEqual(replaced);
      expect((await store.listAppliedUsers()).map((user) => user.userId)).toEqual(['u1', 'u2']);
    });

    it('when an applied user is deleted, then it is gone from get and list, and deleting it again is harmless', async () => {
      await store.putAppliedUser(appliedUser('u1'));
      await store.putAppliedUser(appliedUser('u2'));
      await store.deleteAppliedUser('u1');
      await store.deleteAppliedUser('u1');
      expect(await store.getAppliedUser('u1')).toBeNull();
      expect(await store.listAppliedUsers()).toEqual([appliedUser('u2')]);
      await store.putAppliedUser(appliedUser('u1'));
      expect((await store.listAppliedUsers()).map((user) => user.userId)).toEqual(['u2', 'u1']);
    });

    it('when the caller mutates what it put or read, then the stored row is unchanged', async () => {
      const groupUuids = ['a'];
      const davis = { firstName: 'Alice' };
      await store.putAppliedUser(appliedUser('u1', { groupUuids, davis }));
      groupUuids.push('b');
      davis.firstName = 'changed after put';
      const read = await store.getAppliedUser('u1');
      (read?.groupUuids as string[] | undefined)?.push('c');
      expect(await store.getAppliedUser('u1')).toEqual(appliedUser('u1', { groupUuids: ['a'], davis: { firstName: 'Alice' } }));
    });

    it('when an applied user carries fields beyond the port, then only the port\'s fields are stored', async () => {
      await store.putAppliedUser({ ...appliedUser('u1'), extra: 'dropped' } as AppliedUser);
      expect(await store.getAppliedUser('u1')).toEqual(appliedUser('u1'));
    });

    it('when an applied user is malformed, then putAppliedUser rejects with TypeError and stores nothing', async () => {
      const malformed = [
        appliedUser('u1', { provenance: 'found' as AppliedUser['provenance'] }),
        appliedUser('u1', { groupUuids: [1] as unknown as string[] }),
        appliedUser('u1', { davis: ['x'] as unknown as AppliedUser['davis'] }),
        appliedUser(''),
      ];
      for (const user of malformed) await expect(store.putAppliedUser(user)).rejects.toBeInstanceOf(TypeError);
      expect(await store.listAppliedUsers()).toEqual([]);
    });
  });

  describe('applied state: groups', () => {
    it('when applied groups are put, then getAppliedGroups maps the asked ids that exist, in the asked order, with bindings intact', async () => {
      const admins = appliedGroup('g1', {
        provenance: 'adopted',
        bindings: {
          'account': [binding('p-1'), binding('p-2', { boundaries: ['b-1', 'b-2'], parameters: { team: 'ops', 'zone name': 'Ä' } })],
          'environment:abc12345': [binding('p-3', { unmarked: true })],
          'environment:empty': [],
        },
      });
      const ops = appliedGroup('g2');
      await store.putAppliedGroup(admins);
      await store.putAppliedGroup(ops);
      const found = await store.getAppliedGroups(['g2', 'missing', 'g1', 'g2']);
      expect([...found.keys()]).toEqual(['g2', 'g1']);
      expect(found).toEqual(new Map([['g2', ops], ['g1', admins]]));
      expect(await store.getAppliedGroups([])).toEqual(new Map());
    });

    it('when an applied group is put again, then the row is replaced whole and keeps its place in the list', async () => {
      await store.putAppliedGroup(appliedGroup('g1', { bindings: { account: [binding('p-1')] } }));
      await store.putAppliedGroup(appliedGroup('g2'));
      const renamed = appliedGroup('g1', { uuid: 'uuid-new', name: 'Renamed', bindings: {} });
      await store.putAppliedGroup(renamed);
      expect(await store.listAppliedGroups()).toEqual([renamed, appliedGroup('g2')]);
    });

    it('when an applied group is deleted, then it is absent from get and list, and deleting it again is harmless', async () => {
      await store.putAppliedGroup(appliedGroup('g1'));
      await store.putAppliedGroup(appliedGroup('g2'));
      await store.deleteAppliedGroup('g1');
      await store.deleteAppliedGroup('g1');
      expect(await store.getAppliedGroups(['g1', 'g2'])).toEqual(new Map([['g2', appliedGroup('g2')]]));
      expect(await store.listAppliedGroups()).toEqual([appliedGroup('g2')]);
    });

    it('when applied users and groups share an id, then they are separate rows', async () => {
      await store.putAppliedUser(appliedUser('x'));
      await store.putAppliedGroup(appliedGroup('x'));
      await store.deleteAppliedUser('x');
      expect(await store.getAppliedGroups(['x'])).toEqual(new Map([['x', appliedGroup('x')]]));
    });

    it('when an applied group is malformed, then putAppliedGroup rejects with TypeError and stores nothing', async () => {
      const malformed = [
        appliedGroup('g1', { provenance: 'stolen' as AppliedGroup['provenance'] }),
        appliedGroup('g1', { bindings: { account: 'p-1' } as unknown as AppliedGroup['bindings'] }),
        appliedGroup('g1', { bindings: { account: ['p-1'] } as unknown as AppliedGroup['bindings'] }),
        appliedGroup('g1', { bindings: { account: [binding('p-1', { parameters: { n: 1 } as unknown as Record<string, string> })] } }),
        appliedGroup('g1', { bindings: { account: [binding('p-1', { unmarked: false as unknown as true })] } }),
        appliedGroup('g1', { uuid: null as unknown as string }),
      ];
      for (const group of malformed) await expect(store.putAppliedGroup(group)).rejects.toBeInstanceOf(TypeError);
      expect(await store.listAppliedGroups()).toEqual([]);
    });
  });

  describe('applied state: the account it describes', () => {
    it('when no account was recorded, then it is null; a recorded one reads back and replaces the last', async () => {
      expect(await store.getAppliedAccount()).toBeNull();
      await store.setAppliedAccount('account A', { forgetApplied: false });
      expect(await store.getAppliedAccount()).toBe('account A');
      await store.setAppliedAccount('account B', { forgetApplied: false });
      expect(await store.getAppliedAccount()).toBe('account B');
    });

    it('when the account is recorded with forgetApplied, then every applied user and group is gone and the rest of the store stays', async () => {
      await store.putAppliedUser(appliedUser('u1'));
      await store.putAppliedGroup(appliedGroup('g1', { bindings: { account: [binding('p-1')] } }));
      await store.appendAudit([auditEntry(1)]);
      await store.setAppliedAccount('account A', { forgetApplied: false });
      expect(await store.listAppliedUsers()).toEqual([appliedUser('u1')]);
      await store.setAppliedAccount('account B', { forgetApplied: true });
      expect(await store.listAppliedUsers()).toEqual([]);
      expect(await store.listAppliedGroups()).toEqual([]);
      expect(await store.getAppliedAccount()).toBe('account B');
      expect((await store.listAudit({ offset: 0, limit: 10 })).total).toBe(1);
    });

    it('when the account or options are malformed, then setAppliedAccount rejects with TypeError and records nothing', async () => {
      await expect(store.setAppliedAccount('', { forgetApplied: false })).rejects.toBeInstanceOf(TypeError);
      await expect(store.setAppliedAccount('a', {} as { forgetApplied: boolean })).rejects.toBeInstanceOf(TypeError);
      expect(await store.getAppliedAccount()).toBeNull();
    });
  });

  describe('audit log', () => {
    it('when the log is empty, then listAudit returns no entries and a total of 0', async () => {
      expect(await store.listAudit({ offset: 0, limit: 10 })).toEqual({ total: 0, entries: [] });
    });

    it('when entries are appended, then they list newest first with increasing seq and every field kept', async () => {
      const first = auditEntry(1);
      const second = auditEntry(2, { resourceType: 'Group', operation: 'replaceGroupPolicyBindings', outcome: 'dry-run', detail: 'p-1,p-2' });
      const third = auditEntry(3, { requestId: null, outcome: 'failed', detail: 'upstream_rejected (HTTP 400)' });
      await store.appendAudit([first, second]);
      await store.appendAudit([third]);
      const { total, entries } = await store.listAudit({ offset: 0, limit: 10 });
      expect(total).toBe(3);
      expect(entries.map(({ seq: _seq, ...entry }) => entry)).toEqual([third, second, first]);
      const [s3, s2, s1] = entries.map((entry) => entry.seq);
      if (s1 === undefined || s2 === undefined || s3 === undefined) throw new Error('entries missing');
      expect(s2).toBeGreaterThan(s1);
      expect(s3).toBeGreaterThan(s2);
    });

    it('when the log is paged, then offset counts from the newest entry and total is the whole log', async () => {
      await store.appendAudit([1, 2, 3, 4, 5].map((n) => auditEntry(n)));
      const page = async (offset: number, limit: number) => {
        const result = await store.listAudit({ offset, limit });
        return { total: result.total, ids: result.entries.map((entry) => entry.resourceId) };
      };
      expect(await page(0, 2)).toEqual({ total: 5, ids: ['u5', 'u4'] });
      expect(await page(2, 2)).toEqual({ total: 5, ids: ['u3', 'u2'] });
      expect(await page(4, 2)).toEqual({ total: 5, ids: ['u1'] });
      expect(await page(5, 2)).toEqual({ total: 5, ids: [] });
      expect(await page(1, 0)).toEqual({ total: 5, ids: [] });
    });

    it('when a batch holds a malformed entry, then appendAudit rejects with TypeError and appends none of the batch', async () => {
      await store.appendAudit([auditEntry(1)]);
      await expect(store.appendAudit([auditEntry(2), auditEntry(3, { outcome: 'maybe' as AuditEntry['outcome'] })]))
        .rejects.toBeInstanceOf(TypeError);
      await expect(store.appendAudit([auditEntry(4, { resourceType: 'Team' as AuditEntry['resourceType'] })]))
        .rejects.toBeInstanceOf(TypeError);
      expect((await store.listAudit({ offset: 0, limit: 10 })).entries.map((entry) => entry.resourceId)).toEqual(['u1']);
    });

    it('when an empty batch is appended, then nothing changes', async () => {
      await store.appendAudit([]);
      expect(await store.listAudit({ offset: 0, limit: 10 })).toEqual({ total: 0, entries: [] });
    });

    it('when the page is malformed, then listAudit rejects with TypeError', async () => {
      await expect(store.listAudit({ offset: -1, limit: 10 })).rejects.toBeInstanceOf(TypeError);
      await expect(store.listAudit({ offset: 0, limit: 2.5 })).rejects.toBeInstanceOf(TypeError);
    });
  });

  describe('applied state and audit log: persistence', () => {
    it('when the store is closed and reopened, then applied rows, their order, their account and the audit log survive, and seq keeps increasing', async (context) => {
      const reopen = subject.opened.reopen;
      if (reopen === undefined) {
        context.skip();
        return;
      }
      const user = appliedUser('u1', { davis: { firstName: 'Ä', admin: false }, groupUuids: ['x', 'y'] });
      const group = appliedGroup('g1', { bindings: { 'environment:e1': [binding('p', { boundaries: ['b'], parameters: { k: 'v' } })] } });
      await store.putAppliedUser(appliedUser('u0'));
      await store.putAppliedUser(user);
      await store.putAppliedGroup(group);
      await store.setAppliedAccount('account A', { forgetApplied: false });
      await store.appendAudit([auditEntry(1, { at: t1 }), auditEntry(2, { at: t2 })]);
      const audit = await store.listAudit({ offset: 0, limit: 10 });
      await store.close();

      subject.store = await reopen();
      store = subject.store;
      expect(await store.listAppliedUsers()).toEqual([appliedUser('u0'), user]);
      expect(await store.getAppliedGroups(['g1'])).toEqual(new Map([['g1', group]]));
      expect(await store.getAppliedAccount()).toBe('account A');
      expect(await store.listAudit({ offset: 0, limit: 10 })).toEqual(audit);
      await store.appendAudit([auditEntry(3)]);
      const [newest] = (await store.listAudit({ offset: 0, limit: 1 })).entries;
      expect(newest?.resourceId).toBe('u3');
      expect(newest?.seq).toBeGreaterThan(audit.entries[0]?.seq ?? Number.POSITIVE_INFINITY);
    });
  });
}
