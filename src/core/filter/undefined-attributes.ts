// A filter over several resource types (a search at the root endpoint): "for filtered attributes
// that are not part of a particular resource type, the service provider SHALL treat the attribute
// as if there is no attribute value" (RFC 7644 §3.4.2.1). Decided once per type, not per resource.
import type { AttributeCatalogue } from './attribute-catalogue.js';
import type { FilterNode } from './ast.js';

/**
 * `filter` for a resource type whose attributes `catalogue` describes: conditions on attributes the
 * type does not define are replaced by what they are on an absent value, as `matchesFilter` would
 * find (`eq`, `co`, `pr`, … false; `ne` and `eq null` true). `true` or `false` when that decides the
 * whole filter: every resource of the type matches, or none does (and none need be read).
 */
export function withUndefinedAbsent(filter: FilterNode, catalogue: AttributeCatalogue): FilterNode | boolean {
  switch (filter.kind) {
    case 'compare':
      if (catalogue.describe(filter.path) !== undefined) return filter;
      if (filter.value === null) return filter.operator === 'eq';
      return filter.operator === 'ne';
    case 'present':
    case 'valuePath':
      return catalogue.describe({ ...filter.path, subAttribute: filter.kind === 'present' ? filter.path.subAttribute : null }) === undefined ? false : filter;
    case 'not': {
      const operand = withUndefinedAbsent(filter.operand, catalogue);
      return typeof operand === 'boolean' ? !operand : { kind: 'not', operand };
    }
    case 'and':
    case 'or': {
      const left = withUndefinedAbsent(filter.left, catalogue);
      const right = withUndefinedAbsent(filter.right, catalogue);
      const absorbing = filter.kind === 'or';
      if (left === absorbing || right === absorbing) return absorbing;
      if (typeof left === 'boolean') return right;
      if (typeof right === 'boolean') return left;
      return { kind: filter.kind, left, right };
    }
  }
}
