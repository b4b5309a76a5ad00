// In-memory applied state: rows kept as JSON text in insertion-ordered Maps, so nothing a caller
// holds aliases the store and a put keeps the row's place in the listing, as in SQLite; and the
// account the rows describe.
import type { AppliedGroup, AppliedUser } from '../../ports/applied-state.js';
import type { AppliedStateEngine } from './applied-state-port.js';

export function createMemoryAppliedState(): AppliedStateEngine {
  const users = new Map<string, string>();
  const groups = new Map<string, string>();
  let account: string | null = null;
  const parseUser = (text: string): AppliedUser => JSON.parse(text) as AppliedUser;
  const parseGroup = (text: string): AppliedGroup => JSON.parse(text) as AppliedGroup;

  return {
    getUser(userId) {
      const text = users.get(userId);
      return text === undefined ? null : parseUser(text);
    },
    putUser(user) {
      users.set(user.userId, JSON.stringify(user));
    },
    deleteUser(userId) {
      users.delete(userId);
    },
    getGroups(groupIds) {
      const found = new Map<string, AppliedGroup>();
      for (const id of groupIds) {
        const text = groups.get(id);
        if (text !== undefined) found.set(id, parseGroup(text));
      }
      return found;
    },
    putGroup(group) {
      groups.set(group.groupId, JSON.stringify(group));
    },
    deleteGroup(groupId) {
      groups.delete(groupId);
    },
    listUsers() {
      return [...users.values()].map(parseUser);
    },
    listGroups() {
      return [...groups.values()].map(parseGroup);
    },
    getAccount() {
      return account;
    },
    setAccount(next, forgetApplied) {
      if (forgetApplied) {
        users.clear();
        groups.clear();
      }
      account = next;
    },
  };
}
