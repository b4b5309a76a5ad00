// Brings one SCIM group's Dynatrace group to its desired state: created or adopted by name, renamed,
// the policy bindings the mapping gives it applied (never touching bindings others made); deleted
// when the bridge created it and the SCIM group is gone, only unlinked when adopted. Groups Dynatrace does not own as LOCAL are never edited. All of it
// runs under the group's lock (group-lock.ts), so replicas never create one group twice.
import type { AppliedBinding, AppliedGroup, AppliedUser } from '../../ports/applied-state.js';
import type { DtGroup } from '../../ports/account-api.js';
import type { SyncItem } from '../../ports/sync-queue.js';
import { UpstreamError } from '../../ports/upstream-error.js';
import { groupTarget, type GroupTarget } from '../mapping/mapping.js';
import { auditedWrite, type WriteContext } from './audited-write.js';
import { resolveBindings, sameLimits, type DesiredBinding } from './binding-resolver.js';
import { appliedBinding, bridgeBinding, bridgeSelector, describeBinding } from './bridge-binding.js';
import { withGroupLock } from './group-lock.js';
import type { SyncContext } from './sync-context.js';
import { PermanentSyncError } from './sync-failure.js';

const DESCRIPTION = 'Provisioned by dynatrace-scim-bridge';
/** The mapping file's limit on group names, applied to names made from patterns and mirrors too. */
const MAX_GROUP_NAME = 200;

/** Syncs the group named by `item` (its own queue item), holding the group's lock (group-lock.ts). */
export async function syncGroup(context: SyncContext, item: SyncItem): Promise<void> {
  await withGroupLock(context, item.resourceId, () => reconcileGroup(context, item, { withBindings: true }));
}

/**
 * The Dynatrace group of a SCIM group, created or adopted if needed (for a member's sync, which
 * needs its UUID); null when the group is not provisioned. Bindings are left to the group's own item.
 * A linked group costs one read and no lock; linking holds the group's lock, so that of replicas
 * syncing members of a new group at once, one creates it and the others use what it linked.
 */
export async function ensureGroup(context: SyncContext, item: SyncItem, groupId: string): Promise<AppliedGroup | null> {
  const linked = () => appliedGroup(context, groupId);
  const applied = await linked();
  if (applied !== undefined) return applied;
  return withGroupLock(
    context,
    groupId,
    async () => (await linked()) ?? reconcileGroup(context, item, { withBindings: false, groupId }),
    linked,
  );
}

async function appliedGroup(context: SyncContext, groupId: string): Promise<AppliedGroup | undefined> {
  return (await context.store.getAppliedGroups([groupId])).get(groupId);
}

async function reconcileGroup(
  context: SyncContext,
  item: SyncItem,
  options: { withBindings: boolean; groupId?: string },
): Promise<AppliedGroup | null> {
  const groupId = options.groupId ?? item.resourceId;
  const writes: WriteContext = { store: context.store, item, dryRun: context.dryRun, now: context.now, stopSignal: context.stopSignal };
  const applied = (await context.store.getAppliedGroups([groupId])).get(groupId) ?? null;
  const group = await context.store.getGroup(groupId);
  const displayName = typeof group?.attributes.displayName === 'string' ? group.attributes.displayName : null;
  const target = displayName === null ? null : groupTarget(context.mapping(), displayName);

  if (target === null) {
    if (applied !== null) await unlink(context, writes, applied);
    return null;
  }
  if (target.dynatraceGroup.trim() === '' || target.dynatraceGroup.length > MAX_GROUP_NAME) {
    throw new PermanentSyncError(`SCIM group "${displayName}" maps to an unusable Dynatrace group name "${target.dynatraceGroup}"`);
  }
  let current = applied;
  if (current === null) current = await linkGroup(context, writes, groupId, target);
  else if (current.name !== target.dynatraceGroup) current = await renameGroup(context, writes, current, target);
  if (current !== null && options.withBindings) current = await applyBindings(context, writes, current, target);
  return current;
}

