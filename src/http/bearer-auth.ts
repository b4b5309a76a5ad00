// Static bearer-token authentication (RFC 6750) for the SCIM and admin routes. Tokens are compared
// in constant time via their SHA-256 digests, so neither content nor length leaks through timing.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

/** Thrown to the error handler of the router the middleware guards; rendered as 401. */
export class AuthenticationError extends Error {
  override readonly name = 'AuthenticationError';
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

export function createBearerAuth(options: { tokens: readonly string[] }) {
  if (!Array.isArray(options.tokens) || options.tokens.length === 0) {
    throw new TypeError('createBearerAuth: at least one token is required');
  }
  const digests = options.tokens.map(digest);
  return function bearerAuth(req: Request, _res: Response, next: NextFunction): void {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
    if (!match) return next(new AuthenticationError('a bearer token is required'));
    const presented = digest(match[1] as string);
    let accepted = false;
    for (const expected of digests) accepted = timingSafeEqual(presented, expected) || accepted;
    next(accepted ? undefined : new AuthenticationError('the bearer token is not valid'));
  };
}
