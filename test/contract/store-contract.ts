// The behaviour every Store engine must show (docs/architecture.md, a new store engine), run by one *.test.ts
// per engine. Assertions are on codes, attributes, ids and values, never on message text.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GroupIndexedAttribute, IndexPredicate, Store, UserIndexedAttribute } from '../../src/ports/store.js';
import { describeOperatorQueriesContract } from './store-operator-contract.js';
import { describeAppliedStateAndAuditContract } from './store-applied-audit-contract.js';
import type { OpenedStore, StoreUnderTest } from './store-fixtures.js';
import { change, expectStoreError, groupWrite, peekQueue, t0, t1, t2, t3, userWrite } from './store-fixtures.js';
import { describeSyncWorkContract } from './store-sync-contract.js';

export type { OpenedStore } from './store-fixtures.js';

function eq<A extends string>(attribute: A, value: string | boolean): IndexPredicate<A> {
  return { kind: 'eq', attribute, value };
}

function and<A extends string>(...operands: IndexPredicate<A>[]): IndexPredicate<A> {
  return { kind: 'and', operands };
}

function or<A extends string>(...operands: IndexPredicate<A>[]): IndexPredicate<A> {
  return { kind: 'or', operands };
}

function idsOf(resources: readonly { readonly id: string }[]): string[] {
  return resources.map((resource) => resource.id);
}

