// The SQLite resource engine: users, groups and memberships as rows, through statements prepared once
// per store; it runs inside the caller's immediate transaction. Member positions grow from the group's
// last one, so the (group_seq, position) index yields every list in order.
import type Database from 'better-sqlite3';
import type { ResourceEngine, ResourceHead, MemberKey } from '../resource-engine.js';
import type { SyncQueueEngine } from '../sync-queue-port.js';

interface IdSeqRow {
  readonly id: string;
  readonly seq: number;
}

export function createSqliteResourceEngine(db: Database.Database, queue: SyncQueueEngine): ResourceEngine<number> {
  const s = {
    userHead: db.prepare<[string], ResourceHead<number>>('SELECT seq, version, created FROM users WHERE id = ?'),
    insertUser: db.prepare<[string, string, string, string | null, string | null, string | null, number, string, string, string]>(
      `INSERT INTO users (id, user_name, user_name_key, display_name, display_name_key, external_id, active, version, created, last_modified, attributes)
       VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)`,
    ),
    updateUser: db.prepare<[string, string, string | null, string | null, string | null, number, string, string, number]>(
      `UPDATE users SET user_name = ?, user_name_key = ?, display_name = ?, display_name_key = ?, external_id = ?, active = ?,
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

    groupHead: db.prepare<[string], ResourceHead<number>>('SELECT seq, version, created FROM groups WHERE id = ?'),
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
    deleteMember: db.prepare<[number, string]>(
      'DELETE FROM group_members WHERE group_seq = ? AND user_seq = (SELECT seq FROM users WHERE id = ?)',
    ),
    deleteMembers: db.prepare<[number]>('DELETE FROM group_members WHERE group_seq = ?'),
    /** The members of one group in list order (the (group_seq, position) index, no sort). */
    membersOf: db.prepare<[number], MemberKey<number>>(
      `SELECT u.id, u.seq FROM group_members m JOIN users u ON u.seq = m.user_seq
       WHERE m.group_seq = ? ORDER BY m.position`,
    ),
  };

  function writeEmails(userSeq: number, keys: readonly string[]): void {
    for (const key of keys) s.insertEmail.run(userSeq, key);
  }

  return {
    userHead: (id) => s.userHead.get(id) ?? null,

    insertUser(id, columns, emailKeys, at) {
      const result = s.insertUser.run(
        id, columns.userName, columns.userNameKey, columns.displayName, columns.displayNameKey, columns.externalId,
        columns.active ? 1 : 0, at, at, columns.attributes,
      );
      const seq = Number(result.lastInsertRowid);
      writeEmails(seq, emailKeys);
      return seq;
    },

    updateUser(seq, columns, emailKeys, at) {
      s.updateUser.run(
        columns.userName, columns.userNameKey, columns.displayName, columns.displayNameKey, columns.externalId,
        columns.active ? 1 : 0, at, columns.attributes, seq,
      );
      s.deleteEmails.run(seq);
      writeEmails(seq, emailKeys);
    },

    deleteUser: (seq) => void s.deleteUser.run(seq),
    bumpGroupsOfUser: (seq, at) => void s.bumpGroupsOfUser.run(at, seq),
    userKeys: (ids) => s.userSeqs.all(JSON.stringify(ids)),

    groupHead: (id) => s.groupHead.get(id) ?? null,

    insertGroup(id, columns, at) {
      const result = s.insertGroup.run(id, columns.displayName, columns.displayNameKey, columns.externalId, at, at, columns.attributes);
      return Number(result.lastInsertRowid);
    },

    updateGroupAttributes(seq, columns) {
      s.updateGroupAttributes.run(columns.displayName, columns.displayNameKey, columns.externalId, columns.attributes, seq);
    },

    bumpGroup: (seq, at) => void s.bumpGroup.run(at, seq),
    deleteGroup: (seq) => void s.deleteGroup.run(seq),
    membersOf: (groupSeq) => s.membersOf.all(groupSeq),

    appendMembers(groupSeq, users) {
      let position = s.lastPosition.get(groupSeq) ?? 0;
      const appended: number[] = [];
      for (const user of users) {
        if (s.insertMember.run(groupSeq, user, position + 1).changes === 0) continue;
        position += 1;
        appended.push(user);
      }
      return appended;
    },

    removeMembers: (groupSeq, userIds) => userIds.filter((id) => s.deleteMember.run(groupSeq, id).changes > 0),
    clearMembers: (groupSeq) => void s.deleteMembers.run(groupSeq),
    enqueue: (targets, context) => queue.enqueue(targets, context),
  };
}
