// The PostgreSQL store's hot paths at scale: a userName lookup among 50,000 users and a one-member
// add/remove on a 50,000-member group are answered from indexes (no sequential scan of users, groups,
// memberships or the queue) and stay fast. Timings are printed and bounded loosely, not benchmarked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresStore } from '../../src/adapters/store/index.js';
import type { ChangeContext, Store } from '../../src/ports/store.js';
import { dropSchema, freshSchemaName, postgresUrl, withClient } from '../helpers/postgres-server.js';

const size = 50_000;
/** Other groups beside the big one, so no table is small enough for a scan to be the better plan. */
const groupCount = 5000;
const at = '2025-01-01T00:00:00.000Z';
const change: ChangeContext = { at, requestId: null, syncDueAt: at };
const tables = ['users', 'user_emails', 'groups', 'group_members', 'sync_queue'];

function median(samples: readonly number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function timed(runs: number, work: (run: number) => Promise<unknown>): Promise<number> {
  const samples: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    const started = performance.now();
    await work(run);
    samples.push(performance.now() - started);
  }
  return median(samples);
}

describe('PostgreSQL store hot paths with 50,000 users in one group (of 5,000)', () => {
  const schema = freshSchemaName('hot');
  let store: Store;
  let groupInsertMs = 0;

  /** The store's connections carry the schema as application_name, so the test can wait for them to end. */
  const connectionString = (): string => `${postgresUrl()}?application_name=${schema}`;

  /** Sequential scans per table so far, once the store's closed connections have ended (and flushed their statistics). */
  async function sequentialScans(): Promise<Record<string, number>> {
    return withClient(async (client) => {
      for (let waited = 0; waited < 100; waited += 1) {
        const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1', [schema]);
        if (Number(rows[0]?.n) === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await client.query('SELECT pg_stat_clear_snapshot()');
      const { rows } = await client.query<{ relname: string; seq_scan: string }>(
        'SELECT relname, seq_scan FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = ANY($2)', [schema, tables],
      );
      return Object.fromEntries(rows.map((row) => [row.relname, Number(row.seq_scan)]));
    });
  }

  beforeAll(async () => {
    store = await createPostgresStore({ connectionString: connectionString(), schema, poolSize: 2 });
    // 50,000 users as the engine writes them (ASCII ids and names need no escaping), then statistics.
    await withClient(async (client) => {
      await client.query(
        `INSERT INTO "${schema}".users (id, user_name, user_name_key, display_name, external_id, active, version, created, last_modified, attributes)
         SELECT 'u' || n, 'User' || n || '@Example.com', 'user' || n || '@example.com', NULL, 'ext-' || n, true, 1, $1, $1,
           json_build_object('userName', 'User' || n || '@Example.com')::text
         FROM generate_series(1, ${size}) AS n`,
        [at],
      );
      await client.query(`INSERT INTO "${schema}".user_emails (user_seq, email_key) SELECT seq, user_name_key FROM "${schema}".users`);
      await client.query(
        `INSERT INTO "${schema}".groups (id, display_name, display_name_key, external_id, version, created, last_modified, attributes)
         SELECT 'g' || n, 'Group ' || n, 'group ' || n, NULL, 1, $1, $1, json_build_object('displayName', 'Group ' || n)::text
         FROM generate_series(1, ${groupCount}) AS n`,
        [at],
      );
    });
    await store.insertUser({ id: 'newcomer', attributes: { userName: 'newcomer' }, keys: { userName: 'newcomer', externalId: null, active: true, emails: [] } }, change);
    const started = performance.now();
    await store.insertGroup(
      { id: 'everyone', attributes: { displayName: 'Everyone' }, keys: { displayName: 'Everyone', externalId: null } },
      Array.from({ length: size }, (_unused, index) => `u${index + 1}`),
      change,
    );
    groupInsertMs = performance.now() - started;
    await withClient((client) => client.query(`ANALYZE "${schema}".users, "${schema}".user_emails, "${schema}".groups, "${schema}".group_members, "${schema}".sync_queue`));
  }, 120_000);

  afterAll(async () => {
    await store.close();
    await dropSchema(schema);
  });

  it('when users are looked up, one member is added to and removed from the big group and queued work is leased, then no table is scanned and each call is fast', async () => {
    // Warm up (prepares the named statements on the pooled connections).
    await store.findUsers({ where: { kind: 'eq', attribute: 'userName', value: 'USER1@example.com' }, offset: 0, limit: 1 });
    await store.updateGroup({ id: 'everyone', members: { kind: 'delta', add: ['newcomer'], remove: [] } }, change);
    await store.updateGroup({ id: 'everyone', members: { kind: 'delta', add: [], remove: ['newcomer'] } }, change);
    await store.close();
    const before = await sequentialScans();
    store = await createPostgresStore({ connectionString: connectionString(), schema, poolSize: 2 });

    const lookupMs = await timed(200, async (run) => {
      const found = await store.findUsers({ where: { kind: 'eq', attribute: 'userName', value: `USER${run * 97 + 1}@example.COM` }, offset: 0, limit: 2 });
      expect(found.map((user) => user.id)).toEqual([`u${run * 97 + 1}`]);
      await store.groupsOfUsers([`u${run * 97 + 1}`]);
    });
    const emailMs = await timed(100, (run) => store.countUsers({ kind: 'eq', attribute: 'emails.value', value: `user${run * 31 + 7}@EXAMPLE.com` }));
    const addMs = await timed(50, (run) => store.updateGroup(
      { id: 'everyone', members: run % 2 === 0 ? { kind: 'delta', add: ['newcomer'], remove: [] } : { kind: 'delta', add: [], remove: ['newcomer'] } },
      change,
    ));
    const removeExistingMs = await timed(20, (run) => store.updateGroup(
      { id: 'everyone', members: { kind: 'delta', add: [], remove: [`u${run + 100}`] } },
      change,
    ));
    const isMemberMs = await timed(50, (run) => store.findGroups({ where: { kind: 'eq', attribute: 'members.value', value: `u${run + 1000}` }, offset: 0, limit: 10 }));
    // The queue holds the 50,000 members insertGroup enqueued: lease 10 of them and complete them.
    const leaseMs = await timed(20, async () => {
      const items = await store.leaseSyncWork({ now: at, limit: 10, leaseUntil: '2100-01-01T00:00:00.000Z', owner: 'worker' });
      expect(items).toHaveLength(10);
      for (const item of items) await store.completeSyncWork(item, 'worker');
    });
    await store.close();
    const after = await sequentialScans();
    store = await createPostgresStore({ connectionString: connectionString(), schema, poolSize: 2 });

    console.info(
      `[postgres hot paths, ${size} users] insertGroup with ${size} members: ${groupInsertMs.toFixed(0)} ms; median: ` +
        `userName lookup + groups ${lookupMs.toFixed(2)} ms, email count ${emailMs.toFixed(2)} ms, ` +
        `one-member add/remove ${addMs.toFixed(2)} ms, remove existing member ${removeExistingMs.toFixed(2)} ms, ` +
        `members.value filter ${isMemberMs.toFixed(2)} ms, lease + complete 10 of ${size} queued ${leaseMs.toFixed(2)} ms`,
    );
    for (const table of tables) expect({ table, scans: (after[table] ?? 0) - (before[table] ?? 0) }).toEqual({ table, scans: 0 });
    expect((await store.membersOfGroups(['everyone'])).get('everyone')?.length).toBe(size - 20);
    for (const ms of [lookupMs, emailMs, addMs, removeExistingMs, isMemberMs, leaseMs]) expect(ms).toBeLessThan(50);
  }, 120_000);
});
