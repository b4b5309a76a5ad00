// createApp(deps): Express wiring only — request context, ops routes, the admin routes, the SCIM
// router under its base path, and JSON answers for everything else (never an HTML page).
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { AdminService } from './core/admin.js';
import type { GroupService } from './core/groups.js';
import type { UserService } from './core/users.js';
import { createAdminRoutes } from './http/admin-routes.js';
import { createBearerAuth } from './http/bearer-auth.js';
import { registerOpsRoutes } from './http/ops-routes.js';
import { createRequestContext } from './http/request-context.js';
import type { Logger } from './observability/logger.js';
import type { Store } from './ports/store.js';
import { ScimError } from './scim/scim-error.js';
import { createScimRouter, scimErrorHandler } from './scim/scim-router.js';

export interface AppDeps {
  readonly logger: Logger;
  readonly store: Store;
  readonly users: UserService;
  readonly groups: GroupService;
  readonly admin: AdminService;
  readonly scimTokens: readonly string[];
  readonly scimBasePath: string;
  readonly publicBaseUrl: string | null;
  readonly defaultPageSize: number;
  readonly maxPageSize: number;
  readonly maxBodyBytes: number;
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use(createRequestContext({ logger: deps.logger }));
  registerOpsRoutes(app, { store: deps.store });
  const authenticate = createBearerAuth({ tokens: deps.scimTokens });
  app.use('/admin', createAdminRoutes({ admin: deps.admin, authenticate }));
  app.use(
    deps.scimBasePath,
    createScimRouter({
      users: deps.users,
      groups: deps.groups,
      authenticate,
      basePath: deps.scimBasePath,
      publicBaseUrl: deps.publicBaseUrl,
      defaultPageSize: deps.defaultPageSize,
      maxPageSize: deps.maxPageSize,
      maxBodyBytes: deps.maxBodyBytes,
    }),
  );
  app.use((req: Request, _res: Response, next: NextFunction) => {
    next(new ScimError(404, undefined, `nothing at ${req.method} ${req.path}`));
  });
  app.use(scimErrorHandler);
  return app;
}
