// The PostgreSQL Store engine (node-postgres pool): the shared rules (resource-rules.ts and the port
// adapters) over PostgreSQL storage, one transaction per mutation with its sync work enqueued inside
// it, and replicas sharing one schema safely (row locks, SKIP LOCKED); the reads are its own SQL.
import pg from 'pg';
import type { GroupRef, MemberRef, Store, StoredResource } from '../../../ports/store.js';
import { StoreError } from '../../../ports/store.js';
import { runAsync } from '../engine-steps.js';
import { appliedStatePort } from '../applied-state-port.js';
import { auditLogPort } from '../audit-log-port.js';
import { lockPort } from '../lock-port.js';
import { rateLedgerPort } from '../rate-ledger-port.js';
import { resourceMutations } from '../resource-rules.js';
import type { ResourceRow } from '../resource-row.js';
import { storedOfRow } from '../resource-row.js';
import { searchPage, userSearchRange } from '../user-search.js';
import { assertFindQuery, assertPredicate, groupIndexedAttributes, uniqueIds, userIndexedAttributes } from '../store-input.js';
import { syncQueuePort } from '../sync-queue-port.js';
import { checkedPort } from './checked-ports.js';
import type { SqlFragment } from './index-predicate-sql.js';
import { compileGroupPredicate, compileUserPredicate } from './index-predicate-sql.js';
import { migrate, migrationTimeoutMs, quoteIdentifier } from './migrations.js';
import { createPostgresAppliedState } from './postgres-applied-state.js';
import { createPostgresAuditLog } from './postgres-audit-log.js';
import { createPostgresLocks } from './postgres-locks.js';
import { createPostgresRateLedger } from './postgres-rate-ledger.js';
import { createPostgresResourceEngine } from './postgres-resource-engine.js';
import type { Database, Sql, SqlValue, Statement } from './postgres-database.js';
import { createDatabase } from './postgres-database.js';
import { toStoreError } from './postgres-errors.js';
import { decodeText } from './pg-text.js';
import { createPostgresSyncQueue } from './postgres-sync-queue.js';
import { untilReachable } from './start-wait.js';

export interface PostgresStoreOptions {
  /** A `postgres://` or `postgresql://` URL (the bridge's DATABASE_URL). */
  readonly connectionString: string;
  /** Most connections the pool opens (default 10). */
  readonly poolSize?: number;
  /** How long a call waits for a connection, new or pooled, before failing with 'unavailable' (default 5000). */
  readonly connectionTimeoutMs?: number;
  /** The server cancels a statement running longer ('unavailable'; default 15000). */
  readonly statementTimeoutMs?: number;
  /** An idle pooled connection is closed after this long (default 30000; 0 keeps idle connections open). */
  readonly idleTimeoutMs?: number;
  /** The schema holding the store's tables, created when missing (default `public`); a fresh one isolates a test. */
  readonly schema?: string;
}

/** How creating the store waits for a server that cannot be reached yet (starting, restarting, not yet routable). */
export interface PostgresStartOptions {
  /** Keep trying this long, in ms (default 0: one attempt). Refusals by a reachable server (credentials, database) end it at once. */
  readonly startTimeoutMs?: number;
  /** Told of each failed attempt that will be tried again, and when. */
  readonly onUnreachable?: (error: StoreError, retryInMs: number) => void;
}

interface RefRow {
  readonly owner: string;
  readonly value: string;
  readonly display: string;
}

const defaults = { poolSize: 10, connectionTimeoutMs: 5000, statementTimeoutMs: 15_000, idleTimeoutMs: 30_000, schema: 'public' };
/** Predicate-shaped statements get a name (prepared once per connection) until this many shapes are known. */
const dynamicStatementLimit = 256;
const resourceColumns = 'id, version, created, last_modified, attributes';

/** Connects, brings the schema to the newest version (under the migration lock), and returns the store. */
export async function createPostgresStore(options: PostgresStoreOptions, start: PostgresStartOptions = {}): Promise<Store> {
  const resolved = resolveOptions(options);
  const startTimeoutMs = count(start.startTimeoutMs, 'startTimeoutMs', 0, 0);
  await untilReachable(() => migrateSchema(resolved), startTimeoutMs, start.onUnreachable ?? (() => undefined));
  return buildStore(createDatabase(resolved), quoteIdentifier(resolved.schema));
}

