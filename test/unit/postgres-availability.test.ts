// The PostgreSQL store when the database is not there: options misuse is a TypeError, and every
// connection failure (refused, wrong password, lost mid-life, statement timeout) is StoreError
// 'unavailable', fast, so SCIM answers 503 + Retry-After; the pool recovers when the server is back.
import { describe, expect, it } from 'vitest';
import { createPostgresStore } from '../../src/adapters/store/index.js';
import type { PostgresStoreOptions } from '../../src/adapters/store/index.js';
import type { ChangeContext, Store, UserWrite } from '../../src/ports/store.js';
import { StoreError } from '../../src/ports/store.js';
import { freePort } from '../../tools/free-port.js';
import { dropSchema, freshSchemaName, postgresUrl, withClient } from '../helpers/postgres-server.js';
import { cleanupsAfterEach } from '../helpers/cleanups.js';
import { startTcpRelay } from '../helpers/tcp-relay.js';

const at = '2025-01-01T00:00:00.000Z';
const change: ChangeContext = { at, requestId: null, syncDueAt: at };

function user(id: string): UserWrite {
  return { id, attributes: { userName: id }, keys: { userName: id, externalId: null, active: true, emails: [] } };
}

async function unavailable(call: Promise<unknown>): Promise<StoreError> {
  const error: unknown = await call.then(() => new Error('expected StoreError unavailable, but the call succeeded'), (rejection: unknown) => rejection);
  expect(error).toBeInstanceOf(StoreError);
  expect((error as StoreError).code).toBe('unavailable');
  expect((error as StoreError).cause).toBeDefined();
  return error as StoreError;
}

