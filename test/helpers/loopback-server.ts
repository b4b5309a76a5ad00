// Tests' own HTTP servers: listening on an ephemeral loopback port, closed (open connections too)
// with the test's other cleanups.
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { Cleanup } from './cleanups.js';

/** Starts `server` on 127.0.0.1 and resolves with its port; `cleanups` gets its closing. */
export async function listenOnLoopback(server: Server, cleanups: { push(...cleanups: Cleanup[]): void }): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(async () => {
    server.closeAllConnections();
    server.close();
    if (server.listening) await once(server, 'close');
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the server has no TCP address');
  return address.port;
}
