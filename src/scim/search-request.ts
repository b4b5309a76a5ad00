// Reads a SearchRequest (RFC 7644 §3.4.3, `POST …/.search`) as the query parameters of the GET it
// stands for, so a search gets exactly the filters, paging, projections, limits and errors of a GET.
import { isJsonObject, type JsonValue } from '../ports/json.js';
import { ScimError } from './scim-error.js';

export const SEARCH_REQUEST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';

/** SearchRequest members that are query parameters of a GET (§3.4.2); `sortBy`/`sortOrder` are ignored there too (sort is not supported). */
const PARAMETERS = ['filter', 'startIndex', 'count', 'attributes', 'excludedAttributes', 'sortBy', 'sortOrder'];
const LISTS = new Set(['attributes', 'excludedattributes']);

/** The query a GET would carry; `schemas`, when sent, must name SearchRequest (names match case-insensitively). */
export function searchRequestQuery(body: unknown): Record<string, string> {
  if (!isJsonObject(body)) throw new ScimError(400, 'invalidSyntax', 'the request body must be a SearchRequest JSON object');
  const query: Record<string, string> = {};
  for (const [key, value] of Object.entries(body)) {
    const lower = key.toLowerCase();
    if (lower === 'schemas') {
      if (!(Array.isArray(value) && value.some((urn) => typeof urn === 'string' && urn.toLowerCase() === SEARCH_REQUEST_SCHEMA.toLowerCase()))) {
        throw new ScimError(400, 'invalidSyntax', `schemas must contain ${SEARCH_REQUEST_SCHEMA}`);
      }
      continue;
    }
    const name = PARAMETERS.find((parameter) => parameter.toLowerCase() === lower);
    if (name === undefined || value === null) continue;
    if (Object.hasOwn(query, name)) throw new ScimError(400, 'invalidValue', `${name} must be given once`);
    query[name] = parameterText(name, value);
  }
  return query;
}

/** `attributes` as an array of names (or the comma-separated text a GET carries); the rest as a string or, for paging, a number. */
function parameterText(name: string, value: JsonValue): string {
  if (LISTS.has(name.toLowerCase())) {
    if (typeof value === 'string') return value;
    if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value.join(',');
    throw new ScimError(400, 'invalidValue', `${name} must be an array of attribute names`);
  }
  if (typeof value === 'string') return value;
  if ((name === 'startIndex' || name === 'count') && typeof value === 'number') return String(value);
  throw new ScimError(400, 'invalidValue', `${name} must be a ${name === 'startIndex' || name === 'count' ? 'number' : 'string'}`);
}