describe('PostgreSQL store availability', () => {
  const cleanups = cleanupsAfterEach();

  async function open(options: Partial<PostgresStoreOptions> = {}): Promise<{ store: Store; schema: string }> {
    const schema = freshSchemaName('availability');
    cleanups.push(() => dropSchema(schema));
    const store = await createPostgresStore({ connectionString: postgresUrl(), schema, poolSize: 2, ...options });
    cleanups.push(() => store.close());
    return { store, schema };
  }

  it('when the options are malformed, then createPostgresStore rejects with TypeError before connecting', async () => {
    const url = postgresUrl();
    const malformed: PostgresStoreOptions[] = [
      undefined as unknown as PostgresStoreOptions,
      { connectionString: '' },
      { connectionString: 'mysql://localhost/db' },
      { connectionString: url, schema: 'bad-name"; DROP TABLE users; --' },
      { connectionString: url, schema: '' },
      { connectionString: url, poolSize: 0 },
      { connectionString: url, statementTimeoutMs: 1.5 },
      { connectionString: url, idleTimeoutMs: -1 },
    ];
    for (const options of malformed) await expect(createPostgresStore(options)).rejects.toBeInstanceOf(TypeError);
  });

  it('when nothing listens at the address, then createPostgresStore rejects with unavailable within a second', async () => {
    const port = await freePort();
    const started = Date.now();
    await unavailable(createPostgresStore({ connectionString: `postgres://postgres:secret@127.0.0.1:${port}/postgres`, connectionTimeoutMs: 2000 }));
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('when the password is wrong, then createPostgresStore rejects with unavailable and the message names no password', async () => {
    const url = new URL(postgresUrl());
    url.password = 'not-the-password';
    const error = await unavailable(createPostgresStore({ connectionString: url.href }));
    expect(error.message).not.toContain('not-the-password');
  });

  it('when the server is not reachable yet at start, then createPostgresStore keeps trying within startTimeoutMs, says so each time, and opens once it is there', async () => {
    const relay = await startTcpRelay(new URL(postgresUrl()));
    cleanups.push(() => relay.close());
    await relay.cut();
    const schema = freshSchemaName('late');
    cleanups.push(() => dropSchema(schema));
    const retries: Array<{ code: string; retryInMs: number }> = [];
    const opening = createPostgresStore(
      { connectionString: relay.url, schema, poolSize: 2, connectionTimeoutMs: 1000 },
      { startTimeoutMs: 20_000, onUnreachable: (error, retryInMs) => retries.push({ code: error.code, retryInMs }) },
    );
    await new Promise((resolve) => setTimeout(resolve, 1_800));
    await relay.restore();
    const store = await opening;
    cleanups.push(() => store.close());
    await store.insertUser(user('u1'), change);
    expect((await store.getUser('u1'))?.id).toBe('u1');
    // 0.5 s, then 1 s, … between attempts: two or three failures in the 1.8 s before the server came.
    expect(retries.length).toBeGreaterThanOrEqual(2);
    expect(retries.length).toBeLessThanOrEqual(4);
    expect(retries.map((r) => r.code)).toEqual(retries.map(() => 'unavailable'));
    expect(retries.slice(0, 2).map((r) => r.retryInMs)).toEqual([500, 1000]);
  });

  it('when the server stays unreachable, then createPostgresStore gives up at startTimeoutMs and says how long it tried', async () => {
    const port = await freePort();
    const retries: number[] = [];
    const started = Date.now();
    const error = await unavailable(
      createPostgresStore({ connectionString: `postgres://postgres:secret@127.0.0.1:${port}/postgres` }, { startTimeoutMs: 1_200, onUnreachable: (_error, retryInMs) => retries.push(retryInMs) }),
    );
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(1_150);
    expect(elapsed).toBeLessThan(3_000);
    // 0.5 s, then what is left of the 1.2 s (about 0.7 s), then the last attempt.
    expect(retries).toHaveLength(2);
    expect(retries[0]).toBe(500);
    expect(retries[1]).toBeGreaterThan(600);
    expect(retries[1]).toBeLessThanOrEqual(700);
    expect(error.message).toMatch(/still unreachable after 1 s\)$/);
    expect(error.message).not.toContain('secret');
  });

  it('when a reachable server refuses the bridge (a wrong password), then createPostgresStore fails at once, whatever startTimeoutMs allows', async () => {
    const url = new URL(postgresUrl());
    url.password = 'not-the-password';
    let retried = false;
    const started = Date.now();
    await unavailable(createPostgresStore({ connectionString: url.href }, { startTimeoutMs: 60_000, onUnreachable: () => (retried = true) }));
    expect(retried).toBe(false);
    expect(Date.now() - started).toBeLessThan(2_000);
    await expect(createPostgresStore({ connectionString: postgresUrl() }, { startTimeoutMs: -1 })).rejects.toBeInstanceOf(TypeError);
  });

  it('when the server goes away after the store opened, then reads, writes and queue calls reject with unavailable quickly, and succeed again once it is back', async () => {
    const relay = await startTcpRelay(new URL(postgresUrl()));
    cleanups.push(() => relay.close());
    const schema = freshSchemaName('outage');
    cleanups.push(() => dropSchema(schema));
    const store = await createPostgresStore({ connectionString: relay.url, schema, poolSize: 2, connectionTimeoutMs: 1000 });
    cleanups.push(() => store.close());
    await store.insertUser(user('u1'), change);

    await relay.cut();
    const started = Date.now();
    await unavailable(store.ping());
    await unavailable(store.getUser('u1'));
    await unavailable(store.insertUser(user('u2'), change));
    await unavailable(store.leaseSyncWork({ now: at, limit: 10, leaseUntil: at, owner: 'w1' }));
    await unavailable(store.appendAudit([{ at, requestId: null, resourceType: 'User', resourceId: 'u1', operation: 'createUser', target: 'u1', outcome: 'applied', detail: null }]));
    expect(Date.now() - started).toBeLessThan(2000);

    await relay.restore();
    await store.ping();
    expect((await store.getUser('u1'))?.version).toBe(1);
    await store.insertUser(user('u2'), change);
    expect(await store.countUsers(null)).toBe(2);
  });

  it('when a statement waits longer than the statement timeout, then it rejects with unavailable and the store stays usable', async () => {
    const { store, schema } = await open({ statementTimeoutMs: 300 });
    await store.insertGroup({ id: 'g1', attributes: { displayName: 'Admins' }, keys: { displayName: 'Admins', externalId: null } }, [], change);
    await withClient(async (client) => {
      await client.query('BEGIN');
      await client.query(`SELECT 1 FROM "${schema}".groups WHERE id = 'g1' FOR UPDATE`);
      const started = Date.now();
      await unavailable(store.updateGroup({ id: 'g1' }, change));
      expect(Date.now() - started).toBeLessThan(3000);
      await client.query('ROLLBACK');
    });
    expect((await store.updateGroup({ id: 'g1' }, change)).version).toBe(2);
  });

  it('when the store is closed, then closing again is harmless and calls reject with unavailable', async () => {
    const { store } = await open();
    await store.close();
    await store.close();
    await expect(store.ping()).rejects.toMatchObject({ code: 'unavailable' });
    await expect(store.getUser('u1')).rejects.toMatchObject({ code: 'unavailable' });
  });
});
