// OPTIONS requests, answered before authentication: 204 with no body and `Allow` naming the methods
// this server implements (per resource, the SCIM discovery endpoints say what is supported). No CORS
// grant: browsers are not clients of a SCIM server, so their preflights fail closed. Without this,
// Express would answer a text/plain list of whatever methods the matched routes happen to have.
import type { NextFunction, Request, Response } from 'express';

export const ALLOWED_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS';

export function answerOptionsRequests(req: Request, res: Response, next: NextFunction): void {
  if (req.method !== 'OPTIONS') return next();
  res.setHeader('Allow', ALLOWED_METHODS);
  res.status(204).end();
}
