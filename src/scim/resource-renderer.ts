// Renders stored Users and Groups as SCIM JSON (RFC 7643 §3.1, §4): schemas, id, attributes,
// read-only `groups`/`members` with `$ref`, and `meta` with location and version.
import type { GroupView } from '../core/groups.js';
import type { UserView } from '../core/users.js';
import type { JsonObject } from '../ports/json.js';
import type { ResourceMeta } from '../ports/store.js';
import { formatETag } from './etag.js';
import { ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA } from './scim-schemas.js';

/** `https://host/scim/v2`: the absolute base of every `location` and `$ref`. */
export type BaseUrl = string;

export function userLocation(base: BaseUrl, id: string): string {
  return `${base}/Users/${encodeURIComponent(id)}`;
}

export function groupLocation(base: BaseUrl, id: string): string {
  return `${base}/Groups/${encodeURIComponent(id)}`;
}

export function renderUser(view: UserView, base: BaseUrl): JsonObject {
  const { record } = view;
  const { schemas: _schemas, ...attributes } = record.attributes;
  const resource: JsonObject = {
    schemas: ENTERPRISE_USER_SCHEMA in attributes ? [USER_SCHEMA, ENTERPRISE_USER_SCHEMA] : [USER_SCHEMA],
    id: record.id,
    ...attributes,
  };
  if (view.groups !== null && view.groups.length > 0) {
    resource.groups = view.groups.map((g) => ({ value: g.value, display: g.display, $ref: groupLocation(base, g.value), type: 'direct' }));
  }
  resource.meta = renderMeta('User', record, userLocation(base, record.id));
  return resource;
}

export function renderGroup(view: GroupView, base: BaseUrl): JsonObject {
  const { record } = view;
  const { schemas: _schemas, ...attributes } = record.attributes;
  const resource: JsonObject = { schemas: [GROUP_SCHEMA], id: record.id, ...attributes };
  if (view.members !== null) {
    resource.members = view.members.map((m) => ({ value: m.value, display: m.display, $ref: userLocation(base, m.value), type: 'User' }));
  }
  resource.meta = renderMeta('Group', record, groupLocation(base, record.id));
  return resource;
}

function renderMeta(resourceType: 'User' | 'Group', meta: ResourceMeta, location: string): JsonObject {
  return { resourceType, created: meta.created, lastModified: meta.lastModified, location, version: formatETag(meta.version) };
}
