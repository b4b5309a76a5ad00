// The AccountApi port: what the core may ask of the Dynatrace Account Management API for one
// account (docs/dynatrace.md; Dynatrace's OpenAPI description at https://api.dynatrace.com/spec-json).
// Implementations throw only UpstreamError (ports/upstream-error.ts) for runtime failures and
// TypeError for misuse.

/**
 * Dynatrace `userStatus` [spec UsersDto]. PENDING = invited, sign-up not completed (every user created
 * through the API starts PENDING); INACTIVE = deactivated. Unknown future values are passed through.
 */
export type DtUserStatus = 'ACTIVE' | 'INACTIVE' | 'PENDING' | 'DELETED' | 'ECUSTOMS_MANUALLY_BLOCKED';

/**
 * Group `owner` [spec GetGroupDto]: the identity provider a group comes from. `SCIM` groups (Dynatrace's
 * native SCIM) and the `ALL_USERS` group ("Default group with all users", which every user is always in)
 * cannot be modified through Account Management. A `LOCAL` group with `federatedAttributeValues`
 * becomes `SAML`; a `SAML` group without them becomes `LOCAL`.
 */
export type DtGroupOwner = 'LOCAL' | 'SCIM' | 'SAML' | 'DCS' | 'ALL_USERS';

/** A human (or, on request, service) user of the account. Dynatrace keys users by email + `uid`. */
export interface DtUser {
  /** Server-assigned UUID; no endpoint takes it for human users. */
  readonly uid: string;
  /** As Dynatrace returns it; compare lower-case. */
  readonly email: string;
  /** First name; absent until the user has a profile (API-created users have none). */
  readonly name?: string;
  readonly surname?: string;
  /** A DtUserStatus, or a value Dynatrace added later. */
  readonly userStatus?: DtUserStatus | (string & {});
  /** `DEFAULT` for humans, `SERVICE_EXTERNAL` for service users (undocumented field, observed). */
  readonly type?: string;
  /** Only on `getUser`: every group the user is in, the ALL_USERS group included. */
  readonly groups?: readonly DtGroup[];
}

/** A user read with its memberships (`GET /users/{email}`, GroupUserDto). */
export interface DtUserWithGroups extends DtUser {
  readonly groups: readonly DtGroup[];
}

export interface DtGroup {
  readonly uuid: string;
  readonly name: string;
  /** A DtGroupOwner, or a value Dynatrace added later. */
  readonly owner: DtGroupOwner | (string & {});
  readonly description?: string;
  readonly federatedAttributeValues?: readonly string[];
  /** ISO timestamps; null in create responses (observed). */
  readonly createdAt?: string | null;
  readonly updatedAt?: string | null;
}

/** Body of a group create or update (InsertGroupDto / PutGroupDto). */
export interface DtGroupInput {
  readonly name: string;
  /** At most 255 characters [spec]. */
  readonly description?: string;
  /** SAML attribute values; makes the group `SAML`. Not allowed on SCIM/ALL_USERS groups. */
  readonly federatedAttributeValues?: readonly string[];
}

export interface DtCreatedUser {
  /** Lower-cased email the user was created (or found) with. */
  readonly email: string;
  /** From the observed `{"userUuid"}` body; null when Dynatrace answered as the spec says (201, no body). */
  readonly uid: string | null;
  /** False when the user already existed (e.g. created by SAML just-in-time login): not an error. */
  readonly created: boolean;
}

/** A policy level [spec]: `global` (id `global`), `account` (id = account UUID) or `environment` (id = environment id). */
export interface DtPolicyLevel {
  readonly levelType: 'global' | 'account' | 'environment';
  readonly levelId: string;
}

export interface DtPolicy {
  readonly uuid: string;
  readonly name: string;
  readonly description?: string;
  /** The level the policy is defined at (present in aggregate listings). */
  readonly levelType?: string;
  readonly levelId?: string;
}

/** A policy boundary [spec PolicyBoundaryOverview]: an account-level limit a binding may carry. */
export interface DtBoundary {
  readonly uuid: string;
  readonly name: string;
}

/**
 * One policy binding of a group at a level [spec Binding, AppendLevelPolicyBindingForGroupDto]. A group
 * may hold several bindings of one policy, told apart by parameters and metadata; boundaries limit it.
 */
export interface DtPolicyBinding {
  readonly policyUuid: string;
  /** Policy boundary UUIDs. */
  readonly boundaries: readonly string[];
  /** Values for a templated policy's `${bindParam:…}` placeholders. */
  readonly parameters: Readonly<Record<string, string>>;
  /** Free string tags; the bridge marks its own bindings here. */
  readonly metadata: Readonly<Record<string, string>>;
}

