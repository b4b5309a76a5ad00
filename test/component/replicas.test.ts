// Several replicas, one PostgreSQL database (issue 5): two bridge instances — two apps, two sync
// workers, two connection pools — on one fresh schema, provisioning into ONE Dynatrace sandbox on a
// shared manual clock. SCIM requests are split across both, both workers run at once, and the final
// state is checked in the store and in the sandbox, with "exactly once" read from the upstream calls.
import { describe, expect, it } from 'vitest';
import type { FetchFn } from '../../src/adapters/dynatrace/index.js';
import { RECONCILE_LOCK, RECONCILE_LOCK_MS } from '../../src/core/admin.js';
import type { SyncItem } from '../../src/ports/sync-queue.js';
import type { SandboxHandle } from '../../src/sandbox/index.js';
import {
  createManualClock,
  makeDataDir,
  removeDataDir,
  startSharedSandbox,
  type BridgeProcess,
  type ManualClock,
} from '../helpers/bridge-process.js';
import { haltingStore, startPostgresBridge, type HaltingStore } from '../helpers/postgres-bridge.js';
import { dropSchema, freshSchemaName, postgresUrl, withClient } from '../helpers/postgres-server.js';
import { groupBody, patchBody, userBody } from '../helpers/scim-builders.js';
import type { ScimResponse } from '../helpers/test-bridge.js';
import { cleanupsAfterEach } from '../helpers/cleanups.js';

const cleanups = cleanupsAfterEach();

/** One upstream create as the bridge sent it: which replica, and what the sandbox answered. */
interface Create {
  readonly replica: number;
  readonly status: number;
}

interface Fleet {
  readonly clock: ManualClock;
  readonly sandbox: SandboxHandle;
  readonly schema: string;
  readonly replicas: readonly [BridgeProcess, BridgeProcess];
  /** Set when the fleet was asked for a first replica that can be frozen and killed. */
  readonly victim: HaltingStore | null;
  /** POST /users per email and POST /groups per group name, from the bridges' side. */
  readonly userCreates: Map<string, Create[]>;
  readonly groupCreates: Map<string, Create[]>;
  /** Successful POST /users/{email} (add to groups) per replica. */
  readonly memberAdds: [number, number];
  /** Replica `index` modulo 2: requests alternate between the instances. */
  replica(index: number): BridgeProcess;
}

/** Two bridges on one new schema and one sandbox; both stores are open (and migrated) before it resolves. */
async function fleet(options: { readonly haltableFirst?: boolean } = {}): Promise<Fleet> {
  const clock = createManualClock();
  const sandbox = await startSharedSandbox({ clock });
  cleanups.push(() => sandbox.stop());
  const schema = freshSchemaName('replicas');
  cleanups.push(() => dropSchema(schema));
  const userCreates = new Map<string, Create[]>();
  const groupCreates = new Map<string, Create[]>();
  const memberAdds: [number, number] = [0, 0];
  const record = (into: Map<string, Create[]>, key: string, create: Create): void => {
    into.set(key, [...(into.get(key) ?? []), create]);
  };
  /** Records every POST /users and POST /groups of replica `replica` with the sandbox's answer. */
  const recording = (replica: number) => (fetchFn: FetchFn): FetchFn => async (input, init) => {
    const response = await fetchFn(input, init);
    const path = new URL(input).pathname;
    if (init.method === 'POST' && typeof init.body === 'string') {
      if (/\/iam\/v1\/accounts\/[^/]+\/users$/.test(path)) {
        record(userCreates, (JSON.parse(init.body) as { email: string }).email, { replica, status: response.status });
      } else if (/\/iam\/v1\/accounts\/[^/]+\/groups$/.test(path)) {
        for (const group of JSON.parse(init.body) as Array<{ name: string }>) record(groupCreates, group.name, { replica, status: response.status });
      } else if (/\/iam\/v1\/accounts\/[^/]+\/users\/[^/]+$/.test(path) && response.ok) {
        memberAdds[replica] = (memberAdds[replica] ?? 0) + 1;
      }
    }
    return response;
  };
  let victim: HaltingStore | null = null;
  const start = async (replica: number): Promise<BridgeProcess> => {
    const dataDir = makeDataDir();
    cleanups.push(() => removeDataDir(dataDir));
    const bridge = await startPostgresBridge({
      sandbox,
      dataDir,
      clock,
      davis: false,
      wrapFetch: recording(replica),
      postgres: { connectionString: postgresUrl(), schema, poolSize: 8 },
      ...(replica === 0 && options.haltableFirst === true
        ? {
            wrapStore: (store) => {
              victim = haltingStore(store);
              return victim.store;
            },
          }
        : {}),
    });
    cleanups.push(() => bridge.close());
    return bridge;
  };
  // Started together: both run the migrations at once (the migration lock lets one apply them).
  const [a, b] = await Promise.all([start(0), start(1)]);
  return {
    clock,
    sandbox,
    schema,
    replicas: [a, b],
    victim,
    userCreates,
    groupCreates,
    memberAdds,
    replica: (index) => (index % 2 === 0 ? a : b),
  };
}

