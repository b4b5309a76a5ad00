// Recognises the member operations of a Group PATCH in every dialect (RFC 7644 §3.5.2; Entra value
// lists, Okta `members[value eq "…"]`, replace-all, remove-all) so they are applied as deltas.
import type { FilterNode } from '../core/filter/ast.js';
import type { MemberOperation } from '../core/membership-change.js';
import type { PathOperation } from './patch-normaliser.js';
import { parsePath } from './patch-target.js';
import { memberIds } from './resource-input.js';
import { ScimError } from './scim-error.js';
import { GROUP_SCHEMA } from './scim-schemas.js';

/** A member operation, or a removal by a filter that needs the member list to resolve. */
export type MemberInstruction = MemberOperation | { readonly kind: 'removeMatching'; readonly filter: FilterNode };

export interface SplitOperations {
  readonly members: MemberInstruction[];
  readonly attributes: PathOperation[];
}

export function splitMemberOperations(operations: readonly PathOperation[]): SplitOperations {
  const members: MemberInstruction[] = [];
  const attributes: PathOperation[] = [];
  for (const operation of operations) {
    const parsed = parsePath(operation.path);
    const isMembers =
      parsed.path.attribute.toLowerCase() === 'members' &&
      (parsed.path.schema === null || parsed.path.schema.toLowerCase() === GROUP_SCHEMA.toLowerCase());
    if (!isMembers) {
      attributes.push(operation);
      continue;
    }
    if (parsed.subAttribute !== null || parsed.path.subAttribute !== null) {
      throw new ScimError(400, 'invalidPath', 'members are added, removed or replaced whole; their sub-attributes cannot be patched');
    }
    members.push(memberInstruction(operation, parsed.filter));
  }
  return { members, attributes };
}

function memberInstruction(operation: PathOperation, filter: FilterNode | null): MemberInstruction {
  if (filter !== null) {
    if (operation.op !== 'remove') throw new ScimError(400, 'invalidPath', 'a members[…] filter can only be used to remove members');
    const ids = valueEqualities(filter);
    return ids === null ? { kind: 'removeMatching', filter } : { kind: 'remove', ids };
  }
  switch (operation.op) {
    case 'add':
      return { kind: 'add', ids: memberIds(operation.value) };
    case 'replace':
      return { kind: 'replace', ids: memberIds(operation.value) };
    case 'remove':
      // No value: every member goes (RFC 7644 §3.5.2.2). An explicit empty list removes nobody.
      return operation.value === undefined || operation.value === null
        ? { kind: 'replace', ids: [] }
        : { kind: 'remove', ids: memberIds(operation.value) };
  }
}

/** `value eq "a" or value eq "b"` → ['a', 'b']; null for any other filter. */
function valueEqualities(filter: FilterNode): string[] | null {
  if (filter.kind === 'compare') {
    const isValue = filter.path.attribute.toLowerCase() === 'value' && filter.path.subAttribute === null;
    return isValue && filter.operator === 'eq' && typeof filter.value === 'string' ? [filter.value] : null;
  }
  if (filter.kind === 'or') {
    const left = valueEqualities(filter.left);
    const right = valueEqualities(filter.right);
    return left === null || right === null ? null : [...left, ...right];
  }
  return null;
}
