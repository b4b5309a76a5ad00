// Corporate networks: every outbound call — the OAuth token, Account Management, Davis Assistant and
// a JWT issuer's JWKS — goes through the forward proxy that HTTP(S)_PROXY names (a real one on loopback),
// with or without proxy credentials, and only NO_PROXY lets a call bypass it. The Dynatrace side sits
// at loopback addresses nobody listens on, which the proxy alone routes to the sandbox: a call that
// went around the proxy would be refused. Over https, the spawned bridge trusts the test certificate
// through NODE_EXTRA_CA_CERTS, as it would a TLS-inspecting proxy's CA. Proxy credentials never appear
// in an error or the output. In sandbox mode (no call leaves the process) the clients go direct.
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { connect, type Socket } from 'node:net';
import path from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { inspect } from 'node:util';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startUpstream } from '../../src/deps.js';
import { createLogger } from '../../src/observability/logger.js';
import { UpstreamError } from '../../src/ports/upstream-error.js';
import { startSandbox, type SandboxHandle } from '../../src/sandbox/index.js';
import { freePort } from '../../tools/free-port.js';
import { makeDataDir, removeDataDir } from '../helpers/bridge-process.js';
import { cleanupsAfterEach } from '../helpers/cleanups.js';
import { startForwardProxy } from '../helpers/forward-proxy.js';
import { captureLogLines } from '../helpers/log-capture.js';
import { listenOnLoopback } from '../helpers/loopback-server.js';
import { userBody } from '../helpers/scim-builders.js';
import { scimRequest } from '../helpers/scim-client.js';
import { buildBridge, spawnBridge, type BuiltBridge } from '../helpers/spawned-bridge.js';

const cleanups = cleanupsAfterEach();
const tlsDir = path.resolve(import.meta.dirname, '../fixtures/tls');
const tls = { cert: readFileSync(path.join(tlsDir, 'loopback.crt')), key: readFileSync(path.join(tlsDir, 'loopback.key')) };
const SCIM_TOKEN = 'proxy-test-token-0123456789';

async function sandboxOnLoopback(): Promise<SandboxHandle> {
  const sandbox = await startSandbox({ host: '127.0.0.1', port: 0 });
  cleanups.push(() => sandbox.stop());
  return sandbox;
}

/** A loopback `host:port` nobody listens on: reachable only through a proxy that routes it. */
async function unreachable(host = '127.0.0.1'): Promise<string> {
  return `${host}:${await freePort()}`;
}

/** The Dynatrace variables of a real account, at `origin` (an http(s) base URL) for the API, the token endpoint and Davis Assistant. */
function accountEnv(sandbox: SandboxHandle, origins: { api: string; token: string; davis: string }): Record<string, string> {
  return {
    DT_ACCOUNT_UUID: sandbox.accountUuid,
    DT_CLIENT_ID: sandbox.clientId,
    DT_CLIENT_SECRET: sandbox.clientSecret,
    DT_API_URL: origins.api,
    DT_TOKEN_URL: `${origins.token}${new URL(sandbox.tokenUrl).pathname}`,
    DAVIS_ASSISTANT_URL: origins.davis,
    DAVIS_ASSISTANT_TOKEN: sandbox.davisToken,
  };
}

