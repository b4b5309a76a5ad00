// The sandbox's in-memory Dynatrace account: users, groups, memberships, legacy permissions,
// policies and bindings, environments, service users, limits and Davis Assistant users, with the
// documented rules and observed bodies (docs/dynatrace.md lists each quirk and its source).
import { createHash, randomUUID } from 'node:crypto';
import type { DavisUser } from '../ports/davis-assistant-api.js';
import type { SandboxFaults } from './sandbox-faults.js';
import { validateFaults } from './sandbox-faults.js';
import type { SandboxSeed } from './sandbox-seed.js';

/** A refusal the HTTP layer sends as is. */
export class SandboxHttpError extends Error {
  override readonly name = 'SandboxHttpError';
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(`sandbox answered ${status}`);
  }
}

/** `{"error":{"code","message"}}`: the shape reported for user/group endpoints (dtiam API_BEHAVIORS.md). */
export function iamError(status: number, message: string): SandboxHttpError {
  return new SandboxHttpError(status, { error: { code: status, message } });
}

/** ErrorDto `{code, message, errorsMap}`: the policy endpoints' documented shape [spec]. */
export function dtoError(status: number, message: string, errorsMap: Record<string, string> = {}): SandboxHttpError {
  return new SandboxHttpError(status, { code: status, message, errorsMap });
}

export type GroupOwner = 'LOCAL' | 'SCIM' | 'SAML' | 'DCS' | 'ALL_USERS';
export type UserStatus = 'ACTIVE' | 'INACTIVE' | 'PENDING' | 'DELETED';

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
  readonly levelType: 'global' | 'account' | 'environment';
  readonly levelId: string;
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
  readonly status: number;
}

/** "Create" answers: as observed on the real API (200 with bodies) or as the spec says (201). */
export type SandboxResponseStyle = 'observed' | 'spec';

export interface HandlerResult {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Permission names of the legacy API [spec PermissionsDto enum]. */
export const PERMISSION_NAMES: ReadonlySet<string> = new Set([
  'account-company-info',
  'account-user-management',
  'account-viewer',
  'account-saml-flexible-federation',
  'tenant-viewer',
  'tenant-manage-settings',
  'tenant-agent-install',
  'tenant-logviewer',
  'tenant-view-sensitive-request-data',
  'tenant-configure-request-capture-data',
  'tenant-replay-sessions-with-masking',
  'tenant-replay-sessions-without-masking',
  'tenant-manage-security-problems',
  'tenant-view-security-problems',
  'tenant-manage-support-tickets',
]);

/** Headers observed on the permissions endpoint (NangoHQ get-group-permissions.test.json). */
export const PERMISSIONS_DEPRECATION_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  deprecation: 'Mon, 15 Jun 2026 00:00:00 GMT',
  sunset: 'Mon, 11 Jan 2027 00:00:00 GMT',
});

export const ALL_USERS_GROUP_NAME = 'Default group with all users';
const REQUEST_LOG_CAP = 10_000;
const LIMITS = { REGULAR_USER: 10_000, MAX_GROUPS_PER_ACCOUNT: 1_000, MAX_PERMISSIONS_PER_GROUP: 7_000, MAX_PLATFORM_TOKENS_PER_USER: 10 } as const;
const READ_ONLY_OWNERS: ReadonlySet<GroupOwner> = new Set(['SCIM', 'ALL_USERS']);

