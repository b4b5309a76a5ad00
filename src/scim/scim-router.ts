// The SCIM protocol edge: our own thin Express 5 routing over scimmy (scimmy-routers is broken under
// Express 5). Every endpoint is a route of the app itself under the base path — no nested router to
// pass through on the way — guarded by authentication and, for POST/PUT/PATCH, the JSON body reader.
// Bodies as application/scim+json or application/json; every answer, errors included, SCIM JSON.
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { GroupService } from '../core/groups.js';
import type { UserService } from '../core/users.js';
import { registerDiscoveryRoutes, type AcceptedCredentials } from './discovery-routes.js';
import { registerGroupsRoutes } from './groups-routes.js';
import { registerListRoutes } from './list-routes.js';
import type { ScimRouteTable } from './scim-route-table.js';
import { ScimError } from './scim-error.js';
import { groupSchema, userSchema } from './scim-schemas.js';
import { registerUsersRoutes } from './users-routes.js';

export interface ScimRoutesOptions {
  readonly users: UserService;
  readonly groups: GroupService;
  /** Authenticates every SCIM request; calls next(error) to refuse (a 401 AuthenticationError, a 429, a 503). */
  readonly authenticate: (req: Request, res: Response, next: NextFunction) => void;
  readonly basePath: string;
  readonly publicBaseUrl: string | null;
  readonly defaultPageSize: number;
  readonly maxPageSize: number;
  readonly maxBodyBytes: number;
  /** What `authenticate` accepts, for /ServiceProviderConfig's authenticationSchemes. */
  readonly credentials: AcceptedCredentials;
}

const JSON_TYPES = ['application/scim+json', 'application/json'];

/** Registers every SCIM endpoint on `app` under the base path; anything else there is an authenticated 404. */
export function registerScimRoutes(app: Express, options: ScimRoutesOptions): void {
  if (!options.users || !options.groups || typeof options.authenticate !== 'function') {
    throw new TypeError('registerScimRoutes: users, groups and authenticate are required');
  }
  const { basePath, authenticate } = options;
  const routeOptions = { basePath, publicBaseUrl: options.publicBaseUrl };
  const limits = { defaultPageSize: options.defaultPageSize, maxPageSize: options.maxPageSize };
  const readBody = createBodyReader(options.maxBodyBytes);
  const at = (path: string) => `${basePath}${path}`;
  const table: ScimRouteTable = {
    get: (path, handler) => app.get(at(path), authenticate, handler),
    delete: (path, handler) => app.delete(at(path), authenticate, handler),
    post: (path, handler) => app.post(at(path), authenticate, readBody, handler),
    put: (path, handler) => app.put(at(path), authenticate, readBody, handler),
    patch: (path, handler) => app.patch(at(path), authenticate, readBody, handler),
  };
  const users = registerUsersRoutes(table, { ...routeOptions, users: options.users, schema: userSchema() });
  const groups = registerGroupsRoutes(table, { ...routeOptions, groups: options.groups, schema: groupSchema() });
  registerListRoutes(table, { limits, users, groups });
  registerDiscoveryRoutes(table, { ...routeOptions, maxPageSize: options.maxPageSize, credentials: options.credentials });
  app.use(basePath, authenticate, (req: Request) => {
    throw new ScimError(404, undefined, `no SCIM endpoint ${req.method} ${req.path}`);
  });
}

/**
 * Deepest JSON nesting accepted. SCIM bodies nest a handful of levels (PatchOp → operation → extension
 * → manager); far deeper ones would overflow the recursive code behind (normaliser, scimmy, JSON.stringify).
 */
export const MAX_BODY_DEPTH = 32;

/**
 * POST, PUT and PATCH must carry JSON (anything else would reach the handlers as an empty body),
 * within the size limit and nesting depth. Only those routes have it; other methods never read a body.
 */
function createBodyReader(maxBodyBytes: number) {
  const parseJson = express.json({ type: JSON_TYPES, limit: maxBodyBytes, strict: false });
  return function readBody(req: Request, res: Response, next: NextFunction): void {
    if (!req.is(JSON_TYPES)) {
      return next(new ScimError(400, 'invalidSyntax', 'the request body must be JSON, sent as application/scim+json or application/json'));
    }
    parseJson(req, res, (error?: unknown) => {
      if (error) return next(error);
      if (nestedDeeperThan(req.body, MAX_BODY_DEPTH)) {
        return next(new ScimError(400, 'invalidSyntax', `the request body is nested more than ${MAX_BODY_DEPTH} levels deep`));
      }
      next();
    });
  };
}

/** Iterative, so that the check itself cannot overflow the stack. */
function nestedDeeperThan(body: unknown, limit: number): boolean {
  const pending: Array<[unknown, number]> = [[body, 0]];
  for (let entry = pending.pop(); entry !== undefined; entry = pending.pop()) {
    const [value, depth] = entry;
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= limit) return true;
    for (const child of Object.values(value)) pending.push([child, depth + 1]);
  }
  return false;
}
