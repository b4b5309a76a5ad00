// claimAppliedAccount over a SQLite store on a temporary file: a store with no account recorded keeps its applied
// state and records the account; the same account changes nothing; another account forgets the
// applied state and queues every SCIM user and group.
import { describe, expect, it } from 'vitest';
import { claimAppliedAccount } from '../../src/core/sync/applied-account.js';
import type { Store } from '../../src/ports/store.js';
import { change, groupWrite, userWrite } from '../contract/store-fixtures.js';
import { cleanupsAfterEach } from '../helpers/cleanups.js';
import { tempSqliteStore } from '../helpers/temp-sqlite-store.js';

const at = '2026-01-05T09:00:00.000Z';
const now = () => new Date(at);
const cleanups = cleanupsAfterEach();

async function storeWithState(): Promise<Store> {
  const store = tempSqliteStore(cleanups);
  await store.insertUser(userWrite('u1', 'ann@example.com'), change(at));
  await store.insertUser(userWrite('u2', 'ben@example.com', { active: false }), change(at));
  await store.insertGroup(groupWrite('g1', 'Ops'), ['u1'], change(at));
  for (const item of await store.leaseSyncWork({ now: at, limit: 10, leaseUntil: at, owner: 'test' })) await store.completeSyncWork(item, 'test');
  await store.putAppliedUser({ userId: 'u1', email: 'ann@example.com', uid: 'x', provenance: 'created', groupUuids: ['g'], davis: null });
  await store.putAppliedGroup({ groupId: 'g1', uuid: 'g', name: 'Ops', provenance: 'created', bindings: {} });
  return store;
}

describe('claimAppliedAccount', () => {
  it('when no account is recorded, then the applied state is kept as this account\'s and nothing is queued', async () => {
    const store = await storeWithState();
    expect(await claimAppliedAccount(store, 'account A', now)).toEqual({ previous: null, switched: false, queued: 0 });
    expect(await store.getAppliedAccount()).toBe('account A');
    expect(await store.listAppliedUsers()).toHaveLength(1);
    expect((await store.syncQueueStats({ failedLimit: 1 })).depth).toBe(0);
  });

  it('when the same account is claimed again, then nothing changes', async () => {
    const store = await storeWithState();
    await claimAppliedAccount(store, 'account A', now);
    expect(await claimAppliedAccount(store, 'account A', now)).toEqual({ previous: 'account A', switched: false, queued: 0 });
    expect(await store.listAppliedGroups()).toHaveLength(1);
  });

  it('when another account is claimed, then the applied state is forgotten and every user (inactive ones too) and group is queued', async () => {
    const store = await storeWithState();
    await claimAppliedAccount(store, 'account A', now);
    expect(await claimAppliedAccount(store, 'account B', now)).toEqual({ previous: 'account A', switched: true, queued: 3 });
    expect(await store.getAppliedAccount()).toBe('account B');
    expect(await store.listAppliedUsers()).toEqual([]);
    expect(await store.listAppliedGroups()).toEqual([]);
    const leased = await store.leaseSyncWork({ now: at, limit: 10, leaseUntil: at, owner: 'test' });
    expect(leased.map((i) => `${i.resourceType}:${i.resourceId}:${i.requestId}`).sort()).toEqual(['Group:g1:account-switch', 'User:u1:account-switch', 'User:u2:account-switch']);
  });
});