/** The group's bindings at one level. */
export interface DtGroupBindings {
  /** Every policy bound to the group at the level. */
  readonly policyUuids: readonly string[];
  /** Each binding with its boundaries, parameters and metadata; null when Dynatrace answered policy UUIDs only. */
  readonly bindings: readonly DtPolicyBinding[] | null;
}

/**
 * Which bindings of a policy and group a write touches [spec `query-params`]: those whose parameters and
 * metadata include these pairs. Empty = every binding of the policy and group.
 */
export interface DtBindingSelector {
  readonly parameters?: Readonly<Record<string, string>>;
  readonly metadata?: Readonly<Record<string, string>>;
}

/** Legacy role-based permission [spec PermissionsDto]. */
export interface DtPermission {
  /** e.g. `account-viewer`, `tenant-viewer`, `tenant-manage-settings`. */
  readonly permissionName: string;
  /** Account UUID, environment id, or `{environmentId}:{managementZoneId}`. */
  readonly scope: string;
  readonly scopeType: 'account' | 'tenant' | 'management-zone';
}

export interface DtGroupPermissions {
  readonly group: DtGroup;
  readonly permissions: readonly DtPermission[];
}

export interface DtEnvironment {
  /** Environment (tenant) id, e.g. `abc12345`. */
  readonly id: string;
  readonly name?: string;
  /** Inactive environments refuse policy-binding changes (403). */
  readonly active: boolean;
  readonly url?: string;
}

export interface DtServiceUser {
  readonly uid: string;
  /** `<uid>@service.sso.dynatrace.com`. */
  readonly email: string;
  readonly name?: string;
  readonly surname?: string;
  readonly description?: string;
  readonly createdAt?: string;
}

export interface DtAccountLimit {
  /** e.g. `REGULAR_USER`, `MAX_GROUPS_PER_ACCOUNT`, `MAX_PERMISSIONS_PER_GROUP`. */
  readonly limitType: string;
  readonly limitValue: number;
  readonly currentValue: number;
}


const LEVEL_RANK: Readonly<Record<string, number>> = { environment: 0, account: 1, global: 2 };

/**
 * The policy of this name (exact, case-sensitive) among those available at a level (`listAvailablePolicies`),
 * nearest level first: environment, then account, then global; null when none.
 */
export function nearestPolicy(available: readonly DtPolicy[], name: string): DtPolicy | null {
  const matches = available.filter((p) => p.name === name);
  matches.sort((a, b) => (LEVEL_RANK[a.levelType ?? ''] ?? 3) - (LEVEL_RANK[b.levelType ?? ''] ?? 3));
  return matches[0] ?? null;
}
/**
 * The Dynatrace Account Management API of one account. Emails are lower-cased and URL-encoded by the
 * implementation; any 2xx is success (Dynatrace answers 200 where its spec says 201); unknown response
 * fields are ignored. Every call draws from the account's rate budget and is retried on 429/502/503/504
 * and network errors; what still fails is thrown as UpstreamError.
 */
export interface AccountApi {
  /** The account UUID every path is scoped by. */
  readonly accountUuid: string;

  // ---- users (account-idm-read / account-idm-write)

  /** `GET /iam/v1/accounts/{a}/users`: every user, in one page (not paginated). Service users only when asked. */
  listUsers(options?: { readonly includeServiceUsers?: boolean }): Promise<DtUser[]>;
  /** `GET /users/{email}`: the user with all its groups (ALL_USERS included); null on 404. */
  getUser(email: string): Promise<DtUserWithGroups | null>;
  /**
   * `POST /users` `{"email"}`: invites the user (status PENDING). Dynatrace answers 200 `{"userUuid"}` (observed)
   * or 201 without body (spec). Dynatrace documents no answer for an existing user: 409 resolves with
   * `created: false` (uid null: nothing is read for it), a 400 saying it "already exists" with `created:
   * false` and its uid once a lookup confirmed it; a 2xx cannot be told from a new invitation.
   */
  createUser(email: string): Promise<DtCreatedUser>;
  /** `DELETE /users/{email}`: removes the user from the account. Idempotent: an absent user (404) is success. */
  deleteUser(email: string): Promise<void>;

  // ---- memberships (membership is edited only from the user side)

  /** `POST /users/{email}` with group UUIDs: additive; existing memberships stay. No call for an empty list. */
  addUserToGroups(email: string, groupUuids: readonly string[]): Promise<void>;
  /** `PUT /users/{email}/groups`: the user's group set becomes exactly this (`[]` allowed); ALL_USERS always stays. */
  replaceUserGroups(email: string, groupUuids: readonly string[]): Promise<void>;
  /** `DELETE /users/{email}/groups?group-uuid=…`: removes listed memberships (long lists are split). No call for an empty list. */
  removeUserFromGroups(email: string, groupUuids: readonly string[]): Promise<void>;

