// The Dynatrace Account Management API client (AccountApi port) for one account: paths, parameters
// and bodies as Dynatrace's OpenAPI description gives them (the contract in test/fixtures/dynatrace/),
// with the recorded departures listed in docs/dynatrace.md; resilience from upstream-call.ts; every
// request drawn from the account's rate budget.
import type {
  AccountApi,
  DtAccountLimit,
  DtBindingSelector,
  DtBoundary,
  DtCreatedUser,
  DtEnvironment,
  DtGroupInput,
  DtGroupPermissions,
  DtPermission,
  DtPolicyBinding,
  DtPolicyLevel,
  DtServiceUser,
  DtUserWithGroups,
} from '../../ports/account-api.js';
import { nearestPolicy } from '../../ports/account-api.js';
import { isUpstreamError, UpstreamError } from '../../ports/upstream-error.js';
import {
  BadShape,
  arrayField,
  listItems,
  toBoundary,
  toEnvironment,
  toGroup,
  toGroupBindings,
  toLimit,
  toPermission,
  toPolicy,
  toServiceUser,
  toUser,
  toUserWithGroups,
} from './account-dto.js';
import { normaliseEmail, requireOptions, requireString, requireStringArray, resolveAccountUuid, resolveCallSeams, resolveClock, resolveUrl } from './client-options.js';
import type { OAuthTokenProvider } from './oauth-token-provider.js';
import type { RateBudget } from './rate-budget.js';
import { createRateBudget } from './rate-budget.js';
import type { Authorizer, UpstreamRequest, UpstreamResponse } from './upstream-call.js';
import { createUpstreamCaller, readJson } from './upstream-call.js';
import { isJsonObject } from '../../ports/json.js';
import type { TransportOptions } from './client-options.js';
import { DEFAULT_API_URL } from './dynatrace-defaults.js';


/** Group UUIDs per `DELETE …/groups?group-uuid=…` request, keeping URLs short. */
const REMOVE_CHUNK = 50;
/** The documented maximum `page-size` of environments v3. */
const ENVIRONMENTS_MAX_PAGE_SIZE = 500;
/** A 400 saying the user exists: one of the answers Dynatrace might give to a duplicate invitation (undocumented). */
const ALREADY_EXISTS = /already exist/i;
const LEVEL_TYPES = new Set(['global', 'account', 'environment']);
const PERMISSION_SCOPE_TYPES = new Set(['account', 'tenant', 'management-zone']);

export interface DeprecationNotice {
  readonly operation: string;
  /** `Deprecation` header as sent (an HTTP date). */
  readonly deprecation: string | null;
  /** `Sunset` header as sent (an HTTP date). */
  readonly sunset: string | null;
}

/** Timeout default 30 000 ms. */
export interface AccountManagementClientOptions extends TransportOptions {
  /** Account UUID, or `urn:dtaccount:<uuid>`. */
  readonly accountUuid: string;
  /** Where bearer tokens come from (createOAuthTokenProvider). */
  readonly tokenProvider: OAuthTokenProvider;
  /** Default https://api.dynatrace.com */
  readonly baseUrl?: string;
  /** Shared budget for this account; default: a new one of `requestsPerMinute`. */
  readonly rateBudget?: RateBudget;
  /** Used only when `rateBudget` is absent. Default 200. */
  readonly requestsPerMinute?: number;
  /** Entries per page of paged lists (service users, environments v3 — at most 500 —, boundaries), default 500. */
  readonly pageSize?: number;
  /** Bound on pages followed, default 1000. */
  readonly maxPages?: number;
  /** Told once per operation when a response carries `Deprecation`/`Sunset` headers. */
  readonly onDeprecation?: (notice: DeprecationNotice) => void;
}

function validateGroupInput(group: unknown, where: string): DtGroupInput {
  if (!isJsonObject(group)) throw new TypeError(`${where}: group must be an object`);
  const name = requireString(group['name'], where, 'group.name');
  const description = group['description'];
  if (description !== undefined && (typeof description !== 'string' || description.length > 255)) {
    throw new TypeError(`${where}: group.description must be a string of at most 255 characters`);
  }
  const fav = group['federatedAttributeValues'];
  const input: { name: string; description?: string; federatedAttributeValues?: string[] } = { name };
  if (description !== undefined) input.description = description as string;
  if (fav !== undefined) input.federatedAttributeValues = requireStringArray(fav, where, 'group.federatedAttributeValues');
  return input;
}

