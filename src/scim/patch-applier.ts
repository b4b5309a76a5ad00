// Applies PATCH operations (RFC 7644 §3.5.2) to a resource's JSON in order, each on the result of
// the one before, so that Entra's five `addresses[type eq "work"].…` operations build one address.
// Values are coerced for the IdP dialects first; the result is validated as a whole by the caller.
import { valueMatchesFilter } from '../core/filter/evaluate.js';
import type { FilterNode } from '../core/filter/ast.js';
import { sameJson } from '../core/json-equality.js';
import type { AttributeCatalogue } from '../core/filter/attribute-catalogue.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../ports/json.js';
import { coerceManager, coerceToDefinition } from './attribute-coercion.js';
import type { PathOperation } from './patch-normaliser.js';
import { resolveTarget, type PatchTarget } from './patch-target.js';
import { ScimError } from './scim-error.js';
import type { ResourceSchema, ScimAttributeDefinition } from './scim-schemas.js';

/** The resource after `operations` (a new object; `attributes` is left as it was). */
export function applyPatch(attributes: JsonObject, operations: readonly PathOperation[], schema: ResourceSchema): JsonObject {
  const resource = structuredClone(attributes);
  const { catalogue } = schema;
  for (const operation of operations) {
    const resolved = resolveTarget(operation.path, schema);
    if (resolved === null) continue;
    if (resolved === undefined) {
      // In a path-less value an unknown attribute is ignored, as on POST and PUT.
      if (operation.fromPathless) continue;
      throw new ScimError(400, 'invalidPath', `"${operation.path}" names no ${schema.resourceType} attribute`);
    }
    // `manager.value` is the manager: a new id makes its old $ref wrong, so it is written whole.
    const target = isManager(resolved) ? { ...resolved, sub: null } : resolved;
    if (operation.op === 'remove') {
      remove(resource, target, operation.value, catalogue);
      continue;
    }
    if (operation.value === undefined) throw new ScimError(400, 'invalidValue', `${operation.op} "${operation.path}" needs a value`);
    const value = isManager(resolved) ? coerceManager(resolved.sub === null ? operation.value : { value: operation.value }) : coerce(target, operation.value);
    // Entra clears an attribute by setting it to "" or null.
    if (value === undefined || value === '') remove(resource, target, undefined, catalogue);
    else write(resource, target, operation.op, value, operation.path, catalogue);
  }
  return resource;
}

/** The enterprise `manager` or its `value`, which Entra sends in every form (see coerceManager). */
function isManager(target: PatchTarget): boolean {
  return target.extension !== null && target.attribute.name === 'manager' && (target.sub === null || target.sub.name === 'value');
}

function coerce(target: PatchTarget, value: JsonValue): JsonValue | undefined {
  if (target.sub !== null) return coerceToDefinition(value, target.sub);
  return coerceToDefinition(value, target.filter === null ? target.attribute : { ...target.attribute, multiValued: false });
}

function write(resource: JsonObject, target: PatchTarget, op: 'add' | 'replace', value: JsonValue, pathText: string, catalogue: AttributeCatalogue): void {
  const { attribute, sub, filter } = target;
  const container = holder(resource, target, true) as JsonObject;
  if (isManager(target)) {
    // The same manager again keeps the $ref it has.
    const current = getKey(container, attribute.name);
    if (!(isJsonObject(current) && isJsonObject(value) && current.value === value.value)) setKey(container, attribute.name, value);
    return;
  }
  if (filter !== null) return writeFiltered(container, target, value, pathText, catalogue);
  const current = getKey(container, attribute.name);
  if (sub === null) {
    if (attribute.multiValued) {
      const values = Array.isArray(value) ? value : [value];
      if (op === 'replace' || !Array.isArray(current)) setKey(container, attribute.name, values);
      else current.push(...values.filter((item) => !current.some((existing) => sameJson(existing, item))));
      keepOnePrimary(getKey(container, attribute.name) as JsonValue[], values);
      return;
    }
    if (attribute.type === 'complex') {
      if (!isJsonObject(value)) throw new ScimError(400, 'invalidValue', `${pathText} takes an object of sub-attributes`);
      setKey(container, attribute.name, merge(isJsonObject(current) ? current : {}, value, attribute));
      return;
    }
    setKey(container, attribute.name, value);
    return;
  }
  if (attribute.multiValued) {
    const entries = Array.isArray(current) && current.length > 0 ? current.filter(isJsonObject) : null;
    if (entries === null) setKey(container, attribute.name, [{ [sub.name]: value }]);
    else for (const entry of entries) setKey(entry, sub.name, value);
    if (sub.name === 'primary') keepOnePrimary(getKey(container, attribute.name) as JsonValue[], []);
    return;
  }
  const object = isJsonObject(current) ? current : {};
  setKey(object, sub.name, value);
  setKey(container, attribute.name, object);
}