/** Adopts the account's group of the target name, or creates it; members are then enqueued. */
async function linkGroup(context: SyncContext, writes: WriteContext, groupId: string, target: GroupTarget): Promise<AppliedGroup | null> {
  const name = target.dynatraceGroup;
  const existing = await context.groupDirectory.find(name);
  let linked: AppliedGroup;
  if (existing !== null) {
    requireLocal(existing);
    linked = { groupId, uuid: existing.uuid, name: existing.name, provenance: 'adopted', bindings: {} };
  } else {
    let created;
    let provenance: AppliedGroup['provenance'] = 'created';
    try {
      created = await auditedWrite(writes, { operation: 'createGroup', target: name }, () =>
        context.accountApi.createGroup({ name, description: DESCRIPTION }),
      );
    } catch (error) {
      // 409: the group exists after all — made by hand since we listed, or our own create whose answer was lost.
      if (!(error instanceof UpstreamError && error.code === 'conflict')) throw error;
      context.groupDirectory.refresh();
      const found = await context.groupDirectory.find(name);
      if (found === null) throw error;
      requireLocal(found);
      // We cannot prove the bridge made it, so it is never deleted by the bridge: adopted.
      created = found;
      provenance = 'adopted';
    }
    if (created === null) return null;
    context.groupDirectory.remember(created);
    linked = { groupId, uuid: created.uuid, name: created.name, provenance, bindings: {} };
  }
  await context.store.putAppliedGroup(linked);
  await enqueueMembers(context, writes.item, groupId);
  return linked;
}

async function renameGroup(context: SyncContext, writes: WriteContext, applied: AppliedGroup, target: GroupTarget): Promise<AppliedGroup> {
  await stillLocal(context, applied);
  const result = await auditedWrite(writes, { operation: 'updateGroup', target: applied.uuid, detail: `rename to ${target.dynatraceGroup}` }, () =>
    context.accountApi.updateGroup(applied.uuid, { name: target.dynatraceGroup, description: DESCRIPTION }),
  );
  if (context.dryRun && result === null) return applied;
  context.groupDirectory.forget(applied.uuid);
  context.groupDirectory.remember({ uuid: applied.uuid, name: target.dynatraceGroup, owner: 'LOCAL' });
  const renamed = { ...applied, name: target.dynatraceGroup };
  await context.store.putAppliedGroup(renamed);
  return renamed;
}

/**
 * Per level, makes the bindings the bridge made exactly the mapping's, one policy at a time: a new or
 * changed binding is written (created or updated, selected by the bridge's metadata), one the mapping
 * no longer wants is deleted. Bindings anyone else made are never read, changed or removed here.
 * Unchanged bindings cost no call.
 */
async function applyBindings(context: SyncContext, writes: WriteContext, applied: AppliedGroup, target: GroupTarget): Promise<AppliedGroup> {
  const { byLevel: desired, problems } = await resolveBindings(context.bindings, target.policies);
  const bindings: Record<string, readonly AppliedBinding[]> = { ...applied.bindings };
  for (const key of new Set([...Object.keys(applied.bindings), ...desired.keys()])) {
    const want = desired.get(key) ?? new Map<string, DesiredBinding>();
    const had = applied.bindings[key] ?? [];
    const level = context.bindings.levelOfKey(key);
    const next = new Map(had.map((b) => [b.policyUuid, b]));
    for (const old of had) {
      const wanted = want.get(old.policyUuid);
      // An unmarked binding (an earlier release's) is replaced by a marked one, not updated in place.
      if (wanted !== undefined && old.unmarked !== true) continue;
      const result = await auditedWrite(writes, { operation: 'deletePolicyBinding', target: applied.uuid, detail: `${key}: ${describeBinding(old)}` }, () =>
        context.accountApi.deletePolicyBinding(level, applied.uuid, old.policyUuid, bridgeSelector(old)),
      );
      if (!(context.dryRun && result === null)) next.delete(old.policyUuid);
    }
    for (const binding of want.values()) {
      const old = next.get(binding.policyUuid);
      if (old !== undefined && old.unmarked !== true && sameLimits(old, binding)) continue;
      const result = await auditedWrite(writes, { operation: 'putPolicyBinding', target: applied.uuid, detail: `${key}: ${describeBinding(binding)}` }, () =>
        context.accountApi.putPolicyBinding(level, applied.uuid, bridgeBinding(binding), bridgeSelector(null)),
      );
      if (!(context.dryRun && result === null)) next.set(binding.policyUuid, appliedBinding(binding));
    }
    if (next.size === 0) delete bindings[key];
    else bindings[key] = [...next.values()];
  }
  const updated = { ...applied, bindings };
  await context.store.putAppliedGroup(updated);
  if (problems.length > 0) throw new PermanentSyncError(`group "${target.dynatraceGroup}": ${problems.join('; ')}`);
  return updated;
}

