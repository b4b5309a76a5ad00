// SQLite applied state: one row per SCIM User / Group id, upserted (keeping its seq, the listing
// order); group_uuids, davis and bindings travel as JSON text; one row naming the account.
import type Database from 'better-sqlite3';
import type { AppliedGroup, Provenance } from '../../../ports/applied-state.js';
import { appliedGroupOf, appliedUserOf, type AppliedGroupRow, type AppliedUserRow } from '../applied-state-rows.js';
import type { AppliedStateEngine } from '../applied-state-port.js';

const userColumns = 'user_id AS userId, email, uid, provenance, group_uuids AS groupUuids, davis';
const groupColumns = 'group_id AS groupId, uuid, name, provenance, bindings';

/** The applied-state statements, prepared once; every method runs inside a transaction the caller opened. */
export function createSqliteAppliedState(db: Database.Database): AppliedStateEngine {
  const s = {
    getUser: db.prepare<[string], AppliedUserRow>(`SELECT ${userColumns} FROM applied_users WHERE user_id = ?`),
    putUser: db.prepare<[string, string, string | null, Provenance, string, string | null]>(
      `INSERT INTO applied_users (user_id, email, uid, provenance, group_uuids, davis) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (user_id) DO UPDATE SET email = excluded.email, uid = excluded.uid, provenance = excluded.provenance,
         group_uuids = excluded.group_uuids, davis = excluded.davis`,
    ),
    deleteUser: db.prepare<[string]>('DELETE FROM applied_users WHERE user_id = ?'),
    listUsers: db.prepare<[], AppliedUserRow>(`SELECT ${userColumns} FROM applied_users ORDER BY seq`),
    getGroups: db.prepare<[string], AppliedGroupRow>(
      `SELECT ${groupColumns} FROM applied_groups WHERE group_id IN (SELECT value FROM json_each(?))`,
    ),
    putGroup: db.prepare<[string, string, string, Provenance, string]>(
      `INSERT INTO applied_groups (group_id, uuid, name, provenance, bindings) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (group_id) DO UPDATE SET uuid = excluded.uuid, name = excluded.name, provenance = excluded.provenance,
         bindings = excluded.bindings`,
    ),
    deleteGroup: db.prepare<[string]>('DELETE FROM applied_groups WHERE group_id = ?'),
    listGroups: db.prepare<[], AppliedGroupRow>(`SELECT ${groupColumns} FROM applied_groups ORDER BY seq`),
    getAccount: db.prepare<[], string>('SELECT account FROM applied_account WHERE id = 1').pluck(),
    setAccount: db.prepare<[string]>('INSERT INTO applied_account (id, account) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET account = excluded.account'),
    forgetUsers: db.prepare('DELETE FROM applied_users'),
    forgetGroups: db.prepare('DELETE FROM applied_groups'),
  };

  return {
    getUser(userId) {
      const row = s.getUser.get(userId);
      return row === undefined ? null : appliedUserOf(row);
    },
    putUser(user) {
      s.putUser.run(
        user.userId, user.email, user.uid, user.provenance, JSON.stringify(user.groupUuids),
        user.davis === null ? null : JSON.stringify(user.davis),
      );
    },
    deleteUser(userId) {
      s.deleteUser.run(userId);
    },
    getGroups(groupIds) {
      const byId = new Map(s.getGroups.all(JSON.stringify(groupIds)).map((row) => [row.groupId, appliedGroupOf(row)]));
      const ordered = new Map<string, AppliedGroup>();
      for (const id of groupIds) {
        const group = byId.get(id);
        if (group !== undefined) ordered.set(id, group);
      }
      return ordered;
    },
    putGroup(group) {
      s.putGroup.run(group.groupId, group.uuid, group.name, group.provenance, JSON.stringify(group.bindings));
    },
    deleteGroup(groupId) {
      s.deleteGroup.run(groupId);
    },
    listUsers() {
      return s.listUsers.all().map(appliedUserOf);
    },
    listGroups() {
      return s.listGroups.all().map(appliedGroupOf);
    },
    getAccount() {
      return s.getAccount.get() ?? null;
    },
    setAccount(account, forgetApplied) {
      if (forgetApplied) {
        s.forgetUsers.run();
        s.forgetGroups.run();
      }
      s.setAccount.run(account);
    },
  };
}
