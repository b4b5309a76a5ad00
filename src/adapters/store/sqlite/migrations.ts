// Versioned schema migrations of the SQLite store, recorded in `schema_migrations` and applied at
// open inside one transaction. Append new migrations; never edit or renumber a released one.
import type Database from 'better-sqlite3';
import { StoreError } from '../../../ports/store.js';
import { foldCase } from '../../../ports/case-fold.js';
import { refoldedKeys, refoldedUniqueKeys, type KeyRow } from '../refolded-keys.js';

export interface Migration {
  /** Strictly increasing from 1. */
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  /** Rewrites stored rows after `sql`, in the same transaction. */
  readonly rewrite?: (db: Database.Database) => void;
}

/**
 * Case-insensitive `*_key` columns are folded in JS (ports/case-fold.ts). `seq` is the stable order
 * (creation order). `users.display_name` is the User's displayName when a non-empty string, for
 * member `display` resolution at query time.
 */
export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'users-groups-memberships',
    sql: `
      CREATE TABLE users (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        user_name TEXT NOT NULL,
        user_name_key TEXT NOT NULL UNIQUE,
        display_name TEXT,
        external_id TEXT,
        active INTEGER NOT NULL CHECK (active IN (0, 1)),
        version INTEGER NOT NULL,
        created TEXT NOT NULL,
        last_modified TEXT NOT NULL,
        attributes TEXT NOT NULL
      );
      CREATE INDEX users_external_id ON users (external_id);
      CREATE INDEX users_active ON users (active);

      CREATE TABLE user_emails (
        user_seq INTEGER NOT NULL REFERENCES users (seq) ON DELETE CASCADE,
        email_key TEXT NOT NULL,
        PRIMARY KEY (user_seq, email_key)
      );
      CREATE INDEX user_emails_email_key ON user_emails (email_key);

      CREATE TABLE groups (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        display_name TEXT NOT NULL,
        display_name_key TEXT NOT NULL UNIQUE,
        external_id TEXT,
        version INTEGER NOT NULL,
        created TEXT NOT NULL,
        last_modified TEXT NOT NULL,
        attributes TEXT NOT NULL
      );
      CREATE INDEX groups_external_id ON groups (external_id);

      CREATE TABLE group_members (
        group_seq INTEGER NOT NULL REFERENCES groups (seq) ON DELETE CASCADE,
        user_seq INTEGER NOT NULL REFERENCES users (seq) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        PRIMARY KEY (group_seq, user_seq)
      );
      CREATE INDEX group_members_user_seq ON group_members (user_seq);
      CREATE UNIQUE INDEX group_members_position ON group_members (group_seq, position);
    `,
  },
  {
    version: 2,
    name: 'sync-queue-applied-state-audit-log',
    /*
     * sync_queue: one row per SCIM resource with Dynatrace work pending (failed_at IS NULL) or failed.
     * A lease is lease_owner + lease_until (both NULL when free). Times are toISOString() text, so
     * text order is time order. sync_queue_lease serves the lease query (pending rows by due_at,
     * first_enqueued_at, seq, lease checked from the index) and the failed list (failed_at range).
     * applied_*: JSON text columns for group_uuids, davis and bindings; seq is the listing order.
     * audit_log: AUTOINCREMENT so a seq is never reused, even if old entries are pruned.
     */
    sql: `
      CREATE TABLE sync_queue (
        seq INTEGER PRIMARY KEY,
        resource_type TEXT NOT NULL CHECK (resource_type IN ('User', 'Group')),
        resource_id TEXT NOT NULL,
        generation INTEGER NOT NULL,
        attempts INTEGER NOT NULL,
        first_enqueued_at TEXT NOT NULL,
        due_at TEXT NOT NULL,
        request_id TEXT,
        last_error TEXT,
        failed_reason TEXT,
        failed_at TEXT,
        lease_owner TEXT,
        lease_until TEXT,
        UNIQUE (resource_type, resource_id)
      );
      CREATE INDEX sync_queue_lease ON sync_queue (failed_at, due_at, first_enqueued_at, seq, lease_until);
      CREATE INDEX sync_queue_lease_owner ON sync_queue (lease_owner);

      CREATE TABLE applied_users (
        seq INTEGER PRIMARY KEY,
        user_id TEXT NOT NULL UNIQUE,
        email TEXT NOT NULL,
        uid TEXT,
        provenance TEXT NOT NULL CHECK (provenance IN ('created', 'adopted')),
        group_uuids TEXT NOT NULL,
        davis TEXT
      );

      CREATE TABLE applied_groups (
        seq INTEGER PRIMARY KEY,
        group_id TEXT NOT NULL UNIQUE,
        uuid TEXT NOT NULL,
        name TEXT NOT NULL,
        provenance TEXT NOT NULL CHECK (provenance IN ('created', 'adopted')),
        bindings TEXT NOT NULL
      );

      CREATE TABLE audit_log (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        request_id TEXT,
        resource_type TEXT NOT NULL CHECK (resource_type IN ('User', 'Group')),
        resource_id TEXT NOT NULL,
        operation TEXT NOT NULL,
        target TEXT NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('applied', 'dry-run', 'failed', 'skipped')),
        detail TEXT
      );
    `,
  },
  {
    version: 3,
    name: 'locks',
    /*
     * locks: named locks with an expiry (ports/store.ts LockStore), one row per held name; a row whose
     * `until` has passed is free for the next owner. Times are toISOString() text.
     */
    sql: `
      CREATE TABLE locks (
        name TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        until TEXT NOT NULL
      );
    `,
  },
  {
    version: 4,
    name: 'unicode-folded-keys',
    sql: '',
    rewrite: refoldKeys,
  },
  {
    version: 5,
    name: 'applied-account',
    /*
     * applied_account: the one Dynatrace account (API URL and account UUID, or the sandbox) the
     * applied_* rows describe; at most one row.
     */
    sql: `
      CREATE TABLE applied_account (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        account TEXT NOT NULL
      );
    `,
  },
  {
    version: 6,
    name: 'operator-console-indexes',
    /*
     * The console's reads, each from an index: the audit log filtered by resource, operation, outcome or
     * time (newest first), and the people search on displayName (userName and emails have theirs).
     */
    sql: `
      CREATE INDEX audit_log_resource ON audit_log (resource_id, seq);
      CREATE INDEX audit_log_operation ON audit_log (operation, seq);
      CREATE INDEX audit_log_outcome ON audit_log (outcome, seq);
      CREATE INDEX audit_log_at ON audit_log (at);
      CREATE INDEX users_display_name_lower ON users (lower(display_name));
    `,
  },
  {
    version: 7,
    name: 'rate-ledger',
    /*
     * The client-side rate budgets' windows (ports/rate-ledger.ts), kept across restarts:
     * rate_budgets holds a budget's pause (epoch ms, 0 = none); rate_requests the requests that may
     * still count, each at an epoch-ms time.
     */
    sql: `
      CREATE TABLE rate_budgets (
        budget TEXT PRIMARY KEY,
        paused_until INTEGER NOT NULL
      );
      CREATE TABLE rate_requests (
        slot INTEGER PRIMARY KEY,
        budget TEXT NOT NULL,
        at INTEGER NOT NULL
      );
      CREATE INDEX rate_requests_budget_at ON rate_requests (budget, at);
    `,
  },
  {
    version: 8,
    name: 'sync-drained',
    /*
     * sync_drained: how many queue items left the queue (completed or failed) in each minute (the
     * minute's start as toISOString() text), for the drain rate; the last 15 minutes are kept.
     */
    sql: `
      CREATE TABLE sync_drained (
        minute TEXT PRIMARY KEY,
        items INTEGER NOT NULL
      );
    `,
  },
  {
    version: 9,
    name: 'display-name-key',
    /*
     * users.display_name_key: displayName folded like every other key (foldCase, in JS), so that the
     * people search finds "émile" in "Émile" (SQLite's lower() folds ASCII letters only); it replaces
     * the index on lower(display_name).
     */
    sql: `
      ALTER TABLE users ADD COLUMN display_name_key TEXT;
      DROP INDEX users_display_name_lower;
      CREATE INDEX users_display_name_key ON users (display_name_key);
    `,
    rewrite: foldDisplayNames,
  },
];

