// /Users (RFC 7644 §3.3–§3.6): list with filter and paging, get, create, replace, patch, delete;
// a known enterprise manager is answered with its $ref and displayName (RFC 7643 §4.3).
import type { Request, Response } from 'express';
import type { UserService, UserView } from '../core/users.js';
import { formatETag, ifNoneMatchHits, parseIfMatch } from './etag.js';
import { parseProjection, type Projection } from './list-parameters.js';
import type { ResourceListing } from './resource-listing.js';
import { applyPatch } from './patch-applier.js';
import { splitPathless } from './patch-normaliser.js';
import { parsePatchRequest } from './patch-request.js';
import { excludesAttribute, isWholeResource, project } from './projection.js';
import { managerIdOf, renderUser, renderUserJson, userLocation, type KnownManagers } from './resource-renderer.js';
import { parseUserAttributes } from './resource-input.js';
import { baseUrlOf, originOf, sendScimJson } from './scim-response.js';
import type { ResourceSchema } from './scim-schemas.js';
import type { ScimRouteTable } from './scim-route-table.js';

export interface ResourceRoutesOptions {
  readonly basePath: string;
  readonly publicBaseUrl: string | null;
}

/** Registers /Users and /Users/{id}; the list (GET /Users, searches) is answered through the listing it returns. */
export function registerUsersRoutes(router: ScimRouteTable, options: ResourceRoutesOptions & { users: UserService; schema: ResourceSchema }): ResourceListing {
  const { users, schema } = options;
  const base = (req: Parameters<typeof baseUrlOf>[0]) => baseUrlOf(req, options.publicBaseUrl, options.basePath);
  const idOf = (req: { params: Record<string, string | string[] | undefined> }) => String(req.params.id);
  const userJson = (view: UserView, url: string, projection: Projection, managers: KnownManagers) =>
    isWholeResource(projection) ? renderUserJson(view, url, managers) : JSON.stringify(project(renderUser(view, url, managers), projection, schema));
  /** The managers these users name that exist: read only when some user has a manager. */
  const managersOf = async (views: readonly UserView[]): Promise<KnownManagers> => {
    const ids = views.map((view) => managerIdOf(view.record)).filter((id): id is string => id !== null);
    return ids.length === 0 ? new Map() : users.displayNames(ids);
  };
  const answer = async (req: Request, res: Response, status: number, view: UserView, projection: Projection): Promise<void> =>
    sendScimJson(res, status, userJson(view, base(req), projection, await managersOf([view])));

  router.get('/Users/:id', async (req, res) => {
    const projection = parseProjection(req.query);
    const view = await users.get(idOf(req), { withGroups: !excludesAttribute(projection, 'groups', schema) });
    res.setHeader('ETag', formatETag(view.record.version));
    if (ifNoneMatchHits(req.get('if-none-match'), view.record.version)) {
      res.status(304).end();
      return;
    }
    await answer(req, res, 200, view, projection);
  });

  router.post('/Users', async (req, res) => {
    const projection = parseProjection(req.query);
    const view = await users.create(parseUserAttributes(req.body, schema), originOf(res));
    res.setHeader('Location', userLocation(base(req), view.record.id));
    res.setHeader('ETag', formatETag(view.record.version));
    await answer(req, res, 201, view, projection);
  });

  router.put('/Users/:id', async (req, res) => {
    const projection = parseProjection(req.query);
    const ifMatch = parseIfMatch(req.get('if-match'));
    const view = await users.replace(idOf(req), parseUserAttributes(req.body, schema), ifMatch, originOf(res));
    res.setHeader('ETag', formatETag(view.record.version));
    await answer(req, res, 200, view, projection);
  });

  router.patch('/Users/:id', async (req, res) => {
    const projection = parseProjection(req.query);
    const ifMatch = parseIfMatch(req.get('if-match'));
    const operations = splitPathless(parsePatchRequest(req.body), schema.coreSchema);
    const view = await users.patch(
      idOf(req),
      async (current) => parseUserAttributes(applyPatch(current.record.attributes, operations, schema), schema),
      ifMatch,
      originOf(res),
    );
    res.setHeader('ETag', formatETag(view.record.version));
    await answer(req, res, 200, view, projection);
  });

  router.delete('/Users/:id', async (req, res) => {
    await users.delete(idOf(req), parseIfMatch(req.get('if-match')), originOf(res));
    res.status(204).end();
  });

  return {
    schema,
    async page(req, query, projection) {
      const page = await users.list(query, { withGroups: !excludesAttribute(projection, 'groups', schema) });
      const url = base(req);
      const managers = await managersOf(page.items);
      return {
        totalResults: page.totalResults,
        itemsPerPage: page.items.length,
        resources: page.items.map((view) => [userJson(view, url, projection, managers)]),
        chunked: false,
      };
    },
  };
}
