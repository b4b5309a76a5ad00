// Draining the HTTP server on shutdown: stop accepting connections at once, close idle keep-alive
// connections, let in-flight requests finish, and answer every response from then on with
// `Connection: close`, so no keep-alive connection outlives its last response. Installed when the
// server is created, because it must see every request to know which are still in flight.
import { once } from 'node:events';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

export interface ServerDrain {
  /** Requests whose response has not finished. */
  inFlight(): number;
  /** Starts draining (once); resolves when the last connection has closed. */
  drain(): Promise<void>;
  /** Drops every connection still open (the shutdown deadline passed). */
  closeAll(): void;
}

export function trackForDrain(server: Server): ServerDrain {
  const open = new Set<ServerResponse>();
  let closed: Promise<void> | null = null;

  /** After a response, its connection may be idle: close it while draining. */
  const closeIdleSoon = (): void => {
    setImmediate(() => server.closeIdleConnections());
  };

  // One listener for every response (a response closes once): nothing is allocated for it per request.
  function onResponseClose(this: ServerResponse): void {
    open.delete(this);
    if (closed !== null) closeIdleSoon();
  }

  server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
    open.add(res);
    res.on('close', onResponseClose);
    if (closed !== null) res.setHeader('Connection', 'close');
  });

  return {
    inFlight: () => open.size,
    drain() {
      if (closed === null) {
        closed = once(server, 'close').then(() => undefined);
        for (const res of open) if (!res.headersSent) res.setHeader('Connection', 'close');
        server.close();
        server.closeIdleConnections();
      }
      return closed;
    },
    closeAll() {
      server.closeAllConnections();
    },
  };
}