describe('outbound calls through a forward proxy', () => {
  it('when HTTP_PROXY names the proxy, then the OAuth token, Account Management and Davis Assistant calls reach Dynatrace only through it', async () => {
    const sandbox = await sandboxOnLoopback();
    const real = new URL(sandbox.url).host;
    const [api, token, davis] = [await unreachable(), await unreachable(), await unreachable()];
    const proxy = await startForwardProxy(cleanups, { routes: { [api]: real, [token]: real, [davis]: real } });
    const config = loadConfig({ HTTP_PROXY: proxy.url, ...accountEnv(sandbox, { api: `http://${api}`, token: `http://${token}`, davis: `http://${davis}` }) });
    const upstream = await startUpstream({ config, logger: createLogger({ level: 'silent' }) });
    cleanups.push(() => upstream.close());

    await upstream.accountApi.createUser('through.proxy@example.com');
    await upstream.davisAssistantApi.listUsers();

    expect(sandbox.state.findUser('through.proxy@example.com')).not.toBeNull();
    expect(new Set(proxy.seen)).toEqual(new Set([`CONNECT ${token}`, `CONNECT ${api}`, `CONNECT ${davis}`]));
  });

  it('when NO_PROXY names the host (and port), then those calls go direct, and an entry for another port does not bypass the proxy', async () => {
    const sandbox = await sandboxOnLoopback();
    const { host, port } = new URL(sandbox.url);
    const proxy = await startForwardProxy(cleanups);
    const origins = { api: sandbox.url, token: sandbox.url, davis: sandbox.url };

    for (const noProxy of ['127.0.0.1', `localhost, 127.0.0.1:${port}`, '*']) {
      const upstream = await startUpstream({ config: loadConfig({ HTTP_PROXY: proxy.url, NO_PROXY: noProxy, ...accountEnv(sandbox, origins) }), logger: createLogger({ level: 'silent' }) });
      cleanups.push(() => upstream.close());
      await upstream.accountApi.listEnvironments();
    }
    expect(proxy.seen).toEqual([]);

    const otherPort = await startUpstream({ config: loadConfig({ HTTP_PROXY: proxy.url, no_proxy: '127.0.0.1:1', ...accountEnv(sandbox, origins) }), logger: createLogger({ level: 'silent' }) });
    cleanups.push(() => otherPort.close());
    await otherPort.accountApi.listEnvironments();
    expect(new Set(proxy.seen)).toEqual(new Set([`CONNECT ${host}`]));
  });

  it('when the bridge runs in sandbox mode behind a proxy, then its clients reach the in-process sandbox directly', async () => {
    const proxy = await startForwardProxy(cleanups);
    const upstream = await startUpstream({ config: loadConfig({ HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url }), logger: createLogger({ level: 'silent' }) });
    cleanups.push(() => upstream.close());
    expect(upstream.sandbox).not.toBeNull();
    await upstream.accountApi.createUser('sandboxed@example.com');
    expect(upstream.sandbox?.state.findUser('sandboxed@example.com')).not.toBeNull();
    expect(proxy.seen).toEqual([]);
  });

  it('when the proxy demands credentials, then those in the proxy URL are sent, and wrong ones fail the call as unavailable with no trace of them', async () => {
    const sandbox = await sandboxOnLoopback();
    const real = new URL(sandbox.url).host;
    const target = await unreachable();
    const credentials = { user: 'svc-bridge', password: 'pr0xy-S3cret-value' };
    const proxy = await startForwardProxy(cleanups, { credentials, routes: { [target]: real } });
    const origins = { api: `http://${target}`, token: `http://${target}`, davis: `http://${target}` };

    const good = await startUpstream({ config: loadConfig({ HTTP_PROXY: proxy.url, ...accountEnv(sandbox, origins) }), logger: createLogger({ level: 'silent' }) });
    cleanups.push(() => good.close());
    await good.accountApi.createUser('authenticated@example.com');
    expect(sandbox.state.findUser('authenticated@example.com')).not.toBeNull();
    expect(proxy.refused).toBe(0);

    const wrongUrl = proxy.url.replace(credentials.password, 'not-the-password-42');
    const { lines, destination } = captureLogLines();
    const wrong = await startUpstream({ config: loadConfig({ HTTP_PROXY: wrongUrl, ...accountEnv(sandbox, origins) }), logger: createLogger({ level: 'trace', destination }) });
    cleanups.push(() => wrong.close());
    const error = await wrong.accountApi.createUser('refused@example.com').then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).code).toBe('unavailable');
    expect(proxy.refused).toBeGreaterThan(0);
    expect(sandbox.state.findUser('refused@example.com')).toBeNull();
    const traces = [String(error), JSON.stringify(error), inspect(error, { depth: 10 }), ...lines].join('\n');
    for (const secret of ['not-the-password-42', credentials.password, wrongUrl, Buffer.from(`${credentials.user}:not-the-password-42`).toString('base64')]) {
      expect(traces).not.toContain(secret);
    }
  });
});