  // ---- groups

  /** `GET /groups`: every group of the account, ALL_USERS and SCIM groups included (not paginated). */
  listGroups(): Promise<DtGroup[]>;
  /** `POST /groups` with an array (bulk create). Answers 200 (observed) or 201 (spec), both with the created groups. */
  createGroups(groups: readonly DtGroupInput[]): Promise<DtGroup[]>;
  /** `createGroups` of one group. */
  createGroup(group: DtGroupInput): Promise<DtGroup>;
  /** `PUT /groups/{uuid}`: overwrites name, description, federatedAttributeValues. Refused for SCIM/ALL_USERS groups. */
  updateGroup(groupUuid: string, group: DtGroupInput): Promise<void>;
  /** `DELETE /groups/{uuid}`. Idempotent: an absent group (404) is success. Refused for SCIM/ALL_USERS groups. */
  deleteGroup(groupUuid: string): Promise<void>;
  /** `GET /groups/{uuid}/users`: members in one page. */
  listGroupMembers(groupUuid: string): Promise<DtUser[]>;

  // ---- IAM policies and group bindings (iam-policies-management)

  /** `GET /iam/v1/repo/{levelType}/{levelId}/policies[?name=]`: policies native to that level only. */
  listPolicies(level: DtPolicyLevel, options?: { readonly name?: string }): Promise<DtPolicy[]>;
  /** `GET …/policies/aggregate`: policies usable at an account/environment level, inherited ones included. */
  listAvailablePolicies(level: DtPolicyLevel): Promise<DtPolicy[]>;
  /**
   * Resolves a policy name (exact, case-sensitive) among the policies available at the level, nearest level
   * first (environment, then account, then global); null when none.
   */
  findPolicyByName(level: DtPolicyLevel, name: string): Promise<DtPolicy | null>;
  /** `GET /iam/v1/repo/account/{a}/boundaries`: every policy boundary of the account, following pages (bounded). */
  listBoundaries(): Promise<DtBoundary[]>;
  /** `GET …/bindings/groups/{groupUuid}?details=true`: the group's bindings at that level, with boundaries, parameters and metadata. */
  getGroupBindings(level: DtPolicyLevel, groupUuid: string): Promise<DtGroupBindings>;
  /**
   * `PUT …/bindings/{policyUuid}/{groupUuid}?…selector`: the binding the selector picks takes the given
   * boundaries, parameters and metadata, or is created when none matches (204). Other bindings of the
   * group stay as they are. Not at `global`.
   */
  putPolicyBinding(level: DtPolicyLevel, groupUuid: string, binding: DtPolicyBinding, select: DtBindingSelector): Promise<void>;
  /**
   * `DELETE …/bindings/{policyUuid}/{groupUuid}?forceMultiple=false&…selector`: removes the one binding the
   * selector picks; several matching are refused by Dynatrace, never all removed. None matching (404) is success.
   */
  deletePolicyBinding(level: DtPolicyLevel, groupUuid: string, policyUuid: string, select: DtBindingSelector): Promise<void>;

  // ---- legacy role-based permissions: Deprecation 2026-06-15, Sunset 2027-01-11 (observed headers)

  /** @deprecated Legacy: `GET /groups/{uuid}/permissions`. Prefer policy bindings. */
  getLegacyGroupPermissions(groupUuid: string): Promise<DtGroupPermissions>;
  /** @deprecated Legacy: `POST /groups/{uuid}/permissions` (additive, 201). */
  addLegacyGroupPermissions(groupUuid: string, permissions: readonly DtPermission[]): Promise<void>;
  /** @deprecated Legacy: `PUT /groups/{uuid}/permissions` (overwrite). */
  replaceLegacyGroupPermissions(groupUuid: string, permissions: readonly DtPermission[]): Promise<void>;
  /** @deprecated Legacy: `DELETE /groups/{uuid}/permissions?scope=&permission-name=&scope-type=`. Absent permission (404) is success. */
  removeLegacyGroupPermission(groupUuid: string, permission: DtPermission): Promise<void>;

  // ---- environments, service users, limits

  /**
   * `GET /env/v3/accounts/{a}/environments` (account-env-read), following every page: every environment,
   * active or not. Where v3 answers 404, the deprecated `GET /env/v2/…/environments` instead.
   */
  listEnvironments(): Promise<DtEnvironment[]>;
  /** `GET /iam/v1/accounts/{a}/service-users`: every service user, following `nextPageKey` (bounded). */
  listServiceUsers(): Promise<DtServiceUser[]>;
  /** `GET /iam/v1/accounts/{a}/limits`: account limits with current usage. */
  getAccountLimits(): Promise<DtAccountLimit[]>;
}
