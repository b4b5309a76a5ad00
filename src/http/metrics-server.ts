// The separate metrics listener (METRICS_PORT): GET /metrics on HOST and nothing else — every other
// request is a 404 error (the bridge's one error format) — so the port can stay inside the cluster while the main one is public.
// The listener has the main server's hardening (server-hardening.ts): timeouts, SCIM JSON for requests
// Node cannot parse.
import { once } from 'node:events';
import type { Server } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { createAppServer } from './app-server.js';
import { createErrorHandler } from './error-handler.js';
import { HttpError } from './http-error.js';
import { createMetricsHandler } from './metrics-endpoint.js';
import { createFrontDoor } from './front-door.js';
import { trackForDrain } from './server-drain.js';
import { hardenServer } from './server-hardening.js';

export interface MetricsServer {
  /** The port it listens on (the configured one, or the one the OS chose for 0). */
  readonly port: number;
  close(): Promise<void>;
}

export async function startMetricsServer(options: {
  readonly host: string;
  readonly port: number;
  readonly metrics: Pick<Metrics, 'render'>;
  readonly token: string | null;
  readonly logger: Logger;
}): Promise<MetricsServer> {
  const logger = options.logger.child({ component: 'metrics' });
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(createFrontDoor({ logger, allow: null }));
  app.get('/metrics', createMetricsHandler({ metrics: options.metrics, token: options.token }));
  app.use((req: Request, _res: Response, next: NextFunction) => {
    next(new HttpError(404, `nothing at ${req.method} ${req.path}; this port serves GET /metrics only`));
  });
  app.use(createErrorHandler());
  const server: Server = createAppServer(app).listen(options.port, options.host);
  hardenServer(server, { logger });
  const drain = trackForDrain(server);
  await Promise.race([once(server, 'listening'), once(server, 'error').then(([error]) => Promise.reject(error as Error))]);
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  return {
    port,
    // A scrape in flight finishes; no keep-alive connection is left open after it.
    close: () => drain.drain(),
  };
}
