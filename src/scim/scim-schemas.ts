// The SCIM schemas the bridge serves (RFC 7643 §4, §8.7): scimmy's User with the EnterpriseUser
// extension, and Group — less `password`, which the bridge never stores, and with the canonical
// `type` values of multi-valued attributes as suggestions, not a rule (RFC 7643 §2.3.1, §7). Configured once.
import SCIMMY from 'scimmy';
import type { AttributePath } from '../core/filter/ast.js';
import type { AttributeCatalogue, AttributeInfo } from '../core/filter/attribute-catalogue.js';

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const ENTERPRISE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';

type ScimmyAttribute = SCIMMY.Types.Attribute;

let configured = false;

/**
 * The canonical `type` values RFC 7643 §4.1.2 suggests, by multi-valued User attribute (lower-cased
 * name). scimmy enforces canonical values; the bridge takes any string and stores it as sent, since a
 * service provider MAY ignore them (§2.3.1) and IdPs map their own ("Work", "business", Entra's
 * "WindowsAzureActiveDirectoryRole"). /Schemas still offers these as the suggestions they are.
 */
const suggestedTypes = new Map<string, readonly string[]>();

export const SUGGESTED_TYPES_NOTE = 'Canonical values are suggestions: any other string is accepted and stored as sent.';

/** Applies the bridge's schema changes to scimmy's registry (idempotent: the registry is process-global). */
export function configureScimSchemas(): void {
  if (configured) return;
  SCIMMY.Schemas.User.extend(SCIMMY.Schemas.EnterpriseUser as unknown as SCIMMY.Types.Schema, false);
  SCIMMY.Schemas.User.truncate('password');
  for (const attribute of SCIMMY.Schemas.User.definition.attributes) {
    if (!(attribute instanceof SCIMMY.Types.Attribute)) continue;
    const type = attribute.subAttributes?.find((sub) => sub.name === 'type');
    if (!attribute.config.multiValued || type === undefined || type.config.direction === 'out') continue;
    const { canonicalValues } = type.config;
    if (Array.isArray(canonicalValues) && canonicalValues.length > 0) suggestedTypes.set(attribute.name.toLowerCase(), [...canonicalValues]);
    type.config.canonicalValues = false;
  }
  configured = true;
}

/** The suggested canonical `type` values of a multi-valued User attribute, if RFC 7643 names any. */
export function suggestedTypeValues(attributeName: string): readonly string[] | undefined {
  configureScimSchemas();
  return suggestedTypes.get(attributeName.toLowerCase());
}

export interface ResourceSchema {
  readonly resourceType: 'User' | 'Group';
  readonly coreSchema: string;
  readonly extensions: readonly string[];
  readonly catalogue: AttributeCatalogue;
  /** Lower-cased top-level attribute name (extension URNs included) → its definition. */
  readonly topLevel: ReadonlyMap<string, ScimAttributeDefinition>;
}

/** What the edge needs of an attribute: its SCIM characteristics and sub-attributes. */
export interface ScimAttributeDefinition extends AttributeInfo {
  readonly name: string;
  readonly returned: 'always' | 'default' | 'never' | 'request';
  readonly mutability: 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
  readonly subAttributes: ReadonlyMap<string, ScimAttributeDefinition>;
}

export function userSchema(): ResourceSchema {
  configureScimSchemas();
  return describeResource('User', SCIMMY.Schemas.User.definition, USER_SCHEMA);
}

export function groupSchema(): ResourceSchema {
  configureScimSchemas();
  return describeResource('Group', SCIMMY.Schemas.Group.definition, GROUP_SCHEMA);
}

function describeResource(
  resourceType: 'User' | 'Group',
  definition: SCIMMY.Types.SchemaDefinition,
  coreSchema: string,
): ResourceSchema {
  const topLevel = new Map<string, ScimAttributeDefinition>();
  const extensions: string[] = [];
  for (const entry of definition.attributes as Array<ScimmyAttribute | SCIMMY.Types.SchemaDefinition>) {
    if (entry instanceof SCIMMY.Types.SchemaDefinition) {
      extensions.push(entry.id);
      const subAttributes = new Map(entry.attributes.map((a) => [a.name.toLowerCase(), toDefinition(a as ScimmyAttribute)]));
      topLevel.set(entry.id.toLowerCase(), {
        name: entry.id,
        type: 'complex',
        caseExact: false,
        multiValued: false,
        returned: 'default',
        mutability: 'readWrite',
        subAttributes,
      });
    } else {
      topLevel.set(entry.name.toLowerCase(), toDefinition(entry));
    }
  }
  const catalogue: AttributeCatalogue = {
    describe: (path) => lookup(topLevel, coreSchema, path),
  };
  return { resourceType, coreSchema, extensions, catalogue, topLevel };
}

function lookup(
  topLevel: ReadonlyMap<string, ScimAttributeDefinition>,
  coreSchema: string,
  path: AttributePath,
): ScimAttributeDefinition | undefined {
  let attribute: ScimAttributeDefinition | undefined;
  if (path.schema === null || path.schema.toLowerCase() === coreSchema.toLowerCase()) {
    attribute = topLevel.get(path.attribute.toLowerCase());
  } else {
    attribute = topLevel.get(path.schema.toLowerCase())?.subAttributes.get(path.attribute.toLowerCase());
  }
  if (attribute === undefined || path.subAttribute === null) return attribute;
  return attribute.subAttributes.get(path.subAttribute.toLowerCase());
}

function toDefinition(attribute: ScimmyAttribute): ScimAttributeDefinition {
  const config = attribute.config;
  return {
    name: attribute.name,
    type: attribute.type,
    caseExact: config.caseExact === true,
    multiValued: config.multiValued === true,
    returned: toReturned(config.returned),
    mutability: toMutability(config.mutable),
    subAttributes: new Map((attribute.subAttributes ?? []).map((s) => [s.name.toLowerCase(), toDefinition(s)])),
  };
}

function toReturned(value: boolean | string | undefined): ScimAttributeDefinition['returned'] {
  if (value === false || value === 'never') return 'never';
  if (value === 'always' || value === 'request') return value;
  return 'default';
}

function toMutability(value: boolean | string | undefined): ScimAttributeDefinition['mutability'] {
  if (value === false || value === 'readOnly') return 'readOnly';
  if (value === 'immutable' || value === 'writeOnly') return value;
  return 'readWrite';
}