describe('the bridge process behind an https-inspecting proxy', () => {
  let built: BuiltBridge;
  beforeAll(() => {
    built = buildBridge();
  });
  afterAll(() => built.remove());

  /** TLS with the test certificate on loopback in front of `target` (host:port). */
  async function tlsFront(target: string): Promise<string> {
    const { hostname, port } = new URL(`http://${target}`);
    const sockets = new Set<Socket>();
    const server = createTlsServer(tls, (socket) => {
      const upstream = connect(Number(port), hostname);
      for (const end of [socket, upstream]) {
        sockets.add(end);
        end.on('error', () => undefined).on('close', () => sockets.delete(end));
      }
      socket.pipe(upstream).pipe(socket);
    });
    server.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          for (const socket of sockets) socket.destroy();
          server.close(() => resolve());
        }),
    );
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no address');
    return `127.0.0.1:${address.port}`;
  }

  it('when HTTPS_PROXY with credentials and NODE_EXTRA_CA_CERTS are set, then provisioning and JWT key fetches tunnel through the proxy over https and the output never shows the credentials', async () => {
    const sandbox = await sandboxOnLoopback();
    const dynatrace = await tlsFront(new URL(sandbox.url).host);
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'proxy-test', alg: 'ES256', use: 'sig' };
    const jwksServer = createHttpsServer(tls, (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
    const jwks = `127.0.0.1:${await listenOnLoopback(jwksServer, cleanups)}`;
    // The certificate is for localhost: the bridge asks for localhost at ports nobody listens on.
    const [api, keys] = [await unreachable('localhost'), await unreachable('localhost')];
    const credentials = { user: 'svc-bridge', password: 'https-pr0xy-S3cret' };
    const proxy = await startForwardProxy(cleanups, { credentials, routes: { [api]: dynatrace, [keys]: jwks } });
    const dataDir = makeDataDir();
    cleanups.push(() => removeDataDir(dataDir));

    const bridge = await spawnBridge(built.entry, {
      DATA_DIR: dataDir,
      SCIM_TOKENS: SCIM_TOKEN,
      SYNC_COALESCE_MS: '0',
      RECONCILE_INTERVAL_MS: '0',
      LOG_LEVEL: 'trace',
      ...accountEnv(sandbox, { api: `https://${api}`, token: `https://${api}`, davis: `https://${api}` }),
      JWT_JWKS_URL: `https://${keys}/keys`,
      JWT_ISSUER: 'https://issuer.example.test/',
      JWT_AUDIENCE: 'scim-bridge',
      HTTPS_PROXY: proxy.url,
      NODE_EXTRA_CA_CERTS: path.join(tlsDir, 'loopback.crt'),
    });
    cleanups.push(() => bridge.kill());

    const now = Math.floor(Date.now() / 1000);
    const jwt = await new SignJWT({ iss: 'https://issuer.example.test/', aud: 'scim-bridge', sub: 'idp', iat: now, exp: now + 300 })
      .setProtectedHeader({ alg: 'ES256', kid: 'proxy-test' })
      .sign(privateKey);
    const created = await scimRequest(`${bridge.url}/scim/v2`, jwt, 'POST', '/Users', userBody('https.proxy@example.com'));
    expect(created.status, created.text).toBe(201);
    const deadline = Date.now() + 20_000;
    while (sandbox.state.findUser('https.proxy@example.com') === null) {
      if (Date.now() > deadline) throw new Error(`the user was not provisioned through the proxy:\n${bridge.output().slice(-3000)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    expect(new Set(proxy.seen)).toEqual(new Set([`CONNECT ${api}`, `CONNECT ${keys}`]));
    expect(proxy.refused).toBe(0);
    bridge.signal('SIGTERM');
    expect((await bridge.exited).code).toBe(0);
    for (const secret of [credentials.password, proxy.url, Buffer.from(`${credentials.user}:${credentials.password}`).toString('base64')]) {
      expect(bridge.output()).not.toContain(secret);
    }
  });
});
