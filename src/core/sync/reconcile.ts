// Reconcile: compares what the bridge applied with what Dynatrace really holds — users missing from
// the account, members missing from or extra in managed groups, groups gone, bindings the bridge made
// removed or with other boundaries or parameters, Davis Assistant users gone or changed, SCIM
// resources never synced — and repairs the drift by re-queueing the work (or only reports it).
// Bindings others made on managed groups are reported and never touched. Costs 2 + (managed groups) + (bound levels) calls, and
// one more with Davis Assistant user management on: it lists, it never fetches user by user.
import type { DtGroupBindings } from '../../ports/account-api.js';
import type { AppliedBinding, AppliedGroup, AppliedUser } from '../../ports/applied-state.js';
import type { DavisUser } from '../../ports/davis-assistant-api.js';
import type { JsonObject } from '../../ports/json.js';
import type { SyncItem, SyncTarget } from '../../ports/sync-queue.js';
import { groupTarget } from '../mapping/mapping.js';
import { auditedWrite } from './audited-write.js';
import { sameLimits } from './binding-resolver.js';
import { describeBinding, isBridgeBinding } from './bridge-binding.js';
import type { SyncContext } from './sync-context.js';

export type FindingKind =
  | 'missing_user'
  | 'missing_group'
  | 'missing_membership'
  | 'extra_membership'
  | 'wrong_bindings'
  | 'foreign_binding'
  | 'missing_davis_user'
  | 'wrong_davis_user'
  | 'unsynced_user'
  | 'unsynced_group';

export interface ReconcileFinding {
  readonly kind: FindingKind;
  readonly resourceType: 'User' | 'Group';
  /** The SCIM id, or null for a Dynatrace user the bridge does not manage. */
  readonly resourceId: string | null;
  /** An email, a group name or UUID. */
  readonly target: string;
  readonly detail: string;
}

export interface ReconcileReport {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly dryRun: boolean;
  /** A repair ran and had something to repair (report-only findings such as `foreign_binding` do not count). */
  readonly repaired: boolean;
  readonly counts: Readonly<Record<FindingKind, number>>;
  readonly findings: readonly ReconcileFinding[];
}

export interface ReconcileOptions {
  readonly dryRun: boolean;
  /** Called as work progresses (the CLI prints it). */
  readonly progress?: (phase: string, done: number, total: number) => void;
}

const PAGE = 1_000;

