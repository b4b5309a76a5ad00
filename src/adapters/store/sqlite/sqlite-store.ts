// The SQLite Store engine (better-sqlite3, WAL): the shared rules (resource-rules.ts and the port
// adapters) over SQLite storage, one immediate transaction per mutation, prepared statements created
// once per store; the reads are its own SQL.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type {
  FindQuery,
  GroupRef,
  MemberRef,
  Store,
  StoredResource,
  UserIndexedAttribute,
  UserWithGroups,
} from '../../../ports/store.js';
import { StoreError } from '../../../ports/store.js';
import { runSync } from '../engine-steps.js';
import { appliedStatePort } from '../applied-state-port.js';
import { auditLogPort } from '../audit-log-port.js';
import { lockPort } from '../lock-port.js';
import { rateLedgerPort } from '../rate-ledger-port.js';
import { resourceMutations } from '../resource-rules.js';
import type { ResourceRow } from '../resource-row.js';
import { storedOfRow } from '../resource-row.js';
import { searchPage, userSearchRange } from '../user-search.js';
import { foldCase } from '../../../ports/case-fold.js';
import { assertFindQuery, assertPredicate, groupIndexedAttributes, uniqueIds, userIndexedAttributes } from '../store-input.js';
import type { StoreRunner } from '../sync-queue-port.js';
import { syncQueuePort } from '../sync-queue-port.js';
import type { SqlFragment, SqlParam } from './index-predicate-sql.js';
import { compileGroupPredicate, compileUserPredicate } from './index-predicate-sql.js';
import { migrate } from './migrations.js';
import { createSqliteAppliedState } from './sqlite-applied-state.js';
import { createSqliteAuditLog } from './sqlite-audit-log.js';
import { createSqliteLocks } from './sqlite-locks.js';
import { createSqliteRateLedger } from './sqlite-rate-ledger.js';
import { createSqliteResourceEngine } from './sqlite-resource-engine.js';
import { toStoreError } from './sqlite-errors.js';
import { createSqliteSyncQueue } from './sqlite-sync-queue.js';

export interface SqliteStoreOptions {
  /** Path of the database file; its parent directory is created when missing. */
  readonly file: string;
}

interface RefRow {
  readonly owner: string;
  readonly value: string;
  readonly display: string;
}

/** How long a writer waits for another connection's lock before failing with 'unavailable'. */
const busyTimeoutMs = 5000;
/** Dynamic (predicate-shaped) statements kept prepared; the cache is flushed when it grows past this. */
const dynamicStatementLimit = 256;

const resourceColumns = 'id, version, created, last_modified, attributes';

/** A user row with its groups as a JSON array of [id, displayName] pairs, in group creation order. */
const userWithGroupsSelect = `SELECT u.id, u.version, u.created, u.last_modified, u.attributes,
  (SELECT json_group_array(json_array(g.id, g.display_name) ORDER BY g.seq)
   FROM group_members m JOIN groups g ON g.seq = m.group_seq WHERE m.user_seq = u.seq) AS groups_json
  FROM users u`;

interface UserWithGroupsRow extends ResourceRow {
  readonly groups_json: string;
}

/** Opens (creating and migrating as needed) the database at `options.file`. */
export function createSqliteStore(options: SqliteStoreOptions): Store {
  if (typeof options !== 'object' || options === null || typeof options.file !== 'string' || options.file === '') {
    throw new TypeError('createSqliteStore needs { file: string }');
  }
  const db = openDatabase(options.file);
  try {
    return buildStore(db);
  } catch (error) {
    db.close();
    throw toStoreError(error);
  }
}

function openDatabase(file: string): Database.Database {
  let db: Database.Database | undefined;
  try {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    db = new Database(file, { timeout: busyTimeoutMs });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    migrate(db);
    return db;
  } catch (error) {
    db?.close();
    throw toStoreError(error);
  }
}

