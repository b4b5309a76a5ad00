// HTTP hardening on a real listening bridge: security headers on every answer, the per-client rate
// limit on a fake clock (per credential, per address for failed authentication, X-Forwarded-For only
// from a trusted proxy), the /admin body limit, SCIM JSON answers to requests Node cannot parse
// (raw sockets), and OPTIONS answers.
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest, type Server } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { createSqliteStore } from '../../src/adapters/store/index.js';
import { loadConfig } from '../../src/config.js';
import { DEFAULT_MAPPING } from '../../src/core/mapping/mapping.js';
import { buildDeps, startUpstream } from '../../src/deps.js';
import { createAppServer } from '../../src/http/app-server.js';
import { createTokenBuckets } from '../../src/http/client-rate-limit.js';
import { hardenServer } from '../../src/http/server-hardening.js';
import { createLogger } from '../../src/observability/logger.js';
import { ERROR_URN } from '../helpers/scim-builders.js';
import { TEST_ADMIN_TOKEN, TEST_TOKEN } from '../helpers/test-bridge.js';
import { cleanupsAfterEach } from '../helpers/cleanups.js';
import { listenOnLoopback } from '../helpers/loopback-server.js';

const SECOND_TOKEN = 'second-client-token-0123456789';

const EXPECTED_HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
};

interface HardenedBridge {
  readonly url: string;
  readonly base: string;
  readonly port: number;
  readonly server: Server;
  /** The rate limit's clock, in milliseconds; tests move it. */
  readonly clock: { ms: number };
}

const cleanups = cleanupsAfterEach();

