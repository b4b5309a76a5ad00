// Maps a SCIM filter onto the store's indexed attributes (ports/store IndexPredicate), so the
// IdPs' lookups (`userName eq`, `externalId eq`, `displayName eq`, …) never scan every resource.
import type { IndexPredicate } from '../../ports/store.js';
import type { AttributePath, CompareValue, FilterNode } from './ast.js';

/**
 * `where: null`: no index helps, evaluate every resource. Otherwise the store answers `where`;
 * `exact: true` means that answer is exactly the filter's matches, `exact: false` that it is a
 * superset whose members must still pass `matchesFilter`.
 */
export interface IndexPlan<A extends string> {
  readonly where: IndexPredicate<A> | null;
  readonly exact: boolean;
}

interface Planned<A extends string> {
  readonly where: IndexPredicate<A>;
  readonly exact: boolean;
}

interface Context<A extends string> {
  readonly indexed: ReadonlyMap<string, A>;
  /** The resource type's core schema URN, lower-cased. */
  readonly coreSchema: string;
  /** Inside `emails[…]`: the lower-cased attribute the inner paths are sub-attributes of. */
  readonly parent: string | null;
}

/** The dotted path of the one boolean index (`active eq true`); every other index holds strings. */
const BOOLEAN_KEY = 'active';

/**
 * Plans `node` onto the indexes in `indexed` (lower-cased dotted path → store attribute, e.g.
 * `'emails.value' → 'emails.value'`). Paths qualified with `coreSchema` count as unqualified; any
 * other URN is never indexed. Only `eq` is indexed; `emails eq "x"` means `emails.value eq "x"`.
 * `and` keeps its indexable operands (exact only if all are, and exact); `or` needs all of them;
 * a value filter `emails[…]` plans its inner filter re-rooted at `emails.` but is never exact,
 * since the store cannot tell whether its conditions hold on the same value.
 */
export function planIndexLookup<A extends string>(
  node: FilterNode,
  indexed: ReadonlyMap<string, A>,
  coreSchema: string,
): IndexPlan<A> {
  const planned = plan(node, { indexed, coreSchema: coreSchema.toLowerCase(), parent: null });
  return planned ?? { where: null, exact: false };
}

function plan<A extends string>(node: FilterNode, ctx: Context<A>): Planned<A> | null {
  switch (node.kind) {
    case 'compare':
      return node.operator === 'eq' ? planEq(node.path, node.value, ctx) : null;
    case 'and': {
      const parts: IndexPredicate<A>[] = [];
      let exact = true;
      for (const operand of operandsOf(node, 'and')) {
        const p = plan(operand, ctx);
        if (p === null) {
          exact = false;
          continue;
        }
        parts.push(p.where);
        exact &&= p.exact;
      }
      return parts.length === 0 ? null : { where: combine('and', parts), exact };
    }
    case 'or': {
      const parts: IndexPredicate<A>[] = [];
      let exact = true;
      for (const operand of operandsOf(node, 'or')) {
        const p = plan(operand, ctx);
        if (p === null) return null;
        parts.push(p.where);
        exact &&= p.exact;
      }
      return { where: combine('or', parts), exact };
    }
    case 'valuePath': {
      const parent = ctx.parent === null ? keyOf(node.path, ctx) : null;
      if (parent === null || node.path.subAttribute !== null) return null;
      const inner = plan(node.filter, { ...ctx, parent });
      return inner === null ? null : { where: inner.where, exact: false };
    }
    default:
      return null;
  }
}

function planEq<A extends string>(path: AttributePath, value: CompareValue, ctx: Context<A>): Planned<A> | null {
  let key = keyOf(path, ctx);
  if (key === null) return null;
  let attribute = ctx.indexed.get(key);
  if (attribute === undefined && ctx.parent === null && path.subAttribute === null) {
    // A multi-valued complex attribute compared as a whole compares its `value` (RFC 7644 §3.4.2.2).
    key = `${key}.value`;
    attribute = ctx.indexed.get(key);
  }
  if (attribute === undefined) return null;
  if (key === BOOLEAN_KEY) {
    const b = toBoolean(value);
    return b === undefined ? null : { where: { kind: 'eq', attribute, value: b }, exact: true };
  }
  if (typeof value !== 'string') return null;
  return { where: { kind: 'eq', attribute, value }, exact: true };
}

/** The lower-cased dotted index key of a path, or null when it cannot be indexed. */
function keyOf<A extends string>(path: AttributePath, ctx: Context<A>): string | null {
  if (ctx.parent !== null) {
    if (path.schema !== null || path.subAttribute !== null) return null;
    return `${ctx.parent}.${path.attribute.toLowerCase()}`;
  }
  if (path.schema !== null && path.schema.toLowerCase() !== ctx.coreSchema) return null;
  const attribute = path.attribute.toLowerCase();
  return path.subAttribute === null ? attribute : `${attribute}.${path.subAttribute.toLowerCase()}`;
}

function toBoolean(value: CompareValue): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value !== 'string') return undefined;
  const lower = value.toLowerCase();
  return lower === 'true' ? true : lower === 'false' ? false : undefined;
}

/** The operands of a chain of `kind` nodes, left to right, however they are nested. Iterative. */
function operandsOf(node: FilterNode, kind: 'and' | 'or'): FilterNode[] {
  const out: FilterNode[] = [];
  const stack: FilterNode[] = [node];
  for (let n = stack.pop(); n !== undefined; n = stack.pop()) {
    if (n.kind === kind && (n.kind === 'and' || n.kind === 'or')) stack.push(n.right, n.left);
    else out.push(n);
  }
  return out;
}

/** One predicate for `parts` joined by `kind`, flattening nested predicates of the same kind. */
function combine<A extends string>(kind: 'and' | 'or', parts: readonly IndexPredicate<A>[]): IndexPredicate<A> {
  const operands: IndexPredicate<A>[] = [];
  for (const p of parts) {
    if (p.kind !== 'eq' && p.kind === kind) operands.push(...p.operands);
    else operands.push(p);
  }
  const [only] = operands;
  return operands.length === 1 && only !== undefined ? only : { kind, operands };
}
