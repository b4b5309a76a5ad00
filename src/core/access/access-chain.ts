// Why a person has (or lacks) their Dynatrace access: for each SCIM group, the mapping rule it matched,
// the Dynatrace group, and each policy binding (boundaries, parameters) per level — every step compared
// with the applied state and marked applied or pending, with the queued work and failures that explain it.
import type { AppliedBinding, AppliedGroup } from '../../ports/applied-state.js';
import type { Store, StoredResource } from '../../ports/store.js';
import type { SyncWorkState } from '../../ports/sync-queue.js';
import { groupTarget, ruleFor, type Mapping, type PolicyBindingRule } from '../mapping/mapping.js';
import { desiredUser, dynatraceEmail } from '../sync/desired-state.js';
import { PermanentSyncError } from '../sync/sync-failure.js';
import { sameLimits, type DesiredBinding } from '../sync/binding-resolver.js';

export type StepStatus = 'applied' | 'pending';

/** The mapping rule a SCIM group matched: groups[index] of the file, or the rule for unmatched groups. */
export interface RuleRef {
  /** Position in the mapping's groups; null for the unmatched-groups rule. */
  readonly index: number | null;
  /** `scim: "…"`, `scimPattern: "…"`, or `unmatchedGroups: mirror`. */
  readonly text: string;
}

export interface PolicyStep {
  /** IAM policy name from the mapping, when it named one. */
  readonly name: string | null;
  /** Null when the name does not resolve (yet). */
  readonly uuid: string | null;
  /** Boundary names and UUIDs the mapping limits the binding with. */
  readonly boundaries: readonly string[];
  readonly parameters: Readonly<Record<string, string>>;
  readonly status: StepStatus;
  /** Why it cannot be applied (a name that does not resolve, Dynatrace unreachable). */
  readonly problem: string | null;
}

export interface LevelStep {
  /** `account` or `environment:<id>`. */
  readonly level: string;
  readonly policies: readonly PolicyStep[];
}

export interface GroupStep {
  readonly scimGroup: { readonly id: string; readonly displayName: string };
  /** Null: no rule matched and unmatched groups are ignored, so the group gives no access. */
  readonly rule: RuleRef | null;
  /** The Dynatrace group it becomes; null when not provisioned. */
  readonly dynatraceGroup: { readonly name: string; readonly uuid: string | null; readonly status: StepStatus } | null;
  readonly levels: readonly LevelStep[];
  readonly davisAdmin: boolean;
}

export interface UserGroupStep extends GroupStep {
  /** Whether the person is in the Dynatrace group; null when it grants nothing (not provisioned, or the person is deactivated). */
  readonly membership: StepStatus | null;
}

export interface UserAccess {
  readonly user: { readonly id: string; readonly userName: string; readonly displayName: string | null; readonly active: boolean };
  readonly account: {
    /** The Dynatrace key (email) the mapping gives; null when the person has no usable email. */
    readonly email: string | null;
    /** Whether the account should exist (a deactivated person keeps it with `deactivation: remove-groups`). */
    readonly present: boolean;
    readonly status: StepStatus;
  };
  readonly groups: readonly UserGroupStep[];
  /** Work queued for the person or their groups, and permanent failures with their reasons. */
  readonly pending: readonly SyncWorkState[];
}

/** Resolves a binding rule against Dynatrace: one binding per policy, in the rule's order. */
export type RuleResolver = (rule: PolicyBindingRule) => Promise<readonly DesiredBinding[]>;

export interface AccessChainOptions {
  readonly store: Pick<Store, 'getUser' | 'groupsOfUsers' | 'getGroup' | 'getAppliedUser' | 'getAppliedGroups' | 'syncWorkOf'>;
  readonly mapping: () => Mapping;
  readonly resolve: RuleResolver;
  /** The level key applied bindings are recorded under (`account`, `environment:<id>`). */
  readonly levelKey: (rule: PolicyBindingRule) => string;
}

export interface AccessChain {
  /** Null when there is no such SCIM User. */
  forUser(userId: string): Promise<UserAccess | null>;
  /** Null when there is no such SCIM Group. */
  forGroup(groupId: string): Promise<GroupStep | null>;
}

