// The rules of the Store's resource mutations, written once for every engine: inputs checked, then one
// rule per mutation in one engine transaction — existence and the version precondition, unknown
// members named before any write, membership deltas, version bumps, and the sync work each mutation
// enqueues (the resource and every user whose membership changed) inside that same transaction, so a
// rejected call writes and enqueues nothing. The engine (resource-engine.ts) only stores.
import { foldCase } from '../../ports/case-fold.js';
import type { GroupWrite, Precondition, ResourceMeta, Store, UserWrite } from '../../ports/store.js';
import { StoreError } from '../../ports/store.js';
import type { SyncTarget } from '../../ports/sync-queue.js';
import type { Rule } from './engine-steps.js';
import { step } from './engine-steps.js';
import type { GroupColumns, MemberKey, ResourceEngine, ResourceHead, UserColumns } from './resource-engine.js';
import type { NormalisedMembershipChange } from './store-input.js';
import { assertGroupWriteId, displayNameOf, normaliseMembershipChange, uniqueIds } from './store-input.js';
import type { EnqueueContext } from './sync-queue-port.js';
import { enqueueContextOf, groupTarget, userTarget } from './sync-queue-port.js';

/** Runs one mutation's rule in one engine transaction (with the engine's closed check and error translation). */
export type ResourceTransaction<K> = <R>(rule: (engine: ResourceEngine<K>) => Rule<R>) => Promise<R>;

export type ResourceMutations = Pick<Store, 'insertUser' | 'replaceUser' | 'deleteUser' | 'insertGroup' | 'updateGroup' | 'deleteGroup'>;

/** The Store's resource mutations over an engine's transactions. */
export function resourceMutations<K>(transact: ResourceTransaction<K>): ResourceMutations {
  return {
    async insertUser(user, change) {
      const context = enqueueContextOf(change);
      return transact((engine) => insertUser(engine, user, context));
    },

    async replaceUser(user, change, precondition) {
      const context = enqueueContextOf(change);
      return transact((engine) => replaceUser(engine, user, context, precondition));
    },

    async deleteUser(id, change, precondition) {
      const context = enqueueContextOf(change);
      await transact((engine) => deleteUser(engine, id, context, precondition));
    },

    async insertGroup(group, members, change) {
      const context = enqueueContextOf(change);
      return transact((engine) => insertGroup(engine, group, members, context));
    },

    async updateGroup(update, change, precondition) {
      const context = enqueueContextOf(change);
      assertGroupWriteId(update.id, update.group);
      const members = update.members === undefined ? undefined : normaliseMembershipChange(update.members);
      return transact((engine) => updateGroup(engine, update.id, update.group, members, context, precondition));
    },

    async deleteGroup(id, change, precondition) {
      const context = enqueueContextOf(change);
      await transact((engine) => deleteGroup(engine, id, context, precondition));
    },
  };
}

function* insertUser<K>(engine: ResourceEngine<K>, user: UserWrite, context: EnqueueContext): Rule<ResourceMeta> {
  const { at } = context;
  yield* step(engine.insertUser(user.id, userColumns(user), emailKeys(user), at));
  yield* step(engine.enqueue([userTarget(user.id)], context));
  return { id: user.id, version: 1, created: at, lastModified: at };
}

function* replaceUser<K>(
  engine: ResourceEngine<K>, user: UserWrite, context: EnqueueContext, precondition: Precondition | undefined,
): Rule<ResourceMeta> {
  const { at } = context;
  const head = checked(yield* step(engine.userHead(user.id)), 'user', user.id, precondition);
  yield* step(engine.updateUser(head.seq, userColumns(user), emailKeys(user), at));
  yield* step(engine.enqueue([userTarget(user.id)], context));
  return { id: user.id, version: head.version + 1, created: head.created, lastModified: at };
}

/** The user leaves its groups, each of which moves to a new version. */
function* deleteUser<K>(engine: ResourceEngine<K>, id: string, context: EnqueueContext, precondition: Precondition | undefined): Rule<void> {
  const head = checked(yield* step(engine.userHead(id)), 'user', id, precondition);
  yield* step(engine.bumpGroupsOfUser(head.seq, context.at));
  yield* step(engine.deleteUser(head.seq));
  yield* step(engine.enqueue([userTarget(id)], context));
}

/** The group and every member are enqueued. */
function* insertGroup<K>(engine: ResourceEngine<K>, group: GroupWrite, memberIds: readonly string[], context: EnqueueContext): Rule<ResourceMeta> {
  const { at } = context;
  const members = yield* knownUsers(engine, uniqueIds(memberIds));
  const seq = yield* step(engine.insertGroup(group.id, groupColumns(group), at));
  yield* appendMembers(engine, seq, members);
  yield* step(engine.enqueue([groupTarget(group.id), ...members.map((member) => userTarget(member.id))], context));
  return { id: group.id, version: 1, created: at, lastModified: at };
}

