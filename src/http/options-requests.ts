// OPTIONS requests, answered before authentication: 204 with no body and `Allow` naming the methods
// this server implements (per resource, the SCIM discovery endpoints say what is supported). No CORS
// grant: browsers are not clients of a SCIM server, so their preflights fail closed. Without this,
// Express would answer a text/plain list of whatever methods the matched routes happen to have.
import type { Response } from 'express';

export const ALLOWED_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS';

export function answerOptions(res: Response, allow: string): void {
  res.setHeader('Allow', allow);
  res.status(204).end();
}
