// The HTTP server an Express app answers on. Express hands every request and response the app's own
// prototypes (`app.request`, `app.response`) with Object.setPrototypeOf as it dispatches them. Done to
// objects Node has already built, that change gives each of them a hidden class of its own, and every
// property access on them afterwards misses V8's inline caches (expressjs/express#5998): it cost the
// bridge about half of its CPU per request. Here Node builds them with those prototypes from the
// start, so Express's change of prototype finds nothing to change. A request whose Expect header the
// server cannot meet goes to the app too, which answers it like any other error (not Node's bare 417).
import { createServer, IncomingMessage, ServerResponse, type Server, type ServerOptions } from 'node:http';
import type { Socket } from 'node:net';
import type { Express } from 'express';

/** Node's own options for the server; the request and response classes are this module's to choose. */
export type AppServerOptions = Omit<ServerOptions, 'IncomingMessage' | 'ServerResponse'>;

type RequestInit = (this: IncomingMessage, socket: Socket) => void;
type ResponseInit = (this: ServerResponse, req: IncomingMessage, options?: unknown) => void;

/** A server (not yet listening) whose requests and responses are born with `app`'s prototypes. */
export function createAppServer(app: Express, options: AppServerOptions = {}): Server {
  if (!(app.request instanceof IncomingMessage) || !(app.response instanceof ServerResponse)) {
    throw new TypeError('createAppServer needs an Express app (its request and response prototypes extend Node’s)');
  }
  // Function constructors, not classes: a class's prototype cannot be made the app's own object.
  // IncomingMessage and ServerResponse are ES5 constructors that initialise whatever `this` they get.
  const initRequest = IncomingMessage as unknown as RequestInit;
  const initResponse = ServerResponse as unknown as ResponseInit;
  function AppRequest(this: IncomingMessage, socket: Socket): void {
    initRequest.call(this, socket);
  }
  AppRequest.prototype = app.request;
  function AppResponse(this: ServerResponse, req: IncomingMessage, responseOptions?: unknown): void {
    initResponse.call(this, req, responseOptions);
  }
  AppResponse.prototype = app.response;
  const server = createServer(
    {
      ...options,
      IncomingMessage: AppRequest as unknown as typeof IncomingMessage,
      ServerResponse: AppResponse as unknown as typeof ServerResponse,
    },
    app,
  );
  // Node emits an Expect other than 100-continue here instead of as a request (RFC 9110 §10.1.1).
  server.on('checkExpectation', app);
  return server;
}