function buildStore(db: Database.Database): Store {
  let closed = false;

  const s = {
    ping: db.prepare<[], number>('SELECT 1').pluck(),
    getUser: db.prepare<[string], ResourceRow>(`SELECT ${resourceColumns} FROM users WHERE id = ?`),
    /** Parameters: low, high, per field — for userName, emails and displayName in turn. */
    searchUsers: db.prepare<[string, string, number, string, string, number, string, string, number], ResourceRow>(
      `SELECT ${resourceColumns} FROM users WHERE seq IN (
         SELECT seq FROM (SELECT seq FROM users WHERE user_name_key >= ? AND user_name_key < ? ORDER BY user_name_key LIMIT ?)
         UNION SELECT user_seq FROM (SELECT user_seq FROM user_emails WHERE email_key >= ? AND email_key < ? ORDER BY email_key LIMIT ?)
         UNION SELECT seq FROM (SELECT seq FROM users WHERE display_name_key >= ? AND display_name_key < ? ORDER BY display_name_key LIMIT ?)
       ) ORDER BY user_name_key, seq`,
    ),
    userByNameKey: db.prepare<[string], ResourceRow>(`SELECT ${resourceColumns} FROM users WHERE user_name_key = ?`),
    groupsOfUser: db.prepare<[string], RefRow>(
      `SELECT u.id AS owner, g.id AS value, g.display_name AS display
       FROM users u JOIN group_members m ON m.user_seq = u.seq JOIN groups g ON g.seq = m.group_seq
       WHERE u.id = ?
       ORDER BY g.seq`,
    ),
    userWithGroupsById: db.prepare<[string], UserWithGroupsRow>(`${userWithGroupsSelect} WHERE u.id = ?`),
    userWithGroupsByNameKey: db.prepare<[string], UserWithGroupsRow>(`${userWithGroupsSelect} WHERE u.user_name_key = ?`),
    groupsOfUsers: db.prepare<[string], RefRow>(
      `SELECT u.id AS owner, g.id AS value, g.display_name AS display
       FROM users u JOIN group_members m ON m.user_seq = u.seq JOIN groups g ON g.seq = m.group_seq
       WHERE u.id IN (SELECT value FROM json_each(?))
       ORDER BY u.seq, g.seq`,
    ),

    getGroup: db.prepare<[string], ResourceRow>(`SELECT ${resourceColumns} FROM groups WHERE id = ?`),
    /** Counted on the (group_seq, position) index: no member row is read. */
    memberCounts: db.prepare<[string], [string, number]>(
      `SELECT g.id, COUNT(*) FROM groups g JOIN group_members m ON m.group_seq = g.seq
       WHERE g.id IN (SELECT value FROM json_each(?))
       GROUP BY g.id`,
    ).raw(),
    /** One group at a time: the (group_seq, position) index yields the order, so 50,000 members need no sort. */
    membersOfGroup: db.prepare<[string], [string, string]>(
      `SELECT u.id, COALESCE(u.display_name, u.user_name)
       FROM groups g JOIN group_members m ON m.group_seq = g.seq JOIN users u ON u.seq = m.user_seq
       WHERE g.id = ?
       ORDER BY m.position`,
    ).raw(),
  };

  const dynamicStatements = new Map<string, Database.Statement<SqlParam[]>>();
  function dynamic(sql: string): Database.Statement<SqlParam[]> {
    let statement = dynamicStatements.get(sql);
    if (statement === undefined) {
      if (dynamicStatements.size >= dynamicStatementLimit) dynamicStatements.clear();
      statement = db.prepare<SqlParam[]>(sql);
      dynamicStatements.set(sql, statement);
    }
    return statement;
  }

  /** Runs `work` against the open database, turning every failure into a StoreError. */
  function guard<T>(work: () => T): T {
    if (closed) throw new StoreError('unavailable', 'the SQLite store is closed');
    try {
      return work();
    } catch (error) {
      throw toStoreError(error);
    }
  }

  const queue = createSqliteSyncQueue(db);
  const transact = db.transaction((work: () => unknown): unknown => work());
  const run: StoreRunner = <T>(work: () => T): T => guard(() => transact.immediate(work) as T);
  const resources = createSqliteResourceEngine(db, queue);

  /** One read transaction, so every group is seen at the same snapshot. */
  const membersOfGroups = db.transaction((ids: readonly string[]): Map<string, MemberRef[]> => {
    const result = new Map<string, MemberRef[]>();
    for (const id of ids) {
      const rows = s.membersOfGroup.all(id);
      if (rows.length > 0) result.set(id, rows.map(([value, display]) => ({ value, display })));
    }
    return result;
  });

  /** A page of users and their groups, both read in one transaction. */
  const findPageWithGroups = db.transaction((where: SqlFragment, offset: number, limit: number): UserWithGroups[] => {
    const records = findPage('users u', 'u.seq', where, offset, limit);
    const ids = records.map((record) => record.id);
    const groups = ids.length === 0 ? new Map<string, GroupRef[]>() : refsByOwner(ids, s.groupsOfUsers.all(JSON.stringify(ids)));
    return records.map((record) => ({ record, groups: groups.get(record.id) ?? [] }));
  });

  return {
    ...syncQueuePort(queue, run),
    ...appliedStatePort(createSqliteAppliedState(db), run),
    ...auditLogPort(createSqliteAuditLog(db), run),
    ...lockPort(createSqliteLocks(db), run),
    ...rateLedgerPort(createSqliteRateLedger(db), run),
    ...resourceMutations(async (rule) => run(() => runSync(resources, rule))),

    async ping() {
      guard(() => s.ping.get());
    },

    async close() {
      if (closed) return;
      closed = true;
      dynamicStatements.clear();
      try {
        db.close();
      } catch (error) {
        throw toStoreError(error);
      }
    },

    async searchUsers(search) {
      const range = userSearchRange(search);
      const matches = guard(() => s.searchUsers.all(range.low, range.high, range.perField, range.low, range.high, range.perField, range.low, range.high, range.perField));
      return searchPage(matches.map(storedOfRow), search);
    },

    async getUser(id) {
      return guard(() => storedOf(s.getUser.get(id)));
    },

    async findUsers(query) {
      assertFindQuery(query, userIndexedAttributes);
      const unique = uniqueKey(query);
      // `userName eq` and `id eq` (every IdP's existence check) match at most one row: one prepared lookup.
      if (unique !== null) {
        const statement = unique.attribute === 'id' ? s.getUser : s.userByNameKey;
        return guard(() => (beyondFirstRow(query) ? [] : storedRows(statement.get(unique.key))));
      }
      const where = compileUserPredicate(query.where);
      return guard(() => findPage('users u', 'u.seq', where, query.offset, query.limit));
    },

    async findUsersWithGroups(query) {
      assertFindQuery(query, userIndexedAttributes);
      const unique = uniqueKey(query);
      if (unique !== null) {
        const statement = unique.attribute === 'id' ? s.userWithGroupsById : s.userWithGroupsByNameKey;
        return guard(() => {
          const row = beyondFirstRow(query) ? undefined : statement.get(unique.key);
          return row === undefined ? [] : [{ record: storedOfRow(row), groups: groupRefsOf(row.groups_json) }];
        });
      }
      const where = compileUserPredicate(query.where);
      return guard(() => findPageWithGroups(where, query.offset, query.limit));
    },

    async countUsers(where) {
      assertPredicate(where, userIndexedAttributes);
      const fragment = compileUserPredicate(where);
      return guard(() => countWhere('users u', fragment));
    },

    async groupsOfUsers(userIds) {
      const ids = uniqueIds(userIds);
      if (ids.length === 0) return new Map<string, GroupRef[]>();
      // One user (a GET by id or a userName filter) is the hot path: a plain indexed join, no json_each.
      if (ids.length === 1) return guard(() => refsByOwner(ids, s.groupsOfUser.all(ids[0] as string)));
      return guard(() => refsByOwner(ids, s.groupsOfUsers.all(JSON.stringify(ids))));
    },

    async getGroup(id) {
      return guard(() => storedOf(s.getGroup.get(id)));
    },

    async findGroups(query) {
      assertFindQuery(query, groupIndexedAttributes);
      const where = compileGroupPredicate(query.where);
      return guard(() => findPage('groups g', 'g.seq', where, query.offset, query.limit));
    },

    async countGroups(where) {
      assertPredicate(where, groupIndexedAttributes);
      const fragment = compileGroupPredicate(where);
      return guard(() => countWhere('groups g', fragment));
    },

    async membersOfGroups(groupIds) {
      const ids = uniqueIds(groupIds);
      if (ids.length === 0) return new Map<string, MemberRef[]>();
      return guard(() => membersOfGroups(ids));
    },

    async countMembersOfGroups(groupIds) {
      const ids = uniqueIds(groupIds);
      if (ids.length === 0) return new Map<string, number>();
      return guard(() => new Map(s.memberCounts.all(JSON.stringify(ids))));
    },
  };


  function findPage(table: string, order: string, where: SqlFragment, offset: number, limit: number): StoredResource[] {
    const rows = dynamic(`SELECT ${resourceColumns} FROM ${table} WHERE ${where.sql} ORDER BY ${order} LIMIT ? OFFSET ?`)
      .all(...where.params, limit, offset) as ResourceRow[];
    return rows.map(storedOfRow);
  }

  function countWhere(table: string, where: SqlFragment): number {
    const total = dynamic(`SELECT COUNT(*) FROM ${table} WHERE ${where.sql}`).pluck().get(...where.params);
    return Number(total);
  }
}