export async function reconcile(context: SyncContext, options: ReconcileOptions): Promise<ReconcileReport> {
  const { store, accountApi } = context;
  const startedAt = context.now().toISOString();
  const repair = !options.dryRun && !context.dryRun;
  const progress = options.progress ?? (() => undefined);
  const findings: ReconcileFinding[] = [];
  const requeue = new Map<string, SyncTarget>();
  const touchedUsers = new Map<string, AppliedUser>();
  const item: SyncItem = {
    resourceType: 'Group',
    resourceId: 'reconcile',
    generation: 0,
    attempts: 0,
    firstEnqueuedAt: startedAt,
    requestId: `reconcile-${startedAt}`,
    lastError: null,
  };
  const writes = { store, item, dryRun: !repair, now: context.now, stopSignal: context.stopSignal };

  progress('listing Dynatrace users and groups', 0, 2);
  const listedAt = context.now().toISOString();
  const accountUsers = await accountApi.listUsers();
  context.userDirectory.load(accountUsers, listedAt);
  const accountEmails = new Set(accountUsers.map((u) => u.email.toLowerCase()));
  const accountGroups = new Map((await accountApi.listGroups()).map((g) => [g.uuid, g]));
  context.groupDirectory.refresh();
  progress('listing Dynatrace users and groups', 2, 2);

  const appliedUsers = await store.listAppliedUsers();
  const appliedGroups = await store.listAppliedGroups();
  const byEmail = new Map(appliedUsers.map((u) => [u.email, u]));

  for (const [index, group] of appliedGroups.entries()) {
    progress('checking managed groups', index, appliedGroups.length);
    if (!accountGroups.has(group.uuid)) {
      findings.push({ kind: 'missing_group', resourceType: 'Group', resourceId: group.groupId, target: group.name, detail: `group ${group.uuid} no longer exists in Dynatrace` });
      if (repair) await store.deleteAppliedGroup(group.groupId);
      requeue.set(`Group:${group.groupId}`, { resourceType: 'Group', resourceId: group.groupId });
      continue;
    }
    await checkMembers(group);
    await checkBindings(group);
  }

  if (context.davisApi.enabled) await checkDavisUsers();

  for (const user of appliedUsers) {
    if (accountEmails.has(user.email)) continue;
    findings.push({ kind: 'missing_user', resourceType: 'User', resourceId: user.userId, target: user.email, detail: 'the account has no such user' });
    if (repair) await store.deleteAppliedUser(user.userId);
    touchedUsers.delete(user.userId);
    requeue.set(`User:${user.userId}`, { resourceType: 'User', resourceId: user.userId });
  }

  await findUnsynced(appliedUsers, appliedGroups);

  if (repair) {
    for (const user of touchedUsers.values()) await store.putAppliedUser(user);
    const now = context.now();
    if (requeue.size > 0) {
      await store.enqueueSync([...requeue.values()], { at: now.toISOString(), requestId: item.requestId, dueAt: now.toISOString() });
    }
  }
  const counts = Object.fromEntries(FINDING_KINDS.map((kind) => [kind, findings.filter((f) => f.kind === kind).length])) as Record<FindingKind, number>;
  const repairable = findings.some((f) => !REPORT_ONLY.has(f.kind));
  return { startedAt, finishedAt: context.now().toISOString(), dryRun: !repair, repaired: repair && repairable, counts, findings };

  async function checkMembers(group: AppliedGroup): Promise<void> {
    const actual = new Set((await accountApi.listGroupMembers(group.uuid)).map((u) => u.email.toLowerCase()));
    const expected = appliedUsers.filter((u) => u.groupUuids.includes(group.uuid));
    for (const user of expected) {
      if (actual.has(user.email) || !accountEmails.has(user.email)) continue;
      findings.push({ kind: 'missing_membership', resourceType: 'User', resourceId: user.userId, target: user.email, detail: `not in managed group "${group.name}"` });
      correctAppliedUser(user, (current) => ({ ...current, groupUuids: current.groupUuids.filter((uuid) => uuid !== group.uuid) }));
    }
    const expectedEmails = new Set(expected.map((u) => u.email));
    for (const email of actual) {
      if (expectedEmails.has(email) || context.mapping().protectedUsers.has(email)) continue;
      const managed = byEmail.get(email);
      findings.push({
        kind: 'extra_membership',
        resourceType: 'User',
        resourceId: managed?.userId ?? null,
        target: email,
        detail: `in managed group "${group.name}" without a SCIM membership`,
      });
      if (managed !== undefined) {
        // The worker removes what applied state says is there and desired state does not want.
        correctAppliedUser(managed, (current) => ({ ...current, groupUuids: [...new Set([...current.groupUuids, group.uuid])] }));
      } else {
        await auditedWrite(writes, { operation: 'removeUserFromGroups', target: email, detail: group.uuid }, () =>
          accountApi.removeUserFromGroups(email, [group.uuid]),
        );
      }
    }
  }

  /**
   * Per level the group has bindings of the bridge at: one read with details. A binding the bridge made
   * that is gone, or whose boundaries or parameters were changed, is drift: forgotten from the applied
   * state so that the worker writes it again. A binding someone else made is only reported.
   */
  async function checkBindings(group: AppliedGroup): Promise<void> {
    const bindings = { ...group.bindings };
    let drifted = false;
    for (const [key, applied] of Object.entries(group.bindings)) {
      if (applied.length === 0) continue;
      const current = await accountApi.getGroupBindings(context.bindings.levelOfKey(key), group.uuid);
      const drift: string[] = [];
      const kept = applied.filter((b) => {
        const problem = bindingDrift(b, current);
        if (problem === null) return true;
        drift.push(`${describeBinding(b)} ${problem}`);
        // An unmarked binding still there stays applied: the worker replaces it with a marked one.
        return b.unmarked === true && problem === UNMARKED;
      });
      const unmarkedPolicies = new Set(applied.filter((b) => b.unmarked === true).map((b) => b.policyUuid));
      for (const other of current.bindings ?? []) {
        if (isBridgeBinding(other) || unmarkedPolicies.has(other.policyUuid)) continue;
        findings.push({ kind: 'foreign_binding', resourceType: 'Group', resourceId: group.groupId, target: group.name, detail: `${key}: ${describeBinding(other)}, made outside the bridge (never changed by it)` });
      }
      if (drift.length === 0) continue;
      findings.push({ kind: 'wrong_bindings', resourceType: 'Group', resourceId: group.groupId, target: group.name, detail: `${key}: ${drift.join('; ')}` });
      bindings[key] = kept;
      drifted = true;
    }
    if (!drifted) return;
    if (repair) await store.putAppliedGroup({ ...group, bindings });
    requeue.set(`Group:${group.groupId}`, { resourceType: 'Group', resourceId: group.groupId });
  }

  /**
   * Davis Assistant users the bridge made that are gone, or differ from what it applied (changed by
   * hand). Forgetting what was applied makes the worker create the user again, or, when it exists
   * (409), write it back as the mapping wants it. Users missing from the account are left to the
   * missing-user repair, which provisions them whole.
   */
  async function checkDavisUsers(): Promise<void> {
    progress('listing Davis Assistant users', 0, 1);
    const actual = new Map((await context.davisApi.listUsers()).map((u) => [u.email.toLowerCase(), u]));
    progress('listing Davis Assistant users', 1, 1);
    for (const user of appliedUsers) {
      if (user.davis === null || !accountEmails.has(user.email)) continue;
      const found = actual.get(user.email);
      if (found === undefined) {
        findings.push({ kind: 'missing_davis_user', resourceType: 'User', resourceId: user.userId, target: user.email, detail: 'the Davis Assistant has no such user' });
      } else {
        const differing = davisFieldsDiffering(found, user.davis);
        if (differing.length === 0) continue;
        findings.push({ kind: 'wrong_davis_user', resourceType: 'User', resourceId: user.userId, target: user.email, detail: `the Davis Assistant user differs in ${differing.join(', ')}` });
      }
      correctAppliedUser(user, (current) => ({ ...current, davis: null }));
    }
  }

  /**
   * Corrects what the applied state says of `user` (written back by a repair, on top of earlier
   * corrections this run) and re-queues the user, so the worker's normal path makes Dynatrace match.
   */
  function correctAppliedUser(user: AppliedUser, correct: (current: AppliedUser) => AppliedUser): void {
    touchedUsers.set(user.userId, correct(touchedUsers.get(user.userId) ?? user));
    requeue.set(`User:${user.userId}`, { resourceType: 'User', resourceId: user.userId });
  }

  /** SCIM resources that should be in Dynatrace but never got there (e.g. work lost before it was queued). */
  async function findUnsynced(users: readonly AppliedUser[], groups: readonly AppliedGroup[]): Promise<void> {
    const appliedUserIds = new Set(users.map((u) => u.userId));
    const appliedGroupIds = new Set(groups.map((g) => g.groupId));
    const totalUsers = await store.countUsers({ kind: 'eq', attribute: 'active', value: true });
    for (let offset = 0; offset < totalUsers; offset += PAGE) {
      progress('checking SCIM users', offset, totalUsers);
      const page = await store.findUsers({ where: { kind: 'eq', attribute: 'active', value: true }, offset, limit: PAGE });
      for (const user of page) {
        if (appliedUserIds.has(user.id) || requeue.has(`User:${user.id}`)) continue;
        findings.push({ kind: 'unsynced_user', resourceType: 'User', resourceId: user.id, target: String(user.attributes.userName ?? user.id), detail: 'active in SCIM, never provisioned' });
        requeue.set(`User:${user.id}`, { resourceType: 'User', resourceId: user.id });
      }
    }
    const totalGroups = await store.countGroups(null);
    for (let offset = 0; offset < totalGroups; offset += PAGE) {
      progress('checking SCIM groups', offset, totalGroups);
      for (const group of await store.findGroups({ where: null, offset, limit: PAGE })) {
        if (appliedGroupIds.has(group.id) || requeue.has(`Group:${group.id}`)) continue;
        const name = String(group.attributes.displayName ?? group.id);
        if (groupTarget(context.mapping(), name) === null) continue;
        findings.push({ kind: 'unsynced_group', resourceType: 'Group', resourceId: group.id, target: name, detail: 'in SCIM, never provisioned' });
        requeue.set(`Group:${group.id}`, { resourceType: 'Group', resourceId: group.id });
      }
    }
  }
}