/** Runs the migrations on a connection of their own, with the longer migration timeout. */
async function migrateSchema(options: Required<PostgresStoreOptions>): Promise<void> {
  const client = new pg.Client({
    connectionString: options.connectionString,
    connectionTimeoutMillis: options.connectionTimeoutMs,
    statement_timeout: migrationTimeoutMs,
    query_timeout: migrationTimeoutMs + 5000,
    application_name: 'dynatrace-scim-bridge (migrations)',
  });
  // A connection lost between statements is reported here and by the statement that follows.
  client.on('error', () => undefined);
  try {
    await client.connect();
    await migrate(client, options.schema);
  } catch (error) {
    throw toStoreError(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function resolveOptions(options: PostgresStoreOptions): Required<PostgresStoreOptions> {
  if (typeof options !== 'object' || options === null) throw new TypeError('createPostgresStore needs { connectionString }');
  const { connectionString } = options;
  if (typeof connectionString !== 'string' || !/^postgres(ql)?:\/\//.test(connectionString)) {
    throw new TypeError('connectionString must be a postgres:// or postgresql:// URL');
  }
  const schema = options.schema ?? defaults.schema;
  if (typeof schema !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
    throw new TypeError(`schema must be a plain SQL identifier (letters, digits, _; at most 63), got ${JSON.stringify(schema)}`);
  }
  return {
    connectionString,
    poolSize: count(options.poolSize, 'poolSize', defaults.poolSize, 1),
    connectionTimeoutMs: count(options.connectionTimeoutMs, 'connectionTimeoutMs', defaults.connectionTimeoutMs, 1),
    statementTimeoutMs: count(options.statementTimeoutMs, 'statementTimeoutMs', defaults.statementTimeoutMs, 1),
    idleTimeoutMs: count(options.idleTimeoutMs, 'idleTimeoutMs', defaults.idleTimeoutMs, 0),
    schema,
  };
}

function count(value: number | undefined, name: string, fallback: number, minimum: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < minimum) throw new TypeError(`${name} must be an integer ≥ ${minimum}, got ${String(value)}`);
  return value;
}

function buildStore(db: Database, schema: string): Store {
  const users = `${schema}.users`;
  const groups = `${schema}.groups`;
  const members = `${schema}.group_members`;
  let closed = false;

  const s = {
    ping: { name: 'ping', text: 'SELECT 1' },
    getUser: { name: 'get_user', text: `SELECT ${resourceColumns} FROM ${users} WHERE id = $1` },
    searchUsers: {
      name: 'search_users',
      text: `SELECT ${resourceColumns} FROM ${users} WHERE seq IN (
          (SELECT seq FROM ${users} WHERE user_name_key >= $1 AND user_name_key < $2 ORDER BY user_name_key LIMIT $3)
          UNION (SELECT user_seq FROM ${schema}.user_emails WHERE email_key >= $1 AND email_key < $2 ORDER BY email_key LIMIT $3)
          UNION (SELECT seq FROM ${users} WHERE display_name_key >= $1 AND display_name_key < $2 ORDER BY display_name_key LIMIT $3)
        ) ORDER BY user_name_key, seq`,
    },
    groupsOfUser: {
      name: 'groups_of_user',
      text: `SELECT u.id AS owner, g.id AS value, g.display_name AS display
        FROM ${users} u JOIN ${members} m ON m.user_seq = u.seq JOIN ${groups} g ON g.seq = m.group_seq
        WHERE u.id = $1
        ORDER BY g.seq`,
    },
    groupsOfUsers: {
      name: 'groups_of_users',
      text: `SELECT u.id AS owner, g.id AS value, g.display_name AS display
        FROM ${users} u JOIN ${members} m ON m.user_seq = u.seq JOIN ${groups} g ON g.seq = m.group_seq
        WHERE u.id = ANY($1::text[])
        ORDER BY u.seq, g.seq`,
    },

    getGroup: { name: 'get_group', text: `SELECT ${resourceColumns} FROM ${groups} WHERE id = $1` },
    membersOfGroup: {
      name: 'members_of_group',
      text: `SELECT g.id AS owner, u.id AS value, COALESCE(u.display_name, u.user_name) AS display
        FROM ${groups} g JOIN ${members} m ON m.group_seq = g.seq JOIN ${users} u ON u.seq = m.user_seq
        WHERE g.id = $1
        ORDER BY m.position`,
    },
    memberCounts: {
      name: 'member_counts',
      text: `SELECT g.id AS owner, count(*)::int AS members
        FROM ${groups} g JOIN ${members} m ON m.group_seq = g.seq
        WHERE g.id = ANY($1::text[])
        GROUP BY g.id`,
    },
    membersOfGroups: {
      name: 'members_of_groups',
      text: `SELECT g.id AS owner, u.id AS value, COALESCE(u.display_name, u.user_name) AS display
        FROM ${groups} g JOIN ${members} m ON m.group_seq = g.seq JOIN ${users} u ON u.seq = m.user_seq
        WHERE g.id = ANY($1::text[])
        ORDER BY m.group_seq, m.position`,
    },
  } satisfies Record<string, Statement>;

  const dynamicNames = new Map<string, string>();
  /** A predicate-shaped statement, named (so prepared per connection) while fewer than the limit are. */
  function dynamic(text: string): Statement {
    let name = dynamicNames.get(text);
    if (name === undefined && dynamicNames.size < dynamicStatementLimit) {
      name = `dynamic_${dynamicNames.size + 1}`;
      dynamicNames.set(text, name);
    }
    return name === undefined ? { text } : { name, text };
  }

  function open(): void {
    if (closed) throw new StoreError('unavailable', 'the PostgreSQL store is closed');
  }

  function transaction<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
    open();
    return db.transaction(work);
  }

  function rows<R>(statement: Statement, values?: readonly SqlValue[]): Promise<R[]> {
    open();
    return db.rows<R>(statement, values);
  }

  const queue = createPostgresSyncQueue(db, schema);
  const resources = createPostgresResourceEngine(schema, queue);

  async function findPage(table: string, order: string, where: SqlFragment, offset: number, limit: number): Promise<StoredResource[]> {
    const n = where.params.length;
    const text = `SELECT ${resourceColumns} FROM ${table} WHERE ${where.sql} ORDER BY ${order} LIMIT $${n + 1} OFFSET $${n + 2}`;
    return (await rows<ResourceRow>(dynamic(text), [...where.params, limit, offset])).map(storedOfRow);
  }

  async function countWhere(table: string, where: SqlFragment): Promise<number> {
    const [row] = await rows<{ total: string }>(dynamic(`SELECT count(*) AS total FROM ${table} WHERE ${where.sql}`), where.params);
    return Number(row?.total ?? 0);
  }

  return {
    ...checkedPort(syncQueuePort, queue, open),
    ...checkedPort(appliedStatePort, createPostgresAppliedState(db, schema), open),
    ...checkedPort(auditLogPort, createPostgresAuditLog(db, schema), open),
    ...checkedPort(lockPort, createPostgresLocks(db, schema), open),
    ...checkedPort(rateLedgerPort, createPostgresRateLedger(db, schema), open),
    ...resourceMutations((rule) => transaction((sql) => runAsync(resources(sql), rule))),

    async searchUsers(search) {
      const range = userSearchRange(search);
      open();
      const matches = await rows<ResourceRow>(s.searchUsers, [range.low, range.high, range.perField]);
      return searchPage(matches.map(storedOfRow), search);
    },

    async ping() {
      await rows(s.ping);
    },

    async close() {
      if (closed) return;
      closed = true;
      await db.close();
    },

    async getUser(id) {
      return storedOf((await rows<ResourceRow>(s.getUser, [id]))[0]);
    },

    async findUsers(query) {
      assertFindQuery(query, userIndexedAttributes);
      return findPage(`${users} u`, 'u.seq', compileUserPredicate(query.where, schema), query.offset, query.limit);
    },

    async countUsers(where) {
      assertPredicate(where, userIndexedAttributes);
      return countWhere(`${users} u`, compileUserPredicate(where, schema));
    },

    async groupsOfUsers(userIds) {
      const ids = uniqueIds(userIds);
      if (ids.length === 0) return new Map<string, GroupRef[]>();
      // One user (a GET by id or a userName filter) is the hot path: a plain indexed join, no array.
      const found = ids.length === 1 ? await rows<RefRow>(s.groupsOfUser, ids) : await rows<RefRow>(s.groupsOfUsers, [ids]);
      return refsByOwner(ids, found);
    },

    async findUsersWithGroups(query) {
      assertFindQuery(query, userIndexedAttributes);
      const where = compileUserPredicate(query.where, schema);
      const n = where.params.length;
      // The groups come as JSON text of [id, displayName] pairs: one statement, one round trip, one snapshot.
      const text = `SELECT u.id, u.version, u.created, u.last_modified, u.attributes,
          (SELECT json_agg(json_build_array(g.id, g.display_name) ORDER BY g.seq)::text
           FROM ${members} m JOIN ${groups} g ON g.seq = m.group_seq WHERE m.user_seq = u.seq) AS groups_json
        FROM ${users} u WHERE ${where.sql} ORDER BY u.seq LIMIT $${n + 1} OFFSET $${n + 2}`;
      const found = await rows<ResourceRow & { groups_json: string | null }>(dynamic(text), [...where.params, query.limit, query.offset]);
      return found.map((row) => ({ record: storedOfRow(row), groups: groupRefsOf(row.groups_json) }));
    },

    async getGroup(id) {
      return storedOf((await rows<ResourceRow>(s.getGroup, [id]))[0]);
    },

    async findGroups(query) {
      assertFindQuery(query, groupIndexedAttributes);
      return findPage(`${groups} g`, 'g.seq', compileGroupPredicate(query.where, schema), query.offset, query.limit);
    },

    async countGroups(where) {
      assertPredicate(where, groupIndexedAttributes);
      return countWhere(`${groups} g`, compileGroupPredicate(where, schema));
    },

    async membersOfGroups(groupIds) {
      const ids = uniqueIds(groupIds);
      if (ids.length === 0) return new Map<string, MemberRef[]>();
      // One statement for all groups: every group is seen at the same snapshot.
      const found = ids.length === 1 ? await rows<RefRow>(s.membersOfGroup, ids) : await rows<RefRow>(s.membersOfGroups, [ids]);
      return refsByOwner(ids, found);
    },

    async countMembersOfGroups(groupIds) {
      const ids = uniqueIds(groupIds);
      if (ids.length === 0) return new Map<string, number>();
      const found = await rows<{ owner: string; members: number }>(s.memberCounts, [ids]);
      return new Map(found.map((row) => [row.owner, row.members]));
    },
  };
}

function storedOf(row: ResourceRow | undefined): StoredResource | null {
  return row === undefined ? null : storedOfRow(row);
}

/** The groups of a user from its JSON text (null: none); strings inside JSON escape the codec's way. */
function groupRefsOf(json: string | null): GroupRef[] {
  if (json === null) return [];
  return (JSON.parse(json) as [string, string][]).map(([value, display]) => ({ value: decodeText(value), display: decodeText(display) }));
}

/** Groups rows by owner id, keys in the order of `ids`, owners without rows absent. */
function refsByOwner(ids: readonly string[], found: readonly RefRow[]): Map<string, { value: string; display: string }[]> {
  const byOwner = new Map<string, { value: string; display: string }[]>();
  for (const row of found) {
    const refs = byOwner.get(row.owner);
    const ref = { value: row.value, display: row.display };
    if (refs === undefined) byOwner.set(row.owner, [ref]);
    else refs.push(ref);
  }
  const ordered = new Map<string, { value: string; display: string }[]>();
  for (const id of ids) {
    const refs = byOwner.get(id);
    if (refs !== undefined) ordered.set(id, refs);
  }
  return ordered;
}
