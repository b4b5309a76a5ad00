// The one error handler: whatever a route or middleware threw becomes its HttpError — through the
// translation the app gives for its own layers' errors (the SCIM edge's, for provisioning and store
// failures) — and is answered with that status, headers and body; a 5xx is logged with its cause.
import type { NextFunction, Request, Response } from 'express';
import { ERROR_CONTENT_TYPE, HttpError } from './http-error.js';
import { requestContextOf } from './request-context.js';

/** The HttpError for anything thrown while serving a request; null when it knows nothing of it. */
export type ErrorTranslation = (error: unknown, requestId: string) => HttpError | null;

export function createErrorHandler(options: { readonly translate?: ErrorTranslation } = {}) {
  const translate = options.translate ?? (() => null);
  return function errorHandler(error: unknown, _req: Request, res: Response, next: NextFunction): void {
    if (res.headersSent) return next(error);
    const { requestId, log } = requestContextOf(res);
    const answer =
      error instanceof HttpError ? error : (translate(error, requestId) ?? new HttpError(500, `internal error (request id ${requestId})`));
    if (answer.status >= 500) log.error({ err: error }, 'request failed');
    for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
    res.status(answer.status).setHeader('Content-Type', ERROR_CONTENT_TYPE);
    res.end(JSON.stringify(answer.toBody()));
  };
}
