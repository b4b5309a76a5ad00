// HTTP request metrics: each finished request becomes one observation labelled with its route
// template — the matched route's pattern, e.g. `/scim/v2/Users/:id` (SCIM routes are the app's own,
// with the configured base path), behind the mount the app gave its router when it has one (`/admin`,
// from configuration, not from the request) — never the raw path, whose segments name users and
// groups. A request no route matched is `unmatched`.
import type { Request, Response } from 'express';
import type { HttpRequestObservation } from '../observability/metrics.js';

const UNMATCHED_ROUTE = 'unmatched';

export type RequestObserver = (req: Request, res: Response, seconds: number) => void;

export function createRequestMetrics(options: {
  readonly record: (request: HttpRequestObservation) => void;
  /** Where the app mounts routers, e.g. ['/admin']; routes outside them are the app's own. */
  readonly mounts: readonly string[];
}): RequestObserver {
  const { record } = options;
  const mounts = new Map(options.mounts.map((template) => [template.toLowerCase(), template]));
  return function observeRequest(req: Request, res: Response, seconds: number): void {
    record({ method: req.method, route: routeTemplate(req), status: res.statusCode, seconds });
  };

  function routeTemplate(req: Request): string {
    const pattern = (req.route as { path?: unknown } | undefined)?.path;
    if (typeof pattern !== 'string') return UNMATCHED_ROUTE;
    // req.baseUrl is the mount as the client spelled it (routers match case-insensitively): the label uses the configured one.
    if (req.baseUrl === '') return pattern;
    const mount = mounts.get(req.baseUrl.toLowerCase());
    return mount === undefined ? UNMATCHED_ROUTE : `${mount}${pattern}`;
  }
}
