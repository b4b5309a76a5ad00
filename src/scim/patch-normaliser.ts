// Rewrites PATCH operations from any IdP dialect into plain per-path operations scimmy applies
// (RFC 7644 §3.5.2): path-less values split per key (dotted and URN keys included), "" and null
// as remove, string booleans coerced, every manager form, and upsert on filtered paths
// (`phoneNumbers[type eq "mobile"].value` creates the entry, as Microsoft's reference code does).
import type { AttributePath, FilterNode } from '../core/filter/ast.js';
import type { AttributeCatalogue } from '../core/filter/attribute-catalogue.js';
import { matchesFilter } from '../core/filter/evaluate.js';
import type { JsonObject, JsonValue } from '../ports/json.js';
import { coerceManager, coerceToDefinition, isObject } from './attribute-coercion.js';
import { parsePatchPath } from './filter-parser.js';
import { qualifyPath } from './filter-qualifier.js';
import type { PatchOperation } from './patch-request.js';
import { ScimError } from './scim-error.js';
import type { ResourceSchema, ScimAttributeDefinition } from './scim-schemas.js';

export interface PlainOperation {
  readonly op: 'add' | 'remove' | 'replace';
  readonly path: string;
  readonly value?: JsonValue;
}

/** Attributes a client may not change with PATCH (RFC 7643 §3.1 readOnly). */
const READ_ONLY = new Set(['id', 'meta', 'groups']);
/** Accepted and dropped: the bridge never stores passwords (Okta syncs them by PATCH). */
const DROPPED = new Set(['password', 'schemas']);
/** Echoed by clients inside path-less values (Okta's group rename sends `id`): skipped there. */
const ECHOED = new Set(['id', 'meta', 'schemas', 'groups']);

export interface PathOperation {
  readonly op: PatchOperation['op'];
  readonly path: string;
  readonly value: JsonValue | undefined;
  /** Split out of a path-less value: an unknown attribute there is ignored, as on POST and PUT. */
  readonly fromPathless: boolean;
}

/** Splits path-less operations into one operation per attribute path. */
export function splitPathless(operations: readonly PatchOperation[], schema: ResourceSchema): PathOperation[] {
  const result: PathOperation[] = [];
  for (const operation of operations) {
    if (operation.path !== null) {
      result.push({ op: operation.op, path: operation.path, value: operation.value, fromPathless: false });
      continue;
    }
    for (const [key, value] of Object.entries(operation.value as JsonObject)) {
      if (ECHOED.has(key.toLowerCase())) continue;
      const extension = schema.extensions.find((urn) => urn.toLowerCase() === key.toLowerCase());
      if (extension !== undefined && isObject(value)) {
        for (const [sub, subValue] of Object.entries(value)) {
          result.push({ op: operation.op, path: `${extension}:${sub}`, value: subValue, fromPathless: true });
        }
      } else {
        result.push({ op: operation.op, path: key, value, fromPathless: true });
      }
    }
  }
  return result;
}

/** Normalises per-path attribute operations against the current resource; members are handled elsewhere. */
export function normaliseOperations(
  operations: readonly PathOperation[],
  schema: ResourceSchema,
  current: JsonObject,
): PlainOperation[] {
  const result: PlainOperation[] = [];
  for (const operation of operations) {
    const normalised = normaliseOne(operation, schema, current);
    if (normalised !== null) result.push(normalised);
  }
  return result;
}