function ok(response: ScimResponse, statuses: readonly number[] = [200, 201, 204]): ScimResponse {
  if (!statuses.includes(response.status)) throw new Error(`SCIM answered ${response.status}: ${response.text}`);
  return response;
}

/** Runs `task(0 … count-1)` with at most `width` in flight; results in index order. */
async function inParallel<T>(count: number, width: number, task: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array<T>(count);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      results[index] = await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, count) }, lane));
  return results;
}

function emailOf(prefix: string, index: number): string {
  return `${prefix}.${String(index).padStart(3, '0')}@replicas.example`;
}

/** Creates `count` users, alternating between the replicas, `width` at a time; their ids in order. */
async function createUsers(f: Fleet, prefix: string, count: number, width = 10): Promise<string[]> {
  return inParallel(count, width, async (index) =>
    (ok(await f.replica(index).scim('POST', '/Users', userBody(emailOf(prefix, index))), [201]).body as { id: string }).id);
}

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits (real time, bounded) until the shared queue is empty; fails at once on a failed item. */
async function settled(f: Fleet, maxWallMs = 20_000): Promise<void> {
  const [a] = f.replicas;
  const deadline = Date.now() + maxWallMs;
  for (;;) {
    const stats = await a.store.syncQueueStats({ failedLimit: 5 });
    if (stats.failedCount > 0) throw new Error(`sync failed: ${JSON.stringify(stats.failed)}`);
    if (stats.depth === 0) return;
    if (Date.now() > deadline) {
      const rows = await withClient((client) => client.query(`SELECT resource_type, resource_id, attempts, last_error, lease_owner FROM "${f.schema}".sync_queue LIMIT 10`));
      console.log(f.replicas.flatMap((r) => r.logLines.filter((l) => !l.includes('"level":30'))).join('\n'));
      throw new Error(`the queue did not empty within ${maxWallMs} ms: depth ${stats.depth}, e.g. ${JSON.stringify(rows.rows)}`);
    }
    await sleep(25);
  }
}

/** Drains both workers at once (interleaved), round after round, until the queue is empty (bounded). */
async function drainBoth(f: Fleet, maxRounds = 20): Promise<number> {
  let processed = 0;
  for (let round = 0; round < maxRounds; round++) {
    processed += (await Promise.all(f.replicas.map((bridge) => bridge.worker.drain()))).reduce((sum, n) => sum + n, 0);
    const stats = await f.replicas[0].store.syncQueueStats({ failedLimit: 5 });
    if (stats.failedCount > 0) throw new Error(`sync failed: ${JSON.stringify(stats.failed)}`);
    if (stats.depth === 0) return processed;
  }
  throw new Error(`the queue did not empty in ${maxRounds} rounds`);
}

function startWorkers(f: Fleet): void {
  for (const bridge of f.replicas) bridge.worker.start();
}

async function stopWorkers(f: Fleet): Promise<void> {
  await Promise.all(f.replicas.map((bridge) => bridge.worker.stop()));
}

const success = (create: Create): boolean => create.status >= 200 && create.status < 300;

