// Checks and normalisation of Store port inputs shared by every engine: misuse throws TypeError
// (docs/architecture.md, error model), so engines reject the same calls the same way.
import type { JsonObject } from '../../ports/json.js';
import type { FindQuery, GroupWrite, IndexPredicate, MembershipChange } from '../../ports/store.js';

/** Attributes a User predicate may name (the port's UserIndexedAttribute). */
export const userIndexedAttributes: ReadonlySet<string> = new Set(['id', 'userName', 'externalId', 'active', 'emails.value']);
/** Attributes a Group predicate may name (the port's GroupIndexedAttribute). */
export const groupIndexedAttributes: ReadonlySet<string> = new Set(['id', 'displayName', 'externalId', 'members.value']);

/** A membership change with duplicates removed (first occurrence wins, order kept). */
export type NormalisedMembershipChange =
  | { readonly kind: 'replace'; readonly members: readonly string[] }
  | { readonly kind: 'delta'; readonly add: readonly string[]; readonly remove: readonly string[] };

/** `offset` and `limit` are non-negative integers and the predicate names only indexed attributes. */
export function assertFindQuery<A extends string>(query: FindQuery<A>, attributes: ReadonlySet<string>): void {
  if (!Number.isSafeInteger(query.offset) || query.offset < 0) {
    throw new TypeError(`offset must be a non-negative integer, got ${String(query.offset)}`);
  }
  if (!Number.isSafeInteger(query.limit) || query.limit < 0) {
    throw new TypeError(`limit must be a non-negative integer, got ${String(query.limit)}`);
  }
  assertPredicate(query.where, attributes);
}

/** Every `eq` names an attribute from `attributes` and carries a string or boolean. */
export function assertPredicate<A extends string>(where: IndexPredicate<A> | null, attributes: ReadonlySet<string>): void {
  if (where === null) return;
  switch (where.kind) {
    case 'eq':
      if (!attributes.has(where.attribute)) throw new TypeError(`"${where.attribute}" is not an indexed attribute`);
      if (typeof where.value !== 'string' && typeof where.value !== 'boolean') {
        throw new TypeError(`eq on "${where.attribute}" takes a string or boolean`);
      }
      return;
    case 'and':
    case 'or':
      for (const operand of where.operands) assertPredicate(operand, attributes);
      return;
    default:
      throw new TypeError(`unknown predicate kind "${(where as { kind: unknown }).kind as string}"`);
  }
}

/** The ids in first-occurrence order, each once. */
export function uniqueIds(ids: readonly string[]): string[] {
  return [...new Set(ids)];
}

/** Deduplicates the ids; `add` and `remove` must be disjoint (the core folds them first). */
export function normaliseMembershipChange(change: MembershipChange): NormalisedMembershipChange {
  if (change.kind === 'replace') return { kind: 'replace', members: uniqueIds(change.members) };
  const add = uniqueIds(change.add);
  const remove = uniqueIds(change.remove);
  const removing = new Set(remove);
  const both = add.filter((id) => removing.has(id));
  if (both.length > 0) throw new TypeError(`member ids both added and removed: ${both.join(', ')}`);
  return { kind: 'delta', add, remove };
}

/** An updateGroup `group` write must describe the group being changed. */
export function assertGroupWriteId(id: string, group: GroupWrite | undefined): void {
  if (group !== undefined && group.id !== id) {
    throw new TypeError(`group write id "${group.id}" differs from the changed group "${id}"`);
  }
}

/** The User's `displayName` when it is a non-empty string, else null (the member `display` then falls back to userName). */
export function displayNameOf(attributes: JsonObject): string | null {
  const value = attributes['displayName'];
  return typeof value === 'string' && value !== '' ? value : null;
}