function validatePermission(value: unknown, where: string): DtPermission {
  if (!isJsonObject(value)) throw new TypeError(`${where}: permission must be an object`);
  const scopeType = value['scopeType'];
  if (typeof scopeType !== 'string' || !PERMISSION_SCOPE_TYPES.has(scopeType)) {
    throw new TypeError(`${where}: permission.scopeType must be account, tenant or management-zone`);
  }
  return {
    permissionName: requireString(value['permissionName'], where, 'permission.permissionName'),
    scope: requireString(value['scope'], where, 'permission.scope'),
    scopeType: scopeType as DtPermission['scopeType'],
  };
}

function validateLevel(level: unknown, where: string): DtPolicyLevel {
  if (!isJsonObject(level) || typeof level['levelType'] !== 'string' || !LEVEL_TYPES.has(level['levelType'])) {
    throw new TypeError(`${where}: level.levelType must be global, account or environment`);
  }
  return { levelType: level['levelType'] as DtPolicyLevel['levelType'], levelId: requireString(level['levelId'], where, 'level.levelId') };
}

function writableLevel(level: unknown, where: string): DtPolicyLevel {
  const l = validateLevel(level, where);
  if (l.levelType === 'global') throw new TypeError(`${where}: bindings cannot be set at the global level`);
  return l;
}

function stringRecord(value: unknown, where: string, name: string): Record<string, string> {
  if (value === undefined) return {};
  if (!isJsonObject(value) || Object.values(value).some((v) => typeof v !== 'string')) throw new TypeError(`${where}: ${name} must be an object of strings`);
  return { ...(value as Record<string, string>) };
}

function validateBinding(value: unknown, where: string): DtPolicyBinding {
  if (!isJsonObject(value)) throw new TypeError(`${where}: binding must be an object`);
  return {
    policyUuid: requireString(value['policyUuid'], where, 'binding.policyUuid'),
    boundaries: [...new Set(requireStringArray(value['boundaries'], where, 'binding.boundaries'))],
    parameters: stringRecord(value['parameters'], where, 'binding.parameters'),
    metadata: stringRecord(value['metadata'], where, 'binding.metadata'),
  };
}

/** `parameters[k]=v&metadata[k]=v` [spec `query-params`]. */
function selectorQuery(select: unknown, where: string): URLSearchParams {
  if (!isJsonObject(select)) throw new TypeError(`${where}: select must be an object`);
  const query = new URLSearchParams();
  for (const kind of ['parameters', 'metadata'] as const) {
    for (const [k, v] of Object.entries(stringRecord(select[kind], where, `select.${kind}`))) query.append(`${kind}[${k}]`, v);
  }
  return query;
}

function isNotFound(error: unknown): boolean {
  return isUpstreamError(error) && error.code === 'not_found';
}

