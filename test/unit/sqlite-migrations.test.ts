// SQLite-only behaviour of the store: versioned migrations recorded once, WAL mode, refusal of a
// database newer than the code, all-or-nothing application of pending migrations, the upgrade of a
// released schema and of the rows it holds, and the index the sync worker's lease query relies on.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../../src/adapters/store/index.js';
import type { Migration } from '../../src/adapters/store/sqlite/migrations.js';
import { latestSchemaVersion, migrate, migrations } from '../../src/adapters/store/sqlite/migrations.js';
import { leaseCandidatesSql } from '../../src/adapters/store/sqlite/sqlite-sync-queue.js';
import type { ChangeContext } from '../../src/ports/store.js';
import { StoreError } from '../../src/ports/store.js';

const at = '2025-01-01T00:00:00.000Z';
const change: ChangeContext = { at, requestId: null, syncDueAt: at };

/** SHA-256 of each released migration's SQL: a released migration may already be applied on users' files. */
const releasedMigrationHashes: Readonly<Record<number, string>> = {
  1: '729ddb0849b96493ea436c813ffa07750d25d9d169722048839f0c08a5a6feeb',
};

interface MigrationRow {
  readonly version: number;
  readonly name: string;
  readonly applied_at: string;
}

describe('SQLite store migrations', () => {
  let dir: string;
  let file: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(os.tmpdir() + '/scim-store-');
    file = path.join(dir, 'nested', 'deeper', 'store.db');
  });

  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function readMigrations(): MigrationRow[] {
    const db = new Database(file, { readonly: true });
    try {
      return db.prepare<[], MigrationRow>('SELECT version, name, applied_at FROM schema_migrations ORDER BY version').all();
    } finally {
      db.close();
    }
  }

  function tableNames(db: Database.Database): string[] {
    return db.prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
  }

  it('when the known migrations are listed, then their versions run 1, 2, … without gaps', () => {
    expect(migrations.map((migration) => migration.version)).toEqual(migrations.map((_migration, index) => index + 1));
    expect(latestSchemaVersion()).toBe(migrations.length);
  });

  it('when a store opens a new file in a missing directory, then the directory is created and every migration is recorded once', async () => {
    const store = createSqliteStore({ file });
    await store.ping();
    await store.close();
    expect(fs.existsSync(file)).toBe(true);
    const rows = readMigrations();
    expect(rows.map((row) => [row.version, row.name])).toEqual(migrations.map((migration) => [migration.version, migration.name]));
    expect(rows.every((row) => !Number.isNaN(Date.parse(row.applied_at)))).toBe(true);
  });

  it('when the store is reopened, then no migration is applied twice and the data is intact', async () => {
    const first = createSqliteStore({ file });
    await first.insertUser({ id: 'u1', attributes: { userName: 'alice' }, keys: { userName: 'alice', externalId: null, active: true, emails: [] } }, change);
    await first.close();
    const recorded = readMigrations();

    const second = createSqliteStore({ file });
    expect((await second.getUser('u1'))?.attributes).toEqual({ userName: 'alice' });
    await second.close();
    expect(readMigrations()).toEqual(recorded);
  });

  it('when a released migration is hashed, then its SQL is exactly what was released', () => {
    for (const [version, hash] of Object.entries(releasedMigrationHashes)) {
      const migration = migrations.find((candidate) => candidate.version === Number(version));
      expect(crypto.createHash('sha256').update(migration?.sql ?? '').digest('hex')).toBe(hash);
    }
  });

  it('when a database at schema version 1 is opened, then version 2 is applied and its users, groups and memberships are intact', async () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const old = new Database(file);
    expect(migrate(old, migrations.slice(0, 1), () => at)).toEqual([1]);
    old.exec(`
      INSERT INTO users (seq, id, user_name, user_name_key, display_name, external_id, active, version, created, last_modified, attributes)
        VALUES (1, 'u1', 'Alice', 'alice', NULL, NULL, 1, 1, '${at}', '${at}', '{"userName":"Alice"}');
      INSERT INTO groups (seq, id, display_name, display_name_key, external_id, version, created, last_modified, attributes)
        VALUES (1, 'g1', 'Admins', 'admins', NULL, 1, '${at}', '${at}', '{"displayName":"Admins"}');
      INSERT INTO group_members (group_seq, user_seq, position) VALUES (1, 1, 1);
    `);
    old.close();

    const store = createSqliteStore({ file });
    try {
      expect(readMigrations().map((row) => row.version)).toEqual(migrations.map((migration) => migration.version));
      expect((await store.getUser('u1'))?.attributes).toEqual({ userName: 'Alice' });
      expect(await store.membersOfGroups(['g1'])).toEqual(new Map([['g1', [{ value: 'u1', display: 'Alice' }]]]));
      expect(await store.syncQueueStats({ failedLimit: 1 })).toEqual({ depth: 0, oldestEnqueuedAt: null, failedCount: 0, failed: [], retryingCount: 0, retrying: [] });
      await store.updateGroup({ id: 'g1', members: { kind: 'delta', add: [], remove: ['u1'] } }, change);
      const leased = await store.leaseSyncWork({ now: at, limit: 10, leaseUntil: at, owner: 'w' });
      expect(leased.map((item) => `${item.resourceType}:${item.resourceId}`)).toEqual(['User:u1']);
    } finally {
      await store.close();
    }
  });

  it('when a database at schema version 3 holds keys only lower-cased, then version 4 folds them to NFC, and of two names folding makes one, the one already folded keeps the key', async () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const old = new Database(file);
    expect(migrate(old, migrations.slice(0, 3), () => at)).toEqual([1, 2, 3]);
    const nfd = 'Jose\u0301';
    const insertUser = old.prepare('INSERT INTO users (seq, id, user_name, user_name_key, display_name, external_id, active, version, created, last_modified, attributes) VALUES (?, ?, ?, ?, NULL, NULL, 1, 1, ?, ?, ?)');
    insertUser.run(1, 'u1', nfd, nfd.toLowerCase(), at, at, JSON.stringify({ userName: nfd }));
    insertUser.run(2, 'u2', 'JOS\u00c9', 'jos\u00e9', at, at, JSON.stringify({ userName: 'JOS\u00c9' }));
    insertUser.run(3, 'u3', 'Ren\u0065\u0301e', 'ren\u0065\u0301e', at, at, JSON.stringify({ userName: 'Ren\u0065\u0301e' }));
    old.prepare('INSERT INTO user_emails (user_seq, email_key) VALUES (?, ?)').run(3, 'ren\u0065\u0301e@example.com');
    old.prepare('INSERT INTO groups (seq, id, display_name, display_name_key, external_id, version, created, last_modified, attributes) VALUES (1, ?, ?, ?, NULL, 1, ?, ?, ?)')
      .run('g1', 'Caf\u0065\u0301', 'caf\u0065\u0301', at, at, JSON.stringify({ displayName: 'Caf\u0065\u0301' }));
    old.close();

    const store = createSqliteStore({ file });
    try {
      const db = new Database(file, { readonly: true });
      const keys = db.prepare<[], { id: string; user_name: string; user_name_key: string }>('SELECT id, user_name, user_name_key FROM users ORDER BY seq').all();
      const emails = db.prepare<[], string>('SELECT email_key FROM user_emails').pluck().all();
      const groups = db.prepare<[], string>('SELECT display_name_key FROM groups').pluck().all();
      db.close();
      // u2 already has the folded key of u1's name and keeps it; u1 keeps its old key (reachable by id); names stay as sent.
      expect(keys).toEqual([
        { id: 'u1', user_name: nfd, user_name_key: 'jose\u0301' },
        { id: 'u2', user_name: 'JOS\u00c9', user_name_key: 'jos\u00e9' },
        { id: 'u3', user_name: 'Ren\u0065\u0301e', user_name_key: 'ren\u00e9e' },
      ]);
      expect(emails).toEqual(['ren\u00e9e@example.com']);
      expect(groups).toEqual(['caf\u00e9']);
      const found = await store.findUsers({ where: { kind: 'eq', attribute: 'userName', value: 'RENÉE' }, offset: 0, limit: 10 });
      expect(found.map((user) => user.id)).toEqual(['u3']);
      const byEmail = await store.findUsers({ where: { kind: 'eq', attribute: 'emails.value', value: 'Ren\u00e9e@example.com' }, offset: 0, limit: 10 });
      expect(byEmail.map((user) => user.id)).toEqual(['u3']);
    } finally {
      await store.close();
    }
  });

  it('when a database at schema version 8 holds users with display names, then version 9 folds each into its search key, and the people search finds them whatever their letters', async () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const old = new Database(file);
    expect(migrate(old, migrations.slice(0, 8), () => at)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const insertUser = old.prepare('INSERT INTO users (id, user_name, user_name_key, display_name, active, version, created, last_modified, attributes) VALUES (?, ?, ?, ?, 1, 1, ?, ?, ?)');
    insertUser.run('u1', 'emile', 'emile', '\u00c9mile Zola', at, at, '{}');
    insertUser.run('u2', 'nameless', 'nameless', null, at, at, '{}');
    old.close();

    const store = createSqliteStore({ file });
    try {
      const db = new Database(file, { readonly: true });
      const keys = db.prepare<[], { id: string; key: string | null }>('SELECT id, display_name_key AS key FROM users ORDER BY seq').all();
      db.close();
      expect(keys).toEqual([{ id: 'u1', key: '\u00e9mile zola' }, { id: 'u2', key: null }]);
      const found = await store.searchUsers({ text: '\u00c9MILE', offset: 0, limit: 10 });
      expect(found.users.map((user) => user.id)).toEqual(['u1']);
    } finally {
      await store.close();
    }
  });

  it('when a database of the first release is opened, then its applied bindings (bare policy UUIDs) read as unmarked bindings and no account is recorded', async () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const old = new Database(file);
    expect(migrate(old, migrations.slice(0, 3), () => at)).toEqual([1, 2, 3]);
    old.exec(`
      INSERT INTO applied_groups (group_id, uuid, name, provenance, bindings)
        VALUES ('g1', 'uuid-1', 'Ops', 'created', '{"account":["p-1"],"environment:abc12345":["p-2","p-3"]}');
    `);
    old.close();

    const store = createSqliteStore({ file });
    try {
      const unmarked = (policyUuid: string) => ({ policyUuid, boundaries: [], parameters: {}, unmarked: true });
      expect((await store.getAppliedGroups(['g1'])).get('g1')?.bindings).toEqual({ 'account': [unmarked('p-1')], 'environment:abc12345': [unmarked('p-2'), unmarked('p-3')] });
      expect(await store.getAppliedAccount()).toBeNull();
    } finally {
      await store.close();
    }
  });

  it('when the lease query is planned, then it searches the sync_queue_lease index in order, without a sort', () => {
    const db = new Database(':memory:');
    try {
      migrate(db);
      const plan = db.prepare<[string, string, number], { detail: string }>(`EXPLAIN QUERY PLAN ${leaseCandidatesSql}`)
        .all(at, at, 10)
        .map((row) => row.detail);
      expect(plan).toHaveLength(1);
      expect(plan[0]).toMatch(/^SEARCH sync_queue USING (COVERING )?INDEX sync_queue_lease \(failed_at=\? AND due_at<\?\)$/);
    } finally {
      db.close();
    }
  });

  it('when migrate runs on an up-to-date database, then it applies nothing', () => {
    const db = new Database(':memory:');
    try {
      expect(migrate(db)).toEqual(migrations.map((migration) => migration.version));
      expect(migrate(db)).toEqual([]);
    } finally {
      db.close();
    }
  });

  it('when the store is open, then the file is in WAL journal mode', async () => {
    const store = createSqliteStore({ file });
    const db = new Database(file);
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      db.close();
      await store.close();
    }
  });

  it('when the database claims a newer schema version than the code knows, then opening throws unavailable and leaves it untouched', async () => {
    const store = createSqliteStore({ file });
    await store.close();
    const db = new Database(file);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
      .run(latestSchemaVersion() + 1, 'from-the-future', '2030-01-01T00:00:00.000Z');
    db.close();

    let thrown: unknown;
    try {
      createSqliteStore({ file });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(StoreError);
    expect((thrown as StoreError).code).toBe('unavailable');
    expect(readMigrations().map((row) => row.version)).toEqual([...migrations.map((migration) => migration.version), latestSchemaVersion() + 1]);
  });

  it('when a pending migration fails, then none of the pending migrations is applied or recorded', () => {
    const list: Migration[] = [
      { version: 1, name: 'good', sql: 'CREATE TABLE first_table (x INTEGER)' },
      { version: 2, name: 'broken', sql: 'CREATE TABLE second_table (x INTEGER); THIS IS NOT SQL' },
    ];
    const db = new Database(':memory:');
    try {
      expect(() => migrate(db, list)).toThrow();
      expect(tableNames(db)).not.toContain('first_table');
      expect(tableNames(db)).not.toContain('second_table');
      const recorded = tableNames(db).includes('schema_migrations')
        ? db.prepare<[], number>('SELECT COUNT(*) FROM schema_migrations').pluck().get()
        : 0;
      expect(recorded).toBe(0);
    } finally {
      db.close();
    }
  });

  it('when the migration list skips a version, then migrate rejects it with TypeError before touching the database', () => {
    const db = new Database(':memory:');
    try {
      expect(() => migrate(db, [{ version: 2, name: 'gap', sql: 'CREATE TABLE t (x INTEGER)' }])).toThrow(TypeError);
      expect(tableNames(db)).toEqual([]);
    } finally {
      db.close();
    }
  });

  it('when the file cannot be opened, then createSqliteStore throws unavailable', () => {
    const blocker = path.join(dir, 'a-file');
    fs.writeFileSync(blocker, 'not a directory');
    let thrown: unknown;
    try {
      createSqliteStore({ file: path.join(blocker, 'store.db') });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(StoreError);
    expect((thrown as StoreError).code).toBe('unavailable');
  });

  it('when options carry no file, then createSqliteStore throws TypeError', () => {
    expect(() => createSqliteStore({ file: '' })).toThrow(TypeError);
  });
});