/** A name-based UUID (version 5 layout over SHA-256): seeded objects keep their UUIDs across restarts. */
export function stableUuid(...parts: readonly string[]): string {
  const h = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  const variant = ((parseInt(h.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringArray(value: unknown, what: string): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw iamError(400, `${what} must be an array of strings`);
  return value as string[];
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
 * Everything the sandbox holds. Tests may read it (snapshots are copies) and arrange scenarios with the
 * `add*`, `simulateLogin`, `setFaults`, `revokeTokens` methods; HTTP handlers call the rest.
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

  private readonly clock: { now(): number };
  private readonly users = new Map<string, SandboxUser>();
  private readonly groupsByUuid = new Map<string, SandboxGroup>();
  private readonly policies: SandboxPolicy[] = [];
  private readonly environments = new Map<string, SandboxEnvironment>();
  /** `${levelType}/${levelId}/${groupUuid}` → policy UUIDs. */
  private readonly bindings = new Map<string, string[]>();
  private readonly davis = new Map<string, DavisUser>();

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
    for (const g of seed.groups ?? []) this.addGroup({ ...g, uuid: g.uuid ?? stableUuid(a, 'group', g.name) });
    for (const u of seed.users ?? []) this.addUser({ ...u, uid: u.uid ?? stableUuid(a, 'user', u.email.toLowerCase()) });
    for (const s of seed.serviceUsers ?? []) this.addServiceUser({ ...s, uid: s.uid ?? stableUuid(a, 'service-user', s.name) });
    for (const d of seed.davisUsers ?? []) this.davis.set(d.email.toLowerCase(), { ...d });
  }

  private iso(): string {
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
    this.environments.set(env.id, env);
    return env;
  }

  addPolicy(p: { name: string; description?: string; levelType: SandboxPolicy['levelType']; levelId?: string; uuid?: string }): SandboxPolicy {
    const levelId = p.levelType === 'global' ? 'global' : (p.levelId ?? this.accountUuid);
    const policy: SandboxPolicy = { uuid: p.uuid ?? randomUUID(), name: p.name, description: p.description ?? '', levelType: p.levelType, levelId };
    this.policies.push(policy);
    return policy;
  }

  addGroup(g: { name: string; description?: string; owner?: GroupOwner; federatedAttributeValues?: readonly string[]; uuid?: string }): SandboxGroup {
    const now = this.iso();
    const fav = g.federatedAttributeValues === undefined ? null : [...g.federatedAttributeValues];
    const owner: GroupOwner = g.owner ?? (fav !== null && fav.length > 0 ? 'SAML' : 'LOCAL');
    const group: SandboxGroup = { uuid: g.uuid ?? randomUUID(), name: g.name, description: g.description ?? '', owner, federatedAttributeValues: fav, createdAt: now, updatedAt: now, permissions: [] };
    this.groupsByUuid.set(group.uuid, group);
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
      const group = this.groupsByUuid.get(ref) ?? [...this.groupsByUuid.values()].find((g) => g.name === ref);
      if (group === undefined) throw new TypeError(`sandbox seed: user ${u.email} names unknown group ${ref}`);
      user.groupUuids.add(group.uuid);
    }
    this.users.set(user.email, user);
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
    this.users.set(user.email, user);
    return user;
  }

  /** The user signs in: ACTIVE, names from its profile, login metadata appears. */
  simulateLogin(email: string, profile: { name?: string; surname?: string } = {}): void {
    const user = this.users.get(email.toLowerCase());
    if (user === undefined) throw new TypeError(`sandbox: no user ${email}`);
    user.userStatus = 'ACTIVE';
    user.name = profile.name ?? user.name ?? '';
    user.surname = profile.surname ?? user.surname ?? '';
    user.loginCount += 1;
    user.lastLogin = this.iso();
  }

  // ---------------------------------------------------------------- inspecting

  snapshotUsers(): Array<{ uid: string; email: string; userStatus: UserStatus; type: string; name: string | null; surname: string | null; groupUuids: string[] }> {
    return [...this.users.values()].map((u) => ({ uid: u.uid, email: u.email, userStatus: u.userStatus, type: u.type, name: u.name, surname: u.surname, groupUuids: [...u.groupUuids] }));
  }

  findUser(email: string): { uid: string; email: string; userStatus: UserStatus; groupUuids: string[] } | null {
    const u = this.users.get(email.toLowerCase());
    return u === undefined ? null : { uid: u.uid, email: u.email, userStatus: u.userStatus, groupUuids: [...u.groupUuids] };
  }

  snapshotGroups(): Array<{ uuid: string; name: string; owner: GroupOwner; description: string; permissions: SandboxPermission[] }> {
    return [...this.groupsByUuid.values()].map((g) => ({ uuid: g.uuid, name: g.name, owner: g.owner, description: g.description, permissions: [...g.permissions] }));
  }

  findGroupByName(name: string): { uuid: string; name: string; owner: GroupOwner } | null {
    const g = [...this.groupsByUuid.values()].find((x) => x.name === name);
    return g === undefined ? null : { uuid: g.uuid, name: g.name, owner: g.owner };
  }

  findPolicy(name: string, levelType?: SandboxPolicy['levelType']): SandboxPolicy | null {
    return this.policies.find((p) => p.name === name && (levelType === undefined || p.levelType === levelType)) ?? null;
  }

  bindingsOf(levelType: string, levelId: string, groupUuid: string): string[] {
    return [...(this.bindings.get(`${levelType}/${levelId}/${groupUuid}`) ?? [])];
  }

  davisUsers(): DavisUser[] {
    return [...this.davis.values()].map((d) => ({ ...d }));
  }

  // ---------------------------------------------------------------- users

  private user(email: string): SandboxUser {
    const u = this.users.get(email.toLowerCase());
    // Terraform treats the text `User <email> not found` as "already deleted".
    if (u === undefined) throw iamError(404, `User ${email} not found`);
    return u;
  }

  private userDto(u: SandboxUser): Record<string, unknown> {
    const dto: Record<string, unknown> = { uid: u.uid, email: u.email };
    if (u.name !== null) dto['name'] = u.name;
    if (u.surname !== null) dto['surname'] = u.surname;
    dto['type'] = u.type;
    if (u.loginCount > 0) {
      dto['userLoginMetadata'] = {
        successfulLoginCounter: u.loginCount,
        failedLoginCounter: 0,
        lastSuccessfulLogin: u.lastLogin,
        lastFailedLogin: null,
        resetPasswordTokenSentAt: null,
        lastSuccessfulBasicAuthentication: null,
        createdAt: u.createdAt,
        updatedAt: u.lastLogin,
      };
    }
    dto['userStatus'] = u.userStatus;
    dto['emergencyContact'] = false;
    return dto;
  }

  private accountGroupDto(g: SandboxGroup): Record<string, unknown> {
    return {
      groupName: g.name,
      uuid: g.uuid,
      owner: g.owner,
      accountUUID: this.accountUuid,
      accountName: this.accountName,
      description: g.description,
      hidden: false,
      createdAt: g.createdAt,
      updatedAt: g.updatedAt,
    };
  }

  listUsers(includeServiceUsers: boolean): HandlerResult {
    const items = [...this.users.values()].filter((u) => includeServiceUsers || u.type === 'DEFAULT').map((u) => this.userDto(u));
    return { status: 200, body: { count: items.length, items } };
  }

  getUser(email: string): HandlerResult {
    const u = this.user(email);
    const groups = [...u.groupUuids].map((id) => this.groupsByUuid.get(id)).filter((g): g is SandboxGroup => g !== undefined);
    return { status: 200, body: { ...this.userDto(u), groups: groups.map((g) => this.accountGroupDto(g)) } };
  }

  createUser(body: unknown): HandlerResult {
    if (!isRecord(body) || typeof body['email'] !== 'string' || !/^[^\s@]+@[^\s@]+$/.test(body['email'])) throw iamError(400, 'A valid email is required');
    const email = body['email'].toLowerCase();
    if (this.faults.refusedEmails.includes(email)) throw iamError(400, `User ${email} cannot be invited`);
    if (this.users.has(email)) throw iamError(409, `User ${email} already exists`);
    if (this.countRegularUsers() >= LIMITS.REGULAR_USER) throw iamError(400, 'Limit REGULAR_USER exceeded');
    const user = this.addUser({ email, userStatus: 'PENDING' });
    // Observed: 200 {"userUuid"}; the spec says 201 without body.
    return this.responseStyle === 'spec' ? { status: 201 } : { status: 200, body: { userUuid: user.uid } };
  }

  deleteUser(email: string): HandlerResult {
    const u = this.user(email);
    this.users.delete(u.email);
    return { status: 200 };
  }

  private existingGroups(uuids: readonly string[]): SandboxGroup[] {
    return uuids.map((id) => {
      const g = this.groupsByUuid.get(id);
      if (g === undefined) throw iamError(404, `Group ${id} not found`);
      return g;
    });
  }

  addUserToGroups(email: string, body: unknown): HandlerResult {
    const u = this.user(email);
    const groups = this.existingGroups(stringArray(body, 'Group UUIDs'));
    for (const g of groups) {
      if (g.owner === 'SCIM' && !u.groupUuids.has(g.uuid)) throw iamError(400, `Group ${g.uuid} is managed by SCIM and cannot be modified`);
    }
    for (const g of groups) u.groupUuids.add(g.uuid);
    return { status: 201 }; // spec; no recording of this call exists
  }

  replaceUserGroups(email: string, body: unknown): HandlerResult {
    const u = this.user(email);
    const groups = this.existingGroups(stringArray(body, 'Group UUIDs'));
    for (const g of groups) {
      if (g.owner === 'SCIM' && !u.groupUuids.has(g.uuid)) throw iamError(400, `Group ${g.uuid} is managed by SCIM and cannot be modified`);
    }
    // ALL_USERS and SCIM memberships cannot be taken away here; they stay whatever the list says.
    const kept = [...u.groupUuids].filter((id) => {
      const owner = this.groupsByUuid.get(id)?.owner;
      return owner === 'ALL_USERS' || owner === 'SCIM';
    });
    u.groupUuids.clear();
    for (const id of [...kept, ...groups.map((g) => g.uuid)]) u.groupUuids.add(id);
    return { status: 200 };
  }

  removeUserFromGroups(email: string, groupUuids: readonly string[]): HandlerResult {
    const u = this.user(email);
    if (groupUuids.length === 0) throw iamError(400, 'group-uuid is required');
    for (const id of groupUuids) {
      const g = this.groupsByUuid.get(id);
      if (g?.owner === 'SCIM' && u.groupUuids.has(id)) throw iamError(400, `Group ${id} is managed by SCIM and cannot be modified`);
    }
    for (const id of groupUuids) {
      if (this.groupsByUuid.get(id)?.owner !== 'ALL_USERS') u.groupUuids.delete(id);
    }
    return { status: 200 };
  }

  private countRegularUsers(): number {
    let n = 0;
    for (const u of this.users.values()) if (u.type === 'DEFAULT') n += 1;
    return n;
  }

  // ---------------------------------------------------------------- groups

  private group(uuid: string): SandboxGroup {
    const g = this.groupsByUuid.get(uuid);
    if (g === undefined) throw iamError(404, `Group ${uuid} not found`);
    return g;
  }

  private groupDto(g: SandboxGroup): Record<string, unknown> {
    const dto: Record<string, unknown> = { uuid: g.uuid, name: g.name, description: g.description };
    if (g.federatedAttributeValues !== null) dto['federatedAttributeValues'] = g.federatedAttributeValues;
    return { ...dto, owner: g.owner, createdAt: g.createdAt, updatedAt: g.updatedAt };
  }

  private readGroupInput(value: unknown): { name: string; description: string | undefined; fav: string[] | undefined } {
    if (!isRecord(value) || typeof value['name'] !== 'string' || value['name'].trim() === '') throw iamError(400, 'Group name is required');
    const description = value['description'];
    if (description !== undefined && description !== null && (typeof description !== 'string' || description.length > 255)) {
      throw iamError(400, 'description must be a string of at most 255 characters');
    }
    const fav = value['federatedAttributeValues'];
    return {
      name: value['name'],
      description: typeof description === 'string' ? description : undefined,
      fav: fav === undefined || fav === null ? undefined : stringArray(fav, 'federatedAttributeValues'),
    };
  }

  listGroups(): HandlerResult {
    const items = [...this.groupsByUuid.values()].map((g) => this.groupDto(g));
    return { status: 200, body: { count: items.length, items } };
  }

  createGroups(body: unknown): HandlerResult {
    if (!Array.isArray(body) || body.length === 0) throw iamError(400, 'An array of groups is required');
    const inputs = body.map((b) => this.readGroupInput(b));
    const names = new Set<string>();
    for (const input of inputs) {
      const key = input.name.toLowerCase();
      const existing = [...this.groupsByUuid.values()].find((g) => g.name.toLowerCase() === key);
      // dtiam reports 409 with the existing UUID for a duplicate name (UNCONFIRMED elsewhere).
      if (existing !== undefined) throw iamError(409, `Group with name '${input.name}' already exists: ${existing.uuid}`);
      if (names.has(key)) throw iamError(400, `Duplicate group name '${input.name}' in request`);
      names.add(key);
    }
    if (this.groupsByUuid.size + inputs.length > LIMITS.MAX_GROUPS_PER_ACCOUNT) throw iamError(400, 'Limit MAX_GROUPS_PER_ACCOUNT exceeded');
    const created = inputs.map((i) => this.addGroup({ name: i.name, ...(i.description === undefined ? {} : { description: i.description }), ...(i.fav === undefined ? {} : { federatedAttributeValues: i.fav }) }));
    if (this.responseStyle === 'spec') return { status: 201, body: created.map((g) => this.groupDto(g)) };
    // Observed: 200, `hidden: false`, createdAt/updatedAt null.
    return {
      status: 200,
      body: created.map((g) => {
        const dto: Record<string, unknown> = { uuid: g.uuid, name: g.name, owner: g.owner, description: g.description };
        if (g.federatedAttributeValues !== null) dto['federatedAttributeValues'] = g.federatedAttributeValues;
        return { ...dto, hidden: false, createdAt: null, updatedAt: null };
      }),
    };
  }

  private refuseReadOnly(g: SandboxGroup): void {
    if (READ_ONLY_OWNERS.has(g.owner)) {
      throw iamError(400, g.owner === 'SCIM' ? `Group ${g.uuid} is managed by SCIM and cannot be modified` : `Group ${g.uuid} cannot be modified`);
    }
  }

  updateGroup(uuid: string, body: unknown): HandlerResult {
    const g = this.group(uuid);
    this.refuseReadOnly(g);
    const input = this.readGroupInput(body);
    const clash = [...this.groupsByUuid.values()].find((x) => x.uuid !== g.uuid && x.name.toLowerCase() === input.name.toLowerCase());
    if (clash !== undefined) throw iamError(409, `Group with name '${input.name}' already exists: ${clash.uuid}`);
    g.name = input.name;
    g.description = input.description ?? '';
    // federatedAttributeValues on a LOCAL group makes it SAML; none on a SAML group makes it LOCAL [spec].
    g.federatedAttributeValues = input.fav ?? null;
    if (g.owner === 'LOCAL' && input.fav !== undefined && input.fav.length > 0) g.owner = 'SAML';
    else if (g.owner === 'SAML' && (input.fav === undefined || input.fav.length === 0)) g.owner = 'LOCAL';
    g.updatedAt = this.iso();
    return { status: 200 };
  }

  deleteGroup(uuid: string): HandlerResult {
    const g = this.group(uuid);
    this.refuseReadOnly(g);
    this.groupsByUuid.delete(uuid);
    for (const u of this.users.values()) u.groupUuids.delete(uuid);
    for (const key of [...this.bindings.keys()]) if (key.endsWith(`/${uuid}`)) this.bindings.delete(key);
    return { status: 200 };
  }

  listGroupMembers(uuid: string): HandlerResult {
    this.group(uuid);
    const items = [...this.users.values()].filter((u) => u.groupUuids.has(uuid)).map((u) => this.userDto(u));
    return { status: 200, body: { count: items.length, items } };
  }

  // ---------------------------------------------------------------- legacy permissions (deprecated upstream)

  private readPermissions(body: unknown): Array<Omit<SandboxPermission, 'createdAt' | 'updatedAt'>> {
    if (!Array.isArray(body)) throw iamError(400, 'An array of permissions is required');
    return body.map((p) => {
      if (!isRecord(p)) throw iamError(400, 'A permission must be an object');
      const { permissionName, scope, scopeType } = p;
      if (typeof permissionName !== 'string' || !PERMISSION_NAMES.has(permissionName)) throw iamError(400, `Unknown permissionName ${String(permissionName)}`);
      if (scopeType !== 'account' && scopeType !== 'tenant' && scopeType !== 'management-zone') throw iamError(400, `Unknown scopeType ${String(scopeType)}`);
      if (typeof scope !== 'string') throw iamError(400, 'scope is required');
      const env = scopeType === 'account' ? null : scopeType === 'tenant' ? scope : scope.split(':')[0];
      if (scopeType === 'account' && scope !== this.accountUuid) throw iamError(400, `Scope ${scope} is not this account`);
      if (env !== null && (env === undefined || !this.environments.has(env) || (scopeType === 'management-zone' && !/^[^:]+:[^:]+$/.test(scope)))) {
        throw iamError(400, `Scope ${scope} is not an environment of this account`);
      }
      return { permissionName, scope, scopeType };
    });
  }

  getPermissions(uuid: string): HandlerResult {
    const g = this.group(uuid);
    return {
      status: 200,
      headers: PERMISSIONS_DEPRECATION_HEADERS,
      body: { ...this.groupDto(g), hidden: false, permissions: g.permissions.map((p) => ({ ...p })) },
    };
  }

  addPermissions(uuid: string, body: unknown): HandlerResult {
    const g = this.group(uuid);
    const incoming = this.readPermissions(body);
    const now = this.iso();
    for (const p of incoming) {
      if (!g.permissions.some((x) => x.permissionName === p.permissionName && x.scope === p.scope && x.scopeType === p.scopeType)) {
        g.permissions.push({ ...p, createdAt: now, updatedAt: now });
      }
    }
    if (g.permissions.length > LIMITS.MAX_PERMISSIONS_PER_GROUP) throw iamError(400, 'Limit MAX_PERMISSIONS_PER_GROUP exceeded');
    return { status: 201, headers: PERMISSIONS_DEPRECATION_HEADERS };
  }

  replacePermissions(uuid: string, body: unknown): HandlerResult {
    const g = this.group(uuid);
    const incoming = this.readPermissions(body);
    const now = this.iso();
    g.permissions = incoming.map((p) => ({ ...p, createdAt: now, updatedAt: now }));
    return { status: 200, headers: PERMISSIONS_DEPRECATION_HEADERS };
  }

  removePermission(uuid: string, query: URLSearchParams): HandlerResult {
    const g = this.group(uuid);
    const scope = query.get('scope');
    const name = query.get('permission-name');
    const scopeType = query.get('scope-type');
    if (scope === null || name === null || scopeType === null) throw iamError(400, 'scope, permission-name and scope-type are required');
    const index = g.permissions.findIndex((p) => p.permissionName === name && p.scope === scope && p.scopeType === scopeType);
    // Terraform matches the text `Permission … not found`.
    if (index < 0) throw iamError(404, `Permission ${name} for scope ${scope} not found`);
    g.permissions.splice(index, 1);
    return { status: 200, headers: PERMISSIONS_DEPRECATION_HEADERS };
  }

  // ---------------------------------------------------------------- environments, service users, limits

  environmentsV2(): HandlerResult {
    return { status: 200, body: { data: [...this.environments.values()].map((e) => ({ id: e.id, name: e.name, active: e.active, url: e.url })) } };
  }

  environmentsV1(): HandlerResult {
    return { status: 200, body: { tenantResources: [...this.environments.values()].map((e) => ({ name: e.name, id: e.id })), managementZoneResources: [] } };
  }

  listServiceUsers(query: URLSearchParams): HandlerResult {
    const all = [...this.users.values()].filter((u) => u.type === 'SERVICE_EXTERNAL');
    let offset = 0;
    let size = 100;
    const key = query.get('page-key');
    if (key !== null) {
      const decoded = /^(\d+)\.(\d+)$/.exec(Buffer.from(key, 'base64url').toString('utf8'));
      if (decoded === null) throw new SandboxHttpError(400, { error: true, payload: null, message: 'Invalid page-key' });
      offset = Number(decoded[1]);
      size = Number(decoded[2]);
    } else {
      const raw = query.get('page-size');
      if (raw !== null) {
        size = Number(raw);
        if (!Number.isInteger(size) || size < 1 || size > 1000) throw new SandboxHttpError(400, { error: true, payload: null, message: 'page-size must be 1..1000' });
      }
    }
    const page = all.slice(offset, offset + size);
    const next = offset + size < all.length ? Buffer.from(`${offset + size}.${size}`, 'utf8').toString('base64url') : null;
    return {
      status: 200,
      body: {
        results: page.map((u) => ({ uid: u.uid, email: u.email, name: u.name ?? '', surname: u.surname ?? '', description: u.description ?? '', createdAt: u.createdAt })),
        nextPageKey: next,
        totalCount: all.length,
      },
    };
  }

  limits(): HandlerResult {
    const maxPermissions = Math.max(0, ...[...this.groupsByUuid.values()].map((g) => g.permissions.length));
    const results = [
      { limitType: 'REGULAR_USER', limitValue: LIMITS.REGULAR_USER, currentValue: this.countRegularUsers() },
      { limitType: 'MAX_GROUPS_PER_ACCOUNT', limitValue: LIMITS.MAX_GROUPS_PER_ACCOUNT, currentValue: this.groupsByUuid.size },
      { limitType: 'MAX_PERMISSIONS_PER_GROUP', limitValue: LIMITS.MAX_PERMISSIONS_PER_GROUP, currentValue: maxPermissions },
      { limitType: 'MAX_PLATFORM_TOKENS_PER_USER', limitValue: LIMITS.MAX_PLATFORM_TOKENS_PER_USER, currentValue: 0 },
    ];
    return { status: 200, body: { pageSize: results.length, pageNumber: 1, total: results.length, results } };
  }

  // ---------------------------------------------------------------- policies and bindings

  /** Checks a level exists for this account; returns the levels whose policies it inherits, itself first. */
  private levelChain(levelType: string, levelId: string): Array<{ levelType: SandboxPolicy['levelType']; levelId: string }> {
    if (levelType === 'global' && levelId === 'global') return [{ levelType: 'global', levelId: 'global' }];
    if (levelType === 'account' && levelId === this.accountUuid) return [{ levelType: 'account', levelId }, { levelType: 'global', levelId: 'global' }];
    if (levelType === 'environment' && this.environments.has(levelId)) {
      return [{ levelType: 'environment', levelId }, { levelType: 'account', levelId: this.accountUuid }, { levelType: 'global', levelId: 'global' }];
    }
    if (levelType !== 'global' && levelType !== 'account' && levelType !== 'environment') throw dtoError(400, `Unknown level type ${levelType}`);
    throw dtoError(404, `Level ${levelType}/${levelId} not found`);
  }

  listPolicies(levelType: string, levelId: string, query: URLSearchParams): HandlerResult {
    this.levelChain(levelType, levelId);
    const name = query.get('name');
    const policies = this.policies
      .filter((p) => p.levelType === levelType && p.levelId === levelId && (name === null || p.name === name))
      .map((p) => ({ uuid: p.uuid, name: p.name, description: p.description }));
    return { status: 200, body: { policies } };
  }

  aggregatePolicies(levelType: string, levelId: string): HandlerResult {
    if (levelType !== 'account' && levelType !== 'environment') throw dtoError(400, 'Only following level types are allowed: [account, environment, cluster]');
    const chain = this.levelChain(levelType, levelId);
    const policyOverviewList = chain.flatMap((level) =>
      this.policies
        .filter((p) => p.levelType === level.levelType && p.levelId === level.levelId)
        .map((p) => ({ uuid: p.uuid, name: p.name, description: p.description, levelId: p.levelId, levelType: p.levelType })),
    );
    return { status: 200, body: { policyOverviewList } };
  }

  getGroupBindings(levelType: string, levelId: string, groupUuid: string): HandlerResult {
    this.levelChain(levelType, levelId);
    if (!this.groupsByUuid.has(groupUuid)) throw dtoError(404, `Group ${groupUuid} not found`);
    return { status: 200, body: { policyUuids: this.bindingsOf(levelType, levelId, groupUuid) } };
  }

  putGroupBindings(levelType: string, levelId: string, groupUuid: string, body: unknown): HandlerResult {
    if (levelType === 'global') throw dtoError(400, 'Bindings cannot be modified at the global level');
    const chain = this.levelChain(levelType, levelId);
    // Inactive environments cannot be updated (Monaco skips them; binding calls answer 403).
    if (levelType === 'environment' && this.environments.get(levelId)?.active === false) throw dtoError(403, `Environment ${levelId} is not active`);
    if (!this.groupsByUuid.has(groupUuid)) throw dtoError(404, `Group ${groupUuid} not found`);
    if (!isRecord(body) || !Array.isArray(body['policyUuids']) || body['policyUuids'].some((v) => typeof v !== 'string')) {
      throw dtoError(400, 'policyUuids must be an array of strings', { policyUuids: 'must be an array of strings' });
    }
    const uuids = body['policyUuids'] as string[];
    const usable = new Set(this.policies.filter((p) => chain.some((l) => l.levelType === p.levelType && l.levelId === p.levelId)).map((p) => p.uuid));
    const unknown = uuids.filter((id) => !usable.has(id));
    if (unknown.length > 0) throw dtoError(400, `Policies not available at this level: ${unknown.join(', ')}`, { policyUuids: 'unknown policy' });
    const key = `${levelType}/${levelId}/${groupUuid}`;
    if (uuids.length === 0) this.bindings.delete(key);
    else this.bindings.set(key, [...new Set(uuids)]);
    return { status: 204 };
  }

  levelBindings(levelType: string, levelId: string): HandlerResult {
    this.levelChain(levelType, levelId);
    const byPolicy = new Map<string, string[]>();
    for (const [key, uuids] of this.bindings) {
      const [lt, lid, group] = key.split('/');
      if (lt !== levelType || lid !== levelId || group === undefined) continue;
      for (const p of uuids) byPolicy.set(p, [...(byPolicy.get(p) ?? []), group]);
    }
    return {
      status: 200,
      body: { levelType, levelId, policyBindings: [...byPolicy].map(([policyUuid, groups]) => ({ policyUuid, groups, boundaries: [] })) },
    };
  }

  // ---------------------------------------------------------------- Davis Assistant

  private readDavisUser(email: string, body: unknown): DavisUser {
    if (!isRecord(body)) throw new SandboxHttpError(400, { message: 'A JSON object is required' });
    const { firstName, lastName, timezone, admin } = body;
    const bodyEmail = body['email'];
    if (bodyEmail !== undefined && (typeof bodyEmail !== 'string' || bodyEmail.toLowerCase() !== email.toLowerCase())) {
      throw new SandboxHttpError(400, { message: 'email in body does not match the path' });
    }
    if (typeof firstName !== 'string' || typeof lastName !== 'string' || typeof timezone !== 'string' || typeof admin !== 'boolean') {
      throw new SandboxHttpError(400, { message: 'firstName, lastName, timezone (strings) and admin (boolean) are required' });
    }
    return { firstName, lastName, email: email.toLowerCase(), timezone, admin };
  }

  davisList(): HandlerResult {
    return { status: 200, body: this.davisUsers() };
  }

  davisCreate(email: string, body: unknown): HandlerResult {
    const user = this.readDavisUser(email, body);
    if (this.faults.refusedEmails.includes(user.email)) throw new SandboxHttpError(400, { message: `User ${user.email} cannot be added` });
    if (this.davis.has(user.email)) throw new SandboxHttpError(409, { message: `User ${user.email} already exists` });
    this.davis.set(user.email, user);
    return { status: 201, body: user };
  }

  davisUpdate(email: string, body: unknown): HandlerResult {
    const user = this.readDavisUser(email, body);
    if (!this.davis.has(user.email)) throw new SandboxHttpError(404, { message: `User ${user.email} not found` });
    this.davis.set(user.email, user);
    return { status: 200, body: user };
  }

  davisDelete(email: string): HandlerResult {
    if (!this.davis.delete(email.toLowerCase())) throw new SandboxHttpError(404, { message: `User ${email} not found` });
    return { status: 204 };
  }
}
