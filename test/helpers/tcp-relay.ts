// A TCP relay on 127.0.0.1 in front of a server (the test PostgreSQL), for outages on demand: `cut`
// refuses (every connection dropped, the port closed), `blackhole` goes silent (connections stay open
// and new ones are accepted, but nothing is forwarded — the harder case, where only timeouts help),
// and `restore` forwards again on the same port.
import net from 'node:net';
import { freePort } from '../../tools/free-port.js';

export interface TcpRelay {
  /** `target` with the relay's port. */
  readonly url: string;
  cut(): Promise<void>;
  blackhole(): void;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpRelay(target: URL): Promise<TcpRelay> {
  const port = await freePort();
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket | null }>();
  let server: net.Server | undefined;
  let silent = false;

  const destroyAll = (): void => {
    for (const { client, upstream } of pairs) {
      client.destroy();
      upstream?.destroy();
    }
    pairs.clear();
  };

  const listen = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const relay = net.createServer((client) => {
        client.on('error', () => undefined);
        if (silent) {
          // Accepted, never answered: the client's connect timeout has to end it.
          const pair = { client, upstream: null };
          pairs.add(pair);
          client.on('close', () => pairs.delete(pair));
          return;
        }
        const upstream = net.connect(Number(target.port), target.hostname);
        const pair = { client, upstream };
        pairs.add(pair);
        upstream.on('error', () => undefined);
        for (const socket of [client, upstream]) {
          socket.on('close', () => {
            pairs.delete(pair);
            client.destroy();
            upstream.destroy();
          });
        }
        client.pipe(upstream).pipe(client);
      });
      relay.once('error', reject);
      relay.listen(port, '127.0.0.1', () => resolve());
      server = relay;
    });

  const stopListening = async (): Promise<void> => {
    const closing = server;
    server = undefined;
    destroyAll();
    if (closing !== undefined) await new Promise<void>((resolve) => closing.close(() => resolve()));
  };

  await listen();
  const url = new URL(target.href);
  url.port = String(port);
  return {
    url: url.href,
    cut: stopListening,
    blackhole() {
      silent = true;
      for (const { client, upstream } of pairs) {
        if (upstream === null) continue;
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
      }
    },
    async restore() {
      silent = false;
      // Connections that went silent carry half-delivered traffic: drop them, the clients reconnect.
      destroyAll();
      if (server === undefined) await listen();
    },
    close: stopListening,
  };
}
