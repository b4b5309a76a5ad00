// CSRF protection of every console form (sign-in included), by csrf-csrf's signed double-submit cookie:
// the token in the form must match the HttpOnly cookie and be bound (HMAC) to the session's id.
import type { NextFunction, Request, Response } from 'express';
import { doubleCsrf } from 'csrf-csrf';
import { CONSOLE_PATH, sessionOf } from './console-session.js';

export const CSRF_COOKIE = 'scim_bridge_console_csrf';
/** The form field carrying the token. */
export const CSRF_FIELD = '_csrf';

export interface ConsoleCsrf {
  /** The token to put in this request's forms (sets the cookie when needed). */
  token(req: Request, res: Response): string;
  /** Express middleware: refuses a POST whose token is missing or not this session's (403, code EBADCSRFTOKEN). */
  protect: (req: Request, res: Response, next: NextFunction) => void;
}

export function createConsoleCsrf(options: { readonly secret: string }): ConsoleCsrf {
  const make = (secure: boolean) =>
    doubleCsrf({
      getSecret: () => options.secret,
      getSessionIdentifier: (req) => sessionOf(req).id ?? '',
      cookieName: CSRF_COOKIE,
      cookieOptions: { sameSite: 'strict', path: CONSOLE_PATH, secure, httpOnly: true },
      getCsrfTokenFromRequest: (req) => {
        const body: unknown = req.body;
        return typeof body === 'object' && body !== null && CSRF_FIELD in body ? String((body as Record<string, unknown>)[CSRF_FIELD]) : undefined;
      },
    });
  // The cookie is Secure exactly when the request came over TLS, like the session's.
  const plain = make(false);
  const tls = make(true);
  const of = (req: Request) => (req.secure ? tls : plain);
  return {
    token: (req, res) => of(req).generateCsrfToken(req, res),
    protect: (req, res, next) => of(req).doubleCsrfProtection(req, res, next),
  };
}
