// GET /metrics: the Prometheus text exposition format, behind METRICS_TOKEN when one is configured
// (`Authorization: Bearer <token>`, compared in constant time; a refusal is a 401 SCIM error). Served
// on the main app or on the separate metrics listener (metrics-server.ts).
import type { NextFunction, Request, Response } from 'express';
import type { Metrics } from '../observability/metrics.js';
import { HttpError } from './http-error.js';
import { secretsEqual } from './secret-compare.js';

const BEARER = /^Bearer[ ]+(\S+)\s*$/i;

export function createMetricsHandler(options: { readonly metrics: Pick<Metrics, 'render'>; readonly token: string | null }) {
  const { metrics, token } = options;
  return async function metricsEndpoint(req: Request, res: Response, next: NextFunction): Promise<void> {
    if (token !== null) {
      const presented = BEARER.exec(req.get('authorization') ?? '')?.[1];
      if (presented === undefined || !secretsEqual(presented, token)) {
        const challenge = presented === undefined ? 'Bearer realm="metrics"' : 'Bearer realm="metrics", error="invalid_token"';
        return next(new HttpError(401, 'the metrics endpoint requires its bearer token', { headers: { 'WWW-Authenticate': challenge } }));
      }
    }
    const { contentType, text } = await metrics.render();
    res.setHeader('Content-Type', contentType);
    res.setHeader('Cache-Control', 'no-store');
    res.send(text);
  };
}
