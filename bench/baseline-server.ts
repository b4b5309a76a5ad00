// The ceiling: a bare Express 5 route answering a constant JSON body behind the bridge's own
// createBearerAuth, with the bridge's Express settings. Same process model and IPC as bridge-server.
// Served as Express serves itself (app.listen), unless BENCH_CEILING_SERVER=app-server: then as the
// bridge serves its app (createAppServer), for the bench's second, informational ceiling.
import type { Server } from 'node:http';
import { once } from 'node:events';
import express, { type NextFunction, type Request, type Response } from 'express';
import { createAppServer } from '../src/http/app-server.js';
import { AuthenticationError, createBearerAuth } from '../src/http/bearer-auth.js';
import { startProbe } from './process-probe.js';

/** A ListResponse of one user, about the size of the bridge's answer to a `userName eq` filter. */
const CONSTANT_BODY = {
  schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
  totalResults: 1,
  startIndex: 1,
  itemsPerPage: 1,
  Resources: [
    {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      id: '7d8c6a8e-3c1b-4f57-9c66-0b8f2d7b4a11',
      userName: 'ada.lovelace@example.com',
      name: { givenName: 'Ada', familyName: 'Lovelace' },
      displayName: 'Ada Lovelace',
      emails: [{ value: 'ada.lovelace@example.com', type: 'work', primary: true }],
      active: true,
      groups: [],
      meta: {
        resourceType: 'User',
        created: '2024-01-01T00:00:00.000Z',
        lastModified: '2024-01-01T00:00:00.000Z',
        version: 'W/"1"',
        location: 'http://127.0.0.1/scim/v2/Users/7d8c6a8e-3c1b-4f57-9c66-0b8f2d7b4a11',
      },
    },
  ],
};

async function main(): Promise<void> {
  const token = process.env.BENCH_TOKEN;
  if (!token) throw new TypeError('baseline-server needs BENCH_TOKEN');
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.get('/scim/v2/Users', createBearerAuth({ tokens: [token] }), (_req: Request, res: Response) => {
    res.type('application/scim+json').json(CONSTANT_BODY);
  });
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    res.status(error instanceof AuthenticationError ? 401 : 500).json({ detail: 'refused' });
  });
  const hosting = process.env.BENCH_CEILING_SERVER ?? 'express';
  if (hosting !== 'express' && hosting !== 'app-server') throw new TypeError(`BENCH_CEILING_SERVER must be express or app-server, got "${hosting}"`);
  const server: Server = (hosting === 'app-server' ? createAppServer(app) : app).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the server has no TCP address');
  const probe = startProbe({
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
  probe.send({ type: 'listening', port: address.port });
}

main().catch((error: unknown) => {
  process.send?.({ type: 'failed', message: error instanceof Error ? error.stack ?? error.message : String(error) });
  process.exitCode = 1;
  process.disconnect?.();
});
