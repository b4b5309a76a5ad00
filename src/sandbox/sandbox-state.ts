// The sandbox's one Dynatrace account record — users, groups, policies, boundaries, bindings,
// environments and Davis Assistant users — with the faults in force and the request log. Each API
// area (sandbox-users.ts, sandbox-groups.ts, …) answers its routes over this record.
import { createHash, randomUUID } from 'node:crypto';
import type { DavisUser } from '../ports/davis-assistant-api.js';
import { SandboxBindings } from './sandbox-bindings.js';
import { SandboxBoundaries } from './sandbox-boundaries.js';
import { SandboxDavis } from './sandbox-davis.js';
import { SandboxEnvironments } from './sandbox-environments.js';
import { SandboxLimits } from './sandbox-limits.js';
import type { SandboxFaults } from './sandbox-faults.js';
import { validateFaults } from './sandbox-faults.js';
import { SandboxGroups } from './sandbox-groups.js';
import { SandboxPermissions } from './sandbox-permissions.js';
import { SandboxPolicies } from './sandbox-policies.js';
import type { SandboxSeed } from './sandbox-seed.js';
import { SandboxServiceUsers } from './sandbox-service-users.js';
import { SandboxUsers } from './sandbox-users.js';

export type GroupOwner = 'LOCAL' | 'SCIM' | 'SAML' | 'DCS' | 'ALL_USERS';
export type UserStatus = 'ACTIVE' | 'INACTIVE' | 'PENDING' | 'DELETED';
export type LevelType = 'global' | 'account' | 'environment';

export interface SandboxUser {
  readonly uid: string;
  readonly email: string;
  name: string | null;
  surname: string | null;
  userStatus: UserStatus;
  readonly type: 'DEFAULT' | 'SERVICE_EXTERNAL';
  readonly groupUuids: Set<string>;
  readonly createdAt: string;
  description: string | null;
  loginCount: number;
  lastLogin: string | null;
}

export interface SandboxGroup {
  readonly uuid: string;
  name: string;
  description: string;
  owner: GroupOwner;
  federatedAttributeValues: string[] | null;
  readonly createdAt: string;
  updatedAt: string;
  permissions: SandboxPermission[];
}

