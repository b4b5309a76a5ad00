// PostgreSQL-only behaviour of the store's schema: versioned migrations recorded once per schema,
// replicas starting together on a fresh schema (the advisory lock: each migration applied once),
// refusal of a schema newer than the code, all-or-nothing application, and parity with SQLite's versions.
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createPostgresStore } from '../../src/adapters/store/index.js';
import type { Migration } from '../../src/adapters/store/postgres/migrations.js';
import { latestSchemaVersion, migrate, migrations } from '../../src/adapters/store/postgres/migrations.js';
import { migrations as sqliteMigrations } from '../../src/adapters/store/sqlite/migrations.js';
import type { ChangeContext, Store } from '../../src/ports/store.js';
import { StoreError } from '../../src/ports/store.js';
import { dropSchema, freshSchemaName, postgresUrl, withClient } from '../helpers/postgres-server.js';

const at = '2025-01-01T00:00:00.000Z';
const change: ChangeContext = { at, requestId: null, syncDueAt: at };

interface MigrationRow {
  readonly version: number;
  readonly name: string;
  readonly applied_at: string;
}

describe('PostgreSQL store migrations', () => {
  const schemas: string[] = [];
  const stores: Store[] = [];

  function newSchema(): string {
    const schema = freshSchemaName('migrations');
    schemas.push(schema);
    return schema;
  }

  async function open(schema: string): Promise<Store> {
    const store = await createPostgresStore({ connectionString: postgresUrl(), schema, poolSize: 2 });
    stores.push(store);
    return store;
  }

  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    for (const schema of schemas.splice(0)) await dropSchema(schema);
  });

  async function readMigrations(schema: string): Promise<MigrationRow[]> {
    return withClient(async (client) => (await client.query<MigrationRow>(
      `SELECT version, name, applied_at FROM "${schema}".schema_migrations ORDER BY version`,
    )).rows);
  }

  async function tableNames(schema: string): Promise<string[]> {
    return withClient(async (client) => (await client.query<{ table_name: string }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name', [schema],
    )).rows.map((row) => row.table_name));
  }

  async function expectUnavailable(call: Promise<unknown>): Promise<StoreError> {
    const error: unknown = await call.then(() => new Error('expected StoreError unavailable, but the call succeeded'), (rejection: unknown) => rejection);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe('unavailable');
    return error as StoreError;
  }

  it('when the known migrations are listed, then their versions run 1, 2, … and match the SQLite engine\'s versions and names', () => {
    expect(migrations.map((migration) => migration.version)).toEqual(migrations.map((_migration, index) => index + 1));
    expect(latestSchemaVersion()).toBe(migrations.length);
    expect(migrations.map((migration) => [migration.version, migration.name]))
      .toEqual(sqliteMigrations.map((migration) => [migration.version, migration.name]));
  });

  it('when a store opens a schema that does not exist, then the schema is created and every migration is recorded once', async () => {
    const schema = newSchema();
    const store = await open(schema);
    await store.ping();
    const rows = await readMigrations(schema);
    expect(rows.map((row) => [row.version, row.name])).toEqual(migrations.map((migration) => [migration.version, migration.name]));
    expect(rows.every((row) => !Number.isNaN(Date.parse(row.applied_at)))).toBe(true);
    expect(await tableNames(schema)).toEqual([
      'applied_account', 'applied_groups', 'applied_users', 'audit_log', 'group_members', 'groups', 'locks', 'schema_migrations', 'sync_queue', 'user_emails', 'users',
    ]);
  });

  it('when the store is reopened, then no migration is applied twice and the data is intact', async () => {
    const schema = newSchema();
    const first = await open(schema);
    await first.insertUser({ id: 'u1', attributes: { userName: 'alice' }, keys: { userName: 'alice', externalId: null, active: true, emails: [] } }, change);
    await first.close();
    const recorded = await readMigrations(schema);

    const second = await open(schema);
    expect((await second.getUser('u1'))?.attributes).toEqual({ userName: 'alice' });
    expect(await readMigrations(schema)).toEqual(recorded);
  });

  it('when migrate runs on an up-to-date schema, then it applies nothing', async () => {
    const schema = newSchema();
    await withClient(async (client) => {
      expect(await migrate(client, schema)).toEqual(migrations.map((migration) => migration.version));
      expect(await migrate(client, schema)).toEqual([]);
    });
  });

  it('when several replicas start together on a fresh schema, then each migration is applied exactly once and every replica works', async () => {
    const schema = newSchema();
    const replicas = await Promise.all(Array.from({ length: 6 }, () => open(schema)));
    expect((await readMigrations(schema)).map((row) => row.version)).toEqual(migrations.map((migration) => migration.version));
    await replicas[0]?.insertUser({ id: 'u1', attributes: { userName: 'alice' }, keys: { userName: 'alice', externalId: null, active: true, emails: [] } }, change);
    for (const replica of replicas) expect((await replica.getUser('u1'))?.version).toBe(1);
  });

  it('when migrate runs on several connections at once, then exactly one of them applies the migrations and the others wait and apply nothing', async () => {
    const schema = newSchema();
    const clients = Array.from({ length: 5 }, () => new pg.Client({ connectionString: postgresUrl() }));
    try {
      await Promise.all(clients.map((client) => client.connect()));
      const applied = await Promise.all(clients.map((client) => migrate(client, schema)));
      const versions = migrations.map((migration) => migration.version);
      expect(applied.filter((list) => list.length > 0)).toEqual([versions]);
      expect(applied.filter((list) => list.length === 0)).toHaveLength(clients.length - 1);
    } finally {
      await Promise.all(clients.map((client) => client.end()));
    }
  });

  it('when the schema claims a newer version than the code knows, then opening rejects with unavailable and leaves it untouched', async () => {
    const schema = newSchema();
    await (await open(schema)).close();
    await withClient((client) => client.query(
      `INSERT INTO "${schema}".schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
      [latestSchemaVersion() + 1, 'from-the-future', '2030-01-01T00:00:00.000Z'],
    ));
    const error = await expectUnavailable(createPostgresStore({ connectionString: postgresUrl(), schema }));
    expect(error.message).toContain(`version ${latestSchemaVersion() + 1}`);
    expect((await readMigrations(schema)).map((row) => row.version))
      .toEqual([...migrations.map((migration) => migration.version), latestSchemaVersion() + 1]);
  });

  it('when a pending migration fails, then none of the pending migrations is applied or recorded, and migrate rejects with unavailable', async () => {
    const schema = newSchema();
    const list: Migration[] = [
      { version: 1, name: 'good', sql: (s) => `CREATE TABLE ${s}.first_table (x integer)` },
      { version: 2, name: 'broken', sql: (s) => `CREATE TABLE ${s}.second_table (x integer); THIS IS NOT SQL` },
    ];
    await withClient(async (client) => {
      await expectUnavailable(migrate(client, schema, list));
      await expect(migrate(client, schema, list.slice(0, 1))).resolves.toEqual([1]);
    });
    expect(await tableNames(schema)).toEqual(['first_table', 'schema_migrations']);
    expect((await readMigrations(schema)).map((row) => row.name)).toEqual(['good']);
  });

  it('when the migration list skips a version, then migrate rejects it with TypeError before touching the database', async () => {
    const schema = newSchema();
    await withClient(async (client) => {
      await expect(migrate(client, schema, [{ version: 2, name: 'gap', sql: (s) => `CREATE TABLE ${s}.t (x integer)` }]))
        .rejects.toBeInstanceOf(TypeError);
    });
    expect(await tableNames(schema)).toEqual([]);
  });
});
