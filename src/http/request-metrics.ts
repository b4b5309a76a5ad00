// HTTP request metrics: each finished request becomes one observation labelled with its route
// template — the mount the app gave the route's router (SCIM base path, /admin; from configuration,
// not from the request) followed by the matched route's pattern, e.g. `/scim/v2/Users/:id` — never
// the raw path, whose segments name users and groups. A request no route matched is `unmatched`.
import type { Request, Response } from 'express';
import type { HttpRequestObservation } from '../observability/metrics.js';

const UNMATCHED_ROUTE = 'unmatched';

export type RequestObserver = (req: Request, res: Response, seconds: number) => void;

export function createRequestMetrics(options: {
  readonly record: (request: HttpRequestObservation) => void;
  /** Where the app mounts routers, e.g. ['/scim/v2', '/admin']; routes outside them are the app's own. */
  readonly mounts: readonly string[];
}): RequestObserver {
  const { record } = options;
  // Longest first, so that a mount inside another one wins.
  const mounts = [...options.mounts].sort((a, b) => b.length - a.length).map((template) => ({ template, lower: template.toLowerCase() }));
  return function observeRequest(req: Request, res: Response, seconds: number): void {
    record({ method: req.method, route: routeTemplate(req), status: res.statusCode, seconds });
  };

  function routeTemplate(req: Request): string {
    const pattern = (req.route as { path?: unknown } | undefined)?.path;
    if (typeof pattern !== 'string') return UNMATCHED_ROUTE;
    // Routers match case-insensitively; an absolute-form request target starts with scheme and host.
    const path = (req.originalUrl.split('?', 1)[0] ?? '').replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '').toLowerCase();
    const mount = mounts.find((m) => path === m.lower || path.startsWith(`${m.lower}/`));
    return `${mount?.template ?? ''}${pattern}`;
  }
}