/** Every email was POSTed exactly once, successfully; no other user create was sent. */
function expectEachCreatedOnce(f: Fleet, emails: readonly string[]): void {
  expect([...f.userCreates.keys()].sort()).toEqual([...emails].sort());
  const notOnce = [...f.userCreates].filter(([, creates]) => creates.length !== 1 || !creates.every(success));
  expect(notOnce).toEqual([]);
  const log = f.sandbox.state.requestLog.filter((r) => r.method === 'POST' && /\/iam\/v1\/accounts\/[^/]+\/users$/.test(r.url));
  expect(log.filter((r) => r.status >= 200 && r.status < 300)).toHaveLength(emails.length);
  expect(log.filter((r) => r.status >= 300)).toEqual([]);
}

/** The named Dynatrace group was created by exactly one successful POST /groups, and no create of it was refused. */
function expectGroupCreatedOnce(f: Fleet, name: string): string {
  expect(f.groupCreates.get(name)?.map((create) => success(create))).toEqual([true]);
  const refused = f.sandbox.state.requestLog.filter((r) => r.method === 'POST' && r.url.endsWith('/groups') && r.status >= 300);
  expect(refused).toEqual([]);
  const group = f.sandbox.state.findGroupByName(name);
  if (group === null) throw new Error(`no Dynatrace group "${name}"`);
  expect(f.sandbox.state.snapshotGroups().filter((g) => g.name === name)).toHaveLength(1);
  return group.uuid;
}

function dynatraceGroupsOf(f: Fleet, email: string): string[] {
  return f.sandbox.state.findUser(email)?.groupUuids ?? [];
}

