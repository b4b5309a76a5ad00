// Versioned schema migrations of the PostgreSQL store, recorded in `schema_migrations` of the store's
// schema and applied in one transaction under a transaction-level advisory lock, so replicas that
// start together apply each migration exactly once. Append new migrations; never edit a released one.
import type pg from 'pg';
import { StoreError } from '../../../ports/store.js';
import { foldCase } from '../../../ports/case-fold.js';
import { refoldedKeys, refoldedUniqueKeys, type KeyRow } from '../refolded-keys.js';
import { toStoreError } from './postgres-errors.js';

type Query = (text: string, values?: unknown[]) => Promise<pg.QueryResult>;

export interface Migration {
  /** Strictly increasing from 1; the same numbers, and meaning, as the SQLite engine's migrations. */
  readonly version: number;
  readonly name: string;
  /** SQL with `${schema}` standing for the store's (quoted) schema. */
  readonly sql: (schema: string) => string;
  /** Rewrites stored rows after `sql`, in the same transaction. */
  readonly rewrite?: (query: Query, schema: string) => Promise<void>;
}

/**
 * Case-insensitive `*_key` columns are folded in JS (ports/case-fold.ts). `seq` is the stable (creation)
 * order. Keys and times are `COLLATE "C"`: byte order, whatever the database's default collation, so
 * toISOString() text sorts as time does and key comparisons are exact. Constraint names are what
 * postgres-errors.ts maps to SCIM attributes. `attributes` is the JSON text as written (key order kept).
 */
