// Per-request context: the request id (a valid inbound X-Request-Id, else a new UUID), echoed back,
// when the request arrived, and — built on first use only, since most requests log nothing but
// their access line — a child logger carrying the id.
import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Logger } from '../observability/logger.js';

const VALID_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export class RequestContext {
  #log: Logger | undefined;

  constructor(
    readonly requestId: string,
    /** performance.now() when the request reached the app. */
    readonly startedMs: number,
    private readonly logger: Logger,
  ) {}

  get log(): Logger {
    this.#log ??= this.logger.child({ requestId: this.requestId });
    return this.#log;
  }
}

/** Gives the request its context and echoes its id in X-Request-Id. */
export function openRequestContext(req: Request, res: Response, logger: Logger): void {
  const inbound = req.headers['x-request-id'];
  const requestId = typeof inbound === 'string' && VALID_REQUEST_ID.test(inbound) ? inbound : randomUUID();
  res.locals.context = new RequestContext(requestId, performance.now(), logger);
  res.setHeader('X-Request-Id', requestId);
}

export function requestContextOf(res: Response): RequestContext {
  return res.locals.context as RequestContext;
}
