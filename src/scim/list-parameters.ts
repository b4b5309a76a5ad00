// Query parameters of a SCIM list request (RFC 7644 §3.4.2): filter, startIndex, count,
// attributes, excludedAttributes. Out-of-range paging values are clamped as §3.4.2.4 says.
import type { AttributePath, FilterNode } from '../core/filter/ast.js';
import type { ListQuery } from '../core/resource-query.js';
import { parseAttributePath, parseFilter } from './filter-parser.js';
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
  return text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => {
      try {
        return parseAttributePath(part);
      } catch {
        throw new ScimError(400, 'invalidValue', `${name}: "${part}" is not an attribute path`);
      }
    });
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