export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'users-groups-memberships',
    sql: (s) => `
      CREATE TABLE ${s}.users (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id text COLLATE "C" NOT NULL CONSTRAINT users_id_unique UNIQUE,
        user_name text NOT NULL,
        user_name_key text COLLATE "C" NOT NULL CONSTRAINT users_user_name_key_unique UNIQUE,
        display_name text,
        external_id text COLLATE "C",
        active boolean NOT NULL,
        version integer NOT NULL,
        created text COLLATE "C" NOT NULL,
        last_modified text COLLATE "C" NOT NULL,
        attributes text NOT NULL
      );
      CREATE INDEX users_external_id ON ${s}.users (external_id);
      CREATE INDEX users_active ON ${s}.users (active, seq);

      CREATE TABLE ${s}.user_emails (
        user_seq bigint NOT NULL REFERENCES ${s}.users (seq) ON DELETE CASCADE,
        email_key text COLLATE "C" NOT NULL,
        PRIMARY KEY (user_seq, email_key)
      );
      CREATE INDEX user_emails_email_key ON ${s}.user_emails (email_key);

      CREATE TABLE ${s}.groups (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id text COLLATE "C" NOT NULL CONSTRAINT groups_id_unique UNIQUE,
        display_name text NOT NULL,
        display_name_key text COLLATE "C" NOT NULL CONSTRAINT groups_display_name_key_unique UNIQUE,
        external_id text COLLATE "C",
        version integer NOT NULL,
        created text COLLATE "C" NOT NULL,
        last_modified text COLLATE "C" NOT NULL,
        attributes text NOT NULL
      );
      CREATE INDEX groups_external_id ON ${s}.groups (external_id);

      CREATE TABLE ${s}.group_members (
        group_seq bigint NOT NULL REFERENCES ${s}.groups (seq) ON DELETE CASCADE,
        user_seq bigint NOT NULL REFERENCES ${s}.users (seq) ON DELETE CASCADE,
        position bigint NOT NULL,
        PRIMARY KEY (group_seq, user_seq)
      );
      CREATE INDEX group_members_user_seq ON ${s}.group_members (user_seq);
      CREATE UNIQUE INDEX group_members_position ON ${s}.group_members (group_seq, position);
    `,
  },
  {
    version: 2,
    name: 'sync-queue-applied-state-audit-log',
    /*
     * sync_queue: one row per SCIM resource with Dynatrace work pending (failed_at IS NULL) or failed.
     * A lease is lease_owner + lease_until (both NULL when free). sync_queue_lease serves the lease
     * query in order (pending rows by due_at, first_enqueued_at, seq); sync_queue_failed the failed
     * list, newest first. applied_*: JSON text for group_uuids, davis and bindings; seq is the listing
     * order. audit_log: an identity seq, never reused.
     */
    sql: (s) => `
      CREATE TABLE ${s}.sync_queue (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        resource_type text COLLATE "C" NOT NULL CHECK (resource_type IN ('User', 'Group')),
        resource_id text COLLATE "C" NOT NULL,
        generation integer NOT NULL,
        attempts integer NOT NULL,
        first_enqueued_at text COLLATE "C" NOT NULL,
        due_at text COLLATE "C" NOT NULL,
        request_id text,
        last_error text,
        failed_reason text,
        failed_at text COLLATE "C",
        lease_owner text COLLATE "C",
        lease_until text COLLATE "C",
        CONSTRAINT sync_queue_target UNIQUE (resource_type, resource_id)
      );
      CREATE INDEX sync_queue_lease ON ${s}.sync_queue (due_at, first_enqueued_at, seq) WHERE failed_at IS NULL;
      CREATE INDEX sync_queue_failed ON ${s}.sync_queue (failed_at DESC, seq DESC) WHERE failed_at IS NOT NULL;
      CREATE INDEX sync_queue_lease_owner ON ${s}.sync_queue (lease_owner) WHERE lease_owner IS NOT NULL;

      CREATE TABLE ${s}.applied_users (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        user_id text COLLATE "C" NOT NULL UNIQUE,
        email text NOT NULL,
        uid text,
        provenance text NOT NULL CHECK (provenance IN ('created', 'adopted')),
        group_uuids text NOT NULL,
        davis text
      );

      CREATE TABLE ${s}.applied_groups (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        group_id text COLLATE "C" NOT NULL UNIQUE,
        uuid text NOT NULL,
        name text NOT NULL,
        provenance text NOT NULL CHECK (provenance IN ('created', 'adopted')),
        bindings text NOT NULL
      );

      CREATE TABLE ${s}.audit_log (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at text NOT NULL,
        request_id text,
        resource_type text NOT NULL CHECK (resource_type IN ('User', 'Group')),
        resource_id text NOT NULL,
        operation text NOT NULL,
        target text NOT NULL,
        outcome text NOT NULL CHECK (outcome IN ('applied', 'dry-run', 'failed', 'skipped')),
        detail text
      );
    `,
  },
  {
    version: 3,
    name: 'locks',
    /*
     * locks: named locks with an expiry (ports/store.ts LockStore), one row per held name; a row whose
     * `until` has passed is free for the next owner. Acquiring is one upsert (postgres-locks.ts).
     */
    sql: (s) => `
      CREATE TABLE ${s}.locks (
        name text COLLATE "C" PRIMARY KEY,
        owner text COLLATE "C" NOT NULL,
        until text COLLATE "C" NOT NULL
      );
    `,
  },
  {
    version: 4,
    name: 'unicode-folded-keys',
    sql: () => '',
    rewrite: refoldKeys,
  },
  {
    version: 5,
    name: 'applied-account',
    /*
     * applied_account: the one Dynatrace account (API URL and account UUID, or the sandbox) the
     * applied_* rows describe; at most one row.
     */
    sql: (s) => `
      CREATE TABLE ${s}.applied_account (
        id integer PRIMARY KEY CHECK (id = 1),
        account text NOT NULL
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
    sql: (s) => `
      CREATE INDEX audit_log_resource ON ${s}.audit_log (resource_id, seq);
      CREATE INDEX audit_log_operation ON ${s}.audit_log (operation, seq);
      CREATE INDEX audit_log_outcome ON ${s}.audit_log (outcome, seq);
      CREATE INDEX audit_log_at ON ${s}.audit_log (at);
      CREATE INDEX users_display_name_lower ON ${s}.users ((lower(display_name) COLLATE "C"));
    `,
  },
  {
    version: 7,
    name: 'rate-ledger',
    /*
     * The client-side rate budgets' windows (ports/rate-ledger.ts), shared by every replica:
     * rate_budgets holds a budget's pause (epoch ms, 0 = none) and is the row a take locks;
     * rate_requests the requests that may still count, each at an epoch-ms time.
     */
    sql: (s) => `
      CREATE TABLE ${s}.rate_budgets (
        budget text COLLATE "C" PRIMARY KEY,
        paused_until bigint NOT NULL
      );
      CREATE TABLE ${s}.rate_requests (
        slot bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        budget text COLLATE "C" NOT NULL,
        at bigint NOT NULL
      );
      CREATE INDEX rate_requests_budget_at ON ${s}.rate_requests (budget, at);
    `,
  },
  {
    version: 8,
    name: 'sync-drained',
    /*
     * sync_drained: how many queue items left the queue (completed or failed) in each minute (the
     * minute's start as toISOString() text), for the drain rate of every replica; the last 15 minutes are kept.
     */
    sql: (s) => `
      CREATE TABLE ${s}.sync_drained (
        minute text COLLATE "C" PRIMARY KEY,
        items bigint NOT NULL
      );
    `,
  },
  {
    version: 9,
    name: 'display-name-key',
    /*
     * users.display_name_key: displayName folded like every other key (foldCase, in JS, compared in
     * code-point order), so that the people search finds "émile" in "Émile" whatever the database's
     * collation; it replaces the index on lower(display_name).
     */
    sql: (s) => `
      ALTER TABLE ${s}.users ADD COLUMN display_name_key text COLLATE "C";
      DROP INDEX ${s}.users_display_name_lower;
      CREATE INDEX users_display_name_key ON ${s}.users (display_name_key);
    `,
    rewrite: foldDisplayNames,
  },
];

/** Version 4: userName, displayName and email keys folded with foldCase (lower case and NFC) instead of lower case alone. */
async function refoldKeys(query: Query, s: string): Promise<void> {
  for (const [table, column] of [['users', 'user_name_key'], ['groups', 'display_name_key']] as const) {
    const rows = (await query(`SELECT seq, ${column} AS key FROM ${s}.${table} ORDER BY seq`)).rows as Array<{ seq: string; key: string }>;
    const changes = refoldedUniqueKeys(rows.map((row): KeyRow => ({ seq: Number(row.seq), key: row.key })));
    if (changes.length === 0) continue;
    await query(
      `UPDATE ${s}.${table} AS t SET ${column} = c.key FROM unnest($1::bigint[], $2::text[]) AS c(seq, key) WHERE t.seq = c.seq`,
      [changes.map((c) => c.seq), changes.map((c) => c.key)],
    );
  }
  const emails = (await query(`SELECT user_seq, email_key AS key FROM ${s}.user_emails`)).rows as Array<{ user_seq: string; key: string }>;
  const changes = refoldedKeys(emails);
  if (changes.length === 0) return;
  const seqs = changes.map((c) => c.user_seq);
  await query(`DELETE FROM ${s}.user_emails AS e USING unnest($1::bigint[], $2::text[]) AS c(seq, key) WHERE e.user_seq = c.seq AND e.email_key = c.key`, [
    seqs, changes.map((c) => c.key),
  ]);
  await query(`INSERT INTO ${s}.user_emails (user_seq, email_key) SELECT * FROM unnest($1::bigint[], $2::text[]) ON CONFLICT DO NOTHING`, [
    seqs, changes.map((c) => c.folded),
  ]);
}

/** Version 9: each user's display_name_key from its display_name. */
async function foldDisplayNames(query: Query, s: string): Promise<void> {
  const rows = (await query(`SELECT seq, display_name AS name FROM ${s}.users WHERE display_name IS NOT NULL`)).rows as Array<{ seq: string; name: string }>;
  if (rows.length === 0) return;
  await query(`UPDATE ${s}.users AS u SET display_name_key = c.key FROM unnest($1::bigint[], $2::text[]) AS c(seq, key) WHERE u.seq = c.seq`, [
    rows.map((row) => row.seq), rows.map((row) => foldCase(row.name)),
  ]);
}

/** First key of the advisory lock: this bridge's migrations (the second is the schema's hash). */
const migrationLockClass = 0x5c1b_2001;
/**
 * Migrations may take longer than a SCIM statement (index builds on a large table, waiting for
 * another replica's migration): the migrating connection uses this statement timeout instead.
 */
export const migrationTimeoutMs = 300_000;

/** The newest schema version this build knows. */
export function latestSchemaVersion(list: readonly Migration[] = migrations): number {
  return list.reduce((latest, migration) => Math.max(latest, migration.version), 0);
}

/** `name` as a quoted SQL identifier (the schema option is checked to be a plain identifier first). */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * Brings `schema` (created when missing) to the newest version in `list`, all pending migrations in
 * one transaction, holding `pg_advisory_xact_lock` for that schema meanwhile: a replica that starts
 * while another migrates waits, then finds nothing left to do. Returns the versions it applied.
 * Throws StoreError 'unavailable' when the schema is newer than `list` knows (or on any failure),
 * and TypeError when `list` is not strictly increasing from 1.
 */
export async function migrate(
  client: pg.ClientBase,
  schema: string,
  list: readonly Migration[] = migrations,
  now: () => string = isoNow,
): Promise<number[]> {
  list.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new TypeError(`migration "${migration.name}" has version ${migration.version}, expected ${index + 1}`);
    }
  });
  const s = quoteIdentifier(schema);
  const query = (text: string, values: unknown[] = []) => client.query({ text, values });
  try {
    await query('BEGIN');
    try {
      await query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [migrationLockClass, schema]);
      const exists = await query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
      if (exists.rowCount === 0) await query(`CREATE SCHEMA ${s}`);
      await query(`CREATE TABLE IF NOT EXISTS ${s}.schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at text NOT NULL
      )`);
      const current = Number((await query(`SELECT COALESCE(MAX(version), 0) AS version FROM ${s}.schema_migrations`)).rows[0]?.version ?? 0);
      const latest = latestSchemaVersion(list);
      if (current > latest) {
        throw new StoreError(
          'unavailable',
          `the database schema "${schema}" is at version ${current}, newer than this build knows (${latest}); ` +
            'run a bridge release that includes that migration',
        );
      }
      const applied: number[] = [];
      for (const migration of list) {
        if (migration.version <= current) continue;
        const sql = migration.sql(s);
        if (sql.trim() !== '') await query(sql);
        await migration.rewrite?.(query, s);
        await query(`INSERT INTO ${s}.schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`, [
          migration.version, migration.name, now(),
        ]);
        applied.push(migration.version);
      }
      await query('COMMIT');
      return applied;
    } catch (error) {
      await query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  } catch (error) {
    throw toStoreError(error);
  }
}

function isoNow(): string {
  return new Date().toISOString();
}
