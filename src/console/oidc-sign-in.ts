// OIDC sign-in to the console with openid-client: authorization code flow with PKCE (S256), state and
// nonce kept in a short-lived sealed cookie (SameSite=Lax: the IdP's redirect back is a cross-site
// navigation), and access granted when the configured claim (groups or roles, from the ID token or the
// UserInfo endpoint) holds one of the allowed values.
import type { Request, Response } from 'express';
import { sealData, unsealData } from 'iron-session';
import * as client from 'openid-client';
import type { OidcConfig } from '../config.js';

export const OIDC_COOKIE = 'scim_bridge_console_oidc';
const CALLBACK_PATH = '/console/oidc/callback';
/** How long a sign-in at the IdP may take. */
const TRANSACTION_SECONDS = 600;

interface Transaction {
  readonly verifier: string;
  readonly state: string;
  readonly nonce: string;
  readonly redirectUri: string;
}

export type OidcOutcome = { readonly ok: true; readonly operator: string } | { readonly ok: false; readonly problem: string };

export interface OidcSignIn {
  /** The IdP's authorization URL to send the browser to (sets the transaction cookie). */
  start(req: Request, res: Response): Promise<string>;
  /** Completes the flow at the callback (clears the transaction cookie). */
  finish(req: Request, res: Response): Promise<OidcOutcome>;
}

export function createOidcSignIn(options: { readonly config: OidcConfig; readonly publicBaseUrl: string | null; readonly sealKey: string }): OidcSignIn {
  const { config, sealKey } = options;
  let discovered: Promise<client.Configuration> | null = null;

  /** The issuer's metadata, fetched on first use and again after a failure. */
  function configuration(): Promise<client.Configuration> {
    if (discovered === null) {
      const issuer = new URL(config.issuer);
      const auth = config.clientSecret === null ? client.None() : client.ClientSecretPost(config.clientSecret);
      const pending = client.discovery(issuer, config.clientId, undefined, auth, issuer.protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : undefined);
      discovered = pending;
      pending.catch(() => {
        if (discovered === pending) discovered = null;
      });
    }
    return discovered;
  }

  function redirectUri(req: Request): string {
    if (config.redirectUrl !== null) return config.redirectUrl;
    const base = options.publicBaseUrl ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`;
    return `${base}${CALLBACK_PATH}`;
  }

  const cookieOptions = (req: Request) => ({ httpOnly: true, sameSite: 'lax' as const, secure: req.secure, path: CALLBACK_PATH });

  return {
    async start(req, res) {
      const oidc = await configuration();
      const transaction: Transaction = {
        verifier: client.randomPKCECodeVerifier(),
        state: client.randomState(),
        nonce: client.randomNonce(),
        redirectUri: redirectUri(req),
      };
      const sealed = await sealData(transaction, { password: sealKey, ttl: TRANSACTION_SECONDS });
      res.cookie(OIDC_COOKIE, sealed, { ...cookieOptions(req), maxAge: TRANSACTION_SECONDS * 1000 });
      return client
        .buildAuthorizationUrl(oidc, {
          redirect_uri: transaction.redirectUri,
          scope: config.scopes,
          code_challenge: await client.calculatePKCECodeChallenge(transaction.verifier),
          code_challenge_method: 'S256',
          state: transaction.state,
          nonce: transaction.nonce,
        })
        .toString();
    },

    async finish(req, res) {
      const cookies = req.cookies as Record<string, string> | undefined;
      const sealed = cookies?.[OIDC_COOKIE] ?? null;
      res.clearCookie(OIDC_COOKIE, cookieOptions(req));
      if (sealed === null) return { ok: false, problem: 'The sign-in took too long or was started elsewhere; start it again.' };
      const transaction = await unsealData<Partial<Transaction>>(sealed, { password: sealKey, ttl: TRANSACTION_SECONDS });
      if (!transaction.verifier || !transaction.state || !transaction.nonce || !transaction.redirectUri) {
        return { ok: false, problem: 'The sign-in took too long or was started elsewhere; start it again.' };
      }
      const oidc = await configuration();
      const current = new URL(transaction.redirectUri);
      current.search = new URL(req.originalUrl, 'http://callback.invalid').search;
      let claims: Record<string, unknown>;
      try {
        const tokens = await client.authorizationCodeGrant(oidc, current, {
          pkceCodeVerifier: transaction.verifier,
          expectedState: transaction.state,
          expectedNonce: transaction.nonce,
          idTokenExpected: true,
        });
        claims = { ...tokens.claims() };
        if (!(config.claim in claims)) {
          claims = { ...claims, ...(await client.fetchUserInfo(oidc, tokens.access_token, String(claims.sub))) };
        }
      } catch (error) {
        // The library's own words (an `error` the IdP answered, a check that failed), never a token.
        const reason = error instanceof client.AuthorizationResponseError || error instanceof client.ResponseBodyError ? error.error : (error as Error).message;
        return { ok: false, problem: `The identity provider's answer was refused: ${reason}` };
      }
      const values = claimValues(claims[config.claim]);
      if (!values.some((value) => config.allowedValues.includes(value))) {
        return { ok: false, problem: `Signed in at the identity provider, but your "${config.claim}" claim holds none of the values that give access to this console.` };
      }
      const name = [claims.preferred_username, claims.email, claims.name, claims.sub].find((v): v is string => typeof v === 'string' && v !== '');
      return { ok: true, operator: name ?? 'operator' };
    },
  };
}

/** A group or role claim: a list of strings, or one string (space- or comma-separated lists included). */
function claimValues(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  if (typeof value === 'string') return value.split(/[\s,]+/).filter((v) => v !== '');
  return [];
}
