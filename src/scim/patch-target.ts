// What a PATCH path names (RFC 7644 §3.5.2, the "path" ABNF): an attribute of the core schema or
// of an extension, or a whole extension by its URN; perhaps one sub-attribute; perhaps a value
// filter `attr[…]` selecting values of a multi-valued attribute. Names match case-insensitively.
import type { AttributePath, FilterNode } from '../core/filter/ast.js';
import { parsePatchPath } from './filter-parser.js';
import { qualifyPath } from './filter-qualifier.js';
import { ScimError } from './scim-error.js';
import type { ResourceSchema, ScimAttributeDefinition } from './scim-schemas.js';

export interface ParsedPath {
  readonly path: AttributePath;
  readonly filter: FilterNode | null;
  /** The sub-attribute after a value filter: `emails[type eq "work"].value` → 'value'. */
  readonly subAttribute: string | null;
}

export interface PatchTarget {
  /** The extension URN (the schema's own spelling) whose object holds the attribute; null for the core schema. */
  readonly extension: string | null;
  /** The attribute (for a whole extension: the extension as a complex attribute named by its URN). */
  readonly attribute: ScimAttributeDefinition;
  /** The attribute as a filter path: what a value filter's names are sub-attributes of. */
  readonly path: AttributePath;
  readonly filter: FilterNode | null;
  /** The sub-attribute named, either `name.givenName` or `emails[…].value`. */
  readonly sub: ScimAttributeDefinition | null;
}

/** Attributes a client may not change with PATCH (RFC 7643 §3.1 readOnly). */
const READ_ONLY = new Set(['id', 'meta', 'groups']);
/** Accepted and dropped: the bridge never stores passwords (Okta syncs them by PATCH); `schemas` is the server's. */
const DROPPED = new Set(['password', 'schemas']);

export function parsePath(text: string): ParsedPath {
  try {
    return parsePatchPath(text);
  } catch (error) {
    throw new ScimError(400, 'invalidPath', error instanceof Error ? error.message : `invalid path "${text}"`);
  }
}

/**
 * The target of `text` in `schema`; null for an attribute that is accepted and dropped (password);
 * undefined for a name the schema does not define. 400 `invalidPath` for a path that cannot name
 * anything, 400 `mutability` for a read-only attribute.
 */
export function resolveTarget(text: string, schema: ResourceSchema): PatchTarget | null | undefined {
  const extension = schema.extensions.find((urn) => urn.toLowerCase() === text.toLowerCase());
  if (extension !== undefined) {
    const attribute = schema.topLevel.get(extension.toLowerCase()) as ScimAttributeDefinition;
    return { extension: null, attribute, path: { schema: null, attribute: extension, subAttribute: null }, filter: null, sub: null };
  }
  const parsed = parsePath(text);
  const path = qualifyPath(parsed.path, schema);
  const inCore = path.schema === null || path.schema.toLowerCase() === schema.coreSchema.toLowerCase();
  const top = inCore ? path.attribute.toLowerCase() : '';
  if (DROPPED.has(top)) return null;
  if (READ_ONLY.has(top)) throw new ScimError(400, 'mutability', `${path.attribute} is read-only`);
  const owner = inCore ? null : schema.extensions.find((urn) => urn.toLowerCase() === (path.schema as string).toLowerCase());
  if (owner === undefined) return undefined;
  const attribute = (owner === null ? schema.topLevel : schema.topLevel.get(owner.toLowerCase())?.subAttributes)?.get(
    owner === null ? top : path.attribute.toLowerCase(),
  );
  if (attribute === undefined) return undefined;
  const subName = path.subAttribute ?? parsed.subAttribute;
  const sub = subName === null ? null : attribute.subAttributes.get(subName.toLowerCase());
  if (sub === undefined) return undefined;
  if (parsed.filter !== null && !(attribute.multiValued && attribute.type === 'complex')) {
    throw new ScimError(400, 'invalidPath', `"${text}": a value filter "[…]" selects values of a multi-valued complex attribute, and ${attribute.name} is not one`);
  }
  return {
    extension: owner,
    attribute,
    path: { schema: owner, attribute: attribute.name, subAttribute: null },
    filter: parsed.filter,
    sub,
  };
}
