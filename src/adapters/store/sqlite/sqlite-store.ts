// The SQLite Store engine (better-sqlite3, WAL): one immediate transaction per mutation, prepared
// statements created once per store, membership changes applied row by row as deltas. Each
// mutation enqueues its sync work in its own transaction, so a rejected call enqueues nothing.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type {
  FindQuery,
  GroupRef,
  GroupWrite,
  MemberRef,
  MembershipChange,
  Precondition,
  ResourceMeta,
  Store,
  StoredResource,
  UserIndexedAttribute,
  UserWithGroups,
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
import type { EnqueueContext, StoreRunner } from '../sync-queue-port.js';
import { enqueueContextOf, groupTarget, syncQueuePort, userTarget } from '../sync-queue-port.js';
import type { SqlFragment, SqlParam } from './index-predicate-sql.js';
import { compileGroupPredicate, compileUserPredicate } from './index-predicate-sql.js';
import { migrate } from './migrations.js';
import { createSqliteAppliedState } from './sqlite-applied-state.js';
import { createSqliteAuditLog } from './sqlite-audit-log.js';
import { createSqliteLocks } from './sqlite-locks.js';
import { createSqliteRateLedger } from './sqlite-rate-ledger.js';
import { toStoreError } from './sqlite-errors.js';
import { createSqliteSyncQueue } from './sqlite-sync-queue.js';

export interface SqliteStoreOptions {
  /** Path of the database file; its parent directory is created when missing. */
  readonly file: string;
}

interface HeadRow {
  readonly seq: number;
  readonly version: number;
  readonly created: string;
}

interface IdSeqRow {
  readonly id: string;
  readonly seq: number;
}

interface RefRow {
  readonly owner: string;
  readonly value: string;
  readonly display: string;
}

/** A user as a membership row names it. */
interface MemberSeq {
  readonly id: string;
  readonly seq: number;
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
    userHead: db.prepare<[string], HeadRow>('SELECT seq, version, created FROM users WHERE id = ?'),
    getUser: db.prepare<[string], ResourceRow>(`SELECT ${resourceColumns} FROM users WHERE id = ?`),
    /** Parameters: low, high, per field — for userName, emails and displayName in turn. */
    searchUsers: db.prepare<[string, string, number, string, string, number, string, string, number], ResourceRow>(
      `SELECT ${resourceColumns} FROM users WHERE seq IN (
         SELECT seq FROM (SELECT seq FROM users WHERE user_name_key >= ? AND user_name_key < ? ORDER BY user_name_key LIMIT ?)
         UNION SELECT user_seq FROM (SELECT user_seq FROM user_emails WHERE email_key >= ? AND email_key < ? ORDER BY email_key LIMIT ?)
         UNION SELECT seq FROM (SELECT seq FROM users WHERE lower(display_name) >= ? AND lower(display_name) < ? ORDER BY lower(display_name) LIMIT ?)
       ) ORDER BY user_name_key, seq`,
    ),
    userByNameKey: db.prepare<[string], ResourceRow>(`SELECT ${resourceColumns} FROM users WHERE user_name_key = ?`),
    insertUser: db.prepare<[string, string, string, string | null, string | null, number, string, string, string]>(
      `INSERT INTO users (id, user_name, user_name_key, display_name, external_id, active, version, created, last_modified, attributes)
       VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?)`,
    ),
    updateUser: db.prepare<[string, string, string | null, string | null, number, string, string, number]>(
      `UPDATE users SET user_name = ?, user_name_key = ?, display_name = ?, external_id = ?, active = ?,
       version = version + 1, last_modified = ?, attributes = ? WHERE seq = ?`,
    ),
    deleteUser: db.prepare<[number]>('DELETE FROM users WHERE seq = ?'),
    insertEmail: db.prepare<[number, string]>('INSERT INTO user_emails (user_seq, email_key) VALUES (?, ?)'),
    deleteEmails: db.prepare<[number]>('DELETE FROM user_emails WHERE user_seq = ?'),
    userSeqs: db.prepare<[string], IdSeqRow>('SELECT id, seq FROM users WHERE id IN (SELECT value FROM json_each(?))'),
    bumpGroupsOfUser: db.prepare<[string, number]>(
      `UPDATE groups SET version = version + 1, last_modified = ?
       WHERE seq IN (SELECT m.group_seq FROM group_members m WHERE m.user_seq = ?)`,
    ),
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

