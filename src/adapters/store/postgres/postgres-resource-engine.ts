// The PostgreSQL resource engine: users, groups and memberships as rows, through named statements, bound
// to the connection of one mutation's transaction. Replicas share the rows safely: a head is read with
// a row lock (FOR UPDATE) held until the transaction ends, and users about to become members are
// locked FOR KEY SHARE against a concurrent delete. Row keys (`seq`, a bigint) travel as text.
import type { AsyncEngine } from '../engine-steps.js';
import type { MemberKey, ResourceEngine, ResourceHead, UserColumns } from '../resource-engine.js';
import { StoreError } from '../../../ports/store.js';
import type { Sql, SqlValue } from './postgres-database.js';
import type { PostgresSyncQueue } from './postgres-sync-queue.js';

/** The engine of the transaction running on `sql`. */
export type PostgresResourceEngine = (sql: Sql) => AsyncEngine<ResourceEngine<string>>;

export function createPostgresResourceEngine(schema: string, queue: PostgresSyncQueue): PostgresResourceEngine {
  const users = `${schema}.users`;
  const emails = `${schema}.user_emails`;
  const groups = `${schema}.groups`;
  const members = `${schema}.group_members`;

  const s = {
    lockUser: { name: 'lock_user', text: `SELECT seq, version, created FROM ${users} WHERE id = $1 FOR UPDATE` },
    insertUser: {
      name: 'insert_user',
      text: `INSERT INTO ${users} (id, user_name, user_name_key, display_name, display_name_key, external_id, active, version, created, last_modified, attributes)
        VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $8, $9) RETURNING seq`,
    },
    updateUser: {
      name: 'update_user',
      text: `UPDATE ${users} SET user_name = $2, user_name_key = $3, display_name = $4, display_name_key = $5, external_id = $6,
          active = $7, version = version + 1, last_modified = $8, attributes = $9
        WHERE seq = $1`,
    },
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

    /** Locks the group row for the rest of the transaction (changes of one group serialise here). */
    lockGroup: { name: 'lock_group', text: `SELECT seq, version, created FROM ${groups} WHERE id = $1 FOR UPDATE` },
    insertGroup: {
      name: 'insert_group',
      text: `INSERT INTO ${groups} (id, display_name, display_name_key, external_id, version, created, last_modified, attributes)
        VALUES ($1, $2, $3, $4, 1, $5, $5, $6) RETURNING seq`,
    },
    updateGroupAttributes: {
      name: 'update_group_attributes',
      text: `UPDATE ${groups} SET display_name = $2, display_name_key = $3, external_id = $4, attributes = $5 WHERE seq = $1`,
    },
    bumpGroup: { name: 'bump_group', text: `UPDATE ${groups} SET version = version + 1, last_modified = $2 WHERE seq = $1` },
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
  };

  function userValues(columns: UserColumns, at: string): SqlValue[] {
    return [columns.userName, columns.userNameKey, columns.displayName, columns.displayNameKey, columns.externalId, columns.active, at, columns.attributes];
  }

  return (sql) => {
    async function writeEmails(seq: string, keys: readonly string[]): Promise<void> {
      if (keys.length > 0) await sql.run(s.insertEmails, [seq, keys]);
    }

    return {
      userHead: async (id) => (await sql.rows<ResourceHead<string>>(s.lockUser, [id]))[0] ?? null,

      async insertUser(id, columns, emailKeys, at) {
        const seq = await inserted(sql.rows(s.insertUser, [id, ...userValues(columns, at)]), 'user');
        await writeEmails(seq, emailKeys);
        return seq;
      },

      async updateUser(seq, columns, emailKeys, at) {
        await sql.run(s.updateUser, [seq, ...userValues(columns, at)]);
        await sql.run(s.deleteEmails, [seq]);
        await writeEmails(seq, emailKeys);
      },

      deleteUser: async (seq) => void (await sql.run(s.deleteUser, [seq])),
      bumpGroupsOfUser: async (seq, at) => void (await sql.run(s.bumpGroupsOfUser, [seq, at])),
      userKeys: (ids) => sql.rows<MemberKey<string>>(s.userSeqs, [ids]),

      groupHead: async (id) => (await sql.rows<ResourceHead<string>>(s.lockGroup, [id]))[0] ?? null,

      insertGroup: (id, columns, at) =>
        inserted(sql.rows(s.insertGroup, [id, columns.displayName, columns.displayNameKey, columns.externalId, at, columns.attributes]), 'group'),

      async updateGroupAttributes(seq, columns) {
        await sql.run(s.updateGroupAttributes, [seq, columns.displayName, columns.displayNameKey, columns.externalId, columns.attributes]);
      },

      bumpGroup: async (seq, at) => void (await sql.run(s.bumpGroup, [seq, at])),
      deleteGroup: async (seq) => void (await sql.run(s.deleteGroup, [seq])),
      membersOf: (groupSeq) => sql.rows<MemberKey<string>>(s.memberSeqsOfGroup, [groupSeq]),
      appendMembers: async (groupSeq, userSeqs) => (await sql.rows<{ seq: string }>(s.appendMembers, [groupSeq, userSeqs])).map((row) => row.seq),
      removeMembers: async (groupSeq, userIds) => (await sql.rows<{ id: string }>(s.removeMembers, [groupSeq, userIds])).map((row) => row.id),
      clearMembers: async (groupSeq) => void (await sql.run(s.removeAllMembers, [groupSeq])),
      enqueue: (targets, context) => queue.enqueueIn(sql, targets, context),
    };
  };
}

/** The key an INSERT … RETURNING seq gave the new row. */
async function inserted(rows: Promise<{ seq: string }[]>, kind: 'user' | 'group'): Promise<string> {
  const [row] = await rows;
  if (row === undefined) throw new StoreError('unavailable', `the ${kind} row was not inserted`);
  return row.seq;
}