function normaliseOne(operation: PathOperation, schema: ResourceSchema, current: JsonObject): PlainOperation | null {
  const parsed = parsePath(operation.path);
  const path = qualifyPath(parsed.path, schema);
  const top = path.schema === null ? path.attribute.toLowerCase() : '';
  if (DROPPED.has(top)) return null;
  if (READ_ONLY.has(top)) throw new ScimError(400, 'mutability', `${path.attribute} is read-only`);
  const attribute = schema.catalogue.describe({ ...path, subAttribute: null }) as ScimAttributeDefinition | undefined;
  if (attribute === undefined && operation.fromPathless) return null;
  if (attribute === undefined) throw new ScimError(400, 'invalidPath', `"${operation.path}" names no ${schema.resourceType} attribute`);
  const subName = parsed.subAttribute ?? path.subAttribute;
  const target = subName === null ? attribute : attribute.subAttributes.get(subName.toLowerCase());
  if (target === undefined) throw new ScimError(400, 'invalidPath', `"${operation.path}" names no ${schema.resourceType} attribute`);
  // Names match case-insensitively (RFC 7643 §2.1; Entra sends `emails[type eq "other"].Value`), but
  // scimmy resolves paths case-sensitively: render the schema's own spelling.
  const canonicalSub = (name: string | null) => (name === null ? null : (attribute.subAttributes.get(name.toLowerCase())?.name ?? name));
  const urn = path.schema;
  const canonical: AttributePath = {
    schema: urn === null ? null : (schema.extensions.find((e) => e.toLowerCase() === urn.toLowerCase()) ?? urn),
    attribute: attribute.name,
    subAttribute: canonicalSub(path.subAttribute),
  };
  const canonicalParsed: ParsedPath = { ...parsed, subAttribute: canonicalSub(parsed.subAttribute) };
  const pathText = render(canonical, parsed.filter === null ? null : parsed.filterText, canonicalParsed.subAttribute);

  if (operation.op === 'remove') return { op: 'remove', path: pathText };
  if (operation.value === undefined) throw new ScimError(400, 'invalidValue', `${operation.op} "${operation.path}" needs a value`);

  if (attribute.name === 'manager' && path.schema !== null) {
    const manager = coerceManager(subName === null ? operation.value : { value: operation.value });
    const managerPath = render({ ...canonical, subAttribute: null }, null, null);
    return manager === undefined ? { op: 'remove', path: managerPath } : { op: operation.op, path: managerPath, value: manager };
  }

  const definition = parsed.filter !== null && subName === null ? { ...attribute, multiValued: false } : target;
  const value = coerceToDefinition(operation.value, definition);
  if (value === undefined || value === '') return { op: 'remove', path: pathText };
  if (parsed.filter !== null) {
    return upsert(canonical, canonicalParsed, value, attribute, schema.catalogue, current) ?? { op: operation.op, path: pathText, value };
  }
  return { op: operation.op, path: pathText, value };
}

export interface ParsedPath {
  readonly path: AttributePath;
  readonly filter: FilterNode | null;
  readonly filterText: string;
  readonly subAttribute: string | null;
}

export function parsePath(text: string): ParsedPath {
  let parsed: ReturnType<typeof parsePatchPath>;
  try {
    parsed = parsePatchPath(text);
  } catch (error) {
    throw new ScimError(400, 'invalidPath', error instanceof Error ? error.message : `invalid path "${text}"`);
  }
  const open = text.indexOf('[');
  const close = text.lastIndexOf(']');
  return { ...parsed, filterText: open >= 0 && close > open ? text.slice(open + 1, close) : '' };
}

function render(path: AttributePath, filterText: string | null, subAttribute: string | null): string {
  const base = path.schema === null ? path.attribute : `${path.schema}:${path.attribute}`;
  const withSub = path.subAttribute === null ? base : `${base}.${path.subAttribute}`;
  const withFilter = filterText === null ? withSub : `${withSub}[${filterText}]`;
  return subAttribute === null ? withFilter : `${withFilter}.${subAttribute}`;
}

/**
 * add/replace on `attr[filter].sub` (or `attr[filter]`) when no value of `attr` matches: add a new
 * value built from the filter's equality conditions. Null when an existing value matches or the
 * filter is not a conjunction of equalities (then the operation goes through unchanged).
 */
function upsert(
  path: AttributePath,
  parsed: ParsedPath,
  value: JsonValue,
  attribute: ScimAttributeDefinition,
  catalogue: AttributeCatalogue,
  current: JsonObject,
): PlainOperation | null {
  const filter = parsed.filter as FilterNode;
  if (matchesFilter({ kind: 'valuePath', path, filter }, current, catalogue)) return null;
  const conditions = equalities(filter);
  if (conditions === null || !attribute.multiValued) return null;
  let entry: JsonObject;
  if (parsed.subAttribute !== null) entry = { ...conditions, [parsed.subAttribute]: value };
  else if (isObject(value)) entry = { ...conditions, ...value };
  else return null;
  return { op: 'add', path: render(path, null, null), value: [entry] };
}

function equalities(filter: FilterNode): JsonObject | null {
  if (filter.kind === 'compare' && filter.operator === 'eq' && filter.path.subAttribute === null && filter.value !== null) {
    return { [filter.path.attribute]: filter.value };
  }
  if (filter.kind === 'and') {
    const left = equalities(filter.left);
    const right = equalities(filter.right);
    return left === null || right === null ? null : { ...left, ...right };
  }
  return null;
}