describe('two replicas on one PostgreSQL database', () => {
  it('when 50 membership PATCHes on one new group are split across both replicas while both workers run, then every member is in the group in the store and in Dynatrace, and the group was created once', async () => {
    const f = await fleet();
    const [a, b] = f.replicas;
    startWorkers(f);
    const userIds = await createUsers(f, 'member', 50);
    const groupId = (ok(await b.scim('POST', '/Groups', groupBody('Replicated Team')), [201]).body as { id: string }).id;

    const answers = await Promise.all(userIds.map((userId, index) =>
      f.replica(index).scim('PATCH', `/Groups/${groupId}`, patchBody({ op: 'add', path: 'members', value: [{ value: userId }] }))));
    expect(answers.filter((answer) => answer.status !== 200 && answer.status !== 204).map((answer) => answer.text)).toEqual([]);
    await settled(f);
    await stopWorkers(f);

    // The store: all 50 members, seen from either replica; one version step per PATCH.
    for (const bridge of f.replicas) {
      const group = ok(await bridge.scim('GET', `/Groups/${groupId}`)).body as { members?: Array<{ value: string }> };
      expect((group.members ?? []).map((member) => member.value).sort()).toEqual([...userIds].sort());
    }
    expect((await a.store.getGroup(groupId))?.version).toBe(1 + userIds.length);
    // Dynatrace: one group, every member in it, every user created once.
    const uuid = expectGroupCreatedOnce(f, 'Replicated Team');
    const emails = userIds.map((_id, index) => emailOf('member', index));
    expect(emails.filter((email) => !dynatraceGroupsOf(f, email).includes(uuid))).toEqual([]);
    expectEachCreatedOnce(f, emails);
    expect((await a.store.getAppliedGroups([groupId])).get(groupId)).toMatchObject({ uuid, provenance: 'created' });
  });

  it('when both replicas sync the members of one new group at the same time, then exactly one POST /groups creates it, nothing fails, and every member joins it', async () => {
    const f = await fleet();
    const [a, b] = f.replicas;
    const userIds = await createUsers(f, 'racer', 40);
    await drainBoth(f);
    // Slow answers widen the window in which both replicas find the group missing.
    f.sandbox.state.setFaults({ latencyMs: 20 });
    const groupId = (ok(await a.scim('POST', '/Groups', groupBody('Race Group', userIds)), [201]).body as { id: string }).id;

    await drainBoth(f);

    const uuid = expectGroupCreatedOnce(f, 'Race Group');
    const emails = userIds.map((_id, index) => emailOf('racer', index));
    expect(emails.filter((email) => !dynatraceGroupsOf(f, email).includes(uuid))).toEqual([]);
    expect((await b.store.getAppliedGroups([groupId])).get(groupId)).toMatchObject({ uuid, name: 'Race Group', provenance: 'created' });
    // Both replicas added members to the new group: both needed it while it was being created.
    expect(f.memberAdds.every((adds) => adds > 0)).toBe(true);
    expect(f.memberAdds[0] + f.memberAdds[1]).toBe(userIds.length);
    const audit = await a.store.listAudit({ offset: 0, limit: 1000 });
    expect(audit.entries.filter((entry) => entry.operation === 'createGroup').map((entry) => entry.outcome)).toEqual(['applied']);
    expect(audit.entries.filter((entry) => entry.outcome === 'failed')).toEqual([]);
  });

  it('when a burst of 500 user creates is split across both replicas while both workers run, then each Dynatrace user is created exactly once', async () => {
    const f = await fleet();
    startWorkers(f);
    const userIds = await createUsers(f, 'burst', 500, 25);
    await settled(f, 40_000);
    await stopWorkers(f);

    const emails = userIds.map((_id, index) => emailOf('burst', index));
    expectEachCreatedOnce(f, emails);
    const inDynatrace = new Set(f.sandbox.state.snapshotUsers().map((u) => u.email));
    expect(emails.filter((email) => !inDynatrace.has(email))).toEqual([]);
    // Both workers shared the burst.
    const byReplica = [0, 1].map((replica) => [...f.userCreates.values()].filter(([create]) => create?.replica === replica).length);
    expect(byReplica.every((count) => count > 0)).toBe(true);
    const applied = await f.replicas[1].store.listAppliedUsers();
    expect(applied).toHaveLength(500);
    expect(applied.every((user) => user.provenance === 'created')).toBe(true);
  });

  it('when one replica dies holding leases, then the other leaves that work alone until the leases expire, and then finishes it', async () => {
    const f = await fleet({ haltableFirst: true });
    const [a, b] = f.replicas;
    const victim = f.victim;
    if (victim === null) throw new Error('no haltable replica');
    const userIds = await createUsers(f, 'orphan', 24);

    // Replica A leases a batch (SYNC_CONCURRENCY 4), then freezes before applying any of it, and dies.
    victim.halt();
    const dying = a.worker.drain().then(() => null, (error: unknown) => error);
    for (let waited = 0; victim.leased < 4 && waited < 5000; waited += 10) await sleep(10);
    expect(victim.leased).toBe(4);
    victim.kill();
    await a.kill();
    expect(await dying).toMatchObject({ code: 'unavailable' });
    const held = await withClient((client) =>
      client.query<{ resource_id: string; lease_until: string }>(`SELECT resource_id, lease_until FROM "${f.schema}".sync_queue WHERE lease_owner IS NOT NULL`));
    expect(held.rows).toHaveLength(4);

    // B does everything else, but not what A still holds.
    expect(await b.worker.drain()).toBe(20);
    expect((await b.store.syncQueueStats({ failedLimit: 0 })).depth).toBe(4);
    f.clock.advance(30_000 - 1);
    expect(await b.worker.drain()).toBe(0);
    // The lease (SYNC_LEASE_MS, 30 s; never renewed by the frozen replica) has passed: B takes the orphaned work and finishes it.
    f.clock.advance(1);
    expect(await b.worker.drain()).toBe(4);
    expect((await b.store.syncQueueStats({ failedLimit: 0 })).depth).toBe(0);

    const emails = userIds.map((_id, index) => emailOf('orphan', index));
    expectEachCreatedOnce(f, emails);
    expect([...f.userCreates.values()].every(([create]) => create?.replica === 1)).toBe(true);
    expect((await b.store.listAppliedUsers()).map((user) => user.email).sort()).toEqual([...emails].sort());
  });
});

