// Console sessions: sealed (encrypted and signed) into an HttpOnly, SameSite=Strict cookie by iron-session,
// Secure when the request came over TLS, scoped to /console, and expiring `sessionTtlSeconds` after
// sign-in. Every visitor gets a session id (it keys the CSRF tokens, sign-in form included); signing in
// adds who the operator is and how they signed in.
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { getIronSession, type IronSession } from 'iron-session';

export interface OperatorSessionData {
  /** Random per browser session; keys the CSRF tokens. */
  id?: string;
  /** Who signed in: `admin token #n` or the OIDC subject's name. */
  operator?: string;
  via?: 'token' | 'oidc';
  /** Epoch milliseconds after which the sign-in no longer counts. */
  expiresAt?: number;
}

export type OperatorSession = IronSession<OperatorSessionData>;

export const SESSION_COOKIE = 'scim_bridge_console';
export const CONSOLE_PATH = '/console';

const sessions = new WeakMap<Request, OperatorSession>();

/** The request's session (opened by `openSession`). */
export function sessionOf(req: Request): OperatorSession {
  const session = sessions.get(req);
  if (session === undefined) throw new TypeError('sessionOf: the console session middleware has not run');
  return session;
}

/** Whether the session middleware has opened the request's session (not for the static files). */
export function hasSession(req: Request): boolean {
  return sessions.has(req);
}

/** Whether the request carries a signed-in, unexpired session. */
export function isSignedIn(req: Request, now: number = Date.now()): boolean {
  if (!hasSession(req)) return false;
  const session = sessionOf(req);
  return session.operator !== undefined && session.expiresAt !== undefined && session.expiresAt > now;
}

/** Opens (or starts) the session of every console request; a new visitor gets an id, saved with the first answer. */
export function createSessionMiddleware(options: { readonly secret: string; readonly ttlSeconds: number }) {
  const { secret, ttlSeconds } = options;
  if (typeof secret !== 'string' || secret.length < 32) throw new TypeError('createSessionMiddleware: the secret must have at least 32 characters');
  return async function openSession(req: Request, res: Response, next: NextFunction): Promise<void> {
    const session = await getIronSession<OperatorSessionData>(req, res, {
      password: secret,
      cookieName: SESSION_COOKIE,
      ttl: ttlSeconds,
      cookieOptions: { httpOnly: true, sameSite: 'strict', secure: req.secure, path: CONSOLE_PATH },
    });
    if (session.id === undefined || (session.expiresAt !== undefined && session.expiresAt <= Date.now())) {
      // New, or expired: a fresh anonymous session (an expired sign-in does not linger).
      delete session.operator;
      delete session.via;
      delete session.expiresAt;
      session.id = randomUUID();
      await session.save();
    }
    sessions.set(req, session);
    next();
  };
}

/** Signs the operator in: a new session id (no fixation), expiring after the configured time. */
export async function signIn(req: Request, operator: string, via: 'token' | 'oidc', ttlSeconds: number): Promise<void> {
  const session = sessionOf(req);
  session.id = randomUUID();
  session.operator = operator;
  session.via = via;
  session.expiresAt = Date.now() + ttlSeconds * 1000;
  await session.save();
}

export function signOut(req: Request): void {
  sessionOf(req).destroy();
}
