// `attributes` and `excludedAttributes` (RFC 7644 §3.4.2.5, §3.9) applied to a rendered resource.
// `id` and `schemas` are always returned; attribute names match case-insensitively.
import type { AttributePath } from '../core/filter/ast.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../ports/json.js';
import type { Projection } from './list-parameters.js';
import type { ResourceSchema } from './scim-schemas.js';

const ALWAYS = new Set(['id', 'schemas']);

/** Neither `attributes` nor `excludedAttributes`: the whole resource is returned. */
export function isWholeResource(projection: Projection): boolean {
  return projection.attributes === null && projection.excludedAttributes === null;
}

export function project(resource: JsonObject, projection: Projection, schema: ResourceSchema): JsonObject {
  if (projection.attributes !== null) return keepOnly(resource, projection.attributes, schema);
  if (projection.excludedAttributes !== null) return exclude(resource, projection.excludedAttributes, schema);
  return resource;
}

/** True when the projection drops `attribute` (top-level, core schema) entirely, so it need not be loaded. */
export function excludesAttribute(projection: Projection, attribute: string, schema: ResourceSchema): boolean {
  const name = attribute.toLowerCase();
  const names = (paths: readonly AttributePath[]) =>
    paths.filter((p) => isCore(p, schema)).map((p) => [p.attribute.toLowerCase(), p.subAttribute] as const);
  if (projection.attributes !== null) return !names(projection.attributes).some(([n]) => n === name);
  if (projection.excludedAttributes !== null) {
    return names(projection.excludedAttributes).some(([n, sub]) => n === name && sub === null);
  }
  return false;
}

function isCore(path: AttributePath, schema: ResourceSchema): boolean {
  return path.schema === null || path.schema.toLowerCase() === schema.coreSchema.toLowerCase();
}

/** Where a path lives in the JSON: [top-level key, attribute within an extension or null, sub-attribute or null]. */
function locate(path: AttributePath, schema: ResourceSchema): { container: string | null; attribute: string; sub: string | null } {
  if (isCore(path, schema)) return { container: null, attribute: path.attribute, sub: path.subAttribute };
  const whole = `${path.schema}:${path.attribute}`.toLowerCase();
  const extension = schema.extensions.find((urn) => urn.toLowerCase() === whole);
  if (extension !== undefined && path.subAttribute === null) return { container: null, attribute: extension, sub: null };
  return { container: path.schema, attribute: path.attribute, sub: path.subAttribute };
}

function findKey(object: JsonObject, name: string): string | undefined {
  const lower = name.toLowerCase();
  return Object.keys(object).find((key) => key.toLowerCase() === lower);
}

function keepOnly(resource: JsonObject, paths: readonly AttributePath[], schema: ResourceSchema): JsonObject {
  const result: JsonObject = {};
  for (const key of Object.keys(resource)) {
    if (ALWAYS.has(key)) result[key] = resource[key] as JsonValue;
  }
  for (const path of paths) {
    const { container, attribute, sub } = locate(path, schema);
    let source: JsonObject = resource;
    let target: JsonObject = result;
    if (container !== null) {
      const containerKey = findKey(resource, container);
      const value = containerKey === undefined ? undefined : resource[containerKey];
      if (containerKey === undefined || !isJsonObject(value)) continue;
      source = value;
      const existing = result[containerKey];
      target = isJsonObject(existing) ? existing : (result[containerKey] = {});
    }
    const key = findKey(source, attribute);
    if (key === undefined) continue;
    const value = source[key] as JsonValue;
    if (sub === null) target[key] = value;
    else target[key] = mergeSub(target[key], value, sub);
  }
  return result;
}

function mergeSub(existing: JsonValue | undefined, value: JsonValue, sub: string): JsonValue {
  if (Array.isArray(value)) {
    const previous = Array.isArray(existing) ? existing : [];
    return value.map((item, i) => mergeSub(previous[i], item, sub));
  }
  if (!isJsonObject(value)) return existing ?? null;
  const base = isJsonObject(existing) ? { ...existing } : {};
  const key = findKey(value, sub);
  if (key !== undefined) base[key] = value[key] as JsonValue;
  return base;
}

function exclude(resource: JsonObject, paths: readonly AttributePath[], schema: ResourceSchema): JsonObject {
  const result: JsonObject = { ...resource };
  for (const path of paths) {
    const { container, attribute, sub } = locate(path, schema);
    let target: JsonObject = result;
    if (container !== null) {
      const containerKey = findKey(result, container);
      const value = containerKey === undefined ? undefined : result[containerKey];
      if (containerKey === undefined || !isJsonObject(value)) continue;
      target = { ...value };
      result[containerKey] = target;
    }
    const key = findKey(target, attribute);
    if (key === undefined || (container === null && ALWAYS.has(key))) continue;
    if (sub === null) {
      delete target[key];
      continue;
    }
    const value = target[key] as JsonValue;
    target[key] = withoutSub(value, sub);
  }
  return result;
}

function withoutSub(value: JsonValue, sub: string): JsonValue {
  if (Array.isArray(value)) return value.map((item) => withoutSub(item, sub));
  if (!isJsonObject(value)) return value;
  const copy = { ...value };
  const key = findKey(copy, sub);
  if (key !== undefined) delete copy[key];
  return copy;
}