/** `userName eq` or `id eq` with a string: at most one row, by a unique index (`key` as stored). */
function uniqueKey(query: FindQuery<UserIndexedAttribute>): { attribute: 'id' | 'userName'; key: string } | null {
  const where = query.where;
  if (where === null || where.kind !== 'eq' || typeof where.value !== 'string') return null;
  if (where.attribute === 'id') return { attribute: 'id', key: where.value };
  if (where.attribute === 'userName') return { attribute: 'userName', key: foldCase(where.value) };
  return null;
}

/** A page that cannot hold the only possible match. */
function beyondFirstRow(query: FindQuery<UserIndexedAttribute>): boolean {
  return query.limit === 0 || query.offset > 0;
}

function groupRefsOf(json: string): GroupRef[] {
  return (JSON.parse(json) as [string, string][]).map(([value, display]) => ({ value, display }));
}

function storedRows(row: ResourceRow | undefined): StoredResource[] {
  return row === undefined ? [] : [storedOfRow(row)];
}

function storedOf(row: ResourceRow | undefined): StoredResource | null {
  return row === undefined ? null : storedOfRow(row);
}

/** Groups rows by owner id, keys in the order of `ids`, owners without rows absent. */
function refsByOwner(ids: readonly string[], rows: readonly RefRow[]): Map<string, GroupRef[]> {
  const byOwner = new Map<string, GroupRef[]>();
  for (const row of rows) {
    const refs = byOwner.get(row.owner);
    const ref = { value: row.value, display: row.display };
    if (refs === undefined) byOwner.set(row.owner, [ref]);
    else refs.push(ref);
  }
  const ordered = new Map<string, GroupRef[]>();
  for (const id of ids) {
    const refs = byOwner.get(id);
    if (refs !== undefined) ordered.set(id, refs);
  }
  return ordered;
}
