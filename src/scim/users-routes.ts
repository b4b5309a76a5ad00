// /Users (RFC 7644 §3.3–§3.6): list with filter and paging, get, create, replace, patch, delete.
import type { UserService, UserView } from '../core/users.js';
import { formatETag, ifNoneMatchHits, parseIfMatch } from './etag.js';
import { qualifyFilter } from './filter-qualifier.js';
import { parseListQuery, parseProjection, type PagingLimits, type Projection } from './list-parameters.js';
import { applyPatch } from './patch-applier.js';
import { splitPathless } from './patch-normaliser.js';
import { parsePatchRequest } from './patch-request.js';
import { excludesAttribute, isWholeResource, project } from './projection.js';
import { renderUser, renderUserJson, userLocation } from './resource-renderer.js';
import { parseUserAttributes } from './resource-input.js';
import { baseUrlOf, listResponseJson, originOf, sendScimJson } from './scim-response.js';
import type { ResourceSchema } from './scim-schemas.js';
import type { ScimRouteTable } from './scim-route-table.js';

export interface ResourceRoutesOptions {
  readonly basePath: string;
  readonly publicBaseUrl: string | null;
  readonly limits: PagingLimits;
}

export function registerUsersRoutes(router: ScimRouteTable, options: ResourceRoutesOptions & { users: UserService; schema: ResourceSchema }): void {
  const { users, schema, limits } = options;
  const base = (req: Parameters<typeof baseUrlOf>[0]) => baseUrlOf(req, options.publicBaseUrl, options.basePath);
  const idOf = (req: { params: Record<string, string | string[] | undefined> }) => String(req.params.id);
  const userJson = (view: UserView, url: string, projection: Projection) =>
    isWholeResource(projection) ? renderUserJson(view, url) : JSON.stringify(project(renderUser(view, url), projection, schema));

  router.get('/Users', async (req, res) => {
    const parsed = parseListQuery(req.query, limits);
    const query = parsed.filter === null ? parsed : { ...parsed, filter: qualifyFilter(parsed.filter, schema) };
    const projection = parseProjection(req.query);
    const page = await users.list(query, { withGroups: !excludesAttribute(projection, 'groups', schema) });
    const url = base(req);
    const resources = page.items.map((view) => userJson(view, url, projection));
    sendScimJson(res, 200, listResponseJson(resources, page.totalResults, query.startIndex));
  });

  router.get('/Users/:id', async (req, res) => {
    const projection = parseProjection(req.query);
    const view = await users.get(idOf(req), { withGroups: !excludesAttribute(projection, 'groups', schema) });
    res.setHeader('ETag', formatETag(view.record.version));
    if (ifNoneMatchHits(req.get('if-none-match'), view.record.version)) {
      res.status(304).end();
      return;
    }
    sendScimJson(res, 200, userJson(view, base(req), projection));
  });

  router.post('/Users', async (req, res) => {
    const projection = parseProjection(req.query);
    const view = await users.create(parseUserAttributes(req.body, schema), originOf(res));
    const url = base(req);
    res.setHeader('Location', userLocation(url, view.record.id));
    res.setHeader('ETag', formatETag(view.record.version));
    sendScimJson(res, 201, userJson(view, url, projection));
  });

  router.put('/Users/:id', async (req, res) => {
    const projection = parseProjection(req.query);
    const ifMatch = parseIfMatch(req.get('if-match'));
    const view = await users.replace(idOf(req), parseUserAttributes(req.body, schema), ifMatch, originOf(res));
    res.setHeader('ETag', formatETag(view.record.version));
    sendScimJson(res, 200, userJson(view, base(req), projection));
  });

  router.patch('/Users/:id', async (req, res) => {
    const projection = parseProjection(req.query);
    const ifMatch = parseIfMatch(req.get('if-match'));
    const operations = splitPathless(parsePatchRequest(req.body));
    const view = await users.patch(
      idOf(req),
      async (current) => parseUserAttributes(applyPatch(current.record.attributes, operations, schema), schema),
      ifMatch,
      originOf(res),
    );
    res.setHeader('ETag', formatETag(view.record.version));
    sendScimJson(res, 200, userJson(view, base(req), projection));
  });

  router.delete('/Users/:id', async (req, res) => {
    await users.delete(idOf(req), parseIfMatch(req.get('if-match')), originOf(res));
    res.status(204).end();
  });

}
