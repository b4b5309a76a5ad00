// The in-memory Store engine: the SQLite engine's semantics without a file, for unit and component
// tests. Every keyed lookup goes through a Map index, so 100,000 users stay cheap. A mutation
// enqueues its sync work after its last check, so a rejected call enqueues nothing.
import type { JsonObject } from '../../ports/json.js';
import type {
  FindQuery,
  GroupIndexedAttribute,
  GroupRef,
  GroupWrite,
  IndexPredicate,
  MemberRef,
  MembershipChange,
  Precondition,
  ResourceMeta,
  Store,
  StoredResource,
  UserIndexedAttribute,
  UserWrite,
} from '../../ports/store.js';
import { StoreError } from '../../ports/store.js';
import type { SyncTarget } from '../../ports/sync-queue.js';
import { appliedStatePort } from './applied-state-port.js';
import { auditLogPort } from './audit-log-port.js';
import { lockPort } from './lock-port.js';
import { createMemoryRateLedgerEngine } from './memory-rate-ledger.js';
import { rateLedgerPort } from './rate-ledger-port.js';
import { createMemoryLocks } from './memory-locks.js';
import { foldCase } from '../../ports/case-fold.js';
import { createMemoryAppliedState } from './memory-applied-state.js';
import { createMemoryAuditLog } from './memory-audit-log.js';
import { createMemorySyncQueue } from './memory-sync-queue.js';
import {
  assertFindQuery,
  assertGroupWriteId,
  assertPredicate,
  displayNameOf,
  groupIndexedAttributes,
  normaliseMembershipChange,
  uniqueIds,
  userIndexedAttributes,
} from './store-input.js';
import type { StoreRunner } from './sync-queue-port.js';
import { searchPage, userSearchRange } from './user-search.js';
import { enqueueContextOf, groupTarget, syncQueuePort, userTarget } from './sync-queue-port.js';

interface Versioned {
  readonly seq: number;
  readonly id: string;
  version: number;
  readonly created: string;
  lastModified: string;
  /** The attributes as JSON text, so nothing the caller holds aliases the store. */
  attributes: string;
}

interface UserRecord extends Versioned {
  userName: string;
  userNameKey: string;
  externalId: string | null;
  active: boolean;
  emailKeys: ReadonlySet<string>;
  display: string | null;
  /** Groups this user is a direct member of. */
  readonly groups: Set<GroupRecord>;
}

interface GroupRecord extends Versioned {
  displayName: string;
  displayNameKey: string;
  externalId: string | null;
  /** Members by user id, in the order they were added. */
  members: Map<string, UserRecord>;
}

/** How predicates on one resource type are answered: from an index, or by testing a record. */
interface IndexSpec<R, A extends string> {
  /** All records, in creation order. */
  all(): Iterable<R>;
  size(): number;
  /** The records an `eq` selects, from an index; null when only a scan answers it. */
  lookup(attribute: A, value: string | boolean): Iterable<R> | null;
  test(record: R, attribute: A, value: string | boolean): boolean;
}

