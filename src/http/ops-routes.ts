// Unauthenticated operations routes: /healthz (the process is alive) and /readyz (it can serve:
// the store answers). The only routes without a token.
import { Router } from 'express';
import type { Store } from '../ports/store.js';

export function createOpsRoutes(options: { store: Store }): Router {
  const { store } = options;
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    try {
      await store.ping();
      res.json({ status: 'ready', checks: { store: 'ok' } });
    } catch {
      res.status(503).json({ status: 'not ready', checks: { store: 'unavailable' } });
    }
  });
  return router;
}
