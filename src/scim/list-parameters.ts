// Query parameters of a SCIM list request (RFC 7644 §3.4.2): filter, startIndex, count,
// attributes, excludedAttributes. Out-of-range paging values are clamped as §3.4.2.4 says.
import type { AttributePath, FilterNode } from '../core/filter/ast.js';
import type { ListQuery } from '../core/resource-query.js';
import { parseAttributePath, parseFilter, parsePatchPath } from './filter-parser.js';
import { ScimError } from './scim-error.js';

export interface Projection {
  readonly attributes: readonly AttributePath[] | null;
  readonly excludedAttributes: readonly AttributePath[] | null;
}

export interface PagingLimits {
  readonly defaultPageSize: number;
  readonly maxPageSize: number;
}

type Query = Record<string, unknown>;

export function parseListQuery(query: Query, limits: PagingLimits): ListQuery {
  const filterText = single(query, 'filter');
  const filter: FilterNode | null = filterText === undefined || filterText.trim() === '' ? null : parseFilter(filterText);
  const startIndex = Math.max(1, integer(query, 'startIndex') ?? 1);
  const count = Math.min(limits.maxPageSize, Math.max(0, integer(query, 'count') ?? limits.defaultPageSize));
  return { filter, startIndex, count };
}

export function parseProjection(query: Query): Projection {
  const attributes = pathList(query, 'attributes');
  const excludedAttributes = pathList(query, 'excludedAttributes');
  return { attributes, excludedAttributes };
}

function pathList(query: Query, name: string): AttributePath[] | null {
  const text = single(query, name);
  if (text === undefined || text.trim() === '') return null;
  return commaSeparated(text)
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => attributeOf(part, name));
}

/** The comma-separated parts of a list, where a comma inside `[…]` or a quoted string separates nothing. */
function commaSeparated(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '[') depth++;
    else if (c === ']') depth = Math.max(0, depth - 1);
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/**
 * An attribute path; a value path (`emails[type eq "work"]`, `emails[type eq "work"].value`) is read
 * as the attribute it filters (`emails`, `emails.value`): RFC 7644 §3.4.2.5 takes attribute names,
 * and answering the whole attribute is harmless where a 400 would stop the client.
 */
function attributeOf(part: string, name: string): AttributePath {
  try {
    return parseAttributePath(part);
  } catch {
    try {
      const { path, subAttribute } = parsePatchPath(part);
      return { ...path, subAttribute: path.subAttribute ?? subAttribute };
    } catch {
      throw new ScimError(400, 'invalidValue', `${name}: "${part}" is not an attribute path`);
    }
  }
}

/** Query parameter names are matched case-insensitively; a repeated parameter is an error. */
function single(query: Query, name: string): string | undefined {
  let value: unknown;
  let seen = 0;
  // A plain loop: this runs five times on every list request.
  for (const key in query) {
    if (key.length === name.length && key.toLowerCase() === name.toLowerCase()) {
      value = query[key];
      seen += 1;
    }
  }
  if (seen === 0) return undefined;
  if (seen > 1 || typeof value !== 'string') throw new ScimError(400, 'invalidValue', `${name} must be given once`);
  return value;
}

function integer(query: Query, name: string): number | undefined {
  const text = single(query, name);
  if (text === undefined || text.trim() === '') return undefined;
  if (!/^\s*-?\d{1,15}\s*$/.test(text)) throw new ScimError(400, 'invalidValue', `${name} must be an integer, got "${text}"`);
  return Number(text);
}
