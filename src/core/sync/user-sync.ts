// Brings one SCIM user's Dynatrace account to its desired state with the fewest calls: a joiner is
// one create (or an adoption, when the account has the user already) plus one add-to-groups; a
// mover one add and/or one remove; a leaver loses its managed groups or its account; an email
// change migrates. Davis Assistant follows when enabled.
import type { AppliedUser } from '../../ports/applied-state.js';
import type { DavisUser } from '../../ports/davis-assistant-api.js';
import type { SyncItem } from '../../ports/sync-queue.js';
import { UpstreamError } from '../../ports/upstream-error.js';
import { sameJson } from '../json-equality.js';
import { auditSkipped, auditedWrite, type WriteContext } from './audited-write.js';
import { desiredUser, type DesiredUser } from './desired-state.js';
import { afterGroupDeletions, ensureGroup } from './group-sync.js';
import type { SyncContext } from './sync-context.js';
import { PermanentSyncError } from './sync-failure.js';

/** The user the bridge linked is no longer in the account: forgotten, to be invited again. */
class UserGone extends Error {
  override readonly name = 'UserGone';
}

export async function syncUser(context: SyncContext, item: SyncItem): Promise<void> {
  const { store } = context;
  const writes: WriteContext = { store, item, dryRun: context.dryRun, now: context.now, stopSignal: context.stopSignal };
  const userId = item.resourceId;
  let applied = await store.getAppliedUser(userId);
  const user = await store.getUser(userId);
  const refs = user === null ? [] : ((await store.groupsOfUsers([userId])).get(userId) ?? []);
  const mapping = context.mapping();
  const desired = desiredUser(
    user,
    refs.map((g) => ({ id: g.value, displayName: g.display })),
    { mapping, davisEnabled: context.davisApi.enabled, defaultTimezone: context.defaultTimezone },
  );

  const touched = [applied?.email, desired.email].filter((e): e is string => typeof e === 'string');
  const protectedEmail = touched.find((email) => mapping.protectedUsers.has(email));
  if (protectedEmail !== undefined) {
    await auditSkipped(writes, { operation: 'syncUser', target: protectedEmail }, 'protected user: never modified by the bridge');
    return;
  }
  if (desired.present && desired.email === null) {
    throw new PermanentSyncError(`User ${userId} has no email usable as a Dynatrace login (userName or emails)`);
  }

  if (applied !== null && (!desired.present || applied.email !== desired.email)) {
    // Leaver with `delete`, a deleted SCIM user, or the old half of an email migration.
    await removeAccount(context, writes, applied);
    applied = null;
    if (!desired.present) return;
  }
  if (!desired.present) return;
  const email = desired.email as string;

  const current = applied ?? (await linkUser(context, writes, userId, email));
  if (current === null) {
    await planGroups(context, writes, desired, { userId, email, uid: null, provenance: 'created', groupUuids: [], davis: null });
    return;
  }
  let groups: { applied: AppliedUser; blocked: string[] };
  try {
    groups = await planGroups(context, writes, desired, current);
  } catch (error) {
    if (!(error instanceof UserGone)) throw error;
    // Invited again at once (the directory has forgotten it); gone a second time is an error like any other.
    const again = await linkUser(context, writes, userId, email);
    if (again === null) return;
    groups = await planGroups(context, writes, desired, again);
  }
  await syncDavis(context, writes, desired.davis, groups.applied);
  if (groups.blocked.length > 0) throw new PermanentSyncError(groups.blocked.join('; '));
}

/**
 * Adopts the account's user of this email when the account has one (looked up in the user directory,
 * or by `GET /users/{email}` when the directory's listing is older than the change), else invites it;
 * a duplicate answer to the invitation (a user made between the lookup and the invitation) adopts too.
 * Null in dry-run, where nothing is recorded.
 */
async function linkUser(context: SyncContext, writes: WriteContext, userId: string, email: string): Promise<AppliedUser | null> {
  const listed = await context.userDirectory.find(email, writes.item.firstEnqueuedAt);
  // A listing older than the change may miss a user who signed in since: asked for by name (404: absent).
  const existing = listed === 'unknown' ? ((await context.accountApi.getUser(email)) ?? undefined) : listed === 'absent' ? undefined : listed;
  let linked: AppliedUser;
  if (existing !== undefined) {
    await auditSkipped(writes, { operation: 'createUser', target: email }, 'the account has this user already: adopted');
    if (context.dryRun) return null;
    linked = { userId, email, uid: existing.uid, provenance: 'adopted', groupUuids: [], davis: null };
  } else {
    const created = await auditedWrite(writes, { operation: 'createUser', target: email }, () => context.accountApi.createUser(email));
    if (created === null) return null;
    context.userDirectory.remember(email, created.uid);
    linked = { userId, email, uid: created.uid, provenance: created.created ? 'created' : 'adopted', groupUuids: [], davis: null };
  }
  await context.store.putAppliedUser(linked);
  return linked;
}

