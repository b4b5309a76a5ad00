// Reads a Dynatrace sandbox as plain data for exact assertions: users with their groups by name and
// status, the LOCAL groups with their policy bindings by name, Davis Assistant users; and the upstream
// writes the sandbox accepted, normalised so that two runs (with different UUIDs) compare equal.
import type { SandboxState } from '../../src/sandbox/index.js';

export interface AccountSnapshot {
  readonly users: ReadonlyArray<{ email: string; userStatus: string; groups: string[] }>;
  /** LOCAL groups (the ones the bridge may manage), with bindings as `level: policy names`. */
  readonly groups: ReadonlyArray<{ name: string; bindings: string[] }>;
  readonly davis: ReadonlyArray<{ email: string; firstName: string; lastName: string; admin: boolean }>;
}

/** The sandbox seed's policies and environments, for naming bindings. */
const POLICY_NAMES = ['Admin User', 'Pro User', 'Standard User', 'Settings Reader', 'Settings Writer', 'Account Auditors', 'Production Read Only'];
const ENVIRONMENTS = ['abc12345', 'def67890'];

export function accountSnapshot(state: SandboxState): AccountSnapshot {
  const groups = state.snapshotGroups();
  const groupName = (uuid: string): string => groups.find((g) => g.uuid === uuid)?.name ?? `unknown group ${uuid}`;
  const policyName = new Map(POLICY_NAMES.flatMap((name) => {
    const policy = state.findPolicy(name);
    return policy === null ? [] : [[policy.uuid, name] as const];
  }));
  const levels = [{ label: 'account', type: 'account', id: state.accountUuid }, ...ENVIRONMENTS.map((id) => ({ label: `environment:${id}`, type: 'environment', id }))];
  return {
    users: state
      .snapshotUsers()
      .filter((u) => u.type === 'DEFAULT')
      .map((u) => ({ email: u.email, userStatus: u.userStatus, groups: u.groupUuids.map(groupName).sort((a, b) => a.localeCompare(b)) }))
      .sort((a, b) => a.email.localeCompare(b.email)),
    groups: groups
      .filter((g) => g.owner === 'LOCAL')
      .map((g) => ({
        name: g.name,
        bindings: levels.flatMap((level) =>
          state.bindingsOf(level.type, level.id, g.uuid).map((uuid) => `${level.label}: ${policyName.get(uuid) ?? uuid}`),
        ).sort((a, b) => a.localeCompare(b)),
      }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    davis: state
      .davisUsers()
      .map((d) => ({ email: d.email, firstName: d.firstName, lastName: d.lastName, admin: d.admin }))
      .sort((a, b) => a.email.localeCompare(b.email)),
  };
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/**
 * Successful (2xx) writes the sandbox handled since `from`, Account Management and Davis Assistant,
 * as `METHOD path` with the account prefix dropped and UUIDs replaced by the group's current name
 * (or `<uuid>`), sorted: the same work done twice shows as a repeated line.
 */
export function acceptedWrites(state: SandboxState, from = 0): string[] {
  const names = new Map(state.snapshotGroups().map((g) => [g.uuid, g.name]));
  return state.requestLog
    .slice(from)
    .filter((r) => r.service !== 'oauth' && r.method !== 'GET' && r.status >= 200 && r.status < 300)
    .map((r) => `${r.method} ${decodeURIComponent(r.url.replace(/\/iam\/v1\/accounts\/[^/]+/, '').replace(`/iam/v1/repo/account/${state.accountUuid}`, '/iam/v1/repo/account/<account>')).replace(UUID, (u) => `<${names.get(u) ?? 'uuid'}>`)}`)
    .sort();
}

/** Every request the sandbox handled since `from` that was not a read or a token request. */
export function writeAttempts(state: SandboxState, from = 0): number {
  return state.requestLog.slice(from).filter((r) => r.service !== 'oauth' && r.method !== 'GET').length;
}

/** How the sandbox answered since `from`: status → count (faults show here). */
export function statusCounts(state: SandboxState, from = 0): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const r of state.requestLog.slice(from)) counts[r.status] = (counts[r.status] ?? 0) + 1;
  return counts;
}