/** Version 9: each user's display_name_key from its display_name. */
function foldDisplayNames(db: Database.Database): void {
  const rows = db.prepare<[], { seq: number; name: string }>('SELECT seq, display_name AS name FROM users WHERE display_name IS NOT NULL').all();
  const update = db.prepare<[string, number]>('UPDATE users SET display_name_key = ? WHERE seq = ?');
  for (const row of rows) update.run(foldCase(row.name), row.seq);
}

/** Version 4: userName, displayName and email keys folded with foldCase (lower case and NFC) instead of lower case alone. */
function refoldKeys(db: Database.Database): void {
  for (const [table, column] of [['users', 'user_name_key'], ['groups', 'display_name_key']] as const) {
    const rows = db.prepare<[], KeyRow>(`SELECT seq, ${column} AS key FROM ${table} ORDER BY seq`).all();
    const update = db.prepare<[string, number]>(`UPDATE ${table} SET ${column} = ? WHERE seq = ?`);
    for (const row of refoldedUniqueKeys(rows)) update.run(row.key, row.seq);
  }
  const emails = db.prepare<[], { user_seq: number; key: string }>('SELECT user_seq, email_key AS key FROM user_emails').all();
  const remove = db.prepare<[number, string]>('DELETE FROM user_emails WHERE user_seq = ? AND email_key = ?');
  const insert = db.prepare<[number, string]>('INSERT OR IGNORE INTO user_emails (user_seq, email_key) VALUES (?, ?)');
  for (const row of refoldedKeys(emails)) {
    remove.run(row.user_seq, row.key);
    insert.run(row.user_seq, row.folded);
  }
}

/** The newest schema version this build knows. */
export function latestSchemaVersion(list: readonly Migration[] = migrations): number {
  return list.reduce((latest, migration) => Math.max(latest, migration.version), 0);
}

/**
 * Brings the database to the newest known version in one transaction (all pending migrations or
 * none). Throws StoreError 'unavailable' when the database is newer than `list` knows, and
 * TypeError when `list` is not strictly increasing from 1.
 */
export function migrate(db: Database.Database, list: readonly Migration[] = migrations, now: () => string = isoNow): number[] {
  list.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new TypeError(`migration "${migration.name}" has version ${migration.version}, expected ${index + 1}`);
    }
  });
  const apply = db.transaction((): number[] => {
    db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      applied_at TEXT NOT NULL
    )`);
    const row = db.prepare<[], { version: number | null }>('SELECT MAX(version) AS version FROM schema_migrations').get();
    const current = row?.version ?? 0;
    const latest = latestSchemaVersion(list);
    if (current > latest) {
      throw new StoreError(
        'unavailable',
        `the database schema is at version ${current}, newer than this build knows (${latest}); ` +
          'run a bridge release that includes that migration',
      );
    }
    const record = db.prepare<[number, string, string]>('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    const applied: number[] = [];
    for (const migration of list) {
      if (migration.version <= current) continue;
      db.exec(migration.sql);
      migration.rewrite?.(db);
      record.run(migration.version, migration.name, now());
      applied.push(migration.version);
    }
    return applied;
  });
  return apply.immediate();
}

function isoNow(): string {
  return new Date().toISOString();
}