/** Creates an empty in-memory store. */
export function createMemoryStore(): Store {
  let closed = false;
  let nextSeq = 1;
  const users = new Map<string, UserRecord>();
  const usersByUserNameKey = new Map<string, UserRecord>();
  const usersByExternalId = new Map<string, Set<UserRecord>>();
  const usersByEmailKey = new Map<string, Set<UserRecord>>();
  const groups = new Map<string, GroupRecord>();
  const groupsByDisplayNameKey = new Map<string, GroupRecord>();
  const groupsByExternalId = new Map<string, Set<GroupRecord>>();
  const queue = createMemorySyncQueue();
  const run: StoreRunner = (work) => {
    open();
    return work();
  };

  const userSpec: IndexSpec<UserRecord, UserIndexedAttribute> = {
    all: () => users.values(),
    size: () => users.size,
    lookup(attribute, value) {
      if (attribute === 'active') return typeof value === 'boolean' ? null : [];
      if (typeof value !== 'string') return [];
      switch (attribute) {
        case 'id': return optional(users.get(value));
        case 'userName': return optional(usersByUserNameKey.get(foldCase(value)));
        case 'externalId': return usersByExternalId.get(value) ?? [];
        case 'emails.value': return usersByEmailKey.get(foldCase(value)) ?? [];
      }
    },
    test(user, attribute, value) {
      if (attribute === 'active') return user.active === value;
      if (typeof value !== 'string') return false;
      switch (attribute) {
        case 'id': return user.id === value;
        case 'userName': return user.userNameKey === foldCase(value);
        case 'externalId': return user.externalId === value;
        case 'emails.value': return user.emailKeys.has(foldCase(value));
      }
    },
  };

  const groupSpec: IndexSpec<GroupRecord, GroupIndexedAttribute> = {
    all: () => groups.values(),
    size: () => groups.size,
    lookup(attribute, value) {
      if (typeof value !== 'string') return [];
      switch (attribute) {
        case 'id': return optional(groups.get(value));
        case 'displayName': return optional(groupsByDisplayNameKey.get(foldCase(value)));
        case 'externalId': return groupsByExternalId.get(value) ?? [];
        case 'members.value': return users.get(value)?.groups ?? [];
      }
    },
    test(group, attribute, value) {
      if (typeof value !== 'string') return false;
      switch (attribute) {
        case 'id': return group.id === value;
        case 'displayName': return group.displayNameKey === foldCase(value);
        case 'externalId': return group.externalId === value;
        case 'members.value': return group.members.has(value);
      }
    },
  };

  function open(): void {
    if (closed) throw new StoreError('unavailable', 'the memory store is closed');
  }

  function indexUser(user: UserRecord): void {
    usersByUserNameKey.set(user.userNameKey, user);
    if (user.externalId !== null) addToIndex(usersByExternalId, user.externalId, user);
    for (const key of user.emailKeys) addToIndex(usersByEmailKey, key, user);
  }

  function unindexUser(user: UserRecord): void {
    usersByUserNameKey.delete(user.userNameKey);
    if (user.externalId !== null) removeFromIndex(usersByExternalId, user.externalId, user);
    for (const key of user.emailKeys) removeFromIndex(usersByEmailKey, key, user);
  }

  function indexGroup(group: GroupRecord): void {
    groupsByDisplayNameKey.set(group.displayNameKey, group);
    if (group.externalId !== null) addToIndex(groupsByExternalId, group.externalId, group);
  }

  function unindexGroup(group: GroupRecord): void {
    groupsByDisplayNameKey.delete(group.displayNameKey);
    if (group.externalId !== null) removeFromIndex(groupsByExternalId, group.externalId, group);
  }

  function assignUser(user: UserRecord, write: UserWrite): void {
    user.userName = write.keys.userName;
    user.userNameKey = foldCase(write.keys.userName);
    user.externalId = write.keys.externalId;
    user.active = write.keys.active;
    user.emailKeys = new Set(write.keys.emails.map(foldCase));
    user.display = displayNameOf(write.attributes);
    user.attributes = JSON.stringify(write.attributes);
  }

  function assignGroup(group: GroupRecord, write: GroupWrite): void {
    group.displayName = write.keys.displayName;
    group.displayNameKey = foldCase(write.keys.displayName);
    group.externalId = write.keys.externalId;
    group.attributes = JSON.stringify(write.attributes);
  }

  function existingUser(id: string): UserRecord {
    const user = users.get(id);
    if (user === undefined) throw new StoreError('not_found', `no user with id "${id}"`);
    return user;
  }

  function existingGroup(id: string): GroupRecord {
    const group = groups.get(id);
    if (group === undefined) throw new StoreError('not_found', `no group with id "${id}"`);
    return group;
  }

  /** Resolves ids to users in the given order; throws 'unknown_members' naming every id that is no user. */
  function resolveMembers(ids: readonly string[]): UserRecord[] {
    const found: UserRecord[] = [];
    const unknown: string[] = [];
    for (const id of ids) {
      const user = users.get(id);
      if (user === undefined) unknown.push(id);
      else found.push(user);
    }
    if (unknown.length > 0) {
      throw new StoreError('unknown_members', `member ids that are no user: ${unknown.join(', ')}`, { ids: unknown });
    }
    return found;
  }

  function assertDisplayNameFree(displayName: string, self: GroupRecord | null): void {
    const holder = groupsByDisplayNameKey.get(foldCase(displayName));
    if (holder !== undefined && holder !== self) {
      throw new StoreError('conflict', `displayName "${displayName}" is taken`, { attribute: 'displayName' });
    }
  }

  function bump(resource: Versioned, at: string): ResourceMeta {
    resource.version += 1;
    resource.lastModified = at;
    return metaOf(resource);
  }

  return {
    ...syncQueuePort(queue, run),
    ...appliedStatePort(createMemoryAppliedState(), run),
    ...auditLogPort(createMemoryAuditLog(), run),
    ...lockPort(createMemoryLocks(), run),
    ...rateLedgerPort(createMemoryRateLedgerEngine(), run),

    async ping() {
      open();
    },

    async close() {
      closed = true;
    },

    async insertUser(write, change) {
      open();
      const context = enqueueContextOf(change);
      const { at } = change;
      if (users.has(write.id)) throw new StoreError('conflict', `a user with id "${write.id}" exists`, { attribute: 'id' });
      const userNameKey = foldCase(write.keys.userName);
      if (usersByUserNameKey.has(userNameKey)) {
        throw new StoreError('conflict', `userName "${write.keys.userName}" is taken`, { attribute: 'userName' });
      }
      const user: UserRecord = {
        seq: nextSeq++, id: write.id, version: 1, created: at, lastModified: at, attributes: '',
        userName: '', userNameKey: '', externalId: null, active: false, emailKeys: new Set(), display: null,
        groups: new Set(),
      };
      assignUser(user, write);
      users.set(user.id, user);
      indexUser(user);
      queue.enqueue([userTarget(user.id)], context);
      return metaOf(user);
    },

    async getUser(id) {
      open();
      const user = users.get(id);
      return user === undefined ? null : storedOf(user);
    },

    async searchUsers(search) {
      const range = userSearchRange(search);
      open();
      const within = (key: string | null) => key !== null && key >= range.low && key < range.high;
      const matches = [...users.values()]
        .filter((user) => within(user.userNameKey) || [...user.emailKeys].some(within) || within(user.display?.toLowerCase() ?? null))
        .sort((a, b) => (a.userNameKey < b.userNameKey ? -1 : a.userNameKey > b.userNameKey ? 1 : a.seq - b.seq));
      return searchPage(matches.map(storedOf), search);
    },

    async findUsers(query) {
      open();
      assertFindQuery(query, userIndexedAttributes);
      return select(userSpec, query).map(storedOf);
    },

    async countUsers(where) {
      open();
      assertPredicate(where, userIndexedAttributes);
      return count(userSpec, where);
    },

    async replaceUser(write, change, precondition) {
      open();
      const context = enqueueContextOf(change);
      const user = existingUser(write.id);
      checkVersion(user, precondition);
      const holder = usersByUserNameKey.get(foldCase(write.keys.userName));
      if (holder !== undefined && holder !== user) {
        throw new StoreError('conflict', `userName "${write.keys.userName}" is taken`, { attribute: 'userName' });
      }
      unindexUser(user);
      assignUser(user, write);
      indexUser(user);
      queue.enqueue([userTarget(user.id)], context);
      return bump(user, change.at);
    },

    async deleteUser(id, change, precondition) {
      open();
      const context = enqueueContextOf(change);
      const user = existingUser(id);
      checkVersion(user, precondition);
      for (const group of user.groups) {
        group.members.delete(user.id);
        bump(group, change.at);
      }
      unindexUser(user);
      users.delete(user.id);
      queue.enqueue([userTarget(user.id)], context);
    },

    async groupsOfUsers(userIds) {
      open();
      const result = new Map<string, GroupRef[]>();
      for (const id of uniqueIds(userIds)) {
        const user = users.get(id);
        if (user === undefined || user.groups.size === 0) continue;
        const refs = [...user.groups].sort(bySeq).map((group) => ({ value: group.id, display: group.displayName }));
        result.set(id, refs);
      }
      return result;
    },

    async findUsersWithGroups(query) {
      open();
      assertFindQuery(query, userIndexedAttributes);
      return select(userSpec, query).map((user) => ({
        record: storedOf(user),
        groups: [...user.groups].sort(bySeq).map((group) => ({ value: group.id, display: group.displayName })),
      }));
    },

    async insertGroup(write, members, change) {
      open();
      const context = enqueueContextOf(change);
      const { at } = change;
      const memberUsers = resolveMembers(uniqueIds(members));
      if (groups.has(write.id)) throw new StoreError('conflict', `a group with id "${write.id}" exists`, { attribute: 'id' });
      assertDisplayNameFree(write.keys.displayName, null);
      const group: GroupRecord = {
        seq: nextSeq++, id: write.id, version: 1, created: at, lastModified: at, attributes: '',
        displayName: '', displayNameKey: '', externalId: null, members: new Map(),
      };
      assignGroup(group, write);
      for (const user of memberUsers) {
        group.members.set(user.id, user);
        user.groups.add(group);
      }
      groups.set(group.id, group);
      indexGroup(group);
      queue.enqueue([groupTarget(group.id), ...memberUsers.map((user) => userTarget(user.id))], context);
      return metaOf(group);
    },

    async getGroup(id) {
      open();
      const group = groups.get(id);
      return group === undefined ? null : storedOf(group);
    },

    async findGroups(query) {
      open();
      assertFindQuery(query, groupIndexedAttributes);
      return select(groupSpec, query).map(storedOf);
    },

    async countGroups(where) {
      open();
      assertPredicate(where, groupIndexedAttributes);
      return count(groupSpec, where);
    },

    async updateGroup(update, change, precondition) {
      open();
      const context = enqueueContextOf(change);
      assertGroupWriteId(update.id, update.group);
      const members: MembershipChange | undefined =
        update.members === undefined ? undefined : normaliseMembershipChange(update.members);
      const group = existingGroup(update.id);
      checkVersion(group, precondition);
      // Every check before any write: the change applies whole or not at all.
      const added = members === undefined ? [] : resolveMembers(members.kind === 'replace' ? members.members : members.add);
      if (update.group !== undefined) assertDisplayNameFree(update.group.keys.displayName, group);

      // The users whose membership changes: added ones not yet members, then former members leaving.
      const targets: SyncTarget[] = update.group === undefined ? [] : [groupTarget(group.id)];
      for (const user of added) if (!group.members.has(user.id)) targets.push(userTarget(user.id));
      if (members?.kind === 'replace') {
        const staying = new Set(members.members);
        for (const id of group.members.keys()) if (!staying.has(id)) targets.push(userTarget(id));
      } else if (members?.kind === 'delta') {
        for (const id of members.remove) if (group.members.has(id)) targets.push(userTarget(id));
      }

      if (update.group !== undefined) {
        unindexGroup(group);
        assignGroup(group, update.group);
        indexGroup(group);
      }
      if (members?.kind === 'replace') {
        for (const user of group.members.values()) user.groups.delete(group);
        group.members = new Map();
      } else if (members?.kind === 'delta') {
        for (const id of members.remove) {
          const user = group.members.get(id);
          if (user === undefined) continue;
          group.members.delete(id);
          user.groups.delete(group);
        }
      }
      for (const user of added) {
        if (group.members.has(user.id)) continue;
        group.members.set(user.id, user);
        user.groups.add(group);
      }
      queue.enqueue(targets, context);
      return bump(group, change.at);
    },

    async deleteGroup(id, change, precondition) {
      open();
      const context = enqueueContextOf(change);
      const group = existingGroup(id);
      checkVersion(group, precondition);
      const targets = [groupTarget(group.id), ...[...group.members.keys()].map(userTarget)];
      for (const user of group.members.values()) user.groups.delete(group);
      unindexGroup(group);
      groups.delete(group.id);
      queue.enqueue(targets, context);
    },

    async membersOfGroups(groupIds) {
      open();
      const result = new Map<string, MemberRef[]>();
      for (const id of uniqueIds(groupIds)) {
        const group = groups.get(id);
        if (group === undefined || group.members.size === 0) continue;
        const refs: MemberRef[] = [];
        for (const user of group.members.values()) refs.push({ value: user.id, display: user.display ?? user.userName });
        result.set(id, refs);
      }
      return result;
    },

    async countMembersOfGroups(groupIds) {
      open();
      const result = new Map<string, number>();
      for (const id of uniqueIds(groupIds)) {
        const size = groups.get(id)?.members.size ?? 0;
        if (size > 0) result.set(id, size);
      }
      return result;
    },
  };
}