/** Adds and removes only the difference between the managed groups applied and desired. */
async function planGroups(
  context: SyncContext,
  writes: WriteContext,
  desired: DesiredUser,
  current: AppliedUser,
): Promise<{ applied: AppliedUser; blocked: string[] }> {
  const wanted: string[] = [];
  const blocked: string[] = [];
  for (const membership of desired.groups) {
    try {
      const group = await ensureGroup(context, writes.item, membership.groupId);
      if (group !== null) wanted.push(group.uuid);
    } catch (error) {
      // A group the bridge may not manage blocks only that membership, not the user's others.
      if (!(error instanceof PermanentSyncError)) throw error;
      blocked.push(error.message);
    }
  }
  const want = new Set(wanted);
  const leaving = current.groupUuids.filter((uuid) => !want.has(uuid));
  if (leaving.length > 0 && !context.dryRun) current = await afterGroupDeletions(context, current, leaving);
  const had = new Set(current.groupUuids);
  const add = [...want].filter((uuid) => !had.has(uuid));
  const remove = [...had].filter((uuid) => !want.has(uuid));
  let next = current;
  // Applied state is saved after each write, so a retry after a failure does not repeat it.
  if (add.length > 0) {
    try {
      await auditedWrite(writes, { operation: 'addUserToGroups', target: current.email, detail: add.join(',') }, () =>
        context.accountApi.addUserToGroups(current.email, add),
      );
    } catch (error) {
      if (error instanceof UpstreamError && error.code === 'not_found' && (await context.accountApi.getUser(current.email)) === null) {
        // The user left the account since it was listed or made (deleted by hand).
        context.userDirectory.forget(current.email);
        await context.store.deleteAppliedUser(current.userId);
        throw new UserGone(current.email);
      }
      throw error;
    }
    if (!context.dryRun) {
      next = { ...next, groupUuids: [...had, ...add] };
      await context.store.putAppliedUser(next);
    }
  }
  if (remove.length > 0) {
    await auditedWrite(writes, { operation: 'removeUserFromGroups', target: current.email, detail: remove.join(',') }, () =>
      context.accountApi.removeUserFromGroups(current.email, remove),
    );
    if (!context.dryRun) {
      next = { ...next, groupUuids: [...want] };
      await context.store.putAppliedUser(next);
    }
  }
  return { applied: next, blocked };
}

async function syncDavis(context: SyncContext, writes: WriteContext, desired: DavisUser | null, current: AppliedUser): Promise<void> {
  if (!context.davisApi.enabled || sameJson(desired === null ? null : { ...desired }, current.davis)) return;
  if (desired === null) {
    await auditedWrite(writes, { operation: 'deleteDavisUser', target: current.email }, () => context.davisApi.deleteUser(current.email));
  } else if (current.davis === null) {
    try {
      await auditedWrite(writes, { operation: 'createDavisUser', target: desired.email }, () => context.davisApi.createUser(desired));
    } catch (error) {
      // 409: the Davis user exists (a lost create answer, or one made by hand): make it what we want.
      if (!(error instanceof UpstreamError && error.code === 'conflict')) throw error;
      await auditedWrite(writes, { operation: 'updateDavisUser', target: desired.email }, () => context.davisApi.updateUser(desired));
    }
  } else {
    await auditedWrite(writes, { operation: 'updateDavisUser', target: desired.email }, () => context.davisApi.updateUser(desired));
  }
  if (!context.dryRun) await context.store.putAppliedUser({ ...current, davis: desired === null ? null : { ...desired } });
}

/** Removes a Dynatrace account the bridge provisioned or adopted, with its Davis Assistant user. */
async function removeAccount(context: SyncContext, writes: WriteContext, applied: AppliedUser): Promise<void> {
  if (context.davisApi.enabled && applied.davis !== null) {
    await auditedWrite(writes, { operation: 'deleteDavisUser', target: applied.email }, () => context.davisApi.deleteUser(applied.email));
  }
  await auditedWrite(writes, { operation: 'deleteUser', target: applied.email }, () => context.accountApi.deleteUser(applied.email));
  if (context.dryRun) return;
  context.userDirectory.forget(applied.email);
  await context.store.deleteAppliedUser(applied.userId);
}