describe('the shared queue under concurrent changes', () => {
  it('when a replica completes or fails an item while another replica\'s SCIM change re-enqueues it, then the newer generation is left pending and free, not leased until the lease expires', async () => {
    const f = await fleet();
    const [a, b] = f.replicas;
    await createUsers(f, 'late', 2);
    const finishers: ReadonlyArray<(item: SyncItem) => Promise<void>> = [
      (item) => a.store.completeSyncWork(item, 'replica-a'),
      (item) => a.store.failSyncWork(item, 'replica-a', { at: f.clock.date().toISOString(), reason: 'refused' }),
    ];
    for (const finish of finishers) {
      const now = f.clock.date().toISOString();
      const [item] = await a.store.leaseSyncWork({ now, limit: 1, leaseUntil: new Date(f.clock.now() + 300_000).toISOString(), owner: 'replica-a' });
      const userId = item?.resourceId;
      expect(userId).toBeDefined();
      // Replica B's SCIM write holds the row (its enqueue, uncommitted) while A finishes the item.
      await withClient(async (client) => {
        await client.query('BEGIN');
        await client.query(`UPDATE "${f.schema}".sync_queue SET generation = generation + 1 WHERE resource_id = $1`, [userId]);
        const finishing = finish(item as SyncItem);
        await sleep(100);
        await client.query('COMMIT');
        await finishing;
      });
      const [again] = await b.store.leaseSyncWork({ now, limit: 1, leaseUntil: new Date(f.clock.now() + 300_000).toISOString(), owner: 'replica-b' });
      expect(again).toMatchObject({ resourceId: userId, generation: 2 });
      await b.store.completeSyncWork(again as SyncItem, 'replica-b');
    }
    expect((await a.store.syncQueueStats({ failedLimit: 1 })).depth).toBe(0);
  });
});

describe('reconcile on several replicas', () => {
  it('when a replica asks for a reconcile while another replica runs one, then it gets 409 and, once that one is done, its own runs', async () => {
    const f = await fleet();
    const [a, b] = f.replicas;
    await createUsers(f, 'rec', 4);
    await drainBoth(f);
    // Slow listings keep A's reconcile running while B asks.
    f.sandbox.state.setFaults({ latencyMs: 400 });
    const first = a.admin('POST', '/reconcile');
    await sleep(150);
    const refused = await b.admin('POST', '/reconcile');
    expect(refused.status).toBe(409);
    expect(String(refused.body?.detail)).toContain('another reconcile is running');
    expect((await a.admin('POST', '/reconcile?dryRun=true')).status).toBe(409);
    expect((await first).status).toBe(200);
    f.sandbox.state.setFaults({ latencyMs: 0 });
    const second = await b.admin('POST', '/reconcile');
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ dryRun: false });
  });

  it('when a replica died during a reconcile, then the others are refused until its lock expires, and then reconcile', async () => {
    const f = await fleet();
    const [a, b] = f.replicas;
    const now = f.clock.date();
    expect(await a.store.tryAcquireLock(RECONCILE_LOCK, 'replica-that-died', { now: now.toISOString(), until: new Date(now.getTime() + RECONCILE_LOCK_MS).toISOString() })).toBe(true);
    expect((await b.admin('POST', '/reconcile')).status).toBe(409);
    expect(await b.deps.admin.reconcileOnSchedule(3_600_000)).toBeNull();
    f.clock.advance(RECONCILE_LOCK_MS);
    expect((await b.admin('POST', '/reconcile')).status).toBe(200);
  });

  it('when both replicas\' periodic reconciles come due, then one of them runs per period and the other skips', async () => {
    const f = await fleet();
    const [a, b] = f.replicas;
    const hour = 3_600_000;
    const together = await Promise.all([a.deps.admin.reconcileOnSchedule(hour), b.deps.admin.reconcileOnSchedule(hour)]);
    expect(together.filter((report) => report !== null)).toHaveLength(1);
    // Later in the same period: both skip.
    f.clock.advance(hour / 2);
    expect(await a.deps.admin.reconcileOnSchedule(hour)).toBeNull();
    expect(await b.deps.admin.reconcileOnSchedule(hour)).toBeNull();
    // Next period: the first replica to tick runs it, the other skips.
    f.clock.advance(hour / 2);
    expect(await b.deps.admin.reconcileOnSchedule(hour)).not.toBeNull();
    expect(await a.deps.admin.reconcileOnSchedule(hour)).toBeNull();
    // An on-demand reconcile is not bound to the period.
    expect((await a.admin('POST', '/reconcile')).status).toBe(200);
  });
});