/** The bridge as src/main.ts wires it (createApp, hardenServer), with two static tokens and the rate limit on a fake clock. */
async function startHardenedBridge(env: Record<string, string> = {}, serverOptions: { connectionsCheckingInterval?: number } = {}): Promise<HardenedBridge> {
  const dir = mkdtempSync(path.join(tmpdir(), 'scim-hardening-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const config = loadConfig({ DATA_DIR: dir, SCIM_TOKENS: `${TEST_TOKEN},${SECOND_TOKEN}`, ADMIN_TOKENS: TEST_ADMIN_TOKEN, LOG_LEVEL: 'silent', ...env });
  const logger = createLogger({ level: 'silent' });
  const store = createSqliteStore({ file: path.join(dir, 'bridge.sqlite') });
  const upstream = await startUpstream({ config, logger });
  cleanups.push(() => store.close(), () => upstream.close());
  const deps = buildDeps({ config, logger, scimTokens: config.scimTokens, store, upstream, mapping: DEFAULT_MAPPING });
  const clock = { ms: 1_000_000 };
  const server = createAppServer(createApp({ ...deps, clientRateLimitClock: () => clock.ms }), serverOptions);
  hardenServer(server, { logger });
  const port = await listenOnLoopback(server, cleanups);
  const url = `http://127.0.0.1:${port}`;
  return { url, base: `${url}${config.scimBasePath}`, port, server, clock };
}

async function send(url: string, init: { method?: string; token?: string | null; headers?: Record<string, string>; body?: string } = {}) {
  const headers: Record<string, string> = { ...(init.token ? { authorization: `Bearer ${init.token}` } : {}), ...init.headers };
  const response = await fetch(url, { method: init.method ?? 'GET', headers, ...(init.body === undefined ? {} : { body: init.body }) });
  const text = await response.text();
  let body: any;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, body, text };
}

/** Writes `data` on a fresh connection and collects everything until the server closes it (bounded by `timeoutMs`). */
function rawExchange(port: number, data: string, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close within ${timeoutMs} ms; got: ${Buffer.concat(chunks).toString('utf8')}`));
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // The server may reset the connection after answering, while the rest of an oversized request is in flight.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    socket.write(data);
  });
}

function parseRawResponse(text: string): { status: number; headers: Map<string, string>; body: any } {
  const split = text.indexOf('\r\n\r\n');
  const [statusLine = '', ...lines] = text.slice(0, split).split('\r\n');
  const headers = new Map(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()] as const));
  return { status: Number(statusLine.split(' ')[1]), headers, body: JSON.parse(text.slice(split + 4)) };
}

describe('security headers', () => {
  it('when any answer is sent (ops, SCIM, admin, refusals, errors, unknown paths), then it carries the security headers and no X-Powered-By or HSTS', async () => {
    const bridge = await startHardenedBridge();
    const answers = [
      await send(`${bridge.url}/healthz`),
      await send(`${bridge.url}/readyz`),
      await send(`${bridge.base}/Users`, { token: TEST_TOKEN }),
      await send(`${bridge.base}/Users`),
      await send(`${bridge.base}/Users`, { method: 'POST', token: TEST_TOKEN, headers: { 'content-type': 'application/scim+json' }, body: '{bad' }),
      await send(`${bridge.url}/admin/status`, { token: TEST_ADMIN_TOKEN }),
      await send(`${bridge.url}/no/such/path`),
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 401, 400, 200, 404]);
    for (const answer of answers) {
      for (const [name, value] of Object.entries(EXPECTED_HEADERS)) expect(answer.headers.get(name), `${answer.status} ${name}`).toBe(value);
      expect(answer.headers.get('x-powered-by')).toBeNull();
      expect(answer.headers.get('strict-transport-security')).toBeNull();
    }
  });

  it('when a trusted proxy says the request came over https, then HSTS is sent; an untrusted peer saying so is ignored', async () => {
    const trusting = await startHardenedBridge({ TRUST_PROXY: 'loopback' });
    const viaTls = await send(`${trusting.url}/healthz`, { headers: { 'x-forwarded-proto': 'https' } });
    expect(viaTls.headers.get('strict-transport-security')).toBe('max-age=31536000');
    expect((await send(`${trusting.url}/healthz`)).headers.get('strict-transport-security')).toBeNull();
    const untrusting = await startHardenedBridge();
    const spoofed = await send(`${untrusting.url}/healthz`, { headers: { 'x-forwarded-proto': 'https' } });
    expect(spoofed.headers.get('strict-transport-security')).toBeNull();
  });
});

describe('per-client rate limit', () => {
  it('when a credential exceeds its rate, then 429 with a SCIM body and an integer Retry-After; another credential is unaffected; time refills it', async () => {
    const bridge = await startHardenedBridge({ RATE_LIMIT_PER_MINUTE: '12', RATE_LIMIT_BURST: '2' });
    expect((await send(`${bridge.base}/Users`, { token: TEST_TOKEN })).status).toBe(200);
    expect((await send(`${bridge.base}/Users/some-id`, { token: TEST_TOKEN })).status).toBe(404);
    const limited = await send(`${bridge.base}/Users`, { token: TEST_TOKEN });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('5');
    expect(limited.headers.get('content-type')).toMatch(/^application\/scim\+json/);
    expect(limited.body).toEqual({ schemas: [ERROR_URN], status: '429', detail: expect.stringMatching(/too many requests/) });
    expect((await send(`${bridge.base}/Users`, { token: SECOND_TOKEN })).status).toBe(200);
    expect((await send(`${bridge.url}/admin/status`, { token: TEST_ADMIN_TOKEN })).status).toBe(200);
    bridge.clock.ms += 4_000;
    const stillLimited = await send(`${bridge.base}/Users`, { token: TEST_TOKEN });
    expect(stillLimited.status).toBe(429);
    expect(stillLimited.headers.get('retry-after')).toBe('1');
    bridge.clock.ms += 1_000;
    expect((await send(`${bridge.base}/Users`, { token: TEST_TOKEN })).status).toBe(200);
  });

  it('when an address keeps failing authentication, then it is refused with 429 before its credentials are checked, while health checks stay unlimited', async () => {
    const bridge = await startHardenedBridge({ RATE_LIMIT_PER_MINUTE: '60', RATE_LIMIT_BURST: '3' });
    for (const token of [null, 'wrong-token-0123456789abc', 'another-wrong-token-0123456']) {
      expect((await send(`${bridge.base}/Users`, { token })).status).toBe(401);
    }
    for (const token of [null, 'wrong-token-0123456789abc', TEST_TOKEN]) {
      const refused = await send(`${bridge.base}/Users`, { token });
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(refused.body).toMatchObject({ schemas: [ERROR_URN], status: '429' });
    }
    expect((await send(`${bridge.url}/admin/status`, { token: TEST_ADMIN_TOKEN })).status).toBe(429);
    for (let i = 0; i < 10; i += 1) {
      expect((await send(`${bridge.url}/healthz`)).status).toBe(200);
      expect((await send(`${bridge.url}/readyz`)).status).toBe(200);
    }
    bridge.clock.ms += 1_000;
    expect((await send(`${bridge.base}/Users`, { token: TEST_TOKEN })).status).toBe(200);
  });

  it('when X-Forwarded-For comes from a trusted proxy, then each forwarded client has its own bucket (IPv6 by /64); from an untrusted peer it is ignored', async () => {
    const limits = { RATE_LIMIT_PER_MINUTE: '60', RATE_LIMIT_BURST: '2' };
    const fail = (bridge: HardenedBridge, forwardedFor: string) => send(`${bridge.base}/Users`, { headers: { 'x-forwarded-for': forwardedFor } });

    const trusting = await startHardenedBridge({ ...limits, TRUST_PROXY: 'loopback' });
    expect((await fail(trusting, '203.0.113.1')).status).toBe(401);
    expect((await fail(trusting, '203.0.113.1')).status).toBe(401);
    expect((await fail(trusting, '203.0.113.1')).status).toBe(429);
    expect((await fail(trusting, '203.0.113.2')).status).toBe(401);
    expect((await fail(trusting, '2001:db8:1:2::1')).status).toBe(401);
    expect((await fail(trusting, '2001:db8:1:2:ffff::9')).status).toBe(401);
    expect((await fail(trusting, '2001:0db8:0001:0002:0:0:0:7')).status).toBe(429);
    expect((await fail(trusting, '2001:db8:1:3::1')).status).toBe(401);

    const untrusting = await startHardenedBridge(limits);
    expect((await fail(untrusting, '203.0.113.1')).status).toBe(401);
    expect((await fail(untrusting, '203.0.113.2')).status).toBe(401);
    expect((await fail(untrusting, '203.0.113.3')).status).toBe(429);
  });

  it('when more clients than the key cap appear, then the least recently used bucket is dropped, and idle buckets go once full again', () => {
    const clock = { ms: 0 };
    const buckets = createTokenBuckets({ perMinute: 60, burst: 1, now: () => clock.ms, maxKeys: 3 });
    expect(buckets.take('a')).toBe(0);
    expect(buckets.take('a')).toBe(1);
    for (const key of ['b', 'c', 'd']) expect(buckets.take(key)).toBe(0);
    expect(buckets.size).toBe(3);
    // 'a' was dropped, so it starts over with a full bucket; 'd' was not.
    expect(buckets.take('a')).toBe(0);
    expect(buckets.take('d')).toBe(1);
    clock.ms += 1_000;
    expect(buckets.take('e')).toBe(0);
    expect(buckets.size).toBe(1);
  });
});

describe('request bodies', () => {
  it('when an /admin request carries a body over the limit, with or without Content-Length, then 413 with a SCIM body and nothing runs', async () => {
    const bridge = await startHardenedBridge();
    const big = JSON.stringify({ padding: 'x'.repeat(2 * 1024 * 1024) });
    const sized = await send(`${bridge.url}/admin/reconcile`, { method: 'POST', token: TEST_ADMIN_TOKEN, headers: { 'content-type': 'application/json' }, body: big });
    expect(sized.status).toBe(413);
    expect(sized.body).toMatchObject({ schemas: [ERROR_URN], status: '413' });

    const chunked = await new Promise<{ status: number; body: any }>((resolve, reject) => {
      const req = httpRequest(`${bridge.url}/admin/reconcile`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      });
      req.on('response', (res) => {
        const parts: Buffer[] = [];
        res.on('data', (part: Buffer) => parts.push(part));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(parts).toString('utf8')) }));
      });
      // The server may answer and close before every chunk is written.
      req.on('error', reject);
      for (let offset = 0; offset < big.length && !req.destroyed; offset += 65_536) req.write(big.slice(offset, offset + 65_536));
      req.end();
    });
    expect(chunked.status).toBe(413);
    expect(chunked.body).toMatchObject({ schemas: [ERROR_URN], status: '413' });
    const status = await send(`${bridge.url}/admin/status`, { token: TEST_ADMIN_TOKEN });
    expect(status.body.lastReconcile).toBeNull();
  });
});

describe('requests Node cannot parse', () => {
  it('when the header block is too large, then 431 with a SCIM JSON body and the connection closed', async () => {
    const bridge = await startHardenedBridge();
    const text = await rawExchange(bridge.port, `GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Padding: ${'a'.repeat(64 * 1024)}\r\n\r\n`);
    const answer = parseRawResponse(text);
    expect(answer.status).toBe(431);
    expect(answer.headers.get('content-type')).toMatch(/^application\/scim\+json/);
    expect(answer.headers.get('connection')).toBe('close');
    expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
    expect(answer.body).toEqual({ schemas: [ERROR_URN], status: '431', detail: expect.any(String) });
  });

  it('when the bytes are not HTTP, then 400 with a SCIM JSON body', async () => {
    const bridge = await startHardenedBridge();
    for (const garbage of ['THIS IS NOT HTTP\r\n\r\n', 'GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header Name: y\r\n\r\n']) {
      const answer = parseRawResponse(await rawExchange(bridge.port, garbage));
      expect(answer.status, garbage).toBe(400);
      expect(answer.body, garbage).toEqual({ schemas: [ERROR_URN], status: '400', detail: expect.any(String) });
    }
  });

  it('when the headers do not arrive in time, then 408 with a SCIM JSON body; the timeouts are bounded', async () => {
    const bridge = await startHardenedBridge({}, { connectionsCheckingInterval: 50 });
    expect({ headers: bridge.server.headersTimeout, request: bridge.server.requestTimeout, keepAlive: bridge.server.keepAliveTimeout }).toEqual({
      headers: 20_000,
      request: 60_000,
      keepAlive: 65_000,
    });
    bridge.server.headersTimeout = 200;
    bridge.server.requestTimeout = 200;
    const answer = parseRawResponse(await rawExchange(bridge.port, 'GET /healthz HTTP/1.1\r\nHost: localhost\r\n'));
    expect(answer.status).toBe(408);
    expect(answer.body).toEqual({ schemas: [ERROR_URN], status: '408', detail: expect.any(String) });
  });
});

describe('OPTIONS', () => {
  it('when OPTIONS is sent to any path, with or without a token, then 204 with Allow, no body and no CORS grant', async () => {
    const bridge = await startHardenedBridge();
    for (const [url, token] of [
      [`${bridge.base}/Users`, null],
      [`${bridge.base}/Users/some-id`, TEST_TOKEN],
      [`${bridge.url}/admin/status`, null],
      [`${bridge.url}/healthz`, null],
    ] as const) {
      const answer = await send(url, { method: 'OPTIONS', token, headers: { origin: 'https://evil.example.test', 'access-control-request-method': 'DELETE' } });
      expect(answer.status, url).toBe(204);
      expect(answer.text, url).toBe('');
      expect(answer.headers.get('allow'), url).toBe('GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS');
      expect(answer.headers.get('content-type'), url).toBeNull();
      expect(answer.headers.get('access-control-allow-origin'), url).toBeNull();
      expect(answer.headers.get('x-content-type-options'), url).toBe('nosniff');
    }
  });
});
