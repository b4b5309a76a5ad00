// Renders stored Users and Groups as SCIM JSON (RFC 7643 §3.1, §4): schemas, id, attributes,
// read-only `groups`/`members` with `$ref`, and `meta` with location and version.
import type { GroupView } from '../core/groups.js';
import type { UserView } from '../core/users.js';
import { isJsonObject, type JsonObject } from '../ports/json.js';
import type { MemberRef, ResourceMeta, StoredResource } from '../ports/store.js';
import { formatETag } from './etag.js';
import { ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA } from './scim-schemas.js';

/** `https://host/scim/v2`: the absolute base of every `location` and `$ref`. */
export type BaseUrl = string;

/** Users named as a `manager` that exist, by id, with their displayName (or null). */
export type KnownManagers = ReadonlyMap<string, string | null>;
const NO_MANAGERS: KnownManagers = new Map();

/** The id of the User's enterprise `manager`, if any; reads the attributes only when their text names a manager. */
export function managerIdOf(record: StoredResource): string | null {
  if (record.attributesJson !== undefined && !record.attributesJson.includes('"manager"')) return null;
  const extension = record.attributes[ENTERPRISE_USER_SCHEMA];
  const manager = isJsonObject(extension) ? extension.manager : undefined;
  return isJsonObject(manager) && typeof manager.value === 'string' ? manager.value : null;
}

/**
 * The extension with its manager as the answer shows it (RFC 7643 §4.3): a known manager gets its
 * `displayName` (read-only, always the manager's current one) and, when the client sent none, a `$ref`.
 */
function withManager(extension: JsonObject, base: BaseUrl, managers: KnownManagers): JsonObject {
  const manager = extension.manager;
  if (!isJsonObject(manager) || typeof manager.value !== 'string' || !managers.has(manager.value)) return extension;
  const displayName = managers.get(manager.value);
  return {
    ...extension,
    manager: {
      ...manager,
      $ref: typeof manager.$ref === 'string' ? manager.$ref : userLocation(base, manager.value),
      ...(displayName === null || displayName === undefined ? {} : { displayName }),
    },
  };
}

export function userLocation(base: BaseUrl, id: string): string {
  return `${base}/Users/${encodeURIComponent(id)}`;
}

export function groupLocation(base: BaseUrl, id: string): string {
  return `${base}/Groups/${encodeURIComponent(id)}`;
}

export function renderUser(view: UserView, base: BaseUrl, managers: KnownManagers = NO_MANAGERS): JsonObject {
  const { record } = view;
  const { schemas: _schemas, ...attributes } = record.attributes;
  const extension = attributes[ENTERPRISE_USER_SCHEMA];
  const resource: JsonObject = {
    schemas: extension !== undefined ? [USER_SCHEMA, ENTERPRISE_USER_SCHEMA] : [USER_SCHEMA],
    id: record.id,
    ...attributes,
  };
  if (isJsonObject(extension) && managers.size > 0) resource[ENTERPRISE_USER_SCHEMA] = withManager(extension, base, managers);
  if (view.groups !== null && view.groups.length > 0) resource.groups = groupRefs(view, base);
  resource.meta = renderMeta('User', record, userLocation(base, record.id));
  return resource;
}

const USER_SCHEMAS_JSON = JSON.stringify([USER_SCHEMA]);
const ENTERPRISE_USER_SCHEMAS_JSON = JSON.stringify([USER_SCHEMA, ENTERPRISE_USER_SCHEMA]);
/** The extension as a key: a string value holding these characters would have its quotes escaped. */
const ENTERPRISE_KEY = `${JSON.stringify(ENTERPRISE_USER_SCHEMA)}:`;

/**
 * `JSON.stringify(renderUser(view, base, managers))`, with the stored attributes' JSON text spliced
 * in as it is when the store kept it (no parse and no serialisation of the attributes: the hot path of
 * an IdP's `userName eq` check). Stored attributes never hold `schemas`, `id`, `groups` or `meta`, and
 * the extension is only ever a top-level key, so the text is the same either way.
 */
export function renderUserJson(view: UserView, base: BaseUrl, managers: KnownManagers = NO_MANAGERS): string {
  const { record } = view;
  const json = record.attributesJson;
  const manager = managers.size > 0 ? managerIdOf(record) : null;
  if (json === undefined || (manager !== null && managers.has(manager))) return JSON.stringify(renderUser(view, base, managers));
  const schemas = json.includes(ENTERPRISE_KEY) ? ENTERPRISE_USER_SCHEMAS_JSON : USER_SCHEMAS_JSON;
  const attributes = json === '{}' ? '' : `${json.slice(1, -1)},`;
  const groups = view.groups !== null && view.groups.length > 0 ? `"groups":${JSON.stringify(groupRefs(view, base))},` : '';
  const meta = JSON.stringify(renderMeta('User', record, userLocation(base, record.id)));
  return `{"schemas":${schemas},"id":${JSON.stringify(record.id)},${attributes}${groups}"meta":${meta}}`;
}

function groupRefs(view: UserView, base: BaseUrl): JsonObject[] {
  return (view.groups ?? []).map((g) => ({ value: g.value, display: g.display, $ref: groupLocation(base, g.value), type: 'direct' }));
}

export function renderGroup(view: GroupView, base: BaseUrl): JsonObject {
  const { record } = view;
  const { schemas: _schemas, ...attributes } = record.attributes;
  const resource: JsonObject = { schemas: [GROUP_SCHEMA], id: record.id, ...attributes };
  if (view.members !== null) {
    resource.members = view.members.map((m) => memberRef(m, base));
  }
  resource.meta = renderMeta('Group', record, groupLocation(base, record.id));
  return resource;
}

/**
 * `JSON.stringify(renderGroup(view, base))` in pieces, members `perChunk` at a time: a group of
 * tens of thousands of members is written out as it is rendered, never held as one array of
 * rendered members and one string of megabytes.
 */
export function* renderGroupJsonChunks(view: GroupView, base: BaseUrl, perChunk: number): Generator<string> {
  const { record, members } = view;
  const { schemas: _schemas, ...attributes } = record.attributes;
  const head = JSON.stringify({ schemas: [GROUP_SCHEMA], id: record.id, ...attributes });
  const meta = JSON.stringify(renderMeta('Group', record, groupLocation(base, record.id)));
  if (members === null) {
    yield `${head.slice(0, -1)},"meta":${meta}}`;
    return;
  }
  yield `${head.slice(0, -1)},"members":[`;
  for (let start = 0; start < members.length; start += perChunk) {
    const chunk = members.slice(start, start + perChunk).map((m) => JSON.stringify(memberRef(m, base)));
    yield `${start === 0 ? '' : ','}${chunk.join(',')}`;
  }
  yield `],"meta":${meta}}`;
}

function memberRef(member: MemberRef, base: BaseUrl): JsonObject {
  return { value: member.value, display: member.display, $ref: userLocation(base, member.value), type: 'User' };
}

function renderMeta(resourceType: 'User' | 'Group', meta: ResourceMeta, location: string): JsonObject {
  return { resourceType, created: meta.created, lastModified: meta.lastModified, location, version: formatETag(meta.version) };
}
