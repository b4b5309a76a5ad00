// Reading Account Management response bodies into port types: required fields checked, unknown
// fields ignored, absent optional fields left out. A shape that cannot be read throws `BadShape`,
// which the client turns into UpstreamError `invalid_response`.
import type {
  DtAccountLimit,
  DtBoundary,
  DtEnvironment,
  DtGroupBindings,
  DtGroup,
  DtPermission,
  DtPolicy,
  DtPolicyBinding,
  DtServiceUser,
  DtUser,
  DtUserWithGroups,
} from '../../ports/account-api.js';
import { isJsonObject } from '../../ports/json.js';

export class BadShape extends Error {
  override readonly name = 'BadShape';
}

type Rec = Record<string, unknown>;

function record(value: unknown, what: string): Rec {
  if (!isJsonObject(value)) throw new BadShape(`${what} is not an object`);
  return value;
}

function reqString(r: Rec, key: string, what: string): string {
  const v = r[key];
  if (typeof v !== 'string' || v === '') throw new BadShape(`${what}.${key} is missing`);
  return v;
}

function optString(r: Rec, key: string): string | undefined {
  const v = r[key];
  return typeof v === 'string' ? v : undefined;
}

function optNullableString(r: Rec, key: string): string | null | undefined {
  const v = r[key];
  if (v === null) return null;
  return typeof v === 'string' ? v : undefined;
}

/** Copies the defined entries only, so absent optional fields stay absent. */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** `{count, items}` (UserListDto, GroupListDto, GroupUserListDto) → items. */
export function listItems(body: unknown, what: string): unknown[] {
  const r = record(body, what);
  const items = r['items'];
  if (!Array.isArray(items)) throw new BadShape(`${what}.items is not an array`);
  return items;
}

export function arrayField(body: unknown, key: string, what: string): unknown[] {
  const r = record(body, what);
  const v = r[key];
  if (!Array.isArray(v)) throw new BadShape(`${what}.${key} is not an array`);
  return v;
}

export function toUser(value: unknown): DtUser {
  const r = record(value, 'user');
  return defined<DtUser>({
    uid: reqString(r, 'uid', 'user'),
    email: reqString(r, 'email', 'user'),
    name: optString(r, 'name'),
    surname: optString(r, 'surname'),
    userStatus: optString(r, 'userStatus'),
    type: optString(r, 'type'),
  });
}

/** GetGroupDto (`name`) and AccountGroupDto (`groupName`) alike. */
export function toGroup(value: unknown): DtGroup {
  const r = record(value, 'group');
  const name = optString(r, 'name') ?? optString(r, 'groupName');
  if (name === undefined) throw new BadShape('group.name is missing');
  const fav = r['federatedAttributeValues'];
  return defined<DtGroup>({
    uuid: reqString(r, 'uuid', 'group'),
    name,
    owner: reqString(r, 'owner', 'group'),
    description: optString(r, 'description'),
    federatedAttributeValues: Array.isArray(fav) ? fav.filter((v): v is string => typeof v === 'string') : undefined,
    createdAt: optNullableString(r, 'createdAt'),
    updatedAt: optNullableString(r, 'updatedAt'),
  });
}

export function toUserWithGroups(value: unknown): DtUserWithGroups {
  const user = toUser(value);
  const groups = arrayField(value, 'groups', 'user');
  return { ...user, groups: groups.map(toGroup) };
}

export function toPolicy(value: unknown): DtPolicy {
  const r = record(value, 'policy');
  return defined<DtPolicy>({
    uuid: reqString(r, 'uuid', 'policy'),
    name: reqString(r, 'name', 'policy'),
    description: optString(r, 'description'),
    levelType: optString(r, 'levelType'),
    levelId: optString(r, 'levelId'),
  });
}

const SCOPE_TYPES = new Set(['account', 'tenant', 'management-zone']);

export function toPermission(value: unknown): DtPermission {
  const r = record(value, 'permission');
  const scopeType = reqString(r, 'scopeType', 'permission');
  if (!SCOPE_TYPES.has(scopeType)) throw new BadShape('permission.scopeType is unknown');
  return {
    permissionName: reqString(r, 'permissionName', 'permission'),
    scope: reqString(r, 'scope', 'permission'),
    scopeType: scopeType as DtPermission['scopeType'],
  };
}

/**
 * EnvironmentDto (v2, and v3's records). Where a record carries a `state` instead of `active`, `ACTIVE`
 * or `ENABLED` counts as active: v3's record fields are not in the stored documentation.
 */
export function toEnvironment(value: unknown): DtEnvironment {
  const r = record(value, 'environment');
  const state = r['state'];
  const active = typeof r['active'] === 'boolean' ? r['active'] : typeof state === 'string' ? /^(ACTIVE|ENABLED)$/i.test(state) : undefined;
  if (active === undefined) throw new BadShape('environment.active is missing');
  return defined<DtEnvironment>({ id: reqString(r, 'id', 'environment'), name: optString(r, 'name'), active, url: optString(r, 'url') });
}

export function toBoundary(value: unknown): DtBoundary {
  const r = record(value, 'boundary');
  return { uuid: reqString(r, 'uuid', 'boundary'), name: reqString(r, 'name', 'boundary') };
}

function stringMap(value: unknown, what: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  const r = record(value, what);
  return Object.fromEntries(Object.entries(r).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

function toPolicyBinding(value: unknown): DtPolicyBinding {
  const r = record(value, 'binding');
  const boundaries = r['boundaries'];
  return {
    policyUuid: reqString(r, 'policyUuid', 'binding'),
    boundaries: Array.isArray(boundaries) ? boundaries.filter((v): v is string => typeof v === 'string') : [],
    parameters: stringMap(r['parameters'], 'binding.parameters'),
    metadata: stringMap(r['metadata'], 'binding.metadata'),
  };
}

/** PolicyUuidsWithoutMetadataDto, with `bindingsDetails` when asked for `details=true` (as Dynatrace's Terraform provider reads it). */
export function toGroupBindings(value: unknown): DtGroupBindings {
  const policyUuids = arrayField(value, 'policyUuids', 'PolicyUuidsDto').filter((v): v is string => typeof v === 'string');
  const details = record(value, 'PolicyUuidsDto')['bindingsDetails'];
  return { policyUuids, bindings: Array.isArray(details) ? details.map(toPolicyBinding) : null };
}

export function toServiceUser(value: unknown): DtServiceUser {
  const r = record(value, 'serviceUser');
  return defined<DtServiceUser>({
    uid: reqString(r, 'uid', 'serviceUser'),
    email: reqString(r, 'email', 'serviceUser'),
    name: optString(r, 'name'),
    surname: optString(r, 'surname'),
    description: optString(r, 'description'),
    createdAt: optString(r, 'createdAt'),
  });
}

export function toLimit(value: unknown): DtAccountLimit {
  const r = record(value, 'limit');
  const limitValue = r['limitValue'];
  const currentValue = r['currentValue'];
  if (typeof limitValue !== 'number' || typeof currentValue !== 'number') throw new BadShape('limit values are missing');
  return { limitType: reqString(r, 'limitType', 'limit'), limitValue, currentValue };
}
