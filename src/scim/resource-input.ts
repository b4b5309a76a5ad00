// Turns a request body into the attributes the core stores: normalised for the IdP dialect, then
// validated and coerced by scimmy's schema (RFC 7643 §2, §4); unknown attributes are dropped.
import SCIMMY from 'scimmy';
import { isJsonObject, type JsonObject } from '../ports/json.js';
import { normaliseResource } from './resource-normaliser.js';
import { ScimError } from './scim-error.js';
import { configureScimSchemas, type ResourceSchema } from './scim-schemas.js';

/** Validated User attributes (no id, meta, groups, password or schemas). */
export function parseUserAttributes(body: unknown, schema: ResourceSchema): JsonObject {
  const attributes = validate(normaliseResource(body, schema), 'User');
  if (typeof attributes.userName !== 'string' || attributes.userName.trim() === '') {
    throw new ScimError(400, 'invalidValue', 'userName must be a non-empty string');
  }
  return attributes;
}

/** Validated Group attributes (members are returned separately, as ids). */
export function parseGroupInput(body: unknown, schema: ResourceSchema): { attributes: JsonObject; members: string[] } {
  const normalised = normaliseResource(body, schema);
  const membersKey = Object.keys(normalised).find((key) => key.toLowerCase() === 'members');
  const members = membersKey === undefined ? [] : memberIds(normalised[membersKey]);
  if (membersKey !== undefined) delete normalised[membersKey];
  const attributes = validate(normalised, 'Group');
  if (typeof attributes.displayName !== 'string' || attributes.displayName.trim() === '') {
    throw new ScimError(400, 'invalidValue', 'displayName must be a non-empty string');
  }
  return { attributes, members };
}

/** The User ids of a `members` value: `[{ "value": "id", … }]`, a single such object, or null. */
export function memberIds(value: unknown): string[] {
  if (value === null || value === undefined) return [];
  const items = Array.isArray(value) ? value : [value];
  const ids = items.map((item) => {
    const key = isJsonObject(item) ? Object.keys(item).find((k) => k.toLowerCase() === 'value') : undefined;
    const id = key === undefined ? undefined : (item as JsonObject)[key];
    if (typeof id !== 'string' || id.trim() === '') {
      throw new ScimError(400, 'invalidValue', 'each member must be an object with a non-empty string "value" (the User id)');
    }
    return id;
  });
  return [...new Set(ids)];
}

/**
 * Coerces through the schema definition itself. (A `new SCIMMY.Schemas.User(…)` instance checks the
 * same, but first defines accessors for every attribute: three times the cost of a POST's validation.)
 * The one check the instance adds is made here: `schemas`, when given, must name this resource's.
 */
function validate(attributes: JsonObject, resourceType: 'User' | 'Group'): JsonObject {
  configureScimSchemas();
  const { definition } = resourceType === 'User' ? SCIMMY.Schemas.User : SCIMMY.Schemas.Group;
  const { schemas } = attributes;
  if (Array.isArray(schemas) && schemas.length > 0 && !schemas.includes(definition.id)) {
    throw new ScimError(400, 'invalidSyntax', `schemas must include ${definition.id} for a ${resourceType}`);
  }
  let instance: unknown;
  try {
    instance = definition.coerce(attributes, 'in');
  } catch (error) {
    throw asScimError(error);
  }
  const { schemas: _schemas, meta: _meta, id: _id, ...rest } = JSON.parse(JSON.stringify(instance)) as JsonObject;
  return rest;
}

/** scimmy reports bad values as TypeError or SCIMError; both are the client's fault here. */
export function asScimError(error: unknown): ScimError {
  if (error instanceof SCIMMY.Types.Error) return new ScimError(error.status, error.scimType as never, error.message);
  if (error instanceof TypeError) return new ScimError(400, 'invalidValue', error.message);
  throw error;
}