function optional<R>(record: R | undefined): R[] {
  return record === undefined ? [] : [record];
}

function addToIndex<R>(index: Map<string, Set<R>>, key: string, record: R): void {
  const set = index.get(key);
  if (set === undefined) index.set(key, new Set([record]));
  else set.add(record);
}

function removeFromIndex<R>(index: Map<string, Set<R>>, key: string, record: R): void {
  const set = index.get(key);
  if (set === undefined) return;
  set.delete(record);
  if (set.size === 0) index.delete(key);
}

function bySeq(a: { readonly seq: number }, b: { readonly seq: number }): number {
  return a.seq - b.seq;
}

function checkVersion(resource: Versioned, precondition: Precondition | undefined): void {
  const expected = precondition?.expectedVersion;
  if (expected !== undefined && expected !== resource.version) {
    throw new StoreError('version_mismatch', `"${resource.id}" is at version ${resource.version}, not ${expected}`);
  }
}

function metaOf(resource: Versioned): ResourceMeta {
  return { id: resource.id, version: resource.version, created: resource.created, lastModified: resource.lastModified };
}

function storedOf(resource: Versioned): StoredResource {
  return { ...metaOf(resource), attributes: JSON.parse(resource.attributes) as JsonObject };
}

/** Whether the record satisfies the predicate (empty `and` is true, empty `or` false). */
function matches<R, A extends string>(spec: IndexSpec<R, A>, record: R, where: IndexPredicate<A>): boolean {
  switch (where.kind) {
    case 'eq': return spec.test(record, where.attribute, where.value);
    case 'and': return where.operands.every((operand) => matches(spec, record, operand));
    case 'or': return where.operands.some((operand) => matches(spec, record, operand));
  }
}

