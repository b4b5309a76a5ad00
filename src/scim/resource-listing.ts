// What the list endpoints need of one resource type (RFC 7644 §3.4.2): its schema, and a page of its
// resources rendered for a query already parsed and qualified for it.
import type { Request } from 'express';
import type { ListQuery } from '../core/resource-query.js';
import type { Projection } from './list-parameters.js';
import type { ResourcePage } from './scim-response.js';
import type { ResourceSchema } from './scim-schemas.js';

export interface ResourceListing {
  readonly schema: ResourceSchema;
  page(req: Request, query: ListQuery, projection: Projection): Promise<ResourcePage>;
}
