// A real forward proxy on loopback (the `proxy` package: absolute-form requests and CONNECT tunnels),
// optionally demanding Basic proxy credentials, that records where every request it was asked for goes
// and may route addresses nobody listens on to real servers: what is reachable only through the proxy.
import { createServer } from 'node:http';
import { createProxy } from 'proxy';
import type { Cleanup } from './cleanups.js';
import { listenOnLoopback } from './loopback-server.js';

export interface ForwardProxy {
  /** http://127.0.0.1:<port>, or http://user:password@127.0.0.1:<port> when `credentials` were given. */
  readonly url: string;
  /** `CONNECT host:port` for tunnels, `METHOD http://host:port/path` for plain requests, in arrival order; refused ones too. */
  readonly seen: string[];
  /** Requests refused with 407 (missing or wrong credentials). */
  readonly refused: number;
}

export interface ForwardProxyOptions {
  readonly credentials?: { readonly user: string; readonly password: string };
  /** `host:port` asked for → `host:port` connected to instead (CONNECT tunnels). */
  readonly routes?: Readonly<Record<string, string>>;
}

export async function startForwardProxy(cleanups: { push(...cleanups: Cleanup[]): void }, options: ForwardProxyOptions = {}): Promise<ForwardProxy> {
  const { credentials, routes = {} } = options;
  const seen: string[] = [];
  let refused = 0;
  const server = createProxy(createServer());
  const record = (req: { method?: string; url?: string }): void => {
    seen.push(`${req.method ?? ''} ${req.url ?? ''}`);
    const target = routes[req.url ?? ''];
    if (req.method === 'CONNECT' && target !== undefined) req.url = target;
  };
  // Registered before the proxy's own listeners run (they are already attached): prepend to see every request.
  server.prependListener('request', record);
  server.prependListener('connect', record);
  if (credentials !== undefined) {
    const expected = `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`).toString('base64')}`;
    server.authenticate = (req) => {
      const ok = req.headers['proxy-authorization'] === expected;
      if (!ok) refused += 1;
      return ok;
    };
  }
  const port = await listenOnLoopback(server, cleanups);
  const userInfo = credentials === undefined ? '' : `${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}@`;
  return {
    url: `http://${userInfo}127.0.0.1:${port}`,
    seen,
    get refused() {
      return refused;
    },
  };
}
