// The front door: the one middleware every request passes before routing. It opens the request's
// context (request-context), writes the security headers, answers OPTIONS when the app does, and —
// from one finish handler shared by every response, so nothing is allocated for it per request —
// writes the access line (never headers, tokens or the query, whose filters name users) and hands
// the request to the metrics observer. An Expect it cannot meet is refused here, as an error. One middleware rather than a chain of them: every request
// pays for what runs here.
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../observability/logger.js';
import { answerOptions } from './options-requests.js';
import { openRequestContext, requestContextOf } from './request-context.js';
import type { RequestObserver } from './request-metrics.js';
import { HttpError } from './http-error.js';
import { writeSecurityHeaders } from './security-headers.js';

export interface FrontDoorOptions {
  readonly logger: Logger;
  /** Told of every finished request; absent when metrics are off. */
  readonly observe?: RequestObserver;
  /** The `Allow` answer to OPTIONS requests; null = OPTIONS are routed like any other method. */
  readonly allow: string | null;
}

export function createFrontDoor(options: FrontDoorOptions) {
  const { logger, observe, allow } = options;
  if (!logger) throw new TypeError('createFrontDoor: logger is required');
  // The access line has fixed fields and no secrets: it skips the redaction the base logger applies.
  const access = logger.child({}, { redact: { paths: [], censor: '[redacted]' } });

  function onFinish(this: Response): void {
    const { req, statusCode } = this;
    const context = requestContextOf(this);
    const seconds = (performance.now() - context.startedMs) / 1000;
    // originalUrl: req.path is relative to whichever router was last mounted.
    const url = req.originalUrl;
    const query = url.indexOf('?');
    const line = {
      requestId: context.requestId,
      method: req.method,
      path: query === -1 ? url : url.slice(0, query),
      status: statusCode,
      durationMs: Math.round(seconds * 10_000) / 10,
    };
    if (statusCode >= 500) access.error(line, 'request failed');
    else access.info(line, 'request');
    observe?.(req, this, seconds);
  }

  return function frontDoor(req: Request, res: Response, next: NextFunction): void {
    openRequestContext(req, res, logger);
    writeSecurityHeaders(req, res);
    res.on('finish', onFinish);
    if (allow !== null && req.method === 'OPTIONS') return answerOptions(res, allow);
    const expectation = req.headers.expect;
    if (expectation !== undefined && expectation.toLowerCase() !== '100-continue') return next(unmetExpectation());
    next();
  };
}

/** RFC 9110 §10.1.1: the only expectation defined, and met (by Node), is 100-continue. */
function unmetExpectation(): HttpError {
  return new HttpError(417, 'the Expect header asks for something this server does not do; only "100-continue" is understood');
}