/**
 * A superset of the matching records drawn from indexes, or null when only a full scan answers
 * the predicate. `and` narrows to its most selective indexed operand; `or` needs every operand indexed.
 */
function candidates<R, A extends string>(spec: IndexSpec<R, A>, where: IndexPredicate<A>): Set<R> | null {
  switch (where.kind) {
    case 'eq': {
      const found = spec.lookup(where.attribute, where.value);
      return found === null ? null : new Set(found);
    }
    case 'and': {
      let smallest: Set<R> | null = null;
      for (const operand of where.operands) {
        const set = candidates(spec, operand);
        if (set !== null && (smallest === null || set.size < smallest.size)) smallest = set;
        if (smallest?.size === 0) break;
      }
      return smallest;
    }
    case 'or': {
      const union = new Set<R>();
      for (const operand of where.operands) {
        const set = candidates(spec, operand);
        if (set === null) return null;
        for (const record of set) union.add(record);
      }
      return union;
    }
  }
}

function select<R extends Versioned, A extends string>(spec: IndexSpec<R, A>, query: FindQuery<A>): R[] {
  const { where, offset, limit } = query;
  if (limit === 0) return [];
  const indexed = where === null ? null : candidates(spec, where);
  if (indexed !== null) {
    return [...indexed].filter((record) => where === null || matches(spec, record, where))
      .sort(bySeq)
      .slice(offset, offset + limit);
  }
  const page: R[] = [];
  let skipped = 0;
  for (const record of spec.all()) {
    if (where !== null && !matches(spec, record, where)) continue;
    if (skipped < offset) {
      skipped += 1;
      continue;
    }
    page.push(record);
    if (page.length === limit) break;
  }
  return page;
}

function count<R, A extends string>(spec: IndexSpec<R, A>, where: IndexPredicate<A> | null): number {
  if (where === null) return spec.size();
  const indexed = candidates(spec, where);
  let total = 0;
  for (const record of indexed ?? spec.all()) if (matches(spec, record, where)) total += 1;
  return total;
}
