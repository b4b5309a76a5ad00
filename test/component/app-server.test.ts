// createAppServer: Node builds each request and response with the Express app's own prototypes, so
// Express's Object.setPrototypeOf has nothing to change, and everything Express does still works.
import { once } from 'node:events';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { describe, expect, it } from 'vitest';
import { createAppServer } from '../../src/http/app-server.js';
import { cleanupsAfterEach } from '../helpers/cleanups.js';
import { listenOnLoopback } from '../helpers/loopback-server.js';

const cleanups = cleanupsAfterEach();

interface Arrival {
  readonly requestHasAppPrototype: boolean;
  readonly responseHasAppPrototype: boolean;
}

function sampleApp(): Express {
  const app = express();
  app.set('query parser', 'simple');
  app.get('/things/:id', (req: Request, res: Response) => {
    res.status(203).json({ id: req.params.id, q: req.query.q, host: req.get('host'), ok: req.accepts('json') });
  });
  app.get('/boom', () => {
    throw new Error('boom');
  });
  app.use((error: Error, _req: Request, res: Response, _next: NextFunction) => {
    res.status(500).json({ detail: error.message });
  });
  return app;
}

/** Starts `server` on loopback; records, before the app sees them, whether request and response already have its prototypes. */
async function listen(server: Server, app: Express): Promise<{ port: number; arrivals: Arrival[] }> {
  const arrivals: Arrival[] = [];
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    arrivals.push({
      requestHasAppPrototype: Object.getPrototypeOf(req) === app.request,
      responseHasAppPrototype: Object.getPrototypeOf(res) === app.response,
    });
  });
  return { port: await listenOnLoopback(server, cleanups), arrivals };
}

async function get(port: number, path: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: response.status, body: await response.json() };
}

describe('createAppServer', () => {
  it('builds requests and responses with the app’s prototypes before the app sees them (a stock server does not)', async () => {
    const app = sampleApp();
    const ours = await listen(createAppServer(app), app);
    await get(ours.port, '/things/1');
    expect(ours.arrivals).toEqual([{ requestHasAppPrototype: true, responseHasAppPrototype: true }]);

    const stockApp = sampleApp();
    const stock = await listen(createServer(stockApp), stockApp);
    await get(stock.port, '/things/1');
    expect(stock.arrivals).toEqual([{ requestHasAppPrototype: false, responseHasAppPrototype: false }]);
  });

  it('answers as Express does: params, query, headers, status, JSON, error handlers', async () => {
    const app = sampleApp();
    const { port } = await listen(createAppServer(app), app);
    expect(await get(port, '/things/a%20b?q=x')).toEqual({ status: 203, body: { id: 'a b', q: 'x', host: `127.0.0.1:${port}`, ok: 'json' } });
    expect(await get(port, '/boom')).toEqual({ status: 500, body: { detail: 'boom' } });
    const missing = await fetch(`http://127.0.0.1:${port}/nowhere`);
    expect(missing.status).toBe(404);
  });

  it('keeps the prototypes for every request on a kept-alive connection', async () => {
    const app = sampleApp();
    const { port, arrivals } = await listen(createAppServer(app), app);
    const socket = connect(port, '127.0.0.1');
    cleanups.push(() => void socket.destroy());
    await once(socket, 'connect');
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
    });
    socket.write('GET /things/1 HTTP/1.1\r\nHost: x\r\n\r\nGET /things/2 HTTP/1.1\r\nHost: x\r\n\r\nGET /things/3 HTTP/1.1\r\nHost: x\r\n\r\n');
    for (let waited = 0; (text.match(/HTTP\/1\.1 203/g) ?? []).length < 3 && waited < 100; waited++) await new Promise((r) => setTimeout(r, 20));
    expect(text.match(/"id":"\d"/g)).toEqual(['"id":"1"', '"id":"2"', '"id":"3"']);
    expect(arrivals).toEqual(Array.from({ length: 3 }, () => ({ requestHasAppPrototype: true, responseHasAppPrototype: true })));
  });

  it('passes Node’s server options through', async () => {
    const app = sampleApp();
    const { port } = await listen(createAppServer(app, { maxHeaderSize: 1024 }), app);
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/things/1', headers: { 'x-big': 'y'.repeat(4096) } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(431);
  });

  it('refuses a handler that is not an Express app', () => {
    const notAnApp = Object.assign(() => undefined, { request: {}, response: {} }) as unknown as Express;
    expect(() => createAppServer(notAnApp)).toThrow(TypeError);
  });
});
