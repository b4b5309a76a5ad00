// Bearer-token authentication (RFC 6750) for the SCIM and admin routes: a configured static token,
// compared in constant time, or — when JWT verification is configured — an OAuth 2.0 access token that
// is a JWT. An accepted credential leaves its principal key in res.locals (`token:<index>` or
// `jwt:<digest>`, never the token) for the per-client rate limit. A refusal is a 401 SCIM error with an
// RFC 6750 challenge (403 `insufficient_scope` for a valid token without the required scope); an issuer
// whose keys cannot be fetched is a 503, because the token may be valid.
import type { NextFunction, Request, Response } from 'express';
import { HttpError } from './http-error.js';
import { JwksUnavailableError, JwtInsufficientScopeError, JwtRejectedError, type JwtVerifier } from './jwt-verifier.js';
import { requestContextOf } from './request-context.js';
import { createSecretMatcher } from './secret-compare.js';

/** A refused credential: 401, challenging with `error="invalid_token"` when a bearer token was sent (RFC 6750 §3.1). */
export class AuthenticationError extends HttpError {
  override readonly name = 'AuthenticationError';

  constructor(detail: string, options: { tokenSent: boolean }) {
    const challenge = options.tokenSent ? 'Bearer realm="SCIM", error="invalid_token"' : 'Bearer realm="SCIM"';
    super(401, detail, { headers: { 'WWW-Authenticate': challenge } });
  }
}

const BEARER = /^Bearer[ ]+(\S+)\s*$/i;
/** Three base64url segments (the third empty for `alg: none`, which the verifier then refuses by name). */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** The principal key of the request's accepted credential; undefined before authentication or after a refusal. */
export function principalOf(res: Response): string | undefined {
  return res.locals.principal as string | undefined;
}

export function createBearerAuth(options: { readonly tokens: readonly string[]; readonly jwt?: JwtVerifier | null }) {
  const jwt = options.jwt ?? null;
  if (!Array.isArray(options.tokens) || (options.tokens.length === 0 && jwt === null)) {
    throw new TypeError('createBearerAuth: at least one token, or a JWT verifier, is required');
  }
  const matchToken = createSecretMatcher(options.tokens);
  return function bearerAuth(req: Request, res: Response, next: NextFunction): void {
    const match = BEARER.exec(req.get('authorization') ?? '');
    if (!match) return next(new AuthenticationError('a bearer token is required', { tokenSent: false }));
    const token = match[1] as string;
    const index = matchToken(token);
    if (index >= 0) {
      res.locals.principal = `token:${index}`;
      return next();
    }
    if (jwt === null || !JWT_SHAPE.test(token)) return next(new AuthenticationError('the bearer token is not valid', { tokenSent: true }));
    jwt.verify(token).then(
      (principal) => {
        res.locals.principal = principal;
        next();
      },
      (error: unknown) => {
        // Which check failed, for the operator matching IdP settings to JWT_*; never the token.
        if (error instanceof JwtRejectedError || error instanceof JwtInsufficientScopeError) {
          requestContextOf(res).log.info({ reason: error.message }, 'bearer JWT refused');
        }
        next(refusal(error));
      },
    );
  };
}

function refusal(error: unknown): unknown {
  if (error instanceof JwtRejectedError) return new AuthenticationError(error.message, { tokenSent: true });
  if (error instanceof JwtInsufficientScopeError) {
    return new HttpError(403, error.message, { headers: { 'WWW-Authenticate': `Bearer realm="SCIM", error="insufficient_scope", scope="${error.scope}"` } });
  }
  if (error instanceof JwksUnavailableError) return new HttpError(503, error.message, { headers: { 'Retry-After': String(error.retryAfterSeconds) } });
  return error;
}
