// Several PostgreSQL stores (replicas) on one schema at once: leasing hands each item to one replica
// (FOR UPDATE SKIP LOCKED), concurrent membership changes of one group all land (the group row lock),
// and a user deleted while being added to a group ends consistent (deadlocks are retried).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPostgresStore } from '../../src/adapters/store/index.js';
import type { ChangeContext, Store } from '../../src/ports/store.js';
import { StoreError } from '../../src/ports/store.js';
import { dropSchema, freshSchemaName, postgresUrl } from '../helpers/postgres-server.js';

const at = '2025-01-01T00:00:00.000Z';
const change: ChangeContext = { at, requestId: null, syncDueAt: at };
const far = '2100-01-01T00:00:00.000Z';

describe('PostgreSQL store shared by several replicas', () => {
  let schema: string;
  let replicas: Store[];

  beforeEach(async () => {
    schema = freshSchemaName('replicas');
    replicas = await Promise.all(Array.from({ length: 3 }, () => createPostgresStore({ connectionString: postgresUrl(), schema, poolSize: 4 })));
  });

  afterEach(async () => {
    for (const replica of replicas) await replica.close();
    await dropSchema(schema);
  });

  function replica(index: number): Store {
    const store = replicas[index % replicas.length];
    if (store === undefined) throw new Error('no replica');
    return store;
  }

  async function seedUsers(count: number): Promise<string[]> {
    const ids = Array.from({ length: count }, (_unused, index) => `u${index + 1}`);
    for (const id of ids) {
      await replica(0).insertUser({ id, attributes: { userName: id }, keys: { userName: id, externalId: null, active: true, emails: [] } }, change);
    }
    return ids;
  }

  it('when replicas lease at the same time, then every item is leased by exactly one of them', async () => {
    const targets = Array.from({ length: 300 }, (_unused, index) => ({ resourceType: 'User' as const, resourceId: `r${index}` }));
    await replica(0).enqueueSync(targets, { at, requestId: null, dueAt: at });
    const leasedBy = async (index: number): Promise<string[]> => {
      const mine: string[] = [];
      for (;;) {
        const items = await replica(index).leaseSyncWork({ now: at, limit: 7, leaseUntil: far, owner: `w${index}` });
        if (items.length === 0) return mine;
        mine.push(...items.map((item) => item.resourceId));
      }
    };
    const leased = (await Promise.all([0, 1, 2, 0, 1, 2].map(leasedBy))).flat();
    expect(leased).toHaveLength(targets.length);
    expect(new Set(leased).size).toBe(targets.length);
  });

  it('when replicas add members to one group concurrently, then no membership is lost and each change moves the version once', async () => {
    const ids = await seedUsers(40);
    await replica(0).insertGroup({ id: 'g1', attributes: { displayName: 'G' }, keys: { displayName: 'G', externalId: null } }, [], change);
    await Promise.all(ids.map((id, index) => replica(index).updateGroup({ id: 'g1', members: { kind: 'delta', add: [id], remove: [] } }, change)));
    const members = (await replica(1).membersOfGroups(['g1'])).get('g1')?.map((member) => member.value) ?? [];
    expect([...members].sort()).toEqual([...ids].sort());
    expect((await replica(2).getGroup('g1'))?.version).toBe(1 + ids.length);
  });

  it('when users are deleted while replicas add them to groups, then every call ends cleanly and no membership names a deleted user', async () => {
    const ids = await seedUsers(20);
    for (const group of ['g1', 'g2']) {
      await replica(0).insertGroup({ id: group, attributes: { displayName: group }, keys: { displayName: group, externalId: null } }, [], change);
    }
    const outcomes = await Promise.allSettled(ids.flatMap((id, index) => [
      replica(index).updateGroup({ id: index % 2 === 0 ? 'g1' : 'g2', members: { kind: 'delta', add: [id], remove: [] } }, change),
      replica(index + 1).deleteUser(id, change),
      replica(index + 2).updateGroup({ id: index % 2 === 0 ? 'g2' : 'g1', members: { kind: 'delta', add: [id], remove: [] } }, change),
    ]));
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') expect(outcome.reason).toMatchObject({ code: 'unknown_members' });
    }
    expect(outcomes.some((outcome) => outcome.status === 'rejected' && !(outcome.reason instanceof StoreError))).toBe(false);
    expect(await replica(0).countUsers(null)).toBe(0);
    expect(await replica(1).membersOfGroups(['g1', 'g2'])).toEqual(new Map());
  });
});