/**
 * New attributes and/or a membership change, one version further. `replace` makes the list exactly the
 * given users (those staying keep their place); a delta removes, then appends after the last member.
 * Enqueued: the group when its attributes change, and each user whose membership changed.
 */
function* updateGroup<K>(
  engine: ResourceEngine<K>, id: string, group: GroupWrite | undefined, change: NormalisedMembershipChange | undefined,
  context: EnqueueContext, precondition: Precondition | undefined,
): Rule<ResourceMeta> {
  const { at } = context;
  const head = checked(yield* step(engine.groupHead(id)), 'group', id, precondition);
  // Every check before any write: unknown members here, a displayName conflict on the first write.
  const wanted = change === undefined ? [] : yield* knownUsers(engine, change.kind === 'replace' ? change.members : change.add);
  if (group !== undefined) yield* step(engine.updateGroupAttributes(head.seq, groupColumns(group)));
  // The users whose membership changes: added ones not yet members, then former members leaving.
  let added: readonly MemberKey<K>[];
  let removed: readonly string[] = [];
  if (change?.kind === 'replace') {
    const before = yield* step(engine.membersOf(head.seq));
    const formerly = new Set(before.map((member) => member.seq));
    const staying = new Set(wanted.map((member) => member.seq));
    yield* step(engine.clearMembers(head.seq));
    yield* appendMembers(engine, head.seq, wanted);
    added = wanted.filter((member) => !formerly.has(member.seq));
    removed = before.filter((member) => !staying.has(member.seq)).map((member) => member.id);
  } else {
    if (change !== undefined && change.remove.length > 0) {
      const gone = new Set(yield* step(engine.removeMembers(head.seq, change.remove)));
      removed = change.remove.filter((memberId) => gone.has(memberId));
    }
    added = yield* appendMembers(engine, head.seq, wanted);
  }
  yield* step(engine.bumpGroup(head.seq, at));
  const targets: SyncTarget[] = group === undefined ? [] : [groupTarget(id)];
  for (const member of added) targets.push(userTarget(member.id));
  for (const memberId of removed) targets.push(userTarget(memberId));
  yield* step(engine.enqueue(targets, context));
  return { id, version: head.version + 1, created: head.created, lastModified: at };
}

/** The group and its former members are enqueued. */
function* deleteGroup<K>(engine: ResourceEngine<K>, id: string, context: EnqueueContext, precondition: Precondition | undefined): Rule<void> {
  const head = checked(yield* step(engine.groupHead(id)), 'group', id, precondition);
  const former = yield* step(engine.membersOf(head.seq));
  yield* step(engine.deleteGroup(head.seq));
  yield* step(engine.enqueue([groupTarget(id), ...former.map((member) => userTarget(member.id))], context));
}

/** The head of an existing row whose version meets the precondition. */
function checked<K>(head: ResourceHead<K> | null, kind: 'user' | 'group', id: string, precondition: Precondition | undefined): ResourceHead<K> {
  if (head === null) throw new StoreError('not_found', `no ${kind} with id "${id}"`);
  const expected = precondition?.expectedVersion;
  if (expected !== undefined && expected !== head.version) {
    throw new StoreError('version_mismatch', `"${id}" is at version ${head.version}, not ${expected}`);
  }
  return head;
}

/** These (distinct) users in the given order; throws 'unknown_members' naming every id that is no user. */
function* knownUsers<K>(engine: ResourceEngine<K>, ids: readonly string[]): Rule<MemberKey<K>[]> {
  if (ids.length === 0) return [];
  const seqById = new Map((yield* step(engine.userKeys(ids))).map((row) => [row.id, row.seq]));
  const found: MemberKey<K>[] = [];
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

/** Appends the users to the group's list; those that were not members before, in the given order. */
function* appendMembers<K>(engine: ResourceEngine<K>, groupSeq: K, users: readonly MemberKey<K>[]): Rule<MemberKey<K>[]> {
  if (users.length === 0) return [];
  const inserted = new Set(yield* step(engine.appendMembers(groupSeq, users.map((member) => member.seq))));
  return users.filter((member) => inserted.has(member.seq));
}

function userColumns(user: UserWrite): UserColumns {
  const { keys } = user;
  const displayName = displayNameOf(user.attributes);
  return {
    userName: keys.userName,
    userNameKey: foldCase(keys.userName),
    displayName,
    displayNameKey: displayName === null ? null : foldCase(displayName),
    externalId: keys.externalId,
    active: keys.active,
    attributes: JSON.stringify(user.attributes),
  };
}

/** The user's emails as keys: folded, each once. */
function emailKeys(user: UserWrite): string[] {
  return uniqueIds(user.keys.emails.map(foldCase));
}

function groupColumns(group: GroupWrite): GroupColumns {
  const { keys } = group;
  return {
    displayName: keys.displayName,
    displayNameKey: foldCase(keys.displayName),
    externalId: keys.externalId,
    attributes: JSON.stringify(group.attributes),
  };
}