/**
 * add/replace on `attr[filter]` or `attr[filter].sub`: every matching value is changed. When none
 * matches, a value is added that the filter's equalities describe (`type eq "work"` → a work
 * address), as Microsoft's reference implementation does, so that Entra can populate an attribute
 * with filtered paths. A filter that is not a conjunction of equalities cannot describe a value: noTarget.
 */
function writeFiltered(container: JsonObject, target: PatchTarget, value: JsonValue, pathText: string, catalogue: AttributeCatalogue): void {
  const { attribute, sub } = target;
  const filter = target.filter as FilterNode;
  const patch = sub !== null ? { [sub.name]: value } : Array.isArray(value) && value.length === 1 ? value[0] : value;
  if (!isJsonObject(patch)) throw new ScimError(400, 'invalidValue', `${pathText} takes an object of sub-attributes`);
  const current = getKey(container, attribute.name);
  const values = Array.isArray(current) ? current : [];
  const matching = values.filter((entry) => isJsonObject(entry) && valueMatchesFilter(target.path, filter, entry, catalogue));
  if (matching.length > 0) {
    for (const entry of matching) merge(entry as JsonObject, patch, attribute);
    keepOnePrimary(values, matching);
    return;
  }
  const described = equalities(filter, attribute);
  if (described === null) {
    throw new ScimError(400, 'noTarget', `no value of ${attribute.name} matches ${pathText}, and its filter does not describe one to add`);
  }
  const entry = merge(described, patch, attribute);
  setKey(container, attribute.name, [...values, entry]);
  keepOnePrimary(getKey(container, attribute.name) as JsonValue[], [entry]);
}

function remove(resource: JsonObject, target: PatchTarget, value: JsonValue | undefined, catalogue: AttributeCatalogue): void {
  const container = holder(resource, target, false);
  if (container === undefined) return;
  const { attribute, sub, filter } = target;
  const current = getKey(container, attribute.name);
  if (current === undefined) return;
  if (filter !== null || (attribute.multiValued && sub === null && value !== undefined && value !== null)) {
    if (!Array.isArray(current)) return;
    const selected = (entry: JsonValue) =>
      filter !== null ? isJsonObject(entry) && valueMatchesFilter(target.path, filter, entry, catalogue) : listed(entry, value as JsonValue, attribute);
    if (sub === null) {
      setKey(container, attribute.name, current.filter((entry) => !selected(entry)));
    } else {
      for (const entry of current) if (isJsonObject(entry) && selected(entry)) deleteKey(entry, sub.name);
    }
  } else if (sub === null) {
    deleteKey(container, attribute.name);
  } else if (Array.isArray(current)) {
    for (const entry of current) if (isJsonObject(entry)) deleteKey(entry, sub.name);
  } else if (isJsonObject(current)) {
    deleteKey(current, sub.name);
  }
  dropIfEmpty(container, attribute.name);
  if (target.extension !== null) dropIfEmpty(resource, target.extension);
}

