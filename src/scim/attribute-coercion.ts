// Coerces client values to the shapes the schema defines, for the forms IdPs really send
// (Entra ID: https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-config-problem-scim-compatibility):
// "True"/"False" strings on booleans, explicit nulls, and the enterprise `manager` as a string,
// {value} or Entra's [{$ref,value}].
import { isJsonObject, type JsonObject, type JsonValue } from '../ports/json.js';
import type { ScimAttributeDefinition } from './scim-schemas.js';

/** The value with nulls dropped and booleans coerced; `undefined` when nothing is left (treat as absent). */
export function coerceToDefinition(value: JsonValue, definition: ScimAttributeDefinition | undefined): JsonValue | undefined {
  if (value === null) return undefined;
  if (definition === undefined) return dropNulls(value);
  if (definition.name === 'manager' && definition.type === 'complex') return coerceManager(value);
  if (definition.multiValued && Array.isArray(value)) {
    const items = value.map((item) => coerceSingle(item, definition)).filter((item): item is JsonValue => item !== undefined);
    return items;
  }
  return coerceSingle(value, definition);
}

function coerceSingle(value: JsonValue, definition: ScimAttributeDefinition): JsonValue | undefined {
  if (value === null) return undefined;
  if (definition.type === 'boolean' && typeof value === 'string') {
    const lower = value.trim().toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
    return value;
  }
  if (definition.type === 'complex' && isJsonObject(value)) return coerceComplex(value, definition.subAttributes);
  return dropNulls(value);
}

/** Coerces each key of a complex value by its sub-attribute definition (names matched case-insensitively). */
export function coerceComplex(value: JsonObject, subAttributes: ReadonlyMap<string, ScimAttributeDefinition>): JsonObject {
  const result: JsonObject = {};
  for (const [key, item] of Object.entries(value)) {
    const coerced = coerceToDefinition(item, subAttributes.get(key.toLowerCase()));
    if (coerced !== undefined) result[key] = coerced;
  }
  return result;
}

/**
 * Entra sends the manager as `"id"`, `{"value":"id"}` or `[{"$ref":…,"value":"id"}]`, and clears
 * it with `""`. Returns `{ value }` with the `$ref` the client sent (RFC 7643 §4.3 recommends it),
 * or undefined when the manager is to be removed. `displayName` is read-only: the bridge answers it.
 */
export function coerceManager(value: JsonValue): JsonValue | undefined {
  let candidate: JsonValue | undefined = value;
  if (Array.isArray(candidate)) candidate = candidate.find((item) => item !== null);
  if (typeof candidate === 'string') return candidate.trim() === '' ? undefined : { value: candidate };
  if (isJsonObject(candidate)) {
    const field = (name: string) => {
      const key = Object.keys(candidate).find((k) => k.toLowerCase() === name);
      return key === undefined ? undefined : candidate[key];
    };
    const id = field('value');
    const ref = field('$ref');
    const withRef = (manager: JsonObject): JsonObject => (typeof ref === 'string' && ref.trim() !== '' ? { ...manager, $ref: ref } : manager);
    if (typeof id === 'string' && id.trim() !== '') return withRef({ value: id });
    if (typeof id === 'number') return withRef({ value: String(id) });
    return undefined;
  }
  return candidate === undefined ? undefined : value;
}

function dropNulls(value: JsonValue): JsonValue | undefined {
  if (value === null) return undefined;
  if (Array.isArray(value)) return value.map(dropNulls).filter((item): item is JsonValue => item !== undefined);
  if (isJsonObject(value)) {
    const result: JsonObject = {};
    for (const [key, item] of Object.entries(value)) {
      const kept = dropNulls(item);
      if (kept !== undefined) result[key] = kept;
    }
    return result;
  }
  return value;
}