    groupHead: db.prepare<[string], HeadRow>('SELECT seq, version, created FROM groups WHERE id = ?'),
    getGroup: db.prepare<[string], ResourceRow>(`SELECT ${resourceColumns} FROM groups WHERE id = ?`),
    insertGroup: db.prepare<[string, string, string, string | null, string, string, string]>(
      `INSERT INTO groups (id, display_name, display_name_key, external_id, version, created, last_modified, attributes)
       VALUES (?, ?, ?, ?, 1, ?, ?, ?)`,
    ),
    updateGroupAttributes: db.prepare<[string, string, string | null, string, number]>(
      'UPDATE groups SET display_name = ?, display_name_key = ?, external_id = ?, attributes = ? WHERE seq = ?',
    ),
    bumpGroup: db.prepare<[string, number]>('UPDATE groups SET version = version + 1, last_modified = ? WHERE seq = ?'),
    deleteGroup: db.prepare<[number]>('DELETE FROM groups WHERE seq = ?'),
    lastPosition: db.prepare<[number], number>('SELECT MAX(position) FROM group_members WHERE group_seq = ?').pluck(),
    insertMember: db.prepare<[number, number, number]>(
      `INSERT INTO group_members (group_seq, user_seq, position) VALUES (?, ?, ?)
       ON CONFLICT (group_seq, user_seq) DO NOTHING`,
    ),
    deleteMember: db.prepare<[number, number]>('DELETE FROM group_members WHERE group_seq = ? AND user_seq = ?'),
    deleteMembers: db.prepare<[number]>('DELETE FROM group_members WHERE group_seq = ?'),
    /** The members of one group in list order (the (group_seq, position) index, no sort). */
    memberSeqsOfGroup: db.prepare<[number], MemberSeq>(
      `SELECT u.id, u.seq FROM group_members m JOIN users u ON u.seq = m.user_seq
       WHERE m.group_seq = ? ORDER BY m.position`,
    ),
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

  function existing(statement: Database.Statement<[string], HeadRow>, kind: 'user' | 'group', id: string): HeadRow {
    const head = statement.get(id);
    if (head === undefined) throw new StoreError('not_found', `no ${kind} with id "${id}"`);
    return head;
  }