export function describeStoreContract(engine: string, open: () => Promise<OpenedStore>): void {
  describe(`Store contract: ${engine}`, () => {
    let opened: OpenedStore;
    let store: Store;
    const subject: StoreUnderTest = {
      get store() {
        return store;
      },
      set store(next: Store) {
        store = next;
      },
      get opened() {
        return opened;
      },
    };

    beforeEach(async () => {
      opened = await open();
      store = opened.store;
    });

    afterEach(async () => {
      await opened.cleanup();
    });

    async function findUserIds(where: IndexPredicate<UserIndexedAttribute> | null, offset = 0, limit = 1000): Promise<string[]> {
      return idsOf(await store.findUsers({ where, offset, limit }));
    }

    async function findGroupIds(where: IndexPredicate<GroupIndexedAttribute> | null, offset = 0, limit = 1000): Promise<string[]> {
      return idsOf(await store.findGroups({ where, offset, limit }));
    }

    async function memberIds(groupId: string): Promise<string[]> {
      const members = await store.membersOfGroups([groupId]);
      return (members.get(groupId) ?? []).map((member) => member.value);
    }

    async function groupIdsOf(userId: string): Promise<string[]> {
      const groups = await store.groupsOfUsers([userId]);
      return (groups.get(userId) ?? []).map((group) => group.value);
    }

    /** Everything observable through the port, to compare before and after a rejected call. */
    async function snapshot(): Promise<unknown> {
      const users = await store.findUsers({ where: null, offset: 0, limit: 1000 });
      const groups = await store.findGroups({ where: null, offset: 0, limit: 1000 });
      const members = await store.membersOfGroups(idsOf(groups));
      const memberships = await store.groupsOfUsers(idsOf(users));
      const queue = await peekQueue(store);
      const stats = await store.syncQueueStats({ failedLimit: 100 });
      return { users, groups, members: [...members], memberships: [...memberships], queue, stats };
    }

    async function seedUsers(...names: string[]): Promise<void> {
      for (const [index, name] of names.entries()) await store.insertUser(userWrite(`u${index + 1}`, name), change(t0));
    }

    describe('lifecycle', () => {
      it('when the store is open, then ping resolves', async () => {
        await expect(store.ping()).resolves.toBeUndefined();
      });

      it('when the store is closed, then ping, reads, writes and queue, applied-state and audit calls reject with unavailable, and closing again is harmless', async () => {
        await store.close();
        await expectStoreError(store.ping(), 'unavailable');
        await expectStoreError(store.getUser('u1'), 'unavailable');
        await expectStoreError(store.countMembersOfGroups(['g1']), 'unavailable');
        await expectStoreError(store.insertUser(userWrite('u1', 'alice'), change(t0)), 'unavailable');
        await expectStoreError(store.enqueueSync([{ resourceType: 'User', resourceId: 'u1' }], { at: t0, requestId: null, dueAt: t0 }), 'unavailable');
        await expectStoreError(store.leaseSyncWork({ now: t0, limit: 1, leaseUntil: t1, owner: 'w1' }), 'unavailable');
        await expectStoreError(store.syncQueueStats({ failedLimit: 1 }), 'unavailable');
        await expectStoreError(store.getAppliedUser('u1'), 'unavailable');
        await expectStoreError(store.appendAudit([]), 'unavailable');
        await expectStoreError(store.listAudit({ offset: 0, limit: 1 }), 'unavailable');
        await expect(store.close()).resolves.toBeUndefined();
      });
    });

    describe('users: create, read, replace, delete', () => {
      it('when a user is inserted, then it is at version 1 and reads back with its attributes', async () => {
        const write = userWrite('u1', 'alice@example.com', { displayName: 'Alice', emails: ['alice@example.com'] });
        const meta = await store.insertUser(write, change(t0));
        expect(meta).toEqual({ id: 'u1', version: 1, created: t0, lastModified: t0 });
        expect(await store.getUser('u1')).toEqual({
          id: 'u1', version: 1, created: t0, lastModified: t0, attributes: write.attributes,
        });
      });

      it('when an unknown id is read, then getUser returns null', async () => {
        await seedUsers('alice');
        expect(await store.getUser('nope')).toBeNull();
      });

      it('when the caller mutates what it wrote or read, then the stored user is unchanged', async () => {
        const write = userWrite('u1', 'alice', { title: 'Engineer' });
        await store.insertUser(write, change(t0));
        write.attributes['title'] = 'changed after insert';
        const read = await store.getUser('u1');
        if (read === null) throw new Error('user u1 missing');
        read.attributes['title'] = 'changed after read';
        expect((await store.getUser('u1'))?.attributes['title']).toBe('Engineer');
      });

      it('when a user is replaced, then attributes and keys are new, version is 2 and created is kept', async () => {
        await store.insertUser(userWrite('u1', 'alice', { externalId: 'e1', emails: ['old@example.com'], title: 'A' }), change(t0));
        const replacement = userWrite('u1', 'alicia', { externalId: 'e2', emails: ['new@example.com'], active: false, title: 'B' });
        const meta = await store.replaceUser(replacement, change(t1));
        expect(meta).toEqual({ id: 'u1', version: 2, created: t0, lastModified: t1 });
        expect(await store.getUser('u1')).toEqual({ id: 'u1', version: 2, created: t0, lastModified: t1, attributes: replacement.attributes });
        expect(await findUserIds(eq('userName', 'alice'))).toEqual([]);
        expect(await findUserIds(eq('userName', 'alicia'))).toEqual(['u1']);
        expect(await findUserIds(eq('externalId', 'e1'))).toEqual([]);
        expect(await findUserIds(eq('externalId', 'e2'))).toEqual(['u1']);
        expect(await findUserIds(eq('emails.value', 'old@example.com'))).toEqual([]);
        expect(await findUserIds(eq('emails.value', 'new@example.com'))).toEqual(['u1']);
        expect(await findUserIds(eq('active', true))).toEqual([]);
        expect(await findUserIds(eq('active', false))).toEqual(['u1']);
      });

      it('when a user is replaced several times, then each replace adds exactly 1 to the version', async () => {
        await store.insertUser(userWrite('u1', 'alice'), change(t0));
        expect((await store.replaceUser(userWrite('u1', 'alice', { title: 'x' }), change(t1))).version).toBe(2);
        expect((await store.replaceUser(userWrite('u1', 'alice', { title: 'y' }), change(t2))).version).toBe(3);
        expect((await store.getUser('u1'))?.version).toBe(3);
      });

      it('when a user is deleted, then it is gone from reads, finds and counts', async () => {
        await store.insertUser(userWrite('u1', 'alice', { externalId: 'e1', emails: ['a@example.com'] }), change(t0));
        await store.insertUser(userWrite('u2', 'bob'), change(t0));
        await store.deleteUser('u1', change(t1));
        expect(await store.getUser('u1')).toBeNull();
        expect(await findUserIds(null)).toEqual(['u2']);
        expect(await findUserIds(eq('userName', 'alice'))).toEqual([]);
        expect(await findUserIds(eq('externalId', 'e1'))).toEqual([]);
        expect(await findUserIds(eq('emails.value', 'a@example.com'))).toEqual([]);
        expect(await findUserIds(eq('id', 'u1'))).toEqual([]);
        expect(await store.countUsers(null)).toBe(1);
      });

      it('when replaceUser or deleteUser names an unknown id, then they reject with not_found', async () => {
        await seedUsers('alice');
        await expectStoreError(store.replaceUser(userWrite('nope', 'bob'), change(t1)), 'not_found');
        await expectStoreError(store.deleteUser('nope', change(t1)), 'not_found');
        await store.deleteUser('u1', change(t1));
        await expectStoreError(store.deleteUser('u1', change(t2)), 'not_found');
        expect(await store.countUsers(null)).toBe(0);
      });
    });

    describe('users: uniqueness', () => {
      it('when a userName is taken in another case, then insertUser rejects with conflict on userName and changes nothing', async () => {
        await store.insertUser(userWrite('u1', 'Alice@Example.com', { title: 'first' }), change(t0));
        const before = await snapshot();
        await expectStoreError(store.insertUser(userWrite('u2', 'alice@EXAMPLE.com'), change(t1)), 'conflict', { attribute: 'userName' });
        expect(await snapshot()).toEqual(before);
        expect(await store.getUser('u2')).toBeNull();
        expect(await store.countUsers(null)).toBe(1);
      });

      it('when a userName is taken in another Unicode normalisation form (NFD against NFC), then insertUser rejects with conflict and eq finds the first in either form', async () => {
        const composed = 'Ren\u00e9e.Fran\u00e7ois@example.com';
        const decomposed = composed.normalize('NFD');
        expect(decomposed).not.toBe(composed);
        await store.insertUser(userWrite('u1', composed), change(t0));
        await expectStoreError(store.insertUser(userWrite('u2', decomposed.toUpperCase()), change(t1)), 'conflict', { attribute: 'userName' });
        expect(await findUserIds(eq('userName', decomposed))).toEqual(['u1']);
        expect(await findUserIds(eq('userName', composed.toUpperCase()))).toEqual(['u1']);
        expect((await store.getUser('u1'))?.attributes['userName']).toBe(composed);
      });

      it('when an id is taken, then insertUser rejects with conflict on id', async () => {
        await store.insertUser(userWrite('u1', 'alice'), change(t0));
        await expectStoreError(store.insertUser(userWrite('u1', 'bob'), change(t1)), 'conflict', { attribute: 'id' });
        expect(await findUserIds(eq('userName', 'bob'))).toEqual([]);
        expect((await store.getUser('u1'))?.attributes['userName']).toBe('alice');
      });

      it('when a replace takes another user\'s userName, then it rejects with conflict and the user is unchanged', async () => {
        await store.insertUser(userWrite('u1', 'alice'), change(t0));
        await store.insertUser(userWrite('u2', 'bob', { emails: ['bob@example.com'] }), change(t0));
        const before = await snapshot();
        await expectStoreError(
          store.replaceUser(userWrite('u2', 'ALICE', { emails: ['new@example.com'] }), change(t1)),
          'conflict',
          { attribute: 'userName' },
        );
        expect(await snapshot()).toEqual(before);
        expect(await findUserIds(eq('userName', 'bob'))).toEqual(['u2']);
        expect(await findUserIds(eq('emails.value', 'bob@example.com'))).toEqual(['u2']);
        expect(await findUserIds(eq('emails.value', 'new@example.com'))).toEqual([]);
      });

      it('when a user is renamed to its own userName in another case, then the replace succeeds', async () => {
        await store.insertUser(userWrite('u1', 'alice'), change(t0));
        const meta = await store.replaceUser(userWrite('u1', 'ALICE'), change(t1));
        expect(meta.version).toBe(2);
        expect((await store.getUser('u1'))?.attributes['userName']).toBe('ALICE');
        expect(await findUserIds(eq('userName', 'Alice'))).toEqual(['u1']);
      });

      it('when a user is deleted, then its userName can be taken again', async () => {
        await store.insertUser(userWrite('u1', 'alice'), change(t0));
        await store.deleteUser('u1', change(t1));
        await store.insertUser(userWrite('u2', 'Alice'), change(t2));
        expect(await findUserIds(eq('userName', 'alice'))).toEqual(['u2']);
      });

      it('when a user is renamed, then its old userName can be taken by another user', async () => {
        await store.insertUser(userWrite('u1', 'alice'), change(t0));
        await store.replaceUser(userWrite('u1', 'alicia'), change(t1));
        await store.insertUser(userWrite('u2', 'alice'), change(t2));
        expect(await findUserIds(eq('userName', 'alice'))).toEqual(['u2']);
      });

      it('when two users share an externalId or an email, then both are stored (neither is unique)', async () => {
        await store.insertUser(userWrite('u1', 'alice', { externalId: 'x', emails: ['team@example.com'] }), change(t0));
        await store.insertUser(userWrite('u2', 'bob', { externalId: 'x', emails: ['TEAM@example.com'] }), change(t0));
        expect(await findUserIds(eq('externalId', 'x'))).toEqual(['u1', 'u2']);
        expect(await findUserIds(eq('emails.value', 'team@example.com'))).toEqual(['u1', 'u2']);
      });
    });

    describe('users: versions and preconditions', () => {
      it('when expectedVersion matches, then replaceUser applies', async () => {
        await store.insertUser(userWrite('u1', 'alice'), change(t0));
        const meta = await store.replaceUser(userWrite('u1', 'alicia'), change(t1), { expectedVersion: 1 });
        expect(meta.version).toBe(2);
      });

      it('when expectedVersion is stale, then replaceUser rejects with version_mismatch and changes nothing', async () => {
        await store.insertUser(userWrite('u1', 'alice'), change(t0));
        await store.replaceUser(userWrite('u1', 'alice', { title: 'x' }), change(t1));
        const before = await snapshot();
        await expectStoreError(store.replaceUser(userWrite('u1', 'alicia'), change(t2), { expectedVersion: 1 }), 'version_mismatch');
        expect(await snapshot()).toEqual(before);
        expect(await findUserIds(eq('userName', 'alicia'))).toEqual([]);
      });

      it('when expectedVersion is stale, then deleteUser rejects with version_mismatch and the user stays', async () => {
        await store.insertUser(userWrite('u1', 'alice'), change(t0));
        await expectStoreError(store.deleteUser('u1', change(t1), { expectedVersion: 2 }), 'version_mismatch');
        expect((await store.getUser('u1'))?.version).toBe(1);
        await store.deleteUser('u1', change(t1), { expectedVersion: 1 });
        expect(await store.getUser('u1')).toBeNull();
      });

      it('when the precondition names no version, then the change applies unconditionally', async () => {
        await store.insertUser(userWrite('u1', 'alice'), change(t0));
        expect((await store.replaceUser(userWrite('u1', 'alice'), change(t1), {})).version).toBe(2);
      });
    });

    describe('findUsers and countUsers: index predicates', () => {
      beforeEach(async () => {
        await store.insertUser(userWrite('u1', 'Alice@Example.com', {
          externalId: 'EXT-1', emails: ['Alice@Example.com', 'alice.work@example.com'],
        }), change(t0));
        await store.insertUser(userWrite('u2', 'bob', { externalId: 'ext-1', active: false, emails: ['BOB@example.com'] }), change(t0));
        await store.insertUser(userWrite('u3', 'carol', { emails: ['Team@Example.com', 'team@example.com'] }), change(t0));
        await store.insertUser(userWrite('U1', 'dave', { active: false }), change(t0));
      });

      it('when there is no predicate, then every user comes back in creation order', async () => {
        expect(await findUserIds(null)).toEqual(['u1', 'u2', 'u3', 'U1']);
        expect(await store.countUsers(null)).toBe(4);
      });

      it('when userName eq is asked in another case, then it matches case-insensitively', async () => {
        expect(await findUserIds(eq('userName', 'alice@example.COM'))).toEqual(['u1']);
        expect(await findUserIds(eq('userName', 'BOB'))).toEqual(['u2']);
        expect(await findUserIds(eq('userName', 'alice'))).toEqual([]);
        expect(await store.countUsers(eq('userName', 'CAROL'))).toBe(1);
      });

      it('when externalId eq is asked, then it matches exactly (case-sensitively)', async () => {
        expect(await findUserIds(eq('externalId', 'EXT-1'))).toEqual(['u1']);
        expect(await findUserIds(eq('externalId', 'ext-1'))).toEqual(['u2']);
        expect(await findUserIds(eq('externalId', 'Ext-1'))).toEqual([]);
      });

      it('when id eq is asked, then it matches exactly (case-sensitively)', async () => {
        expect(await findUserIds(eq('id', 'u1'))).toEqual(['u1']);
        expect(await findUserIds(eq('id', 'U1'))).toEqual(['U1']);
        expect(await findUserIds(eq('id', 'u9'))).toEqual([]);
      });

      it('when active eq takes a boolean, then it selects by the active flag', async () => {
        expect(await findUserIds(eq('active', true))).toEqual(['u1', 'u3']);
        expect(await findUserIds(eq('active', false))).toEqual(['u2', 'U1']);
        expect(await store.countUsers(eq('active', false))).toBe(2);
      });

      it('when a value has the wrong type for its attribute, then it matches nothing', async () => {
        expect(await findUserIds(eq('active', 'true'))).toEqual([]);
        expect(await findUserIds(eq('userName', true))).toEqual([]);
        expect(await store.countUsers(eq('active', 'false'))).toBe(0);
      });

      it('when emails.value eq is asked in another case, then it matches any of the user\'s emails, each user once', async () => {
        expect(await findUserIds(eq('emails.value', 'ALICE.WORK@example.com'))).toEqual(['u1']);
        expect(await findUserIds(eq('emails.value', 'alice@example.com'))).toEqual(['u1']);
        expect(await findUserIds(eq('emails.value', 'bob@EXAMPLE.com'))).toEqual(['u2']);
        expect(await findUserIds(eq('emails.value', 'TEAM@example.com'))).toEqual(['u3']);
        expect(await store.countUsers(eq('emails.value', 'team@example.com'))).toBe(1);
        expect(await findUserIds(eq('emails.value', 'nobody@example.com'))).toEqual([]);
      });

      it('when and combines conditions, then only users meeting all come back', async () => {
        expect(await findUserIds(and(eq('userName', 'ALICE@example.com'), eq('active', true)))).toEqual(['u1']);
        expect(await findUserIds(and(eq('userName', 'alice@example.com'), eq('active', false)))).toEqual([]);
        expect(await findUserIds(and(eq('active', false), eq('externalId', 'ext-1')))).toEqual(['u2']);
        expect(await store.countUsers(and(eq('active', true), eq('emails.value', 'team@example.com')))).toBe(1);
      });

      it('when or combines conditions, then users meeting any come back once, in creation order', async () => {
        expect(await findUserIds(or(eq('userName', 'carol'), eq('externalId', 'EXT-1')))).toEqual(['u1', 'u3']);
        expect(await findUserIds(or(eq('userName', 'bob'), eq('emails.value', 'BOB@example.com')))).toEqual(['u2']);
        expect(await findUserIds(or(eq('active', false), eq('userName', 'carol')))).toEqual(['u2', 'u3', 'U1']);
        expect(await store.countUsers(or(eq('id', 'u1'), eq('id', 'U1'), eq('id', 'u1')))).toBe(2);
      });

      it('when and/or are nested, then the tree is honoured', async () => {
        const where = and(eq('active', true), or(eq('userName', 'carol'), eq('emails.value', 'bob@example.com')));
        expect(await findUserIds(where)).toEqual(['u3']);
        const other = or(and(eq('active', false), eq('id', 'U1')), and(eq('externalId', 'EXT-1'), eq('emails.value', 'ALICE@example.com')));
        expect(await findUserIds(other)).toEqual(['u1', 'U1']);
        expect(await store.countUsers(other)).toBe(2);
      });

      it('when and/or have no operands, then and matches everything and or matches nothing', async () => {
        expect(await findUserIds(and())).toEqual(['u1', 'u2', 'u3', 'U1']);
        expect(await findUserIds(or())).toEqual([]);
        expect(await store.countUsers(and())).toBe(4);
        expect(await store.countUsers(or())).toBe(0);
      });

      it('when a predicate names an attribute that is not indexed, then the call rejects with TypeError', async () => {
        const where = eq('title', 'x') as unknown as IndexPredicate<UserIndexedAttribute>;
        await expect(store.findUsers({ where, offset: 0, limit: 10 })).rejects.toBeInstanceOf(TypeError);
        await expect(store.countUsers(where)).rejects.toBeInstanceOf(TypeError);
      });
    });

    describe('paging', () => {
      beforeEach(async () => {
        for (let n = 1; n <= 7; n += 1) await store.insertUser(userWrite(`u${n}`, `user${n}`, { active: n % 2 === 1 }), change(t0));
      });

      it('when pages are read with offset and limit, then they partition the users in creation order', async () => {
        expect(await findUserIds(null, 0, 3)).toEqual(['u1', 'u2', 'u3']);
        expect(await findUserIds(null, 3, 3)).toEqual(['u4', 'u5', 'u6']);
        expect(await findUserIds(null, 6, 3)).toEqual(['u7']);
        expect(await findUserIds(null, 7, 3)).toEqual([]);
        expect(await findUserIds(null, 100, 3)).toEqual([]);
      });

      it('when limit is 0, then no resources come back but the count is still the total', async () => {
        expect(await findUserIds(null, 0, 0)).toEqual([]);
        expect(await store.countUsers(null)).toBe(7);
      });

      it('when a predicate is paged, then offset counts matching users only', async () => {
        expect(await findUserIds(eq('active', true), 0, 2)).toEqual(['u1', 'u3']);
        expect(await findUserIds(eq('active', true), 2, 2)).toEqual(['u5', 'u7']);
        expect(await findUserIds(eq('active', true), 1, 2)).toEqual(['u3', 'u5']);
        expect(await store.countUsers(eq('active', true))).toBe(4);
      });

      it('when a user is replaced, then it keeps its place in the order', async () => {
        await store.replaceUser(userWrite('u2', 'renamed'), change(t1));
        expect(await findUserIds(null, 0, 3)).toEqual(['u1', 'u2', 'u3']);
      });

      it('when a user is deleted, then later pages close the gap and new users come last', async () => {
        await store.deleteUser('u2', change(t1));
        await store.insertUser(userWrite('u8', 'user8'), change(t1));
        expect(await findUserIds(null, 0, 3)).toEqual(['u1', 'u3', 'u4']);
        expect(await findUserIds(null, 3, 10)).toEqual(['u5', 'u6', 'u7', 'u8']);
      });

      it('when offset or limit is negative or fractional, then find rejects with TypeError', async () => {
        await expect(store.findUsers({ where: null, offset: -1, limit: 3 })).rejects.toBeInstanceOf(TypeError);
        await expect(store.findUsers({ where: null, offset: 0, limit: 1.5 })).rejects.toBeInstanceOf(TypeError);
        await expect(store.findGroups({ where: null, offset: 0, limit: -1 })).rejects.toBeInstanceOf(TypeError);
      });

      it('when groups are paged, then they come in creation order too', async () => {
        for (let n = 1; n <= 5; n += 1) await store.insertGroup(groupWrite(`g${n}`, `group${n}`), [], change(t0));
        expect(await findGroupIds(null, 0, 2)).toEqual(['g1', 'g2']);
        expect(await findGroupIds(null, 2, 2)).toEqual(['g3', 'g4']);
        expect(await findGroupIds(null, 4, 2)).toEqual(['g5']);
        expect(await store.countGroups(null)).toBe(5);
      });
    });

    describe('groups: create, read, update, delete', () => {
      it('when a group is inserted with members, then it is at version 1 with its members in the given order', async () => {
        await seedUsers('alice', 'bob', 'carol');
        const write = groupWrite('g1', 'Admins', 'ext-g1');
        const meta = await store.insertGroup(write, ['u3', 'u1'], change(t1));
        expect(meta).toEqual({ id: 'g1', version: 1, created: t1, lastModified: t1 });
        expect(await store.getGroup('g1')).toEqual({ id: 'g1', version: 1, created: t1, lastModified: t1, attributes: write.attributes });
        expect(await memberIds('g1')).toEqual(['u3', 'u1']);
      });

      it('when a group is inserted with a member listed twice, then the member appears once', async () => {
        await seedUsers('alice', 'bob');
        await store.insertGroup(groupWrite('g1', 'Admins'), ['u2', 'u1', 'u2'], change(t0));
        expect(await memberIds('g1')).toEqual(['u2', 'u1']);
      });

      it('when an unknown id is read, then getGroup returns null', async () => {
        expect(await store.getGroup('nope')).toBeNull();
      });

      it('when a group is inserted with ids that are no users, then it rejects with unknown_members naming them and creates nothing', async () => {
        await seedUsers('alice');
        const before = await snapshot();
        await expectStoreError(store.insertGroup(groupWrite('g1', 'Admins'), ['x1', 'u1', 'x2'], change(t0)), 'unknown_members', {
          ids: ['x1', 'x2'],
        });
        expect(await snapshot()).toEqual(before);
        expect(await store.getGroup('g1')).toBeNull();
        await store.insertGroup(groupWrite('g1', 'admins'), ['u1'], change(t1));
        expect(await memberIds('g1')).toEqual(['u1']);
      });

      it('when only attributes change, then they are replaced, members stay and the version goes up by 1', async () => {
        await seedUsers('alice', 'bob');
        await store.insertGroup(groupWrite('g1', 'Admins', 'e1'), ['u1', 'u2'], change(t0));
        const renamed = groupWrite('g1', 'Operators', 'e2');
        const meta = await store.updateGroup({ id: 'g1', group: renamed }, change(t1));
        expect(meta).toEqual({ id: 'g1', version: 2, created: t0, lastModified: t1 });
        expect(await store.getGroup('g1')).toEqual({ id: 'g1', version: 2, created: t0, lastModified: t1, attributes: renamed.attributes });
        expect(await memberIds('g1')).toEqual(['u1', 'u2']);
        expect(await findGroupIds(eq('displayName', 'admins'))).toEqual([]);
        expect(await findGroupIds(eq('displayName', 'operators'))).toEqual(['g1']);
        expect(await findGroupIds(eq('externalId', 'e1'))).toEqual([]);
        expect(await findGroupIds(eq('externalId', 'e2'))).toEqual(['g1']);
      });

      it('when updateGroup names neither attributes nor members, then only the version and lastModified move', async () => {
        await store.insertGroup(groupWrite('g1', 'Admins'), [], change(t0));
        expect(await store.updateGroup({ id: 'g1' }, change(t1))).toEqual({ id: 'g1', version: 2, created: t0, lastModified: t1 });
        expect((await store.getGroup('g1'))?.attributes['displayName']).toBe('Admins');
      });

      it('when a group is deleted, then it is gone and its members no longer list it, but the users stay unchanged', async () => {
        await seedUsers('alice', 'bob');
        await store.insertGroup(groupWrite('g1', 'Admins'), ['u1', 'u2'], change(t0));
        await store.insertGroup(groupWrite('g2', 'Ops'), ['u1'], change(t0));
        await store.deleteGroup('g1', change(t1));
        expect(await store.getGroup('g1')).toBeNull();
        expect(await findGroupIds(null)).toEqual(['g2']);
        expect(await store.membersOfGroups(['g1'])).toEqual(new Map());
        expect(await groupIdsOf('u1')).toEqual(['g2']);
        expect(await groupIdsOf('u2')).toEqual([]);
        expect((await store.getUser('u1'))?.version).toBe(1);
        expect(await findGroupIds(eq('members.value', 'u2'))).toEqual([]);
      });

      it('when a group is deleted, then its displayName can be taken again', async () => {
        await store.insertGroup(groupWrite('g1', 'Admins'), [], change(t0));
        await store.deleteGroup('g1', change(t1));
        await store.insertGroup(groupWrite('g2', 'ADMINS'), [], change(t2));
        expect(await findGroupIds(eq('displayName', 'admins'))).toEqual(['g2']);
      });

      it('when updateGroup or deleteGroup names an unknown id, then they reject with not_found', async () => {
        await seedUsers('alice');
        await expectStoreError(store.updateGroup({ id: 'nope', members: { kind: 'delta', add: ['u1'], remove: [] } }, change(t1)), 'not_found');
        await expectStoreError(store.updateGroup({ id: 'nope', group: groupWrite('nope', 'X') }, change(t1)), 'not_found');
        await expectStoreError(store.deleteGroup('nope', change(t1)), 'not_found');
        expect(await store.countGroups(null)).toBe(0);
      });

      it('when the group write carries another id than the changed group, then updateGroup rejects with TypeError', async () => {
        await store.insertGroup(groupWrite('g1', 'Admins'), [], change(t0));
        await expect(store.updateGroup({ id: 'g1', group: groupWrite('g2', 'Other') }, change(t1))).rejects.toBeInstanceOf(TypeError);
        expect((await store.getGroup('g1'))?.version).toBe(1);
      });
    });

    describe('groups: uniqueness, versions and preconditions', () => {
      it('when a displayName is taken in another case, then insertGroup rejects with conflict on displayName and changes nothing', async () => {
        await seedUsers('alice');
        await store.insertGroup(groupWrite('g1', 'Admins'), [], change(t0));
        const before = await snapshot();
        await expectStoreError(store.insertGroup(groupWrite('g2', 'ADMINS'), ['u1'], change(t1)), 'conflict', { attribute: 'displayName' });
        expect(await snapshot()).toEqual(before);
        expect(await groupIdsOf('u1')).toEqual([]);
      });

      it('when a group id is taken, then insertGroup rejects with conflict on id', async () => {
        await store.insertGroup(groupWrite('g1', 'Admins'), [], change(t0));
        await expectStoreError(store.insertGroup(groupWrite('g1', 'Other'), [], change(t1)), 'conflict', { attribute: 'id' });
        expect(await findGroupIds(eq('displayName', 'other'))).toEqual([]);
      });

      it('when a rename takes another group\'s displayName, then updateGroup rejects with conflict and applies no member change', async () => {
        await seedUsers('alice', 'bob');
        await store.insertGroup(groupWrite('g1', 'Admins'), ['u1'], change(t0));
        await store.insertGroup(groupWrite('g2', 'Ops'), ['u1'], change(t0));
        const before = await snapshot();
        await expectStoreError(
          store.updateGroup({ id: 'g2', group: groupWrite('g2', 'admins'), members: { kind: 'delta', add: ['u2'], remove: ['u1'] } }, change(t1)),
          'conflict',
          { attribute: 'displayName' },
        );
        expect(await snapshot()).toEqual(before);
        expect(await findGroupIds(eq('displayName', 'ops'))).toEqual(['g2']);
        expect(await findGroupIds(eq('members.value', 'u2'))).toEqual([]);
      });

      it('when a group is renamed to its own displayName in another case, then the update succeeds', async () => {
        await store.insertGroup(groupWrite('g1', 'Admins'), [], change(t0));
        expect((await store.updateGroup({ id: 'g1', group: groupWrite('g1', 'ADMINS') }, change(t1))).version).toBe(2);
        expect((await store.getGroup('g1'))?.attributes['displayName']).toBe('ADMINS');
        expect(await findGroupIds(eq('displayName', 'admins'))).toEqual(['g1']);
      });

      it('when expectedVersion is stale, then updateGroup rejects with version_mismatch and changes nothing', async () => {
        await seedUsers('alice', 'bob');
        await store.insertGroup(groupWrite('g1', 'Admins'), ['u1'], change(t0));
        await store.updateGroup({ id: 'g1', members: { kind: 'delta', add: ['u2'], remove: [] } }, change(t1));
        const before = await snapshot();
        await expectStoreError(
          store.updateGroup({ id: 'g1', group: groupWrite('g1', 'Renamed'), members: { kind: 'replace', members: [] } }, change(t2), { expectedVersion: 1 }),
          'version_mismatch',
        );
        expect(await snapshot()).toEqual(before);
        expect((await store.updateGroup({ id: 'g1', members: { kind: 'replace', members: [] } }, change(t2), { expectedVersion: 2 })).version).toBe(3);
      });

      it('when expectedVersion is stale, then deleteGroup rejects with version_mismatch and the group stays', async () => {
        await store.insertGroup(groupWrite('g1', 'Admins'), [], change(t0));
        await expectStoreError(store.deleteGroup('g1', change(t1), { expectedVersion: 5 }), 'version_mismatch');
        expect((await store.getGroup('g1'))?.version).toBe(1);
        await store.deleteGroup('g1', change(t1), { expectedVersion: 1 });
        expect(await store.getGroup('g1')).toBeNull();
      });
    });

    describe('findGroups and countGroups: index predicates', () => {
      beforeEach(async () => {
        await seedUsers('alice', 'bob', 'carol');
        await store.insertGroup(groupWrite('g1', 'Admins', 'EXT-A'), ['u1', 'u2'], change(t0));
        await store.insertGroup(groupWrite('g2', 'Ops', 'ext-a'), ['u2'], change(t0));
        await store.insertGroup(groupWrite('g3', 'Äquipe Ünïcode'), [], change(t0));
      });

      it('when there is no predicate, then every group comes back in creation order', async () => {
        expect(await findGroupIds(null)).toEqual(['g1', 'g2', 'g3']);
        expect(await store.countGroups(null)).toBe(3);
      });

      it('when displayName eq is asked in another case, then it matches case-insensitively, beyond ASCII too', async () => {
        expect(await findGroupIds(eq('displayName', 'ADMINS'))).toEqual(['g1']);
        expect(await findGroupIds(eq('displayName', 'äquipe ünïcode'))).toEqual(['g3']);
        expect(await findGroupIds(eq('displayName', 'Admin'))).toEqual([]);
      });

      it('when externalId or id eq is asked, then it matches exactly', async () => {
        expect(await findGroupIds(eq('externalId', 'EXT-A'))).toEqual(['g1']);
        expect(await findGroupIds(eq('externalId', 'ext-a'))).toEqual(['g2']);
        expect(await findGroupIds(eq('id', 'g2'))).toEqual(['g2']);
        expect(await findGroupIds(eq('id', 'G2'))).toEqual([]);
      });

      it('when members.value eq is asked, then groups with that user as a direct member come back, matched exactly', async () => {
        expect(await findGroupIds(eq('members.value', 'u2'))).toEqual(['g1', 'g2']);
        expect(await findGroupIds(eq('members.value', 'u1'))).toEqual(['g1']);
        expect(await findGroupIds(eq('members.value', 'U2'))).toEqual([]);
        expect(await findGroupIds(eq('members.value', 'u3'))).toEqual([]);
        expect(await findGroupIds(eq('members.value', 'nobody'))).toEqual([]);
        expect(await store.countGroups(eq('members.value', 'u2'))).toBe(2);
      });

      it('when a boolean is compared with a group attribute, then it matches nothing', async () => {
        expect(await findGroupIds(eq('displayName', true))).toEqual([]);
      });

      it('when and/or combine group conditions, then the tree is honoured', async () => {
        expect(await findGroupIds(and(eq('members.value', 'u2'), eq('displayName', 'ops')))).toEqual(['g2']);
        expect(await findGroupIds(or(eq('displayName', 'äQUIPE ÜNÏCODE'), eq('members.value', 'u1')))).toEqual(['g1', 'g3']);
        const nested = or(and(eq('members.value', 'u2'), eq('externalId', 'ext-a')), eq('id', 'g3'));
        expect(await findGroupIds(nested)).toEqual(['g2', 'g3']);
        expect(await store.countGroups(nested)).toBe(2);
        expect(await store.countGroups(or())).toBe(0);
      });
    });

    describe('membership changes', () => {
      beforeEach(async () => {
        await seedUsers('alice', 'bob', 'carol', 'dave');
        await store.insertGroup(groupWrite('g1', 'Admins'), ['u1', 'u2'], change(t0));
      });

      it('when members are added, then they are appended in the order given and the version goes up by 1', async () => {
        const meta = await store.updateGroup({ id: 'g1', members: { kind: 'delta', add: ['u4', 'u3'], remove: [] } }, change(t1));
        expect(meta).toEqual({ id: 'g1', version: 2, created: t0, lastModified: t1 });
        expect(await memberIds('g1')).toEqual(['u1', 'u2', 'u4', 'u3']);
        expect(await groupIdsOf('u4')).toEqual(['g1']);
        expect(await findGroupIds(eq('members.value', 'u3'))).toEqual(['g1']);
      });

      it('when a member is removed, then the others keep their order', async () => {
        await store.updateGroup({ id: 'g1', members: { kind: 'delta', add: ['u3'], remove: [] } }, change(t1));
        await store.updateGroup({ id: 'g1', members: { kind: 'delta', add: [], remove: ['u2'] } }, change(t2));
        expect(await memberIds('g1')).toEqual(['u1', 'u3']);
        expect(await groupIdsOf('u2')).toEqual([]);
        expect(await findGroupIds(eq('members.value', 'u2'))).toEqual([]);
        expect((await store.getGroup('g1'))?.version).toBe(3);
      });

      it('when a present member is added again, then nothing moves (the call still counts as one change)', async () => {
        const meta = await store.updateGroup({ id: 'g1', members: { kind: 'delta', add: ['u1'], remove: [] } }, change(t1));
        expect(meta.version).toBe(2);
        expect(await memberIds('g1')).toEqual(['u1', 'u2']);
      });

      it('when an absent member or an id that is no user is removed, then nothing changes and no error is raised', async () => {
        const meta = await store.updateGroup({ id: 'g1', members: { kind: 'delta', add: [], remove: ['u3', 'not-a-user'] } }, change(t1));
        expect(meta.version).toBe(2);
        expect(await memberIds('g1')).toEqual(['u1', 'u2']);
      });

      it('when one call adds and removes, then both apply and the version goes up once', async () => {
        const meta = await store.updateGroup({ id: 'g1', members: { kind: 'delta', add: ['u3', 'u3'], remove: ['u1'] } }, change(t1));
        expect(meta.version).toBe(2);
        expect(await memberIds('g1')).toEqual(['u2', 'u3']);
      });

      it('when a removed member is added back, then it goes to the end', async () => {
        await store.updateGroup({ id: 'g1', members: { kind: 'delta', add: [], remove: ['u1'] } }, change(t1));
        await store.updateGroup({ id: 'g1', members: { kind: 'delta', add: ['u1'], remove: [] } }, change(t2));
        expect(await memberIds('g1')).toEqual(['u2', 'u1']);
      });

      it('when members are replaced, then the list becomes exactly the given ids in the given order', async () => {
        const meta = await store.updateGroup({ id: 'g1', members: { kind: 'replace', members: ['u3', 'u2', 'u3'] } }, change(t1));
        expect(meta.version).toBe(2);
        expect(await memberIds('g1')).toEqual(['u3', 'u2']);
        expect(await groupIdsOf('u1')).toEqual([]);
        await store.updateGroup({ id: 'g1', members: { kind: 'delta', add: ['u4'], remove: [] } }, change(t2));
        expect(await memberIds('g1')).toEqual(['u3', 'u2', 'u4']);
      });

      it('when members are replaced by an empty list, then the group has no members and is absent from membersOfGroups', async () => {
        await store.updateGroup({ id: 'g1', members: { kind: 'replace', members: [] } }, change(t1));
        expect(await store.membersOfGroups(['g1'])).toEqual(new Map());
        expect(await findGroupIds(eq('members.value', 'u1'))).toEqual([]);
      });

      it('when attributes and members change in one call, then both apply under one version step', async () => {
        const meta = await store.updateGroup({
          id: 'g1', group: groupWrite('g1', 'Operators'), members: { kind: 'delta', add: ['u4'], remove: ['u2'] },
        }, change(t1));
        expect(meta.version).toBe(2);
        expect((await store.getGroup('g1'))?.attributes['displayName']).toBe('Operators');
        expect(await memberIds('g1')).toEqual(['u1', 'u4']);
      });

      it('when added ids are no users, then updateGroup rejects with unknown_members naming them and changes nothing', async () => {
        const before = await snapshot();
        await expectStoreError(
          store.updateGroup({
            id: 'g1', group: groupWrite('g1', 'Renamed'), members: { kind: 'delta', add: ['u3', 'ghost-1', 'ghost-2'], remove: ['u1'] },
          }, change(t1)),
          'unknown_members',
          { ids: ['ghost-1', 'ghost-2'] },
        );
        expect(await snapshot()).toEqual(before);
        expect(await findGroupIds(eq('displayName', 'renamed'))).toEqual([]);
      });

      it('when a replacement list holds ids that are no users, then updateGroup rejects with unknown_members and changes nothing', async () => {
        const before = await snapshot();
        await expectStoreError(
          store.updateGroup({ id: 'g1', members: { kind: 'replace', members: ['u3', 'ghost'] } }, change(t1)),
          'unknown_members',
          { ids: ['ghost'] },
        );
        expect(await snapshot()).toEqual(before);
      });

      it('when the same id is both added and removed, then updateGroup rejects with TypeError', async () => {
        await expect(store.updateGroup({ id: 'g1', members: { kind: 'delta', add: ['u3'], remove: ['u3'] } }, change(t1)))
          .rejects.toBeInstanceOf(TypeError);
        expect(await memberIds('g1')).toEqual(['u1', 'u2']);
      });
    });

    describe('groupsOfUsers and membersOfGroups', () => {
      it('when members are listed, then display is the displayName if a non-empty string, else the userName', async () => {
        await store.insertUser(userWrite('u1', 'alice', { displayName: 'Alice Liddell' }), change(t0));
        await store.insertUser(userWrite('u2', 'bob', { displayName: '' }), change(t0));
        await store.insertUser(userWrite('u3', 'carol'), change(t0));
        await store.insertUser(userWrite('u4', 'dave', { displayName: 42 }), change(t0));
        await store.insertGroup(groupWrite('g1', 'Admins'), ['u1', 'u2', 'u3', 'u4'], change(t0));
        expect(await store.membersOfGroups(['g1'])).toEqual(new Map([['g1', [
          { value: 'u1', display: 'Alice Liddell' },
          { value: 'u2', display: 'bob' },
          { value: 'u3', display: 'carol' },
          { value: 'u4', display: 'dave' },
        ]]]));
      });

      it('when a member is renamed, then its display follows', async () => {
        await store.insertUser(userWrite('u1', 'alice', { displayName: 'Alice' }), change(t0));
        await store.insertUser(userWrite('u2', 'bob'), change(t0));
        await store.insertGroup(groupWrite('g1', 'Admins'), ['u1', 'u2'], change(t0));
        await store.replaceUser(userWrite('u1', 'alice', { displayName: 'Alice Cooper' }), change(t1));
        await store.replaceUser(userWrite('u2', 'robert'), change(t1));
        expect((await store.membersOfGroups(['g1'])).get('g1')).toEqual([
          { value: 'u1', display: 'Alice Cooper' },
          { value: 'u2', display: 'robert' },
        ]);
      });

      it('when several groups are asked, then each maps to its members and empty or unknown groups are absent', async () => {
        await seedUsers('alice', 'bob');
        await store.insertGroup(groupWrite('g1', 'Admins'), ['u2', 'u1'], change(t0));
        await store.insertGroup(groupWrite('g2', 'Ops'), ['u1'], change(t0));
        await store.insertGroup(groupWrite('g3', 'Empty'), [], change(t0));
        const members = await store.membersOfGroups(['g2', 'g3', 'nope', 'g1']);
        expect(members).toEqual(new Map([
          ['g2', [{ value: 'u1', display: 'alice' }]],
          ['g1', [{ value: 'u2', display: 'bob' }, { value: 'u1', display: 'alice' }]],
        ]));
        expect(await store.membersOfGroups([])).toEqual(new Map());
      });

      it('when members are counted, then each group maps to its number of members as membersOfGroups lists them, and empty or unknown groups are absent', async () => {
        await seedUsers('alice', 'bob', 'carol');
        await store.insertGroup(groupWrite('g1', 'Admins'), ['u2', 'u1', 'u3'], change(t0));
        await store.insertGroup(groupWrite('g2', 'Ops'), ['u1'], change(t0));
        await store.insertGroup(groupWrite('g3', 'Empty'), [], change(t0));
        await store.updateGroup({ id: 'g1', members: { kind: 'delta', add: [], remove: ['u3'] } }, change(t1));
        expect(await store.countMembersOfGroups(['g2', 'g3', 'nope', 'g1', 'g2'])).toEqual(new Map([['g2', 1], ['g1', 2]]));
        const listed = await store.membersOfGroups(['g1', 'g2']);
        expect(new Map([...listed].map(([id, refs]) => [id, refs.length]))).toEqual(await store.countMembersOfGroups(['g1', 'g2']));
        await store.deleteUser('u1', change(t2));
        expect(await store.countMembersOfGroups(['g1', 'g2'])).toEqual(new Map([['g1', 1]]));
        expect(await store.countMembersOfGroups([])).toEqual(new Map());
      });

      it('when groups of users are asked, then each user maps to its groups in group creation order with the group displayName', async () => {
        await seedUsers('alice', 'bob', 'carol');
        await store.insertGroup(groupWrite('g1', 'Admins'), ['u2'], change(t0));
        await store.insertGroup(groupWrite('g2', 'Ops'), ['u1', 'u2'], change(t0));
        await store.updateGroup({ id: 'g1', members: { kind: 'delta', add: ['u1'], remove: [] } }, change(t1));
        const groups = await store.groupsOfUsers(['u1', 'u2', 'u3', 'nope']);
        expect(groups).toEqual(new Map([
          ['u1', [{ value: 'g1', display: 'Admins' }, { value: 'g2', display: 'Ops' }]],
          ['u2', [{ value: 'g1', display: 'Admins' }, { value: 'g2', display: 'Ops' }]],
        ]));
        expect(await store.groupsOfUsers([])).toEqual(new Map());
      });

      it('when users are found with their groups, then each found user carries what groupsOfUsers gives, [] for none', async () => {
        await seedUsers('alice', 'bob', 'carol');
        await store.insertGroup(groupWrite('g1', 'Admins'), ['u2'], change(t0));
        await store.insertGroup(groupWrite('g2', 'Ops'), ['u1', 'u2'], change(t0));
        await store.updateGroup({ id: 'g1', members: { kind: 'delta', add: ['u1'], remove: [] } }, change(t1));
        const admins = [{ value: 'g1', display: 'Admins' }, { value: 'g2', display: 'Ops' }];
        const all = await store.findUsersWithGroups({ where: null, offset: 0, limit: 10 });
        expect(all.map((found) => [found.record.id, found.groups])).toEqual([['u1', admins], ['u2', admins], ['u3', []]]);
        expect(all.map((found) => found.record)).toEqual(await store.findUsers({ where: null, offset: 0, limit: 10 }));
        const page = await store.findUsersWithGroups({ where: { kind: 'eq', attribute: 'active', value: true }, offset: 1, limit: 1 });
        expect(page.map((found) => [found.record.id, found.groups])).toEqual([['u2', admins]]);
      });

      it('when one user is found with its groups by userName or id, then paging and case-insensitivity hold as for findUsers', async () => {
        await seedUsers('alice', 'bob');
        await store.insertGroup(groupWrite('g1', 'Admins'), ['u2'], change(t0));
        const byName = (value: string, offset = 0, limit = 10) =>
          store.findUsersWithGroups({ where: { kind: 'eq', attribute: 'userName', value }, offset, limit });
        expect((await byName('BOB')).map((found) => [found.record.id, found.groups])).toEqual([['u2', [{ value: 'g1', display: 'Admins' }]]]);
        expect((await byName('alice')).map((found) => [found.record.id, found.groups])).toEqual([['u1', []]]);
        expect(await byName('bob', 1)).toEqual([]);
        expect(await byName('bob', 0, 0)).toEqual([]);
        expect(await byName('nobody')).toEqual([]);
        const byId = await store.findUsersWithGroups({ where: { kind: 'eq', attribute: 'id', value: 'u2' }, offset: 0, limit: 1 });
        expect(byId).toEqual([{ record: await store.getUser('u2'), groups: [{ value: 'g1', display: 'Admins' }] }]);
        await expect(store.findUsersWithGroups({ where: null, offset: -1, limit: 3 })).rejects.toBeInstanceOf(TypeError);
      });

      it('when a group is renamed, then groupsOfUsers shows the new displayName', async () => {
        await seedUsers('alice');
        await store.insertGroup(groupWrite('g1', 'Admins'), ['u1'], change(t0));
        await store.updateGroup({ id: 'g1', group: groupWrite('g1', 'Operators') }, change(t1));
        expect((await store.groupsOfUsers(['u1'])).get('u1')).toEqual([{ value: 'g1', display: 'Operators' }]);
      });
    });

    describe('deleteUser cascades to memberships', () => {
      it('when a member user is deleted, then it leaves every group and each of those groups moves one version', async () => {
        await seedUsers('alice', 'bob');
        await store.insertGroup(groupWrite('g1', 'Admins'), ['u1', 'u2'], change(t0));
        await store.insertGroup(groupWrite('g2', 'Ops'), ['u1'], change(t0));
        await store.insertGroup(groupWrite('g3', 'Other'), ['u2'], change(t0));
        await store.deleteUser('u1', change(t2));
        expect(await store.membersOfGroups(['g1', 'g2', 'g3'])).toEqual(new Map([
          ['g1', [{ value: 'u2', display: 'bob' }]],
          ['g3', [{ value: 'u2', display: 'bob' }]],
        ]));
        const [g1, g2, g3] = await Promise.all([store.getGroup('g1'), store.getGroup('g2'), store.getGroup('g3')]);
        expect([g1?.version, g1?.lastModified]).toEqual([2, t2]);
        expect([g2?.version, g2?.lastModified]).toEqual([2, t2]);
        expect([g3?.version, g3?.lastModified]).toEqual([1, t0]);
        expect(await findGroupIds(eq('members.value', 'u1'))).toEqual([]);
      });

      it('when a deleted member\'s id is reused by a new user, then that user belongs to no group', async () => {
        await seedUsers('alice');
        await store.insertGroup(groupWrite('g1', 'Admins'), ['u1'], change(t0));
        await store.deleteUser('u1', change(t1));
        await store.insertUser(userWrite('u1', 'alice'), change(t2));
        expect(await groupIdsOf('u1')).toEqual([]);
        expect(await memberIds('g1')).toEqual([]);
      });
    });

    describe('persistence', () => {
      it('when the store is closed and reopened, then users, groups, memberships, versions and order survive', async (context) => {
        const reopen = opened.reopen;
        if (reopen === undefined) {
          context.skip();
          return;
        }
        await store.insertUser(userWrite('u1', 'Alice', { displayName: 'Alice L', emails: ['a@example.com'], externalId: 'e1' }), change(t0));
        await store.insertUser(userWrite('u2', 'bob', { active: false }), change(t0));
        await store.insertUser(userWrite('u3', 'carol'), change(t0));
        await store.replaceUser(userWrite('u2', 'bob', { active: false, title: 'Ops' }), change(t1));
        await store.insertGroup(groupWrite('g1', 'Admins', 'ge1'), ['u3', 'u1'], change(t0));
        await store.updateGroup({ id: 'g1', members: { kind: 'delta', add: ['u2'], remove: ['u3'] } }, change(t1));
        const before = await snapshot();
        await store.close();

        store = await reopen();
        expect(await snapshot()).toEqual(before);
        expect((await store.getUser('u2'))?.version).toBe(2);
        expect(await findUserIds(eq('userName', 'ALICE'))).toEqual(['u1']);
        expect(await findUserIds(eq('emails.value', 'A@example.com'))).toEqual(['u1']);
        expect(await findGroupIds(eq('displayName', 'admins'))).toEqual(['g1']);
        expect(await memberIds('g1')).toEqual(['u1', 'u2']);
        await store.updateGroup({ id: 'g1', members: { kind: 'delta', add: ['u3'], remove: [] } }, change(t3));
        expect(await memberIds('g1')).toEqual(['u1', 'u2', 'u3']);
        await store.insertUser(userWrite('u4', 'dave'), change(t3));
        expect(await findUserIds(null)).toEqual(['u1', 'u2', 'u3', 'u4']);
        await expectStoreError(store.insertUser(userWrite('u5', 'ALICE'), change(t3)), 'conflict', { attribute: 'userName' });
      });
    });

    describeSyncWorkContract(subject);
    describeAppliedStateAndAuditContract(subject);
    describeOperatorQueriesContract(subject);
  });
}
