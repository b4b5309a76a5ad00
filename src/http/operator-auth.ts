// Who may call the /admin endpoints: a bearer admin token (ADMIN_TOKENS or the generated one), and the
// IdP's SCIM credentials only where ADMIN_ACCEPTS_SCIM_TOKEN keeps an upgraded deployment's scripts working.
import type { NextFunction, Request, Response } from 'express';
import { AuthenticationError, createBearerAuth, principalOf } from './bearer-auth.js';
import type { JwtVerifier } from './jwt-verifier.js';

export function createOperatorAuth(options: {
  readonly adminTokens: readonly string[];
  /** The SCIM credentials, when they also open /admin; null = admin tokens only. */
  readonly scim: { readonly tokens: readonly string[]; readonly jwt: JwtVerifier | null } | null;
}) {
  const tokens = [...options.adminTokens, ...(options.scim?.tokens ?? [])];
  const jwt = options.scim?.jwt ?? null;
  if (tokens.length === 0 && jwt === null) {
    return function noOperators(_req: Request, _res: Response, next: NextFunction): void {
      next(new AuthenticationError('no operator credential is configured (ADMIN_TOKENS)', { tokenSent: false }));
    };
  }
  const bearerAuth = createBearerAuth({ tokens, jwt });
  // Its own principal keys (`operator:token:0`), so an operator never shares a rate-limit bucket with an IdP.
  return function operatorAuth(req: Request, res: Response, next: NextFunction): void {
    bearerAuth(req, res, (error?: unknown) => {
      if (error === undefined && principalOf(res) !== undefined) res.locals.principal = `operator:${principalOf(res) as string}`;
      next(error);
    });
  };
}
