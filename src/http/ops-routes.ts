// Unauthenticated operations endpoints: /healthz (the process is alive) and /readyz (it can serve:
// the store answers). The only routes without a token; registered as plain routes, so SCIM
// requests do not pass through a router of their own first.
import type { Express, Request, Response } from 'express';
import type { Store } from '../ports/store.js';

export function registerOpsRoutes(app: Express, options: { store: Store }): void {
  const { store } = options;
  app.get('/healthz', (_req: Request, res: Response) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req: Request, res: Response) => {
    try {
      await store.ping();
      res.json({ status: 'ready', checks: { store: 'ok' } });
    } catch {
      res.status(503).json({ status: 'not ready', checks: { store: 'unavailable' } });
    }
  });
}