export interface SandboxPermission {
  readonly permissionName: string;
  readonly scope: string;
  readonly scopeType: 'account' | 'tenant' | 'management-zone';
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface SandboxPolicy {
  readonly uuid: string;
  readonly name: string;
  readonly description: string;
  readonly levelType: LevelType;
  readonly levelId: string;
}

export interface SandboxBoundary {
  readonly uuid: string;
  readonly name: string;
  readonly boundaryQuery: string;
}

/**
 * One policy binding: a policy bound to a group at a level. A binding is told apart from another of
 * the same policy and group by its parameters and metadata; boundaries limit it.
 */
export interface SandboxBinding {
  readonly levelType: LevelType;
  readonly levelId: string;
  readonly policyUuid: string;
  readonly groupUuid: string;
  parameters: Record<string, string>;
  metadata: Record<string, string>;
  boundaries: string[];
}

export interface SandboxEnvironment {
  readonly id: string;
  readonly name: string;
  active: boolean;
  readonly url: string;
}

export interface SandboxRequestRecord {
  /** Sandbox clock time the request was handled. */
  readonly at: number;
  readonly method: string;
  /** Path and query as received (emails still encoded). */
  readonly url: string;
  readonly service: 'oauth' | 'account-management' | 'davis-assistant' | 'unknown';
  /** The route that answered, as `METHOD /path/{param}`; null when none matched. */
  readonly operation: string | null;
  readonly status: number;
}

/** "Create" answers: as observed on the real API (200 with bodies) or as the OpenAPI spec says (201). */
export type SandboxResponseStyle = 'observed' | 'spec';

export const ALL_USERS_GROUP_NAME = 'Default group with all users';
export const REQUEST_LOG_CAP = 10_000;

/** A name-based UUID (version 5 layout over SHA-256): seeded objects keep their UUIDs across restarts. */
export function stableUuid(...parts: readonly string[]): string {
  const h = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  const variant = ((parseInt(h.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export interface SandboxStateOptions {
  readonly accountUuid: string;
  readonly accountName: string;
  readonly clock: { now(): number };
  readonly faults: SandboxFaults;
  readonly responseStyle: SandboxResponseStyle;
  readonly seed: SandboxSeed;
}

/**
 * Everything the sandbox holds. Tests read it (snapshots are copies), arrange scenarios with the
 * `add*`, `simulateLogin`, `setFaults`, `revokeTokens` methods, and change it "by hand" through the
 * API areas (`state.users.remove(…)`), which the HTTP routes call too.
 */
export class SandboxState {
  readonly accountUuid: string;
  readonly accountName: string;
  readonly allUsersGroupUuid: string;
  /** Last 10 000 requests, oldest first. */
  readonly requestLog: SandboxRequestRecord[] = [];
  /** Tokens the token endpoint has issued. */
  tokensIssued = 0;
  /** Tokens issued before the current generation are rejected (revokeTokens()). */
  tokenGeneration = 0;
  faults: SandboxFaults;
  responseStyle: SandboxResponseStyle;

  /** The record the API areas work on (keys: lower-case email, group UUID, environment id, boundary UUID). */
  readonly userRecords = new Map<string, SandboxUser>();
  readonly groupRecords = new Map<string, SandboxGroup>();
  readonly policyRecords: SandboxPolicy[] = [];
  readonly boundaryRecords = new Map<string, SandboxBoundary>();
  readonly bindingRecords: SandboxBinding[] = [];
  readonly environmentRecords = new Map<string, SandboxEnvironment>();
  readonly davisRecords = new Map<string, DavisUser>();

  readonly users = new SandboxUsers(this);
  readonly groups = new SandboxGroups(this);
  readonly permissions = new SandboxPermissions(this);
  readonly policies = new SandboxPolicies(this);
  readonly boundaries = new SandboxBoundaries(this);
  readonly bindings = new SandboxBindings(this);
  readonly environments = new SandboxEnvironments(this);
  readonly serviceUsers = new SandboxServiceUsers(this);
  readonly limits = new SandboxLimits(this);
  readonly davis = new SandboxDavis(this);

  private readonly clock: { now(): number };

  constructor(options: SandboxStateOptions) {
    this.accountUuid = options.accountUuid;
    this.accountName = options.accountName;
    this.clock = options.clock;
    this.faults = options.faults;
    this.responseStyle = options.responseStyle;
    const a = this.accountUuid;
    const allUsers = this.addGroup({ name: ALL_USERS_GROUP_NAME, description: 'Every user of the account is a member of this group.', owner: 'ALL_USERS', uuid: stableUuid(a, 'group', ALL_USERS_GROUP_NAME) });
    this.allUsersGroupUuid = allUsers.uuid;
    const seed = options.seed;
    for (const e of seed.environments ?? []) this.addEnvironment(e);
    for (const p of seed.policies ?? []) {
      const levelId = p.levelType === 'global' ? 'global' : (p.levelId ?? a);
      this.addPolicy({ ...p, uuid: p.uuid ?? stableUuid(p.levelType === 'global' ? 'global' : a, 'policy', p.levelType, levelId, p.name) });
    }
    for (const b of seed.boundaries ?? []) this.addBoundary({ ...b, uuid: b.uuid ?? stableUuid(a, 'boundary', b.name) });
    for (const g of seed.groups ?? []) this.addGroup({ ...g, uuid: g.uuid ?? stableUuid(a, 'group', g.name) });
    for (const u of seed.users ?? []) this.addUser({ ...u, uid: u.uid ?? stableUuid(a, 'user', u.email.toLowerCase()) });
    for (const s of seed.serviceUsers ?? []) this.addServiceUser({ ...s, uid: s.uid ?? stableUuid(a, 'service-user', s.name) });
    for (const d of seed.davisUsers ?? []) this.davisRecords.set(d.email.toLowerCase(), { ...d });
  }

  /** The sandbox clock's time as an ISO timestamp. */
  iso(): string {
    return new Date(this.clock.now()).toISOString();
  }

  // ---------------------------------------------------------------- arranging (tests, seed)

  /** Changes faults at run time (TypeError when out of range). */
  setFaults(patch: Partial<SandboxFaults>): void {
    this.faults = validateFaults({ ...this.faults, ...patch }, 'setFaults');
  }

  /** Every token issued so far is rejected from now on (401), as if it had expired. */
  revokeTokens(): void {
    this.tokenGeneration += 1;
  }

  log(record: SandboxRequestRecord): void {
    this.requestLog.push(record);
    if (this.requestLog.length > REQUEST_LOG_CAP) this.requestLog.splice(0, this.requestLog.length - REQUEST_LOG_CAP);
  }

  addEnvironment(e: { id: string; name: string; active?: boolean; url?: string }): SandboxEnvironment {
    const env: SandboxEnvironment = { id: e.id, name: e.name, active: e.active ?? true, url: e.url ?? `https://${e.id}.live.dynatrace.com` };
    this.environmentRecords.set(env.id, env);
    return env;
  }

  addPolicy(p: { name: string; description?: string; levelType: LevelType; levelId?: string; uuid?: string }): SandboxPolicy {
    const levelId = p.levelType === 'global' ? 'global' : (p.levelId ?? this.accountUuid);
    const policy: SandboxPolicy = { uuid: p.uuid ?? randomUUID(), name: p.name, description: p.description ?? '', levelType: p.levelType, levelId };
    this.policyRecords.push(policy);
    return policy;
  }

  addBoundary(b: { name: string; boundaryQuery: string; uuid?: string }): SandboxBoundary {
    const boundary: SandboxBoundary = { uuid: b.uuid ?? randomUUID(), name: b.name, boundaryQuery: b.boundaryQuery };
    this.boundaryRecords.set(boundary.uuid, boundary);
    return boundary;
  }

  addGroup(g: { name: string; description?: string; owner?: GroupOwner; federatedAttributeValues?: readonly string[]; uuid?: string }): SandboxGroup {
    const now = this.iso();
    const fav = g.federatedAttributeValues === undefined ? null : [...g.federatedAttributeValues];
    const owner: GroupOwner = g.owner ?? (fav !== null && fav.length > 0 ? 'SAML' : 'LOCAL');
    const group: SandboxGroup = { uuid: g.uuid ?? randomUUID(), name: g.name, description: g.description ?? '', owner, federatedAttributeValues: fav, createdAt: now, updatedAt: now, permissions: [] };
    this.groupRecords.set(group.uuid, group);
    return group;
  }

  addUser(u: { email: string; name?: string; surname?: string; userStatus?: UserStatus; groups?: readonly string[]; uid?: string }): SandboxUser {
    const user: SandboxUser = {
      uid: u.uid ?? randomUUID(),
      email: u.email.toLowerCase(),
      name: u.name ?? null,
      surname: u.surname ?? null,
      userStatus: u.userStatus ?? 'ACTIVE',
      type: 'DEFAULT',
      groupUuids: new Set([this.allUsersGroupUuid]),
      createdAt: this.iso(),
      description: null,
      loginCount: u.userStatus === 'PENDING' ? 0 : 1,
      lastLogin: u.userStatus === 'PENDING' ? null : this.iso(),
    };
    for (const ref of u.groups ?? []) {
      const group = this.groupRecords.get(ref) ?? [...this.groupRecords.values()].find((g) => g.name === ref);
      if (group === undefined) throw new TypeError(`sandbox seed: user ${u.email} names unknown group ${ref}`);
      user.groupUuids.add(group.uuid);
    }
    this.userRecords.set(user.email, user);
    return user;
  }

  addServiceUser(s: { name: string; description?: string; uid?: string }): SandboxUser {
    const uid = s.uid ?? randomUUID();
    const user: SandboxUser = {
      uid,
      email: `${uid}@service.sso.dynatrace.com`,
      name: s.name,
      surname: null,
      userStatus: 'ACTIVE',
      type: 'SERVICE_EXTERNAL',
      groupUuids: new Set([this.allUsersGroupUuid]),
      createdAt: this.iso(),
      description: s.description ?? null,
      loginCount: 0,
      lastLogin: null,
    };
    this.userRecords.set(user.email, user);
    return user;
  }

  /** The user signs in: ACTIVE, names from its profile, login metadata appears. */
  simulateLogin(email: string, profile: { name?: string; surname?: string } = {}): void {
    const user = this.userRecords.get(email.toLowerCase());
    if (user === undefined) throw new TypeError(`sandbox: no user ${email}`);
    user.userStatus = 'ACTIVE';
    user.name = profile.name ?? user.name ?? '';
    user.surname = profile.surname ?? user.surname ?? '';
    user.loginCount += 1;
    user.lastLogin = this.iso();
  }

  // ---------------------------------------------------------------- inspecting (copies)

  snapshotUsers(): Array<{ uid: string; email: string; userStatus: UserStatus; type: string; name: string | null; surname: string | null; groupUuids: string[] }> {
    return [...this.userRecords.values()].map((u) => ({ uid: u.uid, email: u.email, userStatus: u.userStatus, type: u.type, name: u.name, surname: u.surname, groupUuids: [...u.groupUuids] }));
  }

  findUser(email: string): { uid: string; email: string; userStatus: UserStatus; groupUuids: string[] } | null {
    const u = this.userRecords.get(email.toLowerCase());
    return u === undefined ? null : { uid: u.uid, email: u.email, userStatus: u.userStatus, groupUuids: [...u.groupUuids] };
  }

  snapshotGroups(): Array<{ uuid: string; name: string; owner: GroupOwner; description: string; permissions: SandboxPermission[] }> {
    return [...this.groupRecords.values()].map((g) => ({ uuid: g.uuid, name: g.name, owner: g.owner, description: g.description, permissions: [...g.permissions] }));
  }

  findGroupByName(name: string): { uuid: string; name: string; owner: GroupOwner } | null {
    const g = [...this.groupRecords.values()].find((x) => x.name === name);
    return g === undefined ? null : { uuid: g.uuid, name: g.name, owner: g.owner };
  }

  findPolicy(name: string, levelType?: LevelType): SandboxPolicy | null {
    return this.policyRecords.find((p) => p.name === name && (levelType === undefined || p.levelType === levelType)) ?? null;
  }

  findBoundary(name: string): SandboxBoundary | null {
    return [...this.boundaryRecords.values()].find((b) => b.name === name) ?? null;
  }

  /** Policy UUIDs bound to the group at the level (each once, however many bindings it has). */
  bindingsOf(levelType: string, levelId: string, groupUuid: string): string[] {
    return [...new Set(this.bindingDetailsOf(levelType, levelId, groupUuid).map((b) => b.policyUuid))];
  }

  /** The group's bindings at the level with their parameters, metadata and boundaries. */
  bindingDetailsOf(levelType: string, levelId: string, groupUuid: string): SandboxBinding[] {
    return this.bindingRecords
      .filter((b) => b.levelType === levelType && b.levelId === levelId && b.groupUuid === groupUuid)
      .map((b) => ({ ...b, parameters: { ...b.parameters }, metadata: { ...b.metadata }, boundaries: [...b.boundaries] }));
  }

  davisUsers(): DavisUser[] {
    return [...this.davisRecords.values()].map((d) => ({ ...d }));
  }
}