/** The SCIM group is gone or no longer provisioned: delete what the bridge created, unlink what it adopted. */
async function unlink(context: SyncContext, writes: WriteContext, applied: AppliedGroup): Promise<void> {
  const sharing = (await context.store.listAppliedGroups()).filter((g) => g.uuid === applied.uuid && g.groupId !== applied.groupId);
  if (applied.provenance === 'created' && sharing.length === 0) {
    await stillLocal(context, applied);
    const result = await auditedWrite(writes, { operation: 'deleteGroup', target: applied.uuid, detail: applied.name }, () =>
      context.accountApi.deleteGroup(applied.uuid),
    );
    if (context.dryRun && result === null) return;
    context.groupDirectory.forget(applied.uuid);
    await clearDeletedGroup(context, applied.uuid);
  }
  await context.store.deleteAppliedGroup(applied.groupId);
  await enqueueMembers(context, writes.item, applied.groupId);
}

/**
 * A deleted Dynatrace group has no members left: it is cleared from the applied state of every user
 * that names it, so that no member's sync asks Dynatrace to remove a membership of a group that is gone.
 */
async function clearDeletedGroup(context: SyncContext, uuid: string): Promise<void> {
  for (const user of await context.store.listAppliedUsers()) {
    if (user.groupUuids.includes(uuid)) await context.store.putAppliedUser({ ...user, groupUuids: user.groupUuids.filter((g) => g !== uuid) });
  }
}

/**
 * Before a member leaves groups (`uuids`), the own syncs of those whose SCIM group is gone are waited
 * for (their lock): such a sync deletes a group the bridge created and clears it from its members'
 * applied state, so leaving it would be a call on a group about to vanish. Resolves to the user's
 * applied state as it is then.
 */
export async function afterGroupDeletions(context: SyncContext, user: AppliedUser, uuids: readonly string[]): Promise<AppliedUser> {
  const leaving = new Set(uuids);
  const candidates = (await context.store.listAppliedGroups()).filter((g) => leaving.has(g.uuid));
  let waited = false;
  for (const group of candidates) {
    if ((await context.store.getGroup(group.groupId)) !== null) continue;
    await withGroupLock(context, group.groupId, async () => undefined, async () => ((await appliedGroup(context, group.groupId)) === undefined ? null : undefined));
    waited = true;
  }
  return waited ? ((await context.store.getAppliedUser(user.userId)) ?? user) : user;
}

/**
 * The group's members must now be (re)considered. Due at once: a member whose own change is still
 * pending keeps its later due time (the queue keeps the later one), so no coalescing window restarts.
 */
async function enqueueMembers(context: SyncContext, item: SyncItem, groupId: string): Promise<void> {
  const members = (await context.store.membersOfGroups([groupId])).get(groupId) ?? [];
  if (members.length === 0) return;
  const now = context.now().toISOString();
  await context.store.enqueueSync(
    members.map((m) => ({ resourceType: 'User' as const, resourceId: m.value })),
    { at: now, requestId: item.requestId, dueAt: now },
  );
}

/**
 * Before a linked group is renamed or deleted: its owner was checked LOCAL when it was linked (made
 * LOCAL, or adopted only as LOCAL); a listing this process has read since is checked again, but none is
 * read for it — the write does not depend on a fresh one (a cached listing is no fresher a guarantee).
 */
async function stillLocal(context: SyncContext, applied: AppliedGroup): Promise<void> {
  const listed = await context.groupDirectory.listed(applied.name);
  if (listed !== undefined && listed !== null) requireLocal(listed);
}

function requireLocal(group: DtGroup): void {
  if (group.owner !== 'LOCAL') {
    throw new PermanentSyncError(`Dynatrace group "${group.name}" is owned by ${group.owner}; the bridge only manages LOCAL groups`);
  }
}

