// Folds a request's member operations, in order, into one net MembershipChange, so that a PATCH
// touches only the memberships it names (never a read-modify-write of the whole member list).
import type { MembershipChange } from '../ports/store.js';

export type MemberOperation =
  | { readonly kind: 'add'; readonly ids: readonly string[] }
  | { readonly kind: 'remove'; readonly ids: readonly string[] }
  | { readonly kind: 'replace'; readonly ids: readonly string[] };

/** The net effect of `operations` applied in order; null when there are none. */
export function foldMemberOperations(operations: readonly MemberOperation[]): MembershipChange | null {
  if (operations.length === 0) return null;
  let replacement: Set<string> | null = null;
  const add = new Set<string>();
  const remove = new Set<string>();
  for (const operation of operations) {
    switch (operation.kind) {
      case 'replace':
        replacement = new Set(operation.ids);
        add.clear();
        remove.clear();
        break;
      case 'add':
        for (const id of operation.ids) {
          if (replacement) replacement.add(id);
          else {
            add.add(id);
            remove.delete(id);
          }
        }
        break;
      case 'remove':
        for (const id of operation.ids) {
          if (replacement) replacement.delete(id);
          else {
            remove.add(id);
            add.delete(id);
          }
        }
        break;
    }
  }
  if (replacement) return { kind: 'replace', members: [...replacement] };
  return { kind: 'delta', add: [...add], remove: [...remove] };
}