/** A `remove` with a value list (`"value": [{"value": "x"}]`): the entries equal to one listed on every sub-attribute it gives. */
function listed(entry: JsonValue, value: JsonValue, attribute: ScimAttributeDefinition): boolean {
  const items = Array.isArray(value) ? value : [value];
  return items.some((item) => {
    if (!isJsonObject(item) || !isJsonObject(entry)) return sameJson(entry, item);
    return Object.entries(item).every(([key, expected]) => {
      const actual = getKey(entry, key);
      const definition = attribute.subAttributes.get(key.toLowerCase());
      const caseless = typeof actual === 'string' && typeof expected === 'string' && definition?.caseExact !== true;
      return caseless ? actual.toLowerCase() === expected.toLowerCase() : sameJson(actual, expected);
    });
  });
}

/** The object that holds the target's attribute: the resource, or its extension object (created for a write). */
function holder(resource: JsonObject, target: PatchTarget, create: boolean): JsonObject | undefined {
  if (target.extension === null) return resource;
  const existing = getKey(resource, target.extension);
  if (isJsonObject(existing)) return existing;
  if (!create) return undefined;
  const created: JsonObject = {};
  setKey(resource, target.extension, created);
  return created;
}

/** Sub-attributes of `patch` set on `object` under the schema's spelling of their names. */
function merge(object: JsonObject, patch: JsonObject, attribute: ScimAttributeDefinition): JsonObject {
  for (const [key, item] of Object.entries(patch)) setKey(object, attribute.subAttributes.get(key.toLowerCase())?.name ?? key, item);
  return object;
}

/**
 * `type eq "work" and primary eq "True"` → `{ type: "work", primary: true }`, each value coerced by
 * its sub-attribute (Entra writes booleans as strings inside filters too); null for any other filter.
 */
function equalities(filter: FilterNode, attribute: ScimAttributeDefinition): JsonObject | null {
  if (filter.kind === 'compare' && filter.operator === 'eq' && filter.path.subAttribute === null && filter.value !== null) {
    const definition = attribute.subAttributes.get(filter.path.attribute.toLowerCase());
    const value = coerceToDefinition(filter.value, definition);
    return value === undefined ? null : { [definition?.name ?? filter.path.attribute]: value };
  }
  if (filter.kind === 'and') {
    const left = equalities(filter.left, attribute);
    const right = equalities(filter.right, attribute);
    return left === null || right === null ? null : { ...left, ...right };
  }
  return null;
}

/**
 * "a PATCH operation that sets a value's "primary" sub-attribute to "true" SHALL cause the server to
 * automatically set "primary" to "false" for any other values in the array" (RFC 7644 §3.5.2).
 */
function keepOnePrimary(values: readonly JsonValue[], written: readonly JsonValue[]): void {
  const chosen = written.find((value) => isJsonObject(value) && getKey(value, 'primary') === true);
  if (chosen === undefined) return;
  for (const value of values) {
    if (value !== chosen && isJsonObject(value) && getKey(value, 'primary') === true) setKey(value, 'primary', false);
  }
}

function dropIfEmpty(container: JsonObject, name: string): void {
  const value = getKey(container, name);
  if ((Array.isArray(value) && value.length === 0) || (isJsonObject(value) && Object.keys(value).length === 0)) deleteKey(container, name);
}

/** Own property `name`, matched case-insensitively (RFC 7643 §2.1). */
function getKey(object: JsonObject, name: string): JsonValue | undefined {
  const key = keyOf(object, name);
  return key === undefined ? undefined : object[key];
}

/** Sets `name` under exactly this spelling, replacing a differently spelt key of the same name. */
function setKey(object: JsonObject, name: string, value: JsonValue): void {
  const key = keyOf(object, name);
  if (key !== undefined && key !== name) delete object[key];
  object[name] = value;
}

function deleteKey(object: JsonObject, name: string): void {
  const key = keyOf(object, name);
  if (key !== undefined) delete object[key];
}

function keyOf(object: JsonObject, name: string): string | undefined {
  if (Object.hasOwn(object, name)) return name;
  const lower = name.toLowerCase();
  return Object.keys(object).find((key) => key.toLowerCase() === lower);
}
