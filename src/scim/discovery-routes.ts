// Discovery endpoints (RFC 7644 §4): /ServiceProviderConfig tells the truth about what is
// implemented (PATCH, filter, ETag: yes; Bulk, sort, password change: no); /ResourceTypes; /Schemas.
import { Router } from 'express';
import SCIMMY from 'scimmy';
import type { JsonObject } from '../ports/json.js';
import { ScimError } from './scim-error.js';
import { baseUrlOf, listResponse, sendScim } from './scim-response.js';
import { configureScimSchemas, ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA } from './scim-schemas.js';

const SPC_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';
const RESOURCE_TYPE_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';

export interface DiscoveryOptions {
  readonly basePath: string;
  readonly publicBaseUrl: string | null;
  readonly maxPageSize: number;
}

export function createDiscoveryRoutes(options: DiscoveryOptions): Router {
  configureScimSchemas();
  const router = Router();
  const base = (req: Parameters<typeof baseUrlOf>[0]) => baseUrlOf(req, options.publicBaseUrl, options.basePath);

  router.get('/ServiceProviderConfig', (req, res) => {
    sendScim(res, 200, serviceProviderConfig(base(req), options.maxPageSize));
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

  return router;
}

function serviceProviderConfig(base: string, maxPageSize: number): JsonObject {
  return {
    schemas: [SPC_SCHEMA],
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: maxPageSize },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: true },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'OAuth Bearer Token',
        description: 'A static bearer token in the Authorization header (Authorization: Bearer <token>)',
        specUri: 'https://www.rfc-editor.org/rfc/rfc6750',
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${base}/ServiceProviderConfig` },
  };
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
  return [SCIMMY.Schemas.User, SCIMMY.Schemas.EnterpriseUser, SCIMMY.Schemas.Group].map(
    (schema) => JSON.parse(JSON.stringify(schema.definition.describe(`${base}/Schemas`))) as JsonObject,
  );
}