export function createAccessChain(options: AccessChainOptions): AccessChain {
  const { store } = options;

  async function groupStep(group: { id: string; displayName: string }, applied: AppliedGroup | null, mapping: Mapping): Promise<GroupStep> {
    const target = groupTarget(mapping, group.displayName);
    const found = ruleFor(mapping, group.displayName);
    const rule: RuleRef | null =
      found !== null
        ? { index: found.index, text: found.rule.scim !== null ? `scim: "${found.rule.scim}"` : `scimPattern: "${found.rule.pattern?.source ?? ''}"` }
        : target !== null
          ? { index: null, text: 'unmatchedGroups: mirror' }
          : null;
    if (target === null) return { scimGroup: group, rule, dynatraceGroup: null, levels: [], davisAdmin: false };
    const linked = applied !== null && applied.name === target.dynatraceGroup;
    const levels: LevelStep[] = [];
    for (const policyRule of target.policies) {
      const level = options.levelKey(policyRule);
      const appliedHere = linked ? (applied.bindings[level] ?? []) : [];
      const policies = await policySteps(policyRule, appliedHere);
      const existing = levels.find((l) => l.level === level);
      if (existing === undefined) levels.push({ level, policies });
      else levels.splice(levels.indexOf(existing), 1, { level, policies: [...existing.policies, ...policies] });
    }
    return {
      scimGroup: group,
      rule,
      dynatraceGroup: { name: target.dynatraceGroup, uuid: applied?.uuid ?? null, status: linked ? 'applied' : 'pending' },
      levels,
      davisAdmin: target.davisAdmin,
    };
  }

  /** One step per policy the rule names (UUIDs, then names), each compared with what was applied at its level. */
  async function policySteps(rule: PolicyBindingRule, applied: readonly AppliedBinding[]): Promise<PolicyStep[]> {
    const boundaries = [...rule.boundaryNames, ...rule.boundaryUuids];
    const { parameters } = rule;
    const named: Array<{ name: string | null; single: PolicyBindingRule }> = [
      ...rule.uuids.map((uuid) => ({ name: null, single: { ...rule, uuids: [uuid], names: [] } })),
      ...rule.names.map((name) => ({ name, single: { ...rule, uuids: [], names: [name] } })),
    ];
    return Promise.all(
      named.map(async ({ name, single }): Promise<PolicyStep> => {
        let desired: DesiredBinding | undefined;
        try {
          [desired] = await options.resolve(single);
        } catch (error) {
          return { name, uuid: single.uuids[0] ?? null, boundaries, parameters, status: 'pending', problem: problemOf(error) };
        }
        if (desired === undefined) return { name, uuid: null, boundaries, parameters, status: 'pending', problem: 'resolves to no policy' };
        // A binding an earlier release made (unmarked) is rewritten at the group's next sync: not yet as desired.
        const status = applied.some((b) => b.policyUuid === desired.policyUuid && b.unmarked !== true && sameLimits(b, desired)) ? 'applied' : 'pending';
        return { name, uuid: desired.policyUuid, boundaries, parameters, status, problem: null };
      }),
    );
  }

  return {
    async forUser(userId) {
      const user = await store.getUser(userId);
      if (user === null) return null;
      const mapping = options.mapping();
      const refs = (await store.groupsOfUsers([userId])).get(userId) ?? [];
      const groups = refs.map((ref) => ({ id: ref.value, displayName: ref.display }));
      const [appliedUser, appliedGroups] = await Promise.all([store.getAppliedUser(userId), store.getAppliedGroups(groups.map((g) => g.id))]);
      const desired = desiredUser(user, groups, { mapping, davisEnabled: false, defaultTimezone: 'UTC' });
      const granting = new Set(desired.groups.map((g) => g.groupId));
      const steps: UserGroupStep[] = [];
      for (const group of groups) {
        const applied = appliedGroups.get(group.id) ?? null;
        const step = await groupStep(group, applied, mapping);
        const member = applied !== null && appliedUser !== null && appliedUser.groupUuids.includes(applied.uuid);
        steps.push({ ...step, membership: granting.has(group.id) && step.dynatraceGroup !== null ? (member ? 'applied' : 'pending') : null });
      }
      const email = dynatraceEmail(user.attributes);
      const accountApplied = desired.present ? appliedUser !== null && appliedUser.email === email : appliedUser === null;
      const pending = await store.syncWorkOf([
        { resourceType: 'User', resourceId: userId },
        ...groups.map((g) => ({ resourceType: 'Group' as const, resourceId: g.id })),
      ]);
      return {
        user: describeUser(user),
        account: { email, present: desired.present, status: accountApplied ? 'applied' : 'pending' },
        groups: steps,
        pending,
      };
    },
    async forGroup(groupId) {
      const group = await store.getGroup(groupId);
      if (group === null) return null;
      const displayName = typeof group.attributes.displayName === 'string' ? group.attributes.displayName : '';
      const applied = (await store.getAppliedGroups([groupId])).get(groupId) ?? null;
      return groupStep({ id: groupId, displayName }, applied, options.mapping());
    },
  };
}

function describeUser(user: StoredResource): UserAccess['user'] {
  const { userName, displayName, active } = user.attributes;
  return {
    id: user.id,
    userName: typeof userName === 'string' ? userName : '',
    displayName: typeof displayName === 'string' ? displayName : null,
    active: active !== false,
  };
}

/** A resolution failure as the operator reads it: the mapping's own message, or why Dynatrace did not answer. */
function problemOf(error: unknown): string {
  if (error instanceof PermanentSyncError) return error.message;
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : 'unknown';
  return `Dynatrace could not be asked (${code}); shown as pending`;
}
