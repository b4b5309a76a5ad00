// Queries (RFC 7644 §3.4.2) and searches (§3.4.3): GET /Users, GET /Groups and GET on the root,
// and their POST `/.search` twins, whose SearchRequest body is read as the GET's parameters. At the
// root both resource types are listed, Users first, as one page: an attribute a type does not define
// has no value there (§3.4.2.1), and a type the filter excludes outright is not read at all.
import type { Request, Response } from 'express';
import { withUndefinedAbsent } from '../core/filter/undefined-attributes.js';
import type { ListQuery } from '../core/resource-query.js';
import { qualifyFilter } from './filter-qualifier.js';
import { parseListQuery, parseProjection, type PagingLimits } from './list-parameters.js';
import type { ResourceListing } from './resource-listing.js';
import { sendListResponse, type ResourcePage } from './scim-response.js';
import type { ScimRouteTable } from './scim-route-table.js';
import { searchRequestQuery } from './search-request.js';

export interface ListRoutesOptions {
  readonly limits: PagingLimits;
  readonly users: ResourceListing;
  readonly groups: ResourceListing;
}

type Parameters = Record<string, unknown>;

export function registerListRoutes(router: ScimRouteTable, options: ListRoutesOptions): void {
  const { limits, users, groups } = options;

  /** One resource type's page for `parameters`, its filter qualified for that type's extensions. */
  async function typePage(listing: ResourceListing, req: Request, parameters: Parameters): Promise<{ page: ResourcePage; startIndex: number }> {
    const parsed = parseListQuery(parameters, limits);
    const query = parsed.filter === null ? parsed : { ...parsed, filter: qualifyFilter(parsed.filter, listing.schema) };
    return { page: await listing.page(req, query, parseProjection(parameters)), startIndex: query.startIndex };
  }

  async function rootPage(req: Request, parameters: Parameters): Promise<{ page: ResourcePage; startIndex: number }> {
    const parsed = parseListQuery(parameters, limits);
    const projection = parseProjection(parameters);
    const pages: ResourcePage[] = [];
    let before = 0;
    let remaining = parsed.count;
    for (const listing of [users, groups]) {
      const filter = parsed.filter === null ? true : withUndefinedAbsent(qualifyFilter(parsed.filter, listing.schema), listing.schema.catalogue);
      if (filter === false) continue;
      const page = await listing.page(req, typeQuery(parsed, filter, before, remaining), projection);
      pages.push(page);
      before += page.totalResults;
      remaining -= page.itemsPerPage;
    }
    return { page: joinPages(pages), startIndex: parsed.startIndex };
  }

  const answer = (find: (req: Request, parameters: Parameters) => Promise<{ page: ResourcePage; startIndex: number }>, fromBody: boolean) =>
    async (req: Request, res: Response): Promise<void> => {
      const { page, startIndex } = await find(req, fromBody ? searchRequestQuery(req.body) : req.query);
      await sendListResponse(res, page, startIndex);
    };
  const ofType = (listing: ResourceListing) => (req: Request, parameters: Parameters) => typePage(listing, req, parameters);

  router.get('/Users', answer(ofType(users), false));
  router.post('/Users/.search', answer(ofType(users), true));
  router.get('/Groups', answer(ofType(groups), false));
  router.post('/Groups/.search', answer(ofType(groups), true));
  router.get('/', answer(rootPage, false));
  router.post('/.search', answer(rootPage, true));
}

/** The part of the root page that falls to one type, after `before` resources of the types listed first. */
function typeQuery(parsed: ListQuery, filter: Exclude<ReturnType<typeof withUndefinedAbsent>, false>, before: number, remaining: number): ListQuery {
  return {
    filter: filter === true ? null : filter,
    startIndex: Math.max(0, parsed.startIndex - 1 - before) + 1,
    count: Math.max(0, remaining),
  };
}

function joinPages(pages: readonly ResourcePage[]): ResourcePage {
  async function* resources(): AsyncGenerator<Iterable<string>> {
    for (const page of pages) yield* page.resources;
  }
  return {
    totalResults: pages.reduce((sum, page) => sum + page.totalResults, 0),
    itemsPerPage: pages.reduce((sum, page) => sum + page.itemsPerPage, 0),
    resources: resources(),
    chunked: pages.some((page) => page.chunked),
  };
}
