// Qualifies unqualified filter paths that name an extension attribute with that extension's URN
// (Entra's manager check `id eq "…" and manager eq "…"`, test/fixtures/idp/entra/manager.json), as the
// PATCH normaliser does for paths; core attributes and paths inside `attr[…]` are left as they are.
import type { AttributePath, FilterNode } from '../core/filter/ast.js';
import type { ResourceSchema } from './scim-schemas.js';

export function qualifyFilter(node: FilterNode, schema: ResourceSchema): FilterNode {
  switch (node.kind) {
    case 'compare':
    case 'present':
    case 'valuePath':
      return { ...node, path: qualifyPath(node.path, schema) };
    case 'and':
    case 'or':
      return { ...node, left: qualifyFilter(node.left, schema), right: qualifyFilter(node.right, schema) };
    case 'not':
      return { ...node, operand: qualifyFilter(node.operand, schema) };
    default:
      return node;
  }
}

/** `manager` → `urn:…:enterprise:2.0:User:manager`: the extension that defines an unqualified name not in the core schema. */
export function qualifyPath(path: AttributePath, schema: ResourceSchema): AttributePath {
  if (path.schema !== null || schema.topLevel.has(path.attribute.toLowerCase())) return path;
  const lower = path.attribute.toLowerCase();
  const extension = schema.extensions.find((urn) => schema.topLevel.get(urn.toLowerCase())?.subAttributes.has(lower));
  return extension === undefined ? path : { ...path, schema: extension };
}
