// What `GET /sandbox/state` and `GET /sandbox/requests` show: the account as plain data (users with
// their groups, groups, bindings with boundaries and parameters, Davis Assistant users) and what was
// asked of the sandbox (counts per operation and status, the last requests), so that a person trying
// the bridge, or a black-box test, can see what it did.
import type { HandlerResult } from './sandbox-answers.js';
import { SandboxHttpError } from './sandbox-answers.js';
import { REQUEST_LOG_CAP, type SandboxState } from './sandbox-state.js';

const DEFAULT_LAST = 20;
/** The whole log may be asked for (a black-box bench reads every request it caused). */
const MAX_LAST = REQUEST_LOG_CAP;

export function stateView(state: SandboxState): HandlerResult {
  const groupName = (uuid: string): string | null => state.groupRecords.get(uuid)?.name ?? null;
  const policyName = (uuid: string): string | null => state.policyRecords.find((p) => p.uuid === uuid)?.name ?? null;
  const members = new Map<string, number>();
  for (const u of state.userRecords.values()) for (const g of u.groupUuids) members.set(g, (members.get(g) ?? 0) + 1);
  return {
    status: 200,
    body: {
      account: { uuid: state.accountUuid, name: state.accountName, responseStyle: state.responseStyle },
      environments: [...state.environmentRecords.values()].map((e) => ({ id: e.id, name: e.name, active: e.active })),
      users: [...state.userRecords.values()].map((u) => ({
        email: u.email,
        uid: u.uid,
        type: u.type,
        userStatus: u.userStatus,
        groups: [...u.groupUuids].map((uuid) => ({ uuid, name: groupName(uuid) })),
      })),
      groups: [...state.groupRecords.values()].map((g) => ({ uuid: g.uuid, name: g.name, owner: g.owner, description: g.description, members: members.get(g.uuid) ?? 0 })),
      boundaries: [...state.boundaryRecords.values()].map((b) => ({ uuid: b.uuid, name: b.name, boundaryQuery: b.boundaryQuery })),
      bindings: state.bindingRecords.map((b) => ({
        levelType: b.levelType,
        levelId: b.levelId,
        policy: { uuid: b.policyUuid, name: policyName(b.policyUuid) },
        group: { uuid: b.groupUuid, name: groupName(b.groupUuid) },
        boundaries: b.boundaries.map((uuid) => ({ uuid, name: state.boundaryRecords.get(uuid)?.name ?? null })),
        parameters: { ...b.parameters },
        metadata: { ...b.metadata },
      })),
      davisUsers: state.davisUsers(),
    },
  };
}

export function requestsView(state: SandboxState, query: URLSearchParams): HandlerResult {
  const raw = query.get('last') ?? String(DEFAULT_LAST);
  const last = Number(raw);
  if (!/^\d+$/.test(raw) || last > MAX_LAST) throw new SandboxHttpError(400, { message: `last must be an integer from 0 to ${MAX_LAST}` });
  const counts = new Map<string, { operation: string; service: string; status: number; count: number }>();
  for (const r of state.requestLog) {
    const operation = r.operation ?? `${r.method} (no such route)`;
    const key = `${operation}\u0000${r.status}`;
    const entry = counts.get(key) ?? { operation, service: r.service, status: r.status, count: 0 };
    entry.count += 1;
    counts.set(key, entry);
  }
  return {
    status: 200,
    body: {
      total: state.requestLog.length,
      counts: [...counts.values()].sort((a, b) => a.operation.localeCompare(b.operation) || a.status - b.status),
      last: state.requestLog.slice(Math.max(0, state.requestLog.length - last)).map((r) => ({ ...r, at: new Date(r.at).toISOString() })),
    },
  };
}
