// createApp(deps): Express wiring only — the front door (request context, security headers, OPTIONS
// answers, access log, request metrics), the SCIM routes behind authentication (and the per-client
// rate limit), ops routes, the admin routes (operator credentials), the operator console, and JSON
// answers for everything else (never HTML).
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { ClientRateLimitConfig, MetricsConfig } from './config.js';
import type { AdminService } from './core/admin.js';
import type { GroupService } from './core/groups.js';
import type { UserService } from './core/users.js';
import { createConsole } from './console/console-routes.js';
import type { ConsoleDeps } from './console/console-deps.js';
import type { AccessChain } from './core/access/access-chain.js';
import { createAdminRoutes } from './http/admin-routes.js';
import { createOperatorAuth } from './http/operator-auth.js';
import { createBearerAuth } from './http/bearer-auth.js';
import { createClientRateLimit } from './http/client-rate-limit.js';
import type { JwtVerifier } from './http/jwt-verifier.js';
import { createFrontDoor } from './http/front-door.js';
import { ALLOWED_METHODS } from './http/options-requests.js';
import { createErrorHandler, HttpError } from './http/index.js';
import { registerOpsRoutes } from './http/ops-routes.js';
import { createRequestMetrics } from './http/request-metrics.js';
import type { Logger } from './observability/logger.js';
import type { Metrics } from './observability/metrics.js';
import type { Readiness } from './observability/readiness.js';
import type { Store } from './ports/store.js';
import { registerScimRoutes, toScimError } from './scim/index.js';

export interface AppDeps {
  readonly logger: Logger;
  readonly store: Store;
  readonly users: UserService;
  readonly groups: GroupService;
  readonly admin: AdminService;
  /** Why a person has their Dynatrace access (GET /admin/users/{id}/access, the console). */
  readonly access: AccessChain;
  readonly scimTokens: readonly string[];
  readonly scimBasePath: string;
  readonly publicBaseUrl: string | null;
  readonly defaultPageSize: number;
  readonly maxPageSize: number;
  readonly maxBodyBytes: number;
  /** OAuth 2.0 bearer JWTs accepted alongside the static tokens; null = static tokens only. */
  readonly jwtVerifier: JwtVerifier | null;
  /** Requests per client (per credential; per address for failed authentication); null = unlimited. */
  readonly clientRateLimit: ClientRateLimitConfig | null;
  /** Monotonic milliseconds for the per-client rate limit. */
  readonly clientRateLimitClock: () => number;
  /** Express `trust proxy`: which peers' X-Forwarded-For/-Proto are believed (req.ip, req.secure). */
  readonly trustProxy: boolean | number | readonly string[];
  /** What /readyz checks. */
  readonly readiness: Readiness;
  /** Null when METRICS_ENABLED=false. */
  readonly metrics: Metrics | null;
  /** METRICS_PORT (null: /metrics on this app) and METRICS_TOKEN. */
  readonly metricsConfig: MetricsConfig;
  /** Operator bearer tokens: /admin and the console's sign-in form. */
  readonly adminTokens: readonly string[];
  /** Whether the SCIM credentials (static tokens and JWTs) also open /admin (ADMIN_ACCEPTS_SCIM_TOKEN). */
  readonly scimTokenOpensAdmin: boolean;
  readonly console: ConsoleDeps;
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.set('trust proxy', deps.trustProxy);
  const { metrics } = deps;
  const observe = metrics === null ? undefined : createRequestMetrics({ record: metrics.httpRequest, mounts: ['/admin'] });
  app.use(createFrontDoor({ logger: deps.logger, observe, allow: ALLOWED_METHODS }));
  const bearerAuth = createBearerAuth({ tokens: deps.scimTokens, jwt: deps.jwtVerifier });
  // One limit for SCIM and /admin: a failing address is refused on both.
  const rateLimit = deps.clientRateLimit === null ? null : createClientRateLimit({ limit: deps.clientRateLimit, now: deps.clientRateLimitClock });
  const authenticate = rateLimit === null ? bearerAuth : rateLimit(bearerAuth);
  // SCIM first: an IdP's requests are nearly all of the traffic.
  registerScimRoutes(app, {
    users: deps.users,
    groups: deps.groups,
    authenticate,
    basePath: deps.scimBasePath,
    publicBaseUrl: deps.publicBaseUrl,
    defaultPageSize: deps.defaultPageSize,
    maxPageSize: deps.maxPageSize,
    maxBodyBytes: deps.maxBodyBytes,
    credentials: { staticTokens: deps.scimTokens.length > 0, jwt: deps.jwtVerifier !== null },
  });
  registerOpsRoutes(app, {
    readiness: deps.readiness,
    metrics: metrics !== null && deps.metricsConfig.port === null ? { metrics, token: deps.metricsConfig.token } : null,
  });
  const operatorAuth = createOperatorAuth({
    adminTokens: deps.adminTokens,
    scim: deps.scimTokenOpensAdmin ? { tokens: deps.scimTokens, jwt: deps.jwtVerifier } : null,
  });
  const authenticateOperator = rateLimit === null ? operatorAuth : rateLimit(operatorAuth);
  app.use('/admin', createAdminRoutes({ admin: deps.admin, access: deps.access, authenticate: authenticateOperator }));
  app.use('/console', createConsole({ deps: deps.console, admin: deps.admin, adminTokens: deps.adminTokens, ...(rateLimit === null ? {} : { rateLimit }) }));
  app.use((req: Request, _res: Response, next: NextFunction) => {
    next(new HttpError(404, `nothing at ${req.method} ${req.path}`));
  });
  app.use(createErrorHandler({ translate: toScimError }));
  return app;
}