export function createAccountManagementClient(options: AccountManagementClientOptions): AccountApi {
  const where = 'createAccountManagementClient';
  const o = requireOptions(options, where);
  const accountUuid = resolveAccountUuid(o['accountUuid'], where);
  const baseUrl = resolveUrl(o['baseUrl'], DEFAULT_API_URL, where, 'baseUrl');
  const tokenProvider = o['tokenProvider'] as OAuthTokenProvider | undefined;
  if (typeof tokenProvider?.getToken !== 'function' || typeof tokenProvider.invalidate !== 'function') {
    throw new TypeError(`${where}: tokenProvider must have getToken() and invalidate(token)`);
  }
  const clock = resolveClock(o['clock'], where);
  let rateBudget = o['rateBudget'] as RateBudget | undefined;
  if (rateBudget === undefined) {
    rateBudget = createRateBudget({ requestsPerMinute: (o['requestsPerMinute'] as number | undefined) ?? 200, clock });
  } else if (typeof rateBudget.acquire !== 'function' || typeof rateBudget.pauseUntil !== 'function') {
    throw new TypeError(`${where}: rateBudget must come from createRateBudget()`);
  }
  const pageSize = o['pageSize'] ?? 500;
  const maxPages = o['maxPages'] ?? 1000;
  if (!Number.isInteger(pageSize) || (pageSize as number) < 1) throw new TypeError(`${where}: pageSize must be a positive integer`);
  if (!Number.isInteger(maxPages) || (maxPages as number) < 1) throw new TypeError(`${where}: maxPages must be a positive integer`);
  const onDeprecation = o['onDeprecation'];
  if (onDeprecation !== undefined && typeof onDeprecation !== 'function') throw new TypeError(`${where}: onDeprecation must be a function`);

  const authorizer: Authorizer = {
    refreshable: true,
    header: async () => `Bearer ${await tokenProvider.getToken()}`,
    rejected: (headerValue) => tokenProvider.invalidate(headerValue.replace(/^Bearer\s+/i, '')),
  };
  const call = createUpstreamCaller({
    service: 'account-management',
    ...resolveCallSeams(o, where, 30_000),
    clock,
    rateBudget,
    authorizer,
  });

  const accountPath = `${baseUrl}/iam/v1/accounts/${accountUuid}`;
  const userPath = (email: string): string => `${accountPath}/users/${encodeURIComponent(email)}`;
  const groupPath = (uuid: string): string => `${accountPath}/groups/${encodeURIComponent(uuid)}`;
  const levelPath = (level: DtPolicyLevel): string =>
    `${baseUrl}/iam/v1/repo/${encodeURIComponent(level.levelType)}/${encodeURIComponent(level.levelId)}`;
  const warned = new Set<string>();
  /** Set once v3 answered 404, so that later listings go to v2 at once. */
  let environmentsV3Missing = false;

  async function request(spec: UpstreamRequest): Promise<UpstreamResponse> {
    const response = await call(spec);
    if (typeof onDeprecation === 'function' && !warned.has(spec.operation)) {
      const deprecation = response.headers.get('deprecation');
      const sunset = response.headers.get('sunset');
      if (deprecation !== null || sunset !== null) {
        warned.add(spec.operation);
        (onDeprecation as (n: DeprecationNotice) => void)({ operation: spec.operation, deprecation, sunset });
      }
    }
    return response;
  }

  /** GET + JSON + shape reading; a BadShape becomes `invalid_response`. */
  async function read<T>(operation: string, url: string, parse: (body: unknown) => T): Promise<T> {
    const response = await request({ operation, method: 'GET', url });
    return parseBody(operation, response, parse);
  }

  function parseBody<T>(operation: string, response: UpstreamResponse, parse: (body: unknown) => T): T {
    const body = readJson('account-management', operation, response);
    try {
      return parse(body);
    } catch (error) {
      if (error instanceof BadShape) {
        throw new UpstreamError({ service: 'account-management', operation, code: 'invalid_response', status: response.status, attempts: response.attempts, cause: error });
      }
      throw error;
    }
  }

  /**
   * Follows a paged list: `urlOf(null)` is the first page, `urlOf(key)` the page a previous answer named.
   * Bounded by `maxPages`; a key that repeats ends it as `invalid_response` rather than looping.
   */
  async function readPages<T>(operation: string, urlOf: (key: string | null) => string, parse: (body: unknown) => { items: T[]; next: string | null }): Promise<T[]> {
    const all: T[] = [];
    const seenKeys = new Set<string>();
    let key: string | null = null;
    for (let page = 1; page <= (maxPages as number); page += 1) {
      const { items, next }: { items: T[]; next: string | null } = await read(operation, urlOf(key), parse);
      all.push(...items);
      if (next === null) return all;
      if (seenKeys.has(next)) break;
      seenKeys.add(next);
      key = next;
    }
    throw new UpstreamError({ service: 'account-management', operation, code: 'invalid_response', status: null, cause: new Error('paging did not end') });
  }

  async function ignoreNotFound(promise: Promise<unknown>): Promise<void> {
    try {
      await promise;
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  const api: AccountApi = {
    accountUuid,

    async listUsers(opts = {}) {
      if (!isJsonObject(opts)) throw new TypeError('listUsers: options must be an object');
      const query = opts.includeServiceUsers === true ? '?service-users=true' : '';
      return read('listUsers', `${accountPath}/users${query}`, (b) => listItems(b, 'UserListDto').map(toUser));
    },

    async getUser(email) {
      const key = normaliseEmail(email, 'getUser');
      try {
        return await read<DtUserWithGroups>('getUser', userPath(key), toUserWithGroups);
      } catch (error) {
        if (isNotFound(error)) return null;
        throw error;
      }
    },

    async createUser(email) {
      const key = normaliseEmail(email, 'createUser');
      try {
        const response = await request({ operation: 'createUser', method: 'POST', url: `${accountPath}/users`, json: { email: key }, idempotent: false });
        // Observed: 200 {"userUuid"}; spec: 201 without body. Both are success.
        const body = response.text.trim() === '' ? undefined : parseBody('createUser', response, (b) => b);
        const uid = isJsonObject(body) ? (typeof body['userUuid'] === 'string' ? body['userUuid'] : typeof body['uid'] === 'string' ? body['uid'] : null) : null;
        return { email: key, uid, created: true } satisfies DtCreatedUser;
      } catch (error) {
        if (!isUpstreamError(error)) throw error;
        // 409 says the user exists: no read for it (its uid is stored when known, and nothing depends on it).
        if (error.code === 'conflict') return { email: key, uid: null, created: false } satisfies DtCreatedUser;
        // A 400 is told from a refusal only by its text: the user is looked up to be sure.
        if (error.status !== 400 || !ALREADY_EXISTS.test(error.upstreamMessage ?? '')) throw error;
        const existing = await api.getUser(key);
        if (existing === null) throw error;
        return { email: key, uid: existing.uid, created: false } satisfies DtCreatedUser;
      }
    },

    async deleteUser(email) {
      const key = normaliseEmail(email, 'deleteUser');
      return ignoreNotFound(request({ operation: 'deleteUser', method: 'DELETE', url: userPath(key) }));
    },

    async addUserToGroups(email, groupUuids) {
      const key = normaliseEmail(email, 'addUserToGroups');
      const uuids = requireStringArray(groupUuids, 'addUserToGroups', 'groupUuids');
      if (uuids.length === 0) return;
      // Additive: repeating it is harmless, so it is retried like an idempotent call.
      await request({ operation: 'addUserToGroups', method: 'POST', url: userPath(key), json: [...new Set(uuids)], idempotent: true });
    },

    async replaceUserGroups(email, groupUuids) {
      const key = normaliseEmail(email, 'replaceUserGroups');
      const uuids = requireStringArray(groupUuids, 'replaceUserGroups', 'groupUuids');
      await request({ operation: 'replaceUserGroups', method: 'PUT', url: `${userPath(key)}/groups`, json: [...new Set(uuids)] });
    },

    async removeUserFromGroups(email, groupUuids) {
      const key = normaliseEmail(email, 'removeUserFromGroups');
      const uuids = [...new Set(requireStringArray(groupUuids, 'removeUserFromGroups', 'groupUuids'))];
      for (let i = 0; i < uuids.length; i += REMOVE_CHUNK) {
        const query = new URLSearchParams();
        for (const uuid of uuids.slice(i, i + REMOVE_CHUNK)) query.append('group-uuid', uuid);
        // A 404 (user absent) means the memberships are gone already.
        await ignoreNotFound(request({ operation: 'removeUserFromGroups', method: 'DELETE', url: `${userPath(key)}/groups?${query.toString()}` }));
      }
    },

    async listGroups() {
      return read('listGroups', `${accountPath}/groups`, (b) => listItems(b, 'GroupListDto').map(toGroup));
    },

    async createGroups(groups) {
      if (!Array.isArray(groups)) throw new TypeError('createGroups: groups must be an array');
      const inputs = groups.map((g) => validateGroupInput(g, 'createGroups'));
      if (inputs.length === 0) return [];
      const response = await request({ operation: 'createGroups', method: 'POST', url: `${accountPath}/groups`, json: inputs, idempotent: false });
      // Observed 200, spec 201: both carry the created groups (observed with createdAt/updatedAt null).
      return parseBody('createGroups', response, (b) => {
        if (!Array.isArray(b)) throw new BadShape('created groups are not an array');
        return b.map(toGroup);
      });
    },

    async createGroup(group) {
      const [created] = await api.createGroups([group]);
      if (created === undefined) {
        throw new UpstreamError({ service: 'account-management', operation: 'createGroups', code: 'invalid_response', status: null });
      }
      return created;
    },

    async updateGroup(groupUuid, group) {
      const uuid = requireString(groupUuid, 'updateGroup', 'groupUuid');
      const input = validateGroupInput(group, 'updateGroup');
      await request({ operation: 'updateGroup', method: 'PUT', url: groupPath(uuid), json: input });
    },

    async deleteGroup(groupUuid) {
      const uuid = requireString(groupUuid, 'deleteGroup', 'groupUuid');
      return ignoreNotFound(request({ operation: 'deleteGroup', method: 'DELETE', url: groupPath(uuid) }));
    },

    async listGroupMembers(groupUuid) {
      const uuid = requireString(groupUuid, 'listGroupMembers', 'groupUuid');
      return read('listGroupMembers', `${groupPath(uuid)}/users`, (b) => listItems(b, 'GroupUserListDto').map(toUser));
    },

    async listPolicies(level, opts = {}) {
      const l = validateLevel(level, 'listPolicies');
      if (!isJsonObject(opts)) throw new TypeError('listPolicies: options must be an object');
      const query = opts.name === undefined ? '' : `?${new URLSearchParams({ name: requireString(opts.name, 'listPolicies', 'name') }).toString()}`;
      return read('listPolicies', `${levelPath(l)}/policies${query}`, (b) => arrayField(b, 'policies', 'PolicyDtoList').map(toPolicy));
    },

    async listAvailablePolicies(level) {
      const l = validateLevel(level, 'listAvailablePolicies');
      // The aggregate endpoint accepts account and environment levels only; global has no parent.
      if (l.levelType === 'global') {
        const own = await api.listPolicies(l);
        return own.map((p) => ({ ...p, levelType: 'global', levelId: 'global' }));
      }
      return read('listAvailablePolicies', `${levelPath(l)}/policies/aggregate`, (b) =>
        arrayField(b, 'policyOverviewList', 'PolicyOverviewDtoList').map(toPolicy),
      );
    },

    async findPolicyByName(level, name) {
      const l = validateLevel(level, 'findPolicyByName');
      const wanted = requireString(name, 'findPolicyByName', 'name');
      return nearestPolicy(await api.listAvailablePolicies(l), wanted);
    },

    async listBoundaries(): Promise<DtBoundary[]> {
      const url = `${baseUrl}/iam/v1/repo/account/${accountUuid}/boundaries`;
      return readPages(
        'listBoundaries',
        (page) => `${url}?${new URLSearchParams({ page: page ?? '1', size: String(pageSize) }).toString()}`,
        (b) => {
          const r = isJsonObject(b) ? b : {};
          const items = arrayField(b, 'content', 'PolicyBoundaryDtoList').map(toBoundary);
          const pageNumber = typeof r['pageNumber'] === 'number' ? r['pageNumber'] : 1;
          const total = typeof r['totalCount'] === 'number' ? r['totalCount'] : 0;
          const more = items.length > 0 && pageNumber * (pageSize as number) < total;
          return { items, next: more ? String(pageNumber + 1) : null };
        },
      );
    },

    async getGroupBindings(level, groupUuid) {
      const l = validateLevel(level, 'getGroupBindings');
      const uuid = requireString(groupUuid, 'getGroupBindings', 'groupUuid');
      return read('getGroupBindings', `${levelPath(l)}/bindings/groups/${encodeURIComponent(uuid)}?details=true`, toGroupBindings);
    },

    async putPolicyBinding(level, groupUuid, binding, select) {
      const l = writableLevel(level, 'putPolicyBinding');
      const uuid = requireString(groupUuid, 'putPolicyBinding', 'groupUuid');
      const b = validateBinding(binding, 'putPolicyBinding');
      const query = selectorQuery(select, 'putPolicyBinding').toString();
      await request({
        operation: 'putPolicyBinding',
        method: 'PUT',
        url: `${levelPath(l)}/bindings/${encodeURIComponent(b.policyUuid)}/${encodeURIComponent(uuid)}${query === '' ? '' : `?${query}`}`,
        json: { parameters: b.parameters, metadata: b.metadata, boundaries: b.boundaries },
      });
    },

    async deletePolicyBinding(level, groupUuid, policyUuid, select: DtBindingSelector) {
      const l = writableLevel(level, 'deletePolicyBinding');
      const uuid = requireString(groupUuid, 'deletePolicyBinding', 'groupUuid');
      const policy = requireString(policyUuid, 'deletePolicyBinding', 'policyUuid');
      const query = new URLSearchParams({ forceMultiple: 'false' });
      for (const [k, v] of selectorQuery(select, 'deletePolicyBinding')) query.append(k, v);
      await ignoreNotFound(
        request({ operation: 'deletePolicyBinding', method: 'DELETE', url: `${levelPath(l)}/bindings/${encodeURIComponent(policy)}/${encodeURIComponent(uuid)}?${query.toString()}` }),
      );
    },

    async getLegacyGroupPermissions(groupUuid): Promise<DtGroupPermissions> {
      const uuid = requireString(groupUuid, 'getLegacyGroupPermissions', 'groupUuid');
      return read('getLegacyGroupPermissions', `${groupPath(uuid)}/permissions`, (b) => ({
        group: toGroup(b),
        permissions: arrayField(b, 'permissions', 'PermissionsGroupDto').map(toPermission),
      }));
    },

    async addLegacyGroupPermissions(groupUuid, permissions) {
      const uuid = requireString(groupUuid, 'addLegacyGroupPermissions', 'groupUuid');
      if (!Array.isArray(permissions)) throw new TypeError('addLegacyGroupPermissions: permissions must be an array');
      const body = permissions.map((p) => validatePermission(p, 'addLegacyGroupPermissions'));
      if (body.length === 0) return;
      await request({ operation: 'addLegacyGroupPermissions', method: 'POST', url: `${groupPath(uuid)}/permissions`, json: body, idempotent: true });
    },

    async replaceLegacyGroupPermissions(groupUuid, permissions) {
      const uuid = requireString(groupUuid, 'replaceLegacyGroupPermissions', 'groupUuid');
      if (!Array.isArray(permissions)) throw new TypeError('replaceLegacyGroupPermissions: permissions must be an array');
      const body = permissions.map((p) => validatePermission(p, 'replaceLegacyGroupPermissions'));
      await request({ operation: 'replaceLegacyGroupPermissions', method: 'PUT', url: `${groupPath(uuid)}/permissions`, json: body });
    },

    async removeLegacyGroupPermission(groupUuid, permission) {
      const uuid = requireString(groupUuid, 'removeLegacyGroupPermission', 'groupUuid');
      const p = validatePermission(permission, 'removeLegacyGroupPermission');
      const query = new URLSearchParams({ scope: p.scope, 'permission-name': p.permissionName, 'scope-type': p.scopeType });
      return ignoreNotFound(
        request({ operation: 'removeLegacyGroupPermission', method: 'DELETE', url: `${groupPath(uuid)}/permissions?${query.toString()}` }),
      );
    },

    async listEnvironments(): Promise<DtEnvironment[]> {
      if (!environmentsV3Missing) {
        try {
          return await readPages(
            'listEnvironments',
            (page) => `${baseUrl}/env/v3/accounts/${accountUuid}/environments?${new URLSearchParams(page === null ? { 'page-size': String(Math.min(pageSize as number, ENVIRONMENTS_MAX_PAGE_SIZE)) } : { page }).toString()}`,
            (b) => {
              const r = isJsonObject(b) ? b : {};
              const key = r['nextPageKey'];
              const next = r['hasNextPage'] !== false && typeof key === 'string' && key !== '' ? key : null;
              return { items: arrayField(b, 'records', 'EnvironmentPageDto').map(toEnvironment), next };
            },
          );
        } catch (error) {
          // An API without v3 (or a proxy not passing it) answers 404: the deprecated v2 still lists everything.
          if (!isNotFound(error)) throw error;
          environmentsV3Missing = true;
        }
      }
      return read('listEnvironments', `${baseUrl}/env/v2/accounts/${accountUuid}/environments`, (b) => arrayField(b, 'data', 'EnvironmentListDto').map(toEnvironment));
    },

    async listServiceUsers(): Promise<DtServiceUser[]> {
      return readPages(
        'listServiceUsers',
        (key) => `${accountPath}/service-users?${new URLSearchParams(key === null ? { 'page-size': String(pageSize) } : { 'page-key': key }).toString()}`,
        (b) => {
          const r = isJsonObject(b) ? b : {};
          const key = r['nextPageKey'];
          return { items: arrayField(b, 'results', 'ServiceUserListDto').map(toServiceUser), next: typeof key === 'string' && key !== '' ? key : null };
        },
      );
    },

    async getAccountLimits(): Promise<DtAccountLimit[]> {
      return read('getAccountLimits', `${accountPath}/limits`, (b) => arrayField(b, 'results', 'AccountLimitsDto').map(toLimit));
    },
  };
  return Object.freeze(api);
}

