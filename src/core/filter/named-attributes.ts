// Which resource attributes a filter reads, so that what it does not read (a group's members, say)
// need not be loaded to evaluate it.
import type { FilterNode } from './ast.js';

/** Whether `filter` reads the top-level attribute `attribute` (compared without case, with or without its schema URN). */
export function filterReadsAttribute(filter: FilterNode, attribute: string): boolean {
  const wanted = attribute.toLowerCase();
  const pending: FilterNode[] = [filter];
  for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
    switch (node.kind) {
      case 'and':
      case 'or':
        pending.push(node.left, node.right);
        break;
      case 'not':
        pending.push(node.operand);
        break;
      default:
        // A value path's inner filter names sub-attributes of its own path only.
        if (node.path.attribute.toLowerCase() === wanted) return true;
    }
  }
  return false;
}
