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
      'applied_account', 'applied_groups', 'applied_users', 'audit_log', 'group_members', 'groups', 'locks', 'rate_budgets', 'rate_requests', 'schema_migrations', 'sync_drained', 'sync_queue', 'user_emails', 'users',
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

  it('when a schema at version 3 holds keys only lower-cased, then version 4 folds them to NFC, and of two names folding makes one, the one already folded keeps the key', async () => {
    const schema = newSchema();
    const nfd = 'Jose\u0301';
    await withClient(async (client) => {
      expect(await migrate(client, schema, migrations.slice(0, 3))).toEqual([1, 2, 3]);
      const insertUser = `INSERT INTO "${schema}".users (id, user_name, user_name_key, active, version, created, last_modified, attributes)
        VALUES ($1, $2, $3, true, 1, '${at}', '${at}', $4) RETURNING seq`;
      await client.query(insertUser, ['u1', nfd, nfd.toLowerCase(), JSON.stringify({ userName: nfd })]);
      await client.query(insertUser, ['u2', 'JOS\u00c9', 'jos\u00e9', JSON.stringify({ userName: 'JOS\u00c9' })]);
      const renee = await client.query<{ seq: string }>(insertUser, ['u3', 'Rene\u0301e', 'rene\u0301e', JSON.stringify({ userName: 'Rene\u0301e' })]);
      await client.query(`INSERT INTO "${schema}".user_emails (user_seq, email_key) VALUES ($1, $2)`, [renee.rows[0]?.seq, 'rene\u0301e@example.com']);
      await client.query(`INSERT INTO "${schema}".groups (id, display_name, display_name_key, version, created, last_modified, attributes)
        VALUES ('g1', 'Cafe\u0301', 'cafe\u0301', 1, '${at}', '${at}', '{}')`);
    });

    const store = await open(schema);
    const read = await withClient(async (client) => ({
      users: (await client.query(`SELECT id, user_name, user_name_key FROM "${schema}".users ORDER BY seq`)).rows,
      emails: (await client.query(`SELECT email_key FROM "${schema}".user_emails`)).rows.map((row) => row.email_key),
      groups: (await client.query(`SELECT display_name_key FROM "${schema}".groups`)).rows.map((row) => row.display_name_key),
    }));
    expect(read.users).toEqual([
      { id: 'u1', user_name: nfd, user_name_key: 'jose\u0301' },
      { id: 'u2', user_name: 'JOS\u00c9', user_name_key: 'jos\u00e9' },
      { id: 'u3', user_name: 'Rene\u0301e', user_name_key: 'ren\u00e9e' },
    ]);
    expect(read.emails).toEqual(['ren\u00e9e@example.com']);
    expect(read.groups).toEqual(['caf\u00e9']);
    const found = await store.findUsers({ where: { kind: 'eq', attribute: 'userName', value: 'RENÉE' }, offset: 0, limit: 10 });
    expect(found.map((user) => user.id)).toEqual(['u3']);
    const byEmail = await store.findUsers({ where: { kind: 'eq', attribute: 'emails.value', value: 'Ren\u00e9e@example.com' }, offset: 0, limit: 10 });
    expect(byEmail.map((user) => user.id)).toEqual(['u3']);
  });

  it('when a schema at version 8 holds users with display names, then version 9 folds each into its search key, and the people search finds them whatever their letters', async () => {
    const schema = newSchema();
    await withClient(async (client) => {
      expect(await migrate(client, schema, migrations.slice(0, 8))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      const insertUser = `INSERT INTO "${schema}".users (id, user_name, user_name_key, display_name, active, version, created, last_modified, attributes)
        VALUES ($1, $2, $2, $3, true, 1, '${at}', '${at}', '{}')`;
      await client.query(insertUser, ['u1', 'emile', '\u00c9mile Zola']);
      await client.query(insertUser, ['u2', 'nameless', null]);
    });

    const store = await open(schema);
    const keys = await withClient(async (client) => (await client.query(`SELECT id, display_name_key AS key FROM "${schema}".users ORDER BY seq`)).rows);
    expect(keys).toEqual([{ id: 'u1', key: '\u00e9mile zola' }, { id: 'u2', key: null }]);
    const found = await store.searchUsers({ text: '\u00c9MILE', offset: 0, limit: 10 });
    expect(found.users.map((user) => user.id)).toEqual(['u1']);
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