/** Findings reconcile reports and never repairs: what someone else made is theirs. */
const REPORT_ONLY: ReadonlySet<FindingKind> = new Set(['foreign_binding']);

const UNMARKED = 'was made by an earlier release without the bridge\'s metadata: it is written again with it';

/** What is wrong with a binding the bridge made, as Dynatrace now holds the group's bindings at its level; null when nothing. */
function bindingDrift(applied: AppliedBinding, current: DtGroupBindings): string | null {
  if (current.bindings === null) return current.policyUuids.includes(applied.policyUuid) ? null : 'is not bound';
  if (applied.unmarked === true) return current.bindings.some((b) => b.policyUuid === applied.policyUuid) ? UNMARKED : 'is not bound';
  const mine = current.bindings.find((b) => b.policyUuid === applied.policyUuid && isBridgeBinding(b));
  if (mine === undefined) return 'is not bound';
  return sameLimits(mine, applied) ? null : `was changed to ${describeBinding(mine)}`;
}

/** Every kind a report counts, in report order. */
export const FINDING_KINDS: readonly FindingKind[] = [
  'missing_user',
  'missing_group',
  'missing_membership',
  'extra_membership',
  'wrong_bindings',
  'foreign_binding',
  'missing_davis_user',
  'wrong_davis_user',
  'unsynced_user',
  'unsynced_group',
];

const DAVIS_FIELDS = ['firstName', 'lastName', 'timezone', 'admin'] as const;

/** The fields in which the listed Davis Assistant user differs from what the bridge applied. */
function davisFieldsDiffering(actual: DavisUser, applied: JsonObject): string[] {
  return DAVIS_FIELDS.filter((field) => actual[field] !== applied[field]);
}
