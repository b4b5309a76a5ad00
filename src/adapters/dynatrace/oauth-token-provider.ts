// OAuth 2.0 client-credentials tokens for the Account Management API
// (https://docs.dynatrace.com/docs/shortlink/oauth): form body with grant_type, client_id,
// client_secret, scope and resource=urn:dtaccount:<uuid>; cached until shortly before `expires_in`
// ends; one request in flight however many callers wait.
import type { UpstreamErrorCode } from '../../ports/upstream-error.js';
import { UpstreamError } from '../../ports/upstream-error.js';
import { requireOptions, requireString, resolveAccountUuid, resolveCallSeams, resolveClock, resolveUrl } from './client-options.js';
import { createUpstreamCaller, defaultCodeForStatus, readJson } from './upstream-call.js';
import { isJsonObject } from '../../ports/json.js';
import type { TransportOptions } from './client-options.js';
import { DEFAULT_SCOPES, DEFAULT_TOKEN_URL } from './dynatrace-defaults.js';

/** Lifetime assumed when the token response has no `expires_in` (a "recommended" field). */
const FALLBACK_LIFETIME_S = 60;

export interface OAuthTokenProvider {
  /** A valid access token (cached, or fetched once for all concurrent callers). */
  getToken(): Promise<string>;
  /** Forgets `token` if it is the cached one (upstream answered 401 to it). */
  invalidate(token: string): void;
}

/** Timeout default 10 000 ms. */
export interface OAuthTokenProviderOptions extends TransportOptions {
  /** `dt0s02.…` */
  readonly clientId: string;
  readonly clientSecret: string;
  /** Account UUID, or `urn:dtaccount:<uuid>`. */
  readonly accountUuid: string;
  /** Default https://sso.dynatrace.com/sso/oauth2/token */
  readonly tokenUrl?: string;
  /** Space-separated string or list. Default: account-idm-read account-idm-write account-env-read iam-policies-management */
  readonly scopes?: string | readonly string[];
  /** Refresh this long before expiry; at most half the token lifetime is used. Default 30 000. */
  readonly refreshMarginMs?: number;
}

function oauthCodeForStatus(status: number): UpstreamErrorCode {
  // invalid_client / invalid_scope / invalid_request / wrong URL: an operator must fix the configuration.
  if (status === 400 || status === 401 || status === 403 || status === 404) return 'misconfigured';
  return defaultCodeForStatus(status);
}

function resolveScopes(value: unknown, where: string): string {
  if (value === undefined) return DEFAULT_SCOPES.join(' ');
  const list = typeof value === 'string' ? value.split(/[\s,]+/) : Array.isArray(value) ? (value as unknown[]) : null;
  if (list === null || list.some((s) => typeof s !== 'string')) throw new TypeError(`${where}: scopes must be a string or an array of strings`);
  const scopes = (list as string[]).map((s) => s.trim()).filter((s) => s !== '');
  if (scopes.length === 0) throw new TypeError(`${where}: scopes must name at least one scope`);
  return scopes.join(' ');
}

export function createOAuthTokenProvider(options: OAuthTokenProviderOptions): OAuthTokenProvider {
  const where = 'createOAuthTokenProvider';
  const o = requireOptions(options, where);
  const clientId = requireString(o['clientId'], where, 'clientId');
  const clientSecret = requireString(o['clientSecret'], where, 'clientSecret');
  const accountUuid = resolveAccountUuid(o['accountUuid'], where);
  const tokenUrl = resolveUrl(o['tokenUrl'], DEFAULT_TOKEN_URL, where, 'tokenUrl');
  const scope = resolveScopes(o['scopes'], where);
  const margin: unknown = o['refreshMarginMs'] ?? 30_000;
  if (typeof margin !== 'number' || !Number.isFinite(margin) || margin < 0) {
    throw new TypeError(`${where}: refreshMarginMs must be a number of milliseconds >= 0`);
  }
  const refreshMarginMs: number = margin;
  const clock = resolveClock(o['clock'], where);
  const call = createUpstreamCaller({
    service: 'oauth',
    ...resolveCallSeams(o, where, 10_000),
    clock,
    rateBudget: null,
    authorizer: null,
    codeForStatus: oauthCodeForStatus,
  });

  let cached: { readonly token: string; readonly refreshAt: number } | null = null;
  let inFlight: Promise<string> | null = null;

  async function requestToken(): Promise<string> {
    const startedAt = clock.now();
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
      scope,
      resource: `urn:dtaccount:${accountUuid}`,
    });
    const response = await call({ operation: 'token', method: 'POST', url: tokenUrl, form, idempotent: true, secrets: [clientSecret] });
    const body = readJson('oauth', 'token', response);
    const invalid = (): never => {
      throw new UpstreamError({ service: 'oauth', operation: 'token', code: 'invalid_response', status: response.status, attempts: response.attempts });
    };
    if (!isJsonObject(body)) return invalid();
    const token = body['access_token'];
    const tokenType = body['token_type'];
    if (typeof token !== 'string' || token === '') return invalid();
    if (tokenType !== undefined && (typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'bearer')) return invalid();
    const expiresIn = body['expires_in'];
    const lifetimeMs = (typeof expiresIn === 'number' && Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : FALLBACK_LIFETIME_S) * 1000;
    cached = { token, refreshAt: startedAt + lifetimeMs - Math.min(refreshMarginMs, lifetimeMs / 2) };
    return token;
  }

  return {
    getToken(): Promise<string> {
      if (cached !== null && clock.now() < cached.refreshAt) return Promise.resolve(cached.token);
      if (inFlight === null) {
        inFlight = requestToken().finally(() => {
          inFlight = null;
        });
      }
      return inFlight;
    },
    invalidate(token: string): void {
      if (cached !== null && cached.token === token) cached = null;
    },
  };
}
