// Answers a SCIM list request (RFC 7644 §3.4.2): filters go to store indexes where they can;
// the rest is checked in memory over a bounded candidate set, never over every resource.
import type { FilterNode } from './filter/ast.js';
import type { AttributeCatalogue } from './filter/attribute-catalogue.js';
import { matchesFilter } from './filter/evaluate.js';
import { planIndexLookup } from './filter/plan.js';
import { ProvisioningError } from './provisioning-error.js';
import type { JsonObject } from '../ports/json.js';
import type { FindQuery, IndexPredicate, StoredResource } from '../ports/store.js';

export interface ListQuery {
  readonly filter: FilterNode | null;
  /** 1-based (RFC 7644 §3.4.2.4), already clamped to ≥ 1. */
  readonly startIndex: number;
  /** Already clamped to 0 … the maximum page size. */
  readonly count: number;
}

export interface ListPage<V> {
  readonly totalResults: number;
  readonly items: readonly V[];
}

/** Where a list query looks: `find` gives items of type V (a stored resource, perhaps with its references). */
export interface ResourceIndex<A extends string, V> {
  readonly coreSchema: string;
  readonly indexed: ReadonlyMap<string, A>;
  readonly catalogue: AttributeCatalogue;
  readonly scanLimit: number;
  find(query: FindQuery<A>): Promise<V[]>;
  count(where: IndexPredicate<A> | null): Promise<number>;
  /** The items as `filter` sees them (RFC 7643 JSON with id and meta); what it does not read may be left out. */
  filterable(items: readonly V[], filter: FilterNode): Promise<JsonObject[]>;
}

/** The page of items that `query` selects, with the total number of matches. */
export async function queryResources<A extends string, V>(index: ResourceIndex<A, V>, query: ListQuery): Promise<ListPage<V>> {
  const plan = query.filter === null ? { where: null, exact: true } : planIndexLookup(query.filter, index.indexed, index.coreSchema);
  const offset = query.startIndex - 1;
  if (plan.exact) {
    if (offset === 0 && query.count > 0) {
      // A first page that is not full holds every match: no count query needed (userName eq, Test Connection).
      const items = await index.find({ where: plan.where, offset, limit: query.count });
      if (items.length < query.count) return { totalResults: items.length, items };
      return { totalResults: await index.count(plan.where), items };
    }
    const totalResults = await index.count(plan.where);
    const items = query.count === 0 || offset >= totalResults ? [] : await index.find({ where: plan.where, offset, limit: query.count });
    return { totalResults, items };
  }
  const candidates = await index.find({ where: plan.where, offset: 0, limit: index.scanLimit + 1 });
  if (candidates.length > index.scanLimit) {
    throw new ProvisioningError(
      'too_many',
      `the filter needs more than ${index.scanLimit} resources examined; add a condition on an indexed attribute ` +
        `(${[...new Set(index.indexed.values())].join(', ')} with eq)`,
    );
  }
  const filter = query.filter as FilterNode;
  const documents = await index.filterable(candidates, filter);
  const matches = candidates.filter((_, i) => matchesFilter(filter, documents[i] as JsonObject, index.catalogue));
  return { totalResults: matches.length, items: matches.slice(offset, offset + query.count) };
}

/** A resource as the filter evaluator sees it: its attributes plus id, meta and its read-only references. */
export function filterableResource(
  resourceType: 'User' | 'Group',
  record: StoredResource,
  references: { readonly name: 'groups' | 'members'; readonly values: readonly JsonObject[] },
): JsonObject {
  return {
    ...record.attributes,
    id: record.id,
    meta: { resourceType, created: record.created, lastModified: record.lastModified },
    [references.name]: [...references.values],
  };
}
