// Normalises a User or Group body from any IdP dialect before schema validation: read-only and
// write-only attributes dropped (id, meta, groups, password), explicit nulls treated as absent,
// string booleans coerced, URN-qualified keys folded into their extension (docs/scim-compliance.md).
import { isJsonObject, type JsonObject, type JsonValue } from '../ports/json.js';
import { coerceComplex, coerceToDefinition } from './attribute-coercion.js';
import { ScimError } from './scim-error.js';
import type { ResourceSchema } from './scim-schemas.js';

/** Never accepted from a client: server-assigned, read-only or never stored. */
const IGNORED = new Set(['id', 'meta', 'password']);
const IGNORED_ON_USER = new Set(['groups']);

/** Known misspellings of schema URNs that IdPs really send (Microsoft's own create example). */
const SCHEMA_TYPOS: ReadonlyMap<string, string> = new Map([
  ['urn:ietf:params:scim:schemas:extension:enterprise:2.0user', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'],
]);

export function normaliseResource(body: unknown, schema: ResourceSchema): JsonObject {
  if (!isJsonObject(body)) throw new ScimError(400, 'invalidSyntax', `the request body must be a JSON object (a ${schema.resourceType})`);
  const known = new Map([schema.coreSchema, ...schema.extensions].map((urn) => [urn.toLowerCase(), urn]));
  const result: JsonObject = {};
  for (const [key, value] of coreAtTopLevel(body, schema.coreSchema)) {
    const lower = key.toLowerCase();
    if (IGNORED.has(lower) || (schema.resourceType === 'User' && IGNORED_ON_USER.has(lower))) continue;
    if (lower === 'schemas') {
      result.schemas = normaliseSchemas(value, known);
      continue;
    }
    const extension = schema.extensions.find((urn) => lower === urn.toLowerCase() || lower.startsWith(`${urn.toLowerCase()}:`));
    if (extension !== undefined) {
      mergeExtension(result, extension, lower === extension.toLowerCase() ? value : { [key.slice(extension.length + 1)]: value }, schema);
      continue;
    }
    const coerced = coerceToDefinition(value, schema.topLevel.get(lower));
    if (coerced !== undefined) result[key] = coerced;
  }
  return result;
}

/**
 * The body's entries with core attributes at the top level, where RFC 7643 §3 puts them: one named by
 * its full URN (`urn:…:core:2.0:User:userName`, RFC 7644 §3.10) loses the prefix, and an object under
 * the core URN itself (as some clients send) is read as top-level attributes; one given at the top
 * level as well wins.
 */
function coreAtTopLevel(body: JsonObject, coreSchema: string): Array<[string, JsonValue]> {
  const core = coreSchema.toLowerCase();
  const top: Array<[string, JsonValue]> = [];
  const nested: Array<[string, JsonValue]> = [];
  for (const [key, value] of Object.entries(body)) {
    const lower = key.toLowerCase();
    if (lower === core && isJsonObject(value)) nested.push(...Object.entries(value));
    else if (lower.startsWith(`${core}:`)) top.push([key.slice(core.length + 1), value]);
    else top.push([key, value]);
  }
  const given = new Set(top.map(([key]) => key.toLowerCase()));
  return [...nested.filter(([key]) => !given.has(key.toLowerCase())), ...top];
}

function normaliseSchemas(value: JsonValue, known: ReadonlyMap<string, string>): JsonValue {
  if (!Array.isArray(value) || value.some((urn) => typeof urn !== 'string')) {
    throw new ScimError(400, 'invalidSyntax', 'schemas must be an array of schema URNs');
  }
  const urns = (value as string[]).map((urn) => {
    const lower = urn.toLowerCase();
    return known.get(lower) ?? SCHEMA_TYPOS.get(lower) ?? urn;
  });
  const supported = urns.filter((urn) => known.has(urn.toLowerCase()));
  return [...new Set(supported)];
}

function mergeExtension(result: JsonObject, urn: string, value: JsonValue, schema: ResourceSchema): void {
  if (value === null) return;
  if (!isJsonObject(value)) throw new ScimError(400, 'invalidValue', `${urn} must be an object`);
  const definition = schema.topLevel.get(urn.toLowerCase());
  const coerced = coerceComplex(value, definition?.subAttributes ?? new Map());
  const existing = result[urn];
  result[urn] = isJsonObject(existing) ? { ...existing, ...coerced } : coerced;
}
