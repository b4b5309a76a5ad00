// Unauthenticated operations endpoints: /healthz (the process is alive: it answers without looking
// at anything), /readyz (it can do its work: store, Dynatrace token, mapping — observability/
// readiness.ts; 503 names each check's state, never an error text; 503 `draining` once shutdown has
// begun, while /healthz still answers 200) and, when metrics are served on the main port, /metrics
// (behind its own token when METRICS_TOKEN is set). Registered as plain routes, so SCIM requests do
// not pass through a router of their own first.
import type { Express, Request, Response } from 'express';
import type { Metrics } from '../observability/metrics.js';
import type { Readiness } from '../observability/readiness.js';
import { createMetricsHandler } from './metrics-endpoint.js';

export function registerOpsRoutes(
  app: Express,
  options: {
    readonly readiness: Readiness;
    /** /metrics on this app; null when metrics are disabled or served on their own port. */
    readonly metrics: { readonly metrics: Pick<Metrics, 'render'>; readonly token: string | null } | null;
  },
): void {
  const { readiness } = options;
  app.get('/healthz', (_req: Request, res: Response) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req: Request, res: Response) => {
    const report = await readiness.check();
    res.setHeader('Cache-Control', 'no-store');
    const status = report.draining ? 'draining' : report.ready ? 'ready' : 'not ready';
    res.status(report.ready ? 200 : 503).json({ status, checks: report.checks });
  });
  if (options.metrics !== null) app.get('/metrics', createMetricsHandler(options.metrics));
}
