// Per-request context: a request id (a valid inbound X-Request-Id, else a new UUID) echoed back,
// a child logger carrying it, and one access-log line per request — never with headers or tokens —
// and, when given, the request's metrics observation.
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../observability/logger.js';
import type { RequestObserver } from './request-metrics.js';

const VALID_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface RequestContext {
  readonly requestId: string;
  readonly log: Logger;
}

export function requestContextOf(res: Response): RequestContext {
  return res.locals.context as RequestContext;
}

export function createRequestContext(options: { logger: Logger; observe?: RequestObserver }) {
  const { logger, observe } = options;
  if (!logger) throw new TypeError('createRequestContext: logger is required');
  // The access line has fixed fields and no secrets: it skips the redaction the base logger applies.
  const access = logger.child({}, { redact: { paths: [], censor: '[redacted]' } });
  return function requestContext(req: Request, res: Response, next: NextFunction): void {
    const inbound = req.get('x-request-id');
    const requestId = inbound !== undefined && VALID_REQUEST_ID.test(inbound) ? inbound : randomUUID();
    let log: Logger | undefined;
    res.locals.context = {
      requestId,
      // Built on first use only: most requests log nothing but their access line.
      get log() {
        log ??= logger.child({ requestId });
        return log;
      },
    } satisfies RequestContext;
    res.setHeader('X-Request-Id', requestId);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      // originalUrl: req.path is relative to whichever router was last mounted. The query (filters
      // naming users) stays out of the log.
      const query = req.originalUrl.indexOf('?');
      const path = query === -1 ? req.originalUrl : req.originalUrl.slice(0, query);
      const line = { requestId, method: req.method, path, status: res.statusCode, durationMs: Math.round(durationMs * 10) / 10 };
      if (res.statusCode >= 500) access.error(line, 'request failed');
      else access.info(line, 'request');
      observe?.(req, res, durationMs / 1000);
    });
    next();
  };
}
