// The sandbox's OAuth 2.0 token endpoint (client credentials, as https://docs.dynatrace.com/docs/shortlink/oauth
// describes it) and bearer-token checks: JWT-shaped HS256 tokens carrying scope and resource,
// short-lived, revocable in bulk.
import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { HandlerResult } from './sandbox-answers.js';
import type { SandboxState } from './sandbox-state.js';

/** Scopes a sandbox OAuth client holds (the Account Management "Token scopes" table, plus IAM fine-grained ones). */
export const SANDBOX_SCOPES: readonly string[] = Object.freeze([
  'account-idm-read',
  'account-idm-write',
  'account-env-read',
  'account-env-write',
  'account-uac-read',
  'account-uac-write',
  'iam-policies-management',
  'iam:policies:read',
  'iam:policies:write',
  'iam:bindings:read',
  'iam:bindings:write',
  'iam:boundaries:read',
  'iam:effective-permissions:read',
]);

export type TokenCheck =
  | { readonly ok: true; readonly scopes: ReadonlySet<string>; readonly resource: string | null }
  | { readonly ok: false; readonly reason: 'missing' | 'malformed' | 'expired' | 'revoked' };

function b64url(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url');
}

function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/** OAuth error body (RFC 6749 §5.2). */
function oauthError(status: number, error: string, description: string): HandlerResult {
  return { status, body: { error, error_description: description } };
}

export interface SandboxTokensOptions {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly tokenTtlSeconds: number;
  readonly clock: { now(): number };
  readonly state: SandboxState;
}

export class SandboxTokens {
  private readonly key = randomBytes(32);

  constructor(private readonly options: SandboxTokensOptions) {}

  /** `POST /sso/oauth2/token` with a form body. */
  issue(form: URLSearchParams): HandlerResult {
    const { clientId, clientSecret, state, clock, tokenTtlSeconds } = this.options;
    if (form.get('grant_type') !== 'client_credentials') return oauthError(400, 'unsupported_grant_type', 'Only client_credentials is supported');
    const id = form.get('client_id');
    const secret = form.get('client_secret');
    if (id === null || secret === null || id !== clientId || !sameSecret(secret, clientSecret)) {
      return oauthError(400, 'invalid_client', 'Client authentication failed');
    }
    const requested = (form.get('scope') ?? '').split(/\s+/).filter((s) => s !== '');
    const unknown = requested.filter((s) => !SANDBOX_SCOPES.includes(s));
    if (unknown.length > 0) return oauthError(400, 'invalid_scope', `Scopes not granted to this client: ${unknown.join(' ')}`);
    // Without `scope`, the client's scopes are granted (Terraform and Monaco send none).
    const scopes = requested.length > 0 ? requested : [...SANDBOX_SCOPES];
    const resource = form.get('resource');
    if (resource !== null && resource !== `urn:dtaccount:${state.accountUuid}`) {
      return oauthError(400, 'invalid_request', 'The resource is not an account this client belongs to');
    }
    const now = clock.now();
    const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
    const payload = b64url(
      JSON.stringify({ iss: 'dynatrace-sandbox', sub: clientId, scope: scopes.join(' '), resource, iat: now / 1000, exp: (now + tokenTtlSeconds * 1000) / 1000, gen: state.tokenGeneration, jti: randomUUID() }),
    );
    const signature = createHmac('sha256', this.key).update(`${header}.${payload}`).digest('base64url');
    state.tokensIssued += 1;
    const body: Record<string, unknown> = { token_type: 'Bearer', access_token: `${header}.${payload}.${signature}`, expires_in: tokenTtlSeconds, scope: scopes.join(' ') };
    if (resource !== null) body['resource'] = resource;
    return { status: 200, body, headers: { 'cache-control': 'no-store', pragma: 'no-cache' } };
  }

  /** Checks an `Authorization: Bearer …` header. */
  verify(authorization: string | undefined): TokenCheck {
    if (authorization === undefined) return { ok: false, reason: 'missing' };
    const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    if (match === null) return { ok: false, reason: 'missing' };
    const parts = (match[1] ?? '').split('.');
    if (parts.length !== 3) return { ok: false, reason: 'malformed' };
    const [header, payload, signature] = parts as [string, string, string];
    const expected = createHmac('sha256', this.key).update(`${header}.${payload}`).digest();
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'malformed' };
    let claims: { scope?: unknown; resource?: unknown; exp?: unknown; gen?: unknown };
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof claims;
    } catch {
      return { ok: false, reason: 'malformed' };
    }
    if (typeof claims.exp !== 'number' || this.options.clock.now() >= claims.exp * 1000) return { ok: false, reason: 'expired' };
    if (claims.gen !== this.options.state.tokenGeneration) return { ok: false, reason: 'revoked' };
    const scopes = new Set(typeof claims.scope === 'string' ? claims.scope.split(' ') : []);
    return { ok: true, scopes, resource: typeof claims.resource === 'string' ? claims.resource : null };
  }
}
