// Authenticated operator endpoints (JSON): /admin/status, /admin/audit, /admin/reconcile,
// /admin/sync/retry-failed, /admin/mapping/reload and /admin/users/{id}/access (why a person has their
// Dynatrace access). Operator credentials (operator-auth.ts).
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { AccessChain } from '../core/access/access-chain.js';
import type { AdminService } from '../core/admin.js';
import { HttpError } from './http-error.js';

/**
 * Largest JSON body /admin accepts, fixed: no admin endpoint reads a body, so this only bounds what a
 * client may make the server parse, and raising SCIM_MAX_BODY_BYTES for large groups must not raise it.
 */
const ADMIN_MAX_BODY_BYTES = 16_384;

export function createAdminRoutes(options: {
  readonly admin: AdminService;
  readonly access: AccessChain;
  readonly authenticate: (req: Request, res: Response, next: NextFunction) => void;
}): Router {
  const { admin } = options;
  const router = Router();
  router.use(options.authenticate);
  router.use(express.json({ limit: ADMIN_MAX_BODY_BYTES }));

  router.get('/status', async (_req, res) => {
    res.json(await admin.status());
  });

  router.get('/audit', async (req, res) => {
    const offset = boundedInteger(req.query.offset, 0, 0, Number.MAX_SAFE_INTEGER);
    const limit = boundedInteger(req.query.limit, 100, 1, 1000);
    const page = await admin.audit({ offset, limit });
    res.json({ offset, limit, total: page.total, entries: page.entries });
  });

  router.post('/reconcile', async (req, res) => {
    const dryRun = req.query.dryRun === 'true' || req.query.dryRun === '1';
    res.json(await admin.reconcile({ dryRun }));
  });

  router.post('/sync/retry-failed', async (_req, res) => {
    res.json({ retried: await admin.retryFailed() });
  });

  router.get('/users/:id/access', async (req, res) => {
    const access = await options.access.forUser(req.params.id as string);
    if (access === null) throw new HttpError(404, `no SCIM user with id "${req.params.id as string}"`);
    res.json(access);
  });

  router.post('/mapping/reload', async (_req, res) => {
    res.json(await admin.reloadMapping());
  });

  return router;
}

/** A query integer within bounds; absent → fallback; malformed → 400. */
function boundedInteger(value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  const text = String(value);
  if (!/^\d{1,15}$/.test(text)) throw new HttpError(400, `expected a whole number, got "${text}"`, { type: 'invalidValue' });
  return Math.min(max, Math.max(min, Number(text)));
}
