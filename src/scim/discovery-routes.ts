// Discovery endpoints (RFC 7644 §4): /ServiceProviderConfig tells the truth about what is
// implemented (PATCH, filter, ETag: yes; Bulk, sort, password change: no) and about the credentials
// accepted (static bearer tokens, OAuth 2.0 JWT access tokens: whichever are configured); /ResourceTypes; /Schemas.
import SCIMMY from 'scimmy';
import type { JsonObject } from '../ports/json.js';
import { ScimError } from './scim-error.js';
import { baseUrlOf, listResponse, sendScim } from './scim-response.js';
import type { ScimRouteTable } from './scim-route-table.js';
import { configureScimSchemas, ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, suggestedTypeValues, SUGGESTED_TYPES_NOTE, USER_SCHEMA } from './scim-schemas.js';

const SPC_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';
const RESOURCE_TYPE_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';

/** The bearer credentials the bridge accepts, as /ServiceProviderConfig advertises them. */
export interface AcceptedCredentials {
  /** SCIM_TOKENS (or the generated token). */
  readonly staticTokens: boolean;
  /** OAuth 2.0 access tokens that are JWTs (JWT_*). */
  readonly jwt: boolean;
}

export interface DiscoveryOptions {
  readonly basePath: string;
  readonly publicBaseUrl: string | null;
  readonly maxPageSize: number;
  readonly credentials: AcceptedCredentials;
}

export function registerDiscoveryRoutes(router: ScimRouteTable, options: DiscoveryOptions): void {
  configureScimSchemas();
  const base = (req: Parameters<typeof baseUrlOf>[0]) => baseUrlOf(req, options.publicBaseUrl, options.basePath);

  router.get('/ServiceProviderConfig', (req, res) => {
    sendScim(res, 200, serviceProviderConfig(base(req), options.maxPageSize, options.credentials));
  });

  router.get('/ResourceTypes', (req, res) => {
    const types = resourceTypes(base(req));
    sendScim(res, 200, listResponse(types, types.length, 1));
  });

  router.get('/ResourceTypes/:name', (req, res) => {
    const found = resourceTypes(base(req)).find((t) => t.id === req.params.name);
    if (!found) throw new ScimError(404, undefined, `ResourceType ${req.params.name} not found`);
    sendScim(res, 200, found);
  });

  router.get('/Schemas', (req, res) => {
    const all = schemas(base(req));
    sendScim(res, 200, listResponse(all, all.length, 1));
  });

  router.get('/Schemas/:id', (req, res) => {
    const found = schemas(base(req)).find((s) => s.id === req.params.id);
    if (!found) throw new ScimError(404, undefined, `Schema ${req.params.id} not found`);
    sendScim(res, 200, found);
  });
}

function serviceProviderConfig(base: string, maxPageSize: number, credentials: AcceptedCredentials): JsonObject {
  return {
    schemas: [SPC_SCHEMA],
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: maxPageSize },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: true },
    authenticationSchemes: authenticationSchemes(credentials),
    meta: { resourceType: 'ServiceProviderConfig', location: `${base}/ServiceProviderConfig` },
  };
}

const RFC_6750 = 'https://www.rfc-editor.org/info/rfc6750';

/**
 * RFC 7643 §5: both kinds are sent as `Authorization: Bearer <token>` (RFC 6750), hence type
 * `oauthbearertoken` for each; a configured JWT issuer is the preferred (primary) one.
 */
function authenticationSchemes(credentials: AcceptedCredentials): JsonObject[] {
  const schemes: JsonObject[] = [];
  if (credentials.jwt) {
    schemes.push({
      type: 'oauthbearertoken',
      name: 'OAuth 2.0 Bearer Token (JWT)',
      description: 'An OAuth 2.0 access token that is a JWT (RFC 9068) from the configured issuer, in the Authorization header (Authorization: Bearer <token>)',
      specUri: RFC_6750,
      primary: true,
    });
  }
  if (credentials.staticTokens) {
    schemes.push({
      type: 'oauthbearertoken',
      name: 'Static Bearer Token',
      description: 'A static bearer token in the Authorization header (Authorization: Bearer <token>)',
      specUri: RFC_6750,
      primary: !credentials.jwt,
    });
  }
  return schemes;
}

function resourceTypes(base: string): JsonObject[] {
  return [
    {
      schemas: [RESOURCE_TYPE_SCHEMA],
      id: 'User',
      name: 'User',
      endpoint: '/Users',
      description: 'User Account',
      schema: USER_SCHEMA,
      schemaExtensions: [{ schema: ENTERPRISE_USER_SCHEMA, required: false }],
      meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/User` },
    },
    {
      schemas: [RESOURCE_TYPE_SCHEMA],
      id: 'Group',
      name: 'Group',
      endpoint: '/Groups',
      description: 'Group',
      schema: GROUP_SCHEMA,
      meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/Group` },
    },
  ];
}

function schemas(base: string): JsonObject[] {
  return [SCIMMY.Schemas.User, SCIMMY.Schemas.EnterpriseUser, SCIMMY.Schemas.Group].map((schema) => {
    const described = JSON.parse(JSON.stringify(schema.definition.describe(`${base}/Schemas`))) as JsonObject;
    if (described.id === USER_SCHEMA) describeSuggestedTypes(described);
    return described;
  });
}

/** Each free `type` says so, with RFC 7643's suggestions as its canonicalValues (§7: "suggested canonical values"). */
function describeSuggestedTypes(userSchema: JsonObject): void {
  for (const attribute of userSchema.attributes as JsonObject[]) {
    const type = (attribute.subAttributes as JsonObject[] | undefined)?.find((sub) => sub.name === 'type');
    if (type === undefined || type.mutability === 'readOnly') continue;
    const suggested = suggestedTypeValues(String(attribute.name));
    if (suggested !== undefined) type.canonicalValues = [...suggested];
    type.description = `${String(type.description)} ${SUGGESTED_TYPES_NOTE}`;
  }
}