  /** These users in the given order; throws 'unknown_members' naming every id that is no user. */
  function memberSeqs(ids: readonly string[]): MemberSeq[] {
    if (ids.length === 0) return [];
    const seqById = new Map(s.userSeqs.all(JSON.stringify(ids)).map((row) => [row.id, row.seq]));
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

  /** Those of these ids that are users, in the given order (absent ones are skipped). */
  function knownSeqs(ids: readonly string[]): MemberSeq[] {
    if (ids.length === 0) return [];
    const seqById = new Map(s.userSeqs.all(JSON.stringify(ids)).map((row) => [row.id, row.seq]));
    return ids.flatMap((id) => {
      const seq = seqById.get(id);
      return seq === undefined ? [] : [{ id, seq }];
    });
  }

  /**
   * Appends users to the group's member list after its last position; present members stay where
   * they are. Returns the users that were not members before.
   */
  function appendMembers(groupSeq: number, members: readonly MemberSeq[]): MemberSeq[] {
    let position = s.lastPosition.get(groupSeq) ?? 0;
    const appended: MemberSeq[] = [];
    for (const member of members) {
      if (s.insertMember.run(groupSeq, member.seq, position + 1).changes === 0) continue;
      position += 1;
      appended.push(member);
    }
    return appended;
  }

  function writeEmails(userSeq: number, emails: readonly string[]): void {
    for (const key of uniqueIds(emails.map(foldCase))) s.insertEmail.run(userSeq, key);
  }

  const queue = createSqliteSyncQueue(db);
  const transact = db.transaction((work: () => unknown): unknown => work());
  const run: StoreRunner = <T>(work: () => T): T => guard(() => transact.immediate(work) as T);

  const insertUser = db.transaction((user: UserWrite, context: EnqueueContext): ResourceMeta => {
    const { at } = context;
    const { keys } = user;
    const result = s.insertUser.run(
      user.id, keys.userName, foldCase(keys.userName), displayNameOf(user.attributes), keys.externalId,
      keys.active ? 1 : 0, at, at, JSON.stringify(user.attributes),
    );
    writeEmails(Number(result.lastInsertRowid), keys.emails);
    queue.enqueue([userTarget(user.id)], context);
    return { id: user.id, version: 1, created: at, lastModified: at };
  });

  const replaceUser = db.transaction((user: UserWrite, context: EnqueueContext, precondition?: Precondition): ResourceMeta => {
    const { at } = context;
    const head = existing(s.userHead, 'user', user.id);
    checkVersion(user.id, head, precondition);
    const { keys } = user;
    s.updateUser.run(
      keys.userName, foldCase(keys.userName), displayNameOf(user.attributes), keys.externalId, keys.active ? 1 : 0,
      at, JSON.stringify(user.attributes), head.seq,
    );
    s.deleteEmails.run(head.seq);
    writeEmails(head.seq, keys.emails);
    queue.enqueue([userTarget(user.id)], context);
    return { id: user.id, version: head.version + 1, created: head.created, lastModified: at };
  });

  const deleteUser = db.transaction((id: string, context: EnqueueContext, precondition?: Precondition): void => {
    const head = existing(s.userHead, 'user', id);
    checkVersion(id, head, precondition);
    s.bumpGroupsOfUser.run(context.at, head.seq);
    s.deleteUser.run(head.seq);
    queue.enqueue([userTarget(id)], context);
  });

  const insertGroup = db.transaction((group: GroupWrite, members: readonly string[], context: EnqueueContext): ResourceMeta => {
    const { at } = context;
    const found = memberSeqs(uniqueIds(members));
    const { keys } = group;
    const result = s.insertGroup.run(
      group.id, keys.displayName, foldCase(keys.displayName), keys.externalId, at, at, JSON.stringify(group.attributes),
    );
    appendMembers(Number(result.lastInsertRowid), found);
    queue.enqueue([groupTarget(group.id), ...found.map((member) => userTarget(member.id))], context);
    return { id: group.id, version: 1, created: at, lastModified: at };
  });

  const updateGroup = db.transaction(
    (
      id: string, group: GroupWrite | undefined, members: MembershipChange | undefined, context: EnqueueContext,
      precondition?: Precondition,
    ): ResourceMeta => {
      const { at } = context;
      const head = existing(s.groupHead, 'group', id);
      checkVersion(id, head, precondition);
      // Every check before any write: unknown members here, a displayName conflict on the first UPDATE.
      const wanted = members === undefined ? [] : memberSeqs(members.kind === 'replace' ? members.members : members.add);
      if (group !== undefined) {
        const { keys } = group;
        s.updateGroupAttributes.run(
          keys.displayName, foldCase(keys.displayName), keys.externalId, JSON.stringify(group.attributes), head.seq,
        );
      }
      // The users whose membership changes: added ones not yet members, then former members leaving.
      let added: MemberSeq[];
      const removed: MemberSeq[] = [];
      if (members?.kind === 'replace') {
        const before = s.memberSeqsOfGroup.all(head.seq);
        const formerly = new Set(before.map((member) => member.seq));
        const staying = new Set(wanted.map((member) => member.seq));
        s.deleteMembers.run(head.seq);
        appendMembers(head.seq, wanted);
        added = wanted.filter((member) => !formerly.has(member.seq));
        for (const member of before) if (!staying.has(member.seq)) removed.push(member);
      } else {
        if (members?.kind === 'delta') {
          for (const member of knownSeqs(members.remove)) {
            if (s.deleteMember.run(head.seq, member.seq).changes > 0) removed.push(member);
          }
        }
        added = appendMembers(head.seq, wanted);
      }
      s.bumpGroup.run(at, head.seq);
      const targets: SyncTarget[] = group === undefined ? [] : [groupTarget(id)];
      for (const member of [...added, ...removed]) targets.push(userTarget(member.id));
      queue.enqueue(targets, context);
      return { id, version: head.version + 1, created: head.created, lastModified: at };
    },
  );

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

  const deleteGroup = db.transaction((id: string, context: EnqueueContext, precondition?: Precondition): void => {
    const head = existing(s.groupHead, 'group', id);
    checkVersion(id, head, precondition);
    const former = s.memberSeqsOfGroup.all(head.seq);
    s.deleteGroup.run(head.seq);
    queue.enqueue([groupTarget(id), ...former.map((member) => userTarget(member.id))], context);
  });

  return {
    ...syncQueuePort(queue, run),
    ...appliedStatePort(createSqliteAppliedState(db), run),
    ...auditLogPort(createSqliteAuditLog(db), run),
    ...lockPort(createSqliteLocks(db), run),
    ...rateLedgerPort(createSqliteRateLedger(db), run),

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

    async insertUser(user, change) {
      const context = enqueueContextOf(change);
      return guard(() => insertUser.immediate(user, context));
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

    async replaceUser(user, change, precondition) {
      const context = enqueueContextOf(change);
      return guard(() => replaceUser.immediate(user, context, precondition));
    },

    async deleteUser(id, change, precondition) {
      const context = enqueueContextOf(change);
      guard(() => deleteUser.immediate(id, context, precondition));
    },

    async groupsOfUsers(userIds) {
      const ids = uniqueIds(userIds);
      if (ids.length === 0) return new Map<string, GroupRef[]>();
      // One user (a GET by id or a userName filter) is the hot path: a plain indexed join, no json_each.
      if (ids.length === 1) return guard(() => refsByOwner(ids, s.groupsOfUser.all(ids[0] as string)));
      return guard(() => refsByOwner(ids, s.groupsOfUsers.all(JSON.stringify(ids))));
    },

    async insertGroup(group, members, change) {
      const context = enqueueContextOf(change);
      return guard(() => insertGroup.immediate(group, members, context));
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

    async updateGroup(update, change, precondition) {
      const context = enqueueContextOf(change);
      assertGroupWriteId(update.id, update.group);
      const members = update.members === undefined ? undefined : normaliseMembershipChange(update.members);
      return guard(() => updateGroup.immediate(update.id, update.group, members, context, precondition));
    },

    async deleteGroup(id, change, precondition) {
      const context = enqueueContextOf(change);
      guard(() => deleteGroup.immediate(id, context, precondition));
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

function checkVersion(id: string, head: HeadRow, precondition: Precondition | undefined): void {
  const expected = precondition?.expectedVersion;
  if (expected !== undefined && expected !== head.version) {
    throw new StoreError('version_mismatch', `"${id}" is at version ${head.version}, not ${expected}`);
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
