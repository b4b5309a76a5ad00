// Security headers on every answer: no MIME sniffing, no caching of SCIM or admin data by browsers or
// intermediaries, nothing may be framed, embedded or run from an answer, no Referer leaks; HSTS only
// on requests that arrived over TLS (directly, or per X-Forwarded-Proto from a trusted proxy).
import type { Request, Response } from 'express';

/** Also written by the server's own answers to unparseable requests (server-hardening). */
export const SECURITY_HEADERS: ReadonlyArray<readonly [string, string]> = [
  ['X-Content-Type-Options', 'nosniff'],
  ['Cache-Control', 'no-store'],
  ['Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'"],
  ['X-Frame-Options', 'DENY'],
  ['Referrer-Policy', 'no-referrer'],
  ['Cross-Origin-Resource-Policy', 'same-origin'],
];

const HSTS = 'max-age=31536000';

export function writeSecurityHeaders(req: Request, res: Response): void {
  for (const [name, value] of SECURITY_HEADERS) res.setHeader(name, value);
  if (req.secure) res.setHeader('Strict-Transport-Security', HSTS);
}
