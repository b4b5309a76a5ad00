// Verification of OAuth 2.0 access tokens that are JWTs (RFC 9068) with keys from the issuer's JWKS:
// signature, an asymmetric algorithm from the allowed list, issuer, audience, expiry, not-before and
// the required scope (or Entra app role). Keys are fetched and cached by jose; after a failed fetch none is tried again for
// the cooldown, so an issuer outage costs one fetch per cooldown, not one per request. Neither the
// token nor its claims leave this file: a verified token becomes an opaque principal key.
import { createHash } from 'node:crypto';
import { createRemoteJWKSet, customFetch, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { OutboundFetch } from '../adapters/outbound-http.js';
import type { JwtConfig } from '../config.js';

/** The token is not acceptable; the message says which check failed and is safe to show the client. */
export class JwtRejectedError extends Error {
  override readonly name = 'JwtRejectedError';
}

/** A valid token that lacks the required scope (RFC 6750 §3.1 `insufficient_scope`: 403, not 401). */
export class JwtInsufficientScopeError extends Error {
  override readonly name = 'JwtInsufficientScopeError';
  readonly scope: string;
  constructor(scope: string) {
    super(`the bearer token does not grant the scope "${scope}"`);
    this.scope = scope;
  }
}

/** The issuer's keys cannot be fetched: the token may be valid, it cannot be checked now. */
export class JwksUnavailableError extends Error {
  override readonly name = 'JwksUnavailableError';
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number) {
    super("the token issuer's signing keys cannot be fetched right now");
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export interface JwtVerifier {
  /** The principal key (`jwt:` and a digest of issuer and client) of a valid token; rejects with JwtRejectedError or JwksUnavailableError. */
  verify(token: string): Promise<string>;
}

/** `fetch` is the bridge's outbound fetch (its proxy settings), which every key fetch goes through. */
export function createJwtVerifier(config: JwtConfig, fetch: OutboundFetch): JwtVerifier {
  let fetchAgainAt = 0;
  const retryAfterSeconds = () => Math.max(1, Math.ceil((fetchAgainAt - Date.now()) / 1000));
  const remoteKeys = createRemoteJWKSet(new URL(config.jwksUrl), {
    cacheMaxAge: config.jwksCacheMaxAgeMs,
    cooldownDuration: config.jwksCooldownMs,
    timeoutDuration: config.jwksTimeoutMs,
    async [customFetch](url, init) {
      if (Date.now() < fetchAgainAt) throw new JwksUnavailableError(retryAfterSeconds());
      return fetch(url, init);
    },
  });
  const keys: JWTVerifyGetKey = async (header, token) => {
    try {
      return await remoteKeys(header, token);
    } catch (error) {
      // Only a key set without the token's key is the token's fault; anything else (refused, timed
      // out, not 200, not a key set) is the issuer's, and holds further fetches off for the cooldown.
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) throw error;
      if (error instanceof JwksUnavailableError) throw error;
      fetchAgainAt = Date.now() + config.jwksCooldownMs;
      throw new JwksUnavailableError(retryAfterSeconds());
    }
  };
  const options = {
    issuer: config.issuer,
    audience: [...config.audiences],
    algorithms: [...config.algorithms],
    clockTolerance: config.clockToleranceSeconds,
    requiredClaims: ['exp'],
  };
  return {
    async verify(token) {
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, keys, options));
      } catch (error) {
        throw error instanceof JwksUnavailableError ? error : new JwtRejectedError(rejectionDetail(error));
      }
      if (config.requiredScope !== null && !scopesOf(payload).includes(config.requiredScope)) {
        throw new JwtInsufficientScopeError(config.requiredScope);
      }
      return principalOf(payload);
    },
  };
}

/** Which check failed, in words; never the token or a claim's value. */
function rejectionDetail(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'the bearer token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === 'missing') return `the bearer token has no "${error.claim}" claim`;
    switch (error.claim) {
      case 'nbf':
        return 'the bearer token is not valid yet';
      case 'iss':
        return 'the bearer token comes from an issuer this server does not trust';
      case 'aud':
        return 'the bearer token is meant for another audience';
      default:
        return `the bearer token's "${error.claim}" claim is not valid`;
    }
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return 'the bearer token is signed with an algorithm this server does not accept';
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return 'the bearer token is signed with a key the issuer does not publish';
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'the bearer token signature is not valid';
  return 'the bearer token is not a well-formed JWT';
}

/**
 * `scope` (RFC 8693, space-separated), `scp` (Entra ID and Okta: an array, or a string), or `roles`
 * (the app roles an Entra ID client-credentials token carries instead of scopes).
 */
function scopesOf(payload: JWTPayload): string[] {
  const scopes: string[] = [];
  for (const claim of [payload.scope, payload.scp, payload.roles]) {
    if (typeof claim === 'string') scopes.push(...claim.split(' '));
    else if (Array.isArray(claim)) scopes.push(...claim.filter((s): s is string => typeof s === 'string'));
  }
  return scopes;
}

/** One key per client of one issuer (RFC 9068 `client_id`, Entra ID `azp`, else `sub`), as a digest. */
function principalOf(payload: JWTPayload): string {
  const client = [payload.client_id, payload.azp, payload.sub].find((c): c is string => typeof c === 'string') ?? '';
  const digest = createHash('sha256').update(`${payload.iss ?? ''}\n${client}`, 'utf8').digest('hex');
  return `jwt:${digest.slice(0, 16)}`;
}
