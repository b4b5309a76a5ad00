// The PostgreSQL Store engine (node-postgres pool): the SQLite engine's semantics, one transaction per
// mutation with its sync work enqueued inside it, preconditions as `WHERE version = $n`, membership
// changes applied to the named rows only, and replicas sharing one schema safely (row locks, SKIP LOCKED).
import pg from 'pg';
import type {
  GroupRef,
  GroupWrite,
  MemberRef,
  Precondition,
  ResourceMeta,
  Store,
  StoredResource,
  UserWrite,
} from '../../../ports/store.js';
import { StoreError } from '../../../ports/store.js';
import type { SyncTarget } from '../../../ports/sync-queue.js';
import { appliedStatePort } from '../applied-state-port.js';
import { auditLogPort } from '../audit-log-port.js';
import { lockPort } from '../lock-port.js';
import { rateLedgerPort } from '../rate-ledger-port.js';
import type { ResourceRow } from '../resource-row.js';
import { storedOfRow } from '../resource-row.js';
import { searchPage, userSearchRange } from '../user-search.js';
import { foldCase } from '../../../ports/case-fold.js';
import type { NormalisedMembershipChange } from '../store-input.js';
import {
  assertFindQuery,
  assertGroupWriteId,
  assertPredicate,
  displayNameOf,
  groupIndexedAttributes,
  normaliseMembershipChange,
  uniqueIds,
  userIndexedAttributes,
} from '../store-input.js';
import type { EnqueueContext } from '../sync-queue-port.js';
import { enqueueContextOf, groupTarget, syncQueuePort, userTarget } from '../sync-queue-port.js';
import { checkedPort } from './checked-ports.js';
import type { SqlFragment } from './index-predicate-sql.js';
import { compileGroupPredicate, compileUserPredicate } from './index-predicate-sql.js';
import { migrate, migrationTimeoutMs, quoteIdentifier } from './migrations.js';
import { createPostgresAppliedState } from './postgres-applied-state.js';
import { createPostgresAuditLog } from './postgres-audit-log.js';
import { createPostgresLocks } from './postgres-locks.js';
import { createPostgresRateLedger } from './postgres-rate-ledger.js';
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

/** What a mutation learns about the row it changes or checks. `seq` is a bigint, as text. */
interface HeadRow {
  readonly seq: string;
  readonly version: number;
  readonly created: string;
}

interface IdSeqRow {
  readonly id: string;
  readonly seq: string;
}

interface RefRow {
  readonly owner: string;
  readonly value: string;
  readonly display: string;
}

