// PostgreSQL applied state: one row per SCIM User / Group id, upserted (keeping its seq, the listing
// order); group_uuids, davis and bindings travel as JSON text, as in the SQLite engine; one row
// naming the account.
import type { AppliedGroup } from '../../../ports/applied-state.js';
import { appliedGroupOf, appliedUserOf, type AppliedGroupRow, type AppliedUserRow } from '../applied-state-rows.js';
import type { AppliedStateEngine } from '../applied-state-port.js';
import type { AsyncEngine } from '../engine-steps.js';
import type { Database } from './postgres-database.js';

const userColumns = 'user_id AS "userId", email, uid, provenance, group_uuids AS "groupUuids", davis';
const groupColumns = 'group_id AS "groupId", uuid, name, provenance, bindings';

/** The applied-state statements over `schema` (quoted); each call is one statement on `db`, forgetting the rows of another account one transaction. */
export function createPostgresAppliedState(db: Database, schema: string): AsyncEngine<AppliedStateEngine> {
  const users = `${schema}.applied_users`;
  const groups = `${schema}.applied_groups`;
  const account = `${schema}.applied_account`;
  const s = {
    getUser: { name: 'applied_get_user', text: `SELECT ${userColumns} FROM ${users} WHERE user_id = $1` },
    putUser: {
      name: 'applied_put_user',
      text: `INSERT INTO ${users} AS a (user_id, email, uid, provenance, group_uuids, davis) VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (user_id) DO UPDATE SET email = excluded.email, uid = excluded.uid, provenance = excluded.provenance,
          group_uuids = excluded.group_uuids, davis = excluded.davis`,
    },
    deleteUser: { name: 'applied_delete_user', text: `DELETE FROM ${users} WHERE user_id = $1` },
    listUsers: { name: 'applied_list_users', text: `SELECT ${userColumns} FROM ${users} ORDER BY seq` },
    getGroups: { name: 'applied_get_groups', text: `SELECT ${groupColumns} FROM ${groups} WHERE group_id = ANY($1::text[])` },
    putGroup: {
      name: 'applied_put_group',
      text: `INSERT INTO ${groups} AS a (group_id, uuid, name, provenance, bindings) VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (group_id) DO UPDATE SET uuid = excluded.uuid, name = excluded.name, provenance = excluded.provenance,
          bindings = excluded.bindings`,
    },
    deleteGroup: { name: 'applied_delete_group', text: `DELETE FROM ${groups} WHERE group_id = $1` },
    listGroups: { name: 'applied_list_groups', text: `SELECT ${groupColumns} FROM ${groups} ORDER BY seq` },
    getAccount: { name: 'applied_get_account', text: `SELECT account FROM ${account} WHERE id = 1` },
    setAccount: {
      name: 'applied_set_account',
      text: `INSERT INTO ${account} (id, account) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET account = excluded.account`,
    },
    forgetUsers: { name: 'applied_forget_users', text: `DELETE FROM ${users}` },
    forgetGroups: { name: 'applied_forget_groups', text: `DELETE FROM ${groups}` },
  };

  return {
    async getUser(userId) {
      const [row] = await db.rows<AppliedUserRow>(s.getUser, [userId]);
      return row === undefined ? null : appliedUserOf(row);
    },
    async putUser(user) {
      await db.run(s.putUser, [
        user.userId, user.email, user.uid, user.provenance, JSON.stringify(user.groupUuids),
        user.davis === null ? null : JSON.stringify(user.davis),
      ]);
    },
    async deleteUser(userId) {
      await db.run(s.deleteUser, [userId]);
    },
    async getGroups(groupIds) {
      const rows = await db.rows<AppliedGroupRow>(s.getGroups, [groupIds]);
      const byId = new Map(rows.map((row) => [row.groupId, appliedGroupOf(row)]));
      const ordered = new Map<string, AppliedGroup>();
      for (const id of groupIds) {
        const group = byId.get(id);
        if (group !== undefined) ordered.set(id, group);
      }
      return ordered;
    },
    async putGroup(group) {
      await db.run(s.putGroup, [group.groupId, group.uuid, group.name, group.provenance, JSON.stringify(group.bindings)]);
    },
    async deleteGroup(groupId) {
      await db.run(s.deleteGroup, [groupId]);
    },
    async listUsers() {
      return (await db.rows<AppliedUserRow>(s.listUsers)).map(appliedUserOf);
    },
    async listGroups() {
      return (await db.rows<AppliedGroupRow>(s.listGroups)).map(appliedGroupOf);
    },
    async getAccount() {
      const [row] = await db.rows<{ account: string }>(s.getAccount);
      return row?.account ?? null;
    },
    async setAccount(next, forgetApplied) {
      await db.transaction(async (tx) => {
        if (forgetApplied) {
          await tx.run(s.forgetUsers);
          await tx.run(s.forgetGroups);
        }
        await tx.run(s.setAccount, [next]);
      });
    },
  };
}