/** A user as a membership row names it. */
interface MemberSeq {
  readonly id: string;
  readonly seq: string;
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
  const emails = `${schema}.user_emails`;
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
          UNION (SELECT seq FROM ${users} WHERE lower(display_name) COLLATE "C" >= $1 AND lower(display_name) COLLATE "C" < $2
            ORDER BY lower(display_name) COLLATE "C" LIMIT $3)
        ) ORDER BY user_name_key, seq`,
    },
    insertUser: {
      name: 'insert_user',
      text: `INSERT INTO ${users} (id, user_name, user_name_key, display_name, external_id, active, version, created, last_modified, attributes)
        VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7, $8) RETURNING seq`,
    },
    /** The precondition is part of the WHERE: a stale version or a missing user changes nothing (and then raises no conflict). */
    replaceUser: {
      name: 'replace_user',
      text: `UPDATE ${users} SET user_name = $2, user_name_key = $3, display_name = $4, external_id = $5, active = $6,
          version = version + 1, last_modified = $7, attributes = $8
        WHERE id = $1 AND ($9::integer IS NULL OR version = $9)
        RETURNING seq, version, created`,
    },
    userVersion: { name: 'user_version', text: `SELECT version FROM ${users} WHERE id = $1` },
    lockUser: { name: 'lock_user', text: `SELECT seq, version, created FROM ${users} WHERE id = $1 FOR UPDATE` },
    deleteUser: { name: 'delete_user', text: `DELETE FROM ${users} WHERE seq = $1` },
    insertEmails: { name: 'insert_emails', text: `INSERT INTO ${emails} (user_seq, email_key) SELECT $1::bigint, unnest($2::text[])` },
    deleteEmails: { name: 'delete_emails', text: `DELETE FROM ${emails} WHERE user_seq = $1` },
    /** Users about to become members, locked against a concurrent delete until this transaction ends. */
    userSeqs: { name: 'user_seqs', text: `SELECT id, seq FROM ${users} WHERE id = ANY($1::text[]) FOR KEY SHARE` },
    bumpGroupsOfUser: {
      name: 'bump_groups_of_user',
      text: `UPDATE ${groups} SET version = version + 1, last_modified = $2
        WHERE seq IN (SELECT m.group_seq FROM ${members} m WHERE m.user_seq = $1)`,
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
    insertGroup: {
      name: 'insert_group',
      text: `INSERT INTO ${groups} (id, display_name, display_name_key, external_id, version, created, last_modified, attributes)
        VALUES ($1, $2, $3, $4, 1, $5, $5, $6) RETURNING seq`,
    },
    /** Locks the group row for the rest of the transaction (membership changes of one group serialise here). */
    bumpGroup: {
      name: 'bump_group',
      text: `UPDATE ${groups} SET version = version + 1, last_modified = $2
        WHERE id = $1 AND ($3::integer IS NULL OR version = $3)
        RETURNING seq, version, created`,
    },
    groupVersion: { name: 'group_version', text: `SELECT version FROM ${groups} WHERE id = $1` },
    lockGroup: { name: 'lock_group', text: `SELECT seq, version, created FROM ${groups} WHERE id = $1 FOR UPDATE` },
    updateGroupAttributes: {
      name: 'update_group_attributes',
      text: `UPDATE ${groups} SET display_name = $2, display_name_key = $3, external_id = $4, attributes = $5 WHERE seq = $1`,
    },
    deleteGroup: { name: 'delete_group', text: `DELETE FROM ${groups} WHERE seq = $1` },
    /**
     * Appends users after the group's last position (the (group_seq, position) index answers the max),
     * in the order given; present members stay where they are. Returns the users that were added.
     */
    appendMembers: {
      name: 'append_members',
      text: `INSERT INTO ${members} (group_seq, user_seq, position)
        SELECT $1::bigint, a.user_seq, (SELECT COALESCE(MAX(position), 0) FROM ${members} WHERE group_seq = $1::bigint) + a.ord
        FROM unnest($2::bigint[]) WITH ORDINALITY AS a (user_seq, ord)
        ORDER BY a.ord
        ON CONFLICT (group_seq, user_seq) DO NOTHING
        RETURNING user_seq AS seq`,
    },
    removeMembers: {
      name: 'remove_members',
      text: `DELETE FROM ${members} m USING ${users} u
        WHERE m.group_seq = $1 AND m.user_seq = u.seq AND u.id = ANY($2::text[])
        RETURNING u.id`,
    },
    removeAllMembers: { name: 'remove_all_members', text: `DELETE FROM ${members} WHERE group_seq = $1` },
    /** The members of one group in list order (the (group_seq, position) index, no sort). */
    memberSeqsOfGroup: {
      name: 'member_seqs_of_group',
      text: `SELECT u.id, u.seq FROM ${members} m JOIN ${users} u ON u.seq = m.user_seq WHERE m.group_seq = $1 ORDER BY m.position`,
    },
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

  /**
   * The outcome of an UPDATE that carries the precondition in its WHERE: the changed row, else
   * not_found or (the row exists, so its version differed) version_mismatch.
   */
  async function changed(
    sql: Sql, found: HeadRow | undefined, version: Statement, kind: 'user' | 'group', id: string, precondition?: Precondition,
  ): Promise<HeadRow> {
    if (found !== undefined) return found;
    const expected = precondition?.expectedVersion;
    const [current] = expected === undefined ? [] : await sql.rows<{ version: number }>(version, [id]);
    if (current === undefined) throw new StoreError('not_found', `no ${kind} with id "${id}"`);
    throw new StoreError('version_mismatch', `"${id}" is at version ${current.version}, not ${String(expected)}`);
  }

  /** The head of a row locked FOR UPDATE, checked against the precondition. */
  async function locked(sql: Sql, lock: Statement, kind: 'user' | 'group', id: string, precondition?: Precondition): Promise<HeadRow> {
    const [head] = await sql.rows<HeadRow>(lock, [id]);
    if (head === undefined) throw new StoreError('not_found', `no ${kind} with id "${id}"`);
    const expected = precondition?.expectedVersion;
    if (expected !== undefined && expected !== head.version) {
      throw new StoreError('version_mismatch', `"${id}" is at version ${head.version}, not ${expected}`);
    }
    return head;
  }

  /** These users in the given order; throws 'unknown_members' naming every id that is no user. */
  async function memberSeqs(sql: Sql, ids: readonly string[]): Promise<MemberSeq[]> {
    if (ids.length === 0) return [];
    const seqById = new Map((await sql.rows<IdSeqRow>(s.userSeqs, [ids])).map((row) => [row.id, row.seq]));
    const found: MemberSeq[] = [];
    const unknown: string[] = [];
    for (const id of ids) {
      const seq = seqById.get(id);
      if (seq === undefined) unknown.push(id);
      else found.push({ id, seq });
    }
    if (unknown.length > 0) {
      throw new StoreError('unknown_members', `member ids that are no user: ${unknown.join(', ')}`, { ids: unknown });
    }
    return found;
  }

  /** Appends the users to the group's list; returns those that were not members before, in the given order. */
  async function appendMembers(sql: Sql, groupSeq: string, wanted: readonly MemberSeq[]): Promise<MemberSeq[]> {
    if (wanted.length === 0) return [];
    const inserted = new Set((await sql.rows<{ seq: string }>(s.appendMembers, [groupSeq, wanted.map((member) => member.seq)])).map((row) => row.seq));
    return wanted.filter((member) => inserted.has(member.seq));
  }

  async function writeEmails(sql: Sql, userSeq: string, addresses: readonly string[]): Promise<void> {
    const keys = uniqueIds(addresses.map(foldCase));
    if (keys.length > 0) await sql.run(s.insertEmails, [userSeq, keys]);
  }

  function userValues(user: UserWrite): SqlValue[] {
    const { keys } = user;
    return [keys.userName, foldCase(keys.userName), displayNameOf(user.attributes), keys.externalId, keys.active];
  }

  const queue = createPostgresSyncQueue(db, schema);

  async function insertUser(sql: Sql, user: UserWrite, context: EnqueueContext): Promise<ResourceMeta> {
    const { at } = context;
    const [row] = await sql.rows<{ seq: string }>(s.insertUser, [user.id, ...userValues(user), at, JSON.stringify(user.attributes)]);
    if (row === undefined) throw new StoreError('unavailable', 'the user row was not inserted');
    await writeEmails(sql, row.seq, user.keys.emails);
    await queue.enqueueIn(sql, [userTarget(user.id)], context);
    return { id: user.id, version: 1, created: at, lastModified: at };
  }

  async function replaceUser(sql: Sql, user: UserWrite, context: EnqueueContext, precondition?: Precondition): Promise<ResourceMeta> {
    const { at } = context;
    const [updated] = await sql.rows<HeadRow>(s.replaceUser, [
      user.id, ...userValues(user), at, JSON.stringify(user.attributes), precondition?.expectedVersion ?? null,
    ]);
    const head = await changed(sql, updated, s.userVersion, 'user', user.id, precondition);
    await sql.run(s.deleteEmails, [head.seq]);
    await writeEmails(sql, head.seq, user.keys.emails);
    await queue.enqueueIn(sql, [userTarget(user.id)], context);
    return { id: user.id, version: head.version, created: head.created, lastModified: at };
  }

  async function deleteUser(sql: Sql, id: string, context: EnqueueContext, precondition?: Precondition): Promise<void> {
    const head = await locked(sql, s.lockUser, 'user', id, precondition);
    await sql.run(s.bumpGroupsOfUser, [head.seq, context.at]);
    await sql.run(s.deleteUser, [head.seq]);
    await queue.enqueueIn(sql, [userTarget(id)], context);
  }

  async function insertGroup(sql: Sql, group: GroupWrite, memberIds: readonly string[], context: EnqueueContext): Promise<ResourceMeta> {
    const { at } = context;
    const found = await memberSeqs(sql, uniqueIds(memberIds));
    const { keys } = group;
    const [row] = await sql.rows<{ seq: string }>(s.insertGroup, [
      group.id, keys.displayName, foldCase(keys.displayName), keys.externalId, at, JSON.stringify(group.attributes),
    ]);
    if (row === undefined) throw new StoreError('unavailable', 'the group row was not inserted');
    await appendMembers(sql, row.seq, found);
    await queue.enqueueIn(sql, [groupTarget(group.id), ...found.map((member) => userTarget(member.id))], context);
    return { id: group.id, version: 1, created: at, lastModified: at };
  }

  async function updateGroup(
    sql: Sql, id: string, group: GroupWrite | undefined, change: NormalisedMembershipChange | undefined, context: EnqueueContext,
    precondition?: Precondition,
  ): Promise<ResourceMeta> {
    const { at } = context;
    // The version bump first: it checks existence and the precondition, and locks the group row.
    const [bumped] = await sql.rows<HeadRow>(s.bumpGroup, [id, at, precondition?.expectedVersion ?? null]);
    const head = await changed(sql, bumped, s.groupVersion, 'group', id, precondition);
    // Every check before any other write: unknown members here, a displayName conflict on the attribute UPDATE.
    const wanted = change === undefined ? [] : await memberSeqs(sql, change.kind === 'replace' ? change.members : change.add);
    if (group !== undefined) {
      const { keys } = group;
      await sql.run(s.updateGroupAttributes, [
        head.seq, keys.displayName, foldCase(keys.displayName), keys.externalId, JSON.stringify(group.attributes),
      ]);
    }
    // The users whose membership changes: added ones not yet members, then former members leaving.
    let added: readonly MemberSeq[];
    let removed: readonly string[] = [];
    if (change?.kind === 'replace') {
      const before = await sql.rows<IdSeqRow>(s.memberSeqsOfGroup, [head.seq]);
      const formerly = new Set(before.map((member) => member.seq));
      const staying = new Set(wanted.map((member) => member.seq));
      await sql.run(s.removeAllMembers, [head.seq]);
      await appendMembers(sql, head.seq, wanted);
      added = wanted.filter((member) => !formerly.has(member.seq));
      removed = before.filter((member) => !staying.has(member.seq)).map((member) => member.id);
    } else {
      if (change !== undefined && change.remove.length > 0) {
        const gone = new Set((await sql.rows<{ id: string }>(s.removeMembers, [head.seq, change.remove])).map((row) => row.id));
        removed = change.remove.filter((memberId) => gone.has(memberId));
      }
      added = await appendMembers(sql, head.seq, wanted);
    }
    const targets: SyncTarget[] = group === undefined ? [] : [groupTarget(id)];
    for (const member of added) targets.push(userTarget(member.id));
    for (const memberId of removed) targets.push(userTarget(memberId));
    await queue.enqueueIn(sql, targets, context);
    return { id, version: head.version, created: head.created, lastModified: at };
  }

  async function deleteGroup(sql: Sql, id: string, context: EnqueueContext, precondition?: Precondition): Promise<void> {
    const head = await locked(sql, s.lockGroup, 'group', id, precondition);
    const former = await sql.rows<IdSeqRow>(s.memberSeqsOfGroup, [head.seq]);
    await sql.run(s.deleteGroup, [head.seq]);
    await queue.enqueueIn(sql, [groupTarget(id), ...former.map((member) => userTarget(member.id))], context);
  }

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

    async insertUser(user, change) {
      const context = enqueueContextOf(change);
      return transaction((sql) => insertUser(sql, user, context));
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

    async replaceUser(user, change, precondition) {
      const context = enqueueContextOf(change);
      return transaction((sql) => replaceUser(sql, user, context, precondition));
    },

    async deleteUser(id, change, precondition) {
      const context = enqueueContextOf(change);
      await transaction((sql) => deleteUser(sql, id, context, precondition));
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

    async insertGroup(group, memberIds, change) {
      const context = enqueueContextOf(change);
      return transaction((sql) => insertGroup(sql, group, memberIds, context));
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

    async updateGroup(update, change, precondition) {
      const context = enqueueContextOf(change);
      assertGroupWriteId(update.id, update.group);
      const membership = update.members === undefined ? undefined : normaliseMembershipChange(update.members);
      return transaction((sql) => updateGroup(sql, update.id, update.group, membership, context, precondition));
    },

    async deleteGroup(id, change, precondition) {
      const context = enqueueContextOf(change);
      await transaction((sql) => deleteGroup(sql, id, context, precondition));
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
