// How a Dynatrace call that gets no usable answer is named, against real failures on loopback: a port
// nobody listens on, a server that never answers, a TLS server whose certificate is self-signed, and
// HTTP errors with Dynatrace's error body — each an UpstreamError whose `failure` gives the URL (no
// query, no secret) and the cause, also told to the observer. DNS failures and the other certificate
// problems, which loopback cannot produce, are read from the error chain Node's fetch throws.
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import net from 'node:net';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createAccountManagementClient } from '../../src/adapters/dynatrace/index.js';
import { networkFailure } from '../../src/adapters/dynatrace/upstream-failure.js';
import { noopObserver } from '../../src/ports/observer.js';
import type { UpstreamFailure } from '../../src/ports/upstream-error.js';
import { UpstreamError } from '../../src/ports/upstream-error.js';
import { freePort } from '../../tools/free-port.js';
import { cleanupsAfterEach } from '../helpers/cleanups.js';

const ACCOUNT = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
const TOKEN = 'dt0s02.SECRETTOKENPART.0123456789';
const cleanups = cleanupsAfterEach();

/** Lists users once (no retry) against `baseUrl`; the error it fails with and what the observer heard. */
async function failingListUsers(baseUrl: string, timeoutMs = 5_000): Promise<{ error: UpstreamError; told: UpstreamFailure[] }> {
  const told: UpstreamFailure[] = [];
  const api = createAccountManagementClient({
    accountUuid: ACCOUNT,
    baseUrl,
    tokenProvider: { getToken: async () => TOKEN, invalidate: () => undefined },
    retry: { maxAttempts: 1 },
    timeoutMs,
    observer: { ...noopObserver, upstreamFailure: ({ failure }) => told.push(failure) },
  });
  const error = await api.listUsers().then(
    () => {
      throw new Error('the call succeeded');
    },
    (caught: unknown) => caught,
  );
  if (!(error instanceof UpstreamError)) throw error;
  return { error, told };
}

async function listen(server: net.Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as net.AddressInfo).port;
}

function answering(status: number, body: string): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    req.resume();
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(body);
  };
}

describe('a Dynatrace call that gets no usable answer', () => {
  it('when nothing listens on the port, then the failure is connection_refused at the URL without its query', async () => {
    const port = await freePort();
    const { error, told } = await failingListUsers(`http://127.0.0.1:${port}`);
    expect(error.code).toBe('unavailable');
    expect(error.failure).toEqual({
      url: `http://127.0.0.1:${port}/iam/v1/accounts/${ACCOUNT}/users`,
      kind: 'connection_refused',
      status: null,
      errorCode: null,
      description: 'connection refused (ECONNREFUSED)',
    });
    expect(told).toEqual([error.failure]);
  });

  it('when the server never answers, then the failure is a timeout', async () => {
    const sockets: net.Socket[] = [];
    const server = net.createServer((socket) => sockets.push(socket));
    const port = await listen(server);
    cleanups.push(() => sockets.forEach((socket) => socket.destroy()));
    const { error } = await failingListUsers(`http://127.0.0.1:${port}`, 300);
    expect(error.failure).toMatchObject({ kind: 'timeout', description: 'timed out (ETIMEDOUT)', status: null });
  });

  it('when the server\'s certificate is self-signed, then the failure is tls and names the certificate problem', async () => {
    const fixtures = new URL('../fixtures/tls/', import.meta.url);
    const server = createHttpsServer({ key: readFileSync(new URL('loopback.key', fixtures)), cert: readFileSync(new URL('loopback.crt', fixtures)) }, answering(200, '{"count":0,"items":[]}'));
    const port = await listen(server);
    const { error } = await failingListUsers(`https://127.0.0.1:${port}`);
    expect(error.failure).toMatchObject({
      url: `https://127.0.0.1:${port}/iam/v1/accounts/${ACCOUNT}/users`,
      kind: 'tls',
      description: 'TLS handshake failed: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)',
    });
  });

  it('when Dynatrace answers an error, then the failure carries the status, its error code and message, and never the token it echoed', async () => {
    const server = createHttpServer(answering(403, JSON.stringify({ code: 403, message: `Forbidden: token ${TOKEN} lacks account-idm-read`, errorsMap: {} })));
    const port = await listen(server);
    const { error, told } = await failingListUsers(`http://127.0.0.1:${port}`);
    expect(error.code).toBe('misconfigured');
    expect(error.failure).toEqual({
      url: `http://127.0.0.1:${port}/iam/v1/accounts/${ACCOUNT}/users`,
      kind: 'http',
      status: 403,
      errorCode: '403',
      description: 'HTTP 403 — code 403: Forbidden: token [REDACTED] lacks account-idm-read',
    });
    expect(told).toEqual([error.failure]);

    const unavailable = createHttpServer(answering(503, '{"error":{"code":"SERVICE_UNAVAILABLE","message":"maintenance"}}'));
    const other = await listen(unavailable);
    expect((await failingListUsers(`http://127.0.0.1:${other}`)).error.failure).toMatchObject({ kind: 'http', status: 503, errorCode: 'SERVICE_UNAVAILABLE', description: 'HTTP 503 — code SERVICE_UNAVAILABLE: maintenance' });
  });

  it('when a 404 answers a lookup, then it is no failure of reaching Dynatrace: nothing is told', async () => {
    const server = createHttpServer(answering(404, '{"error":{"code":404,"message":"User not found"}}'));
    const port = await listen(server);
    const { error, told } = await failingListUsers(`http://127.0.0.1:${port}`);
    expect(error.failure).toMatchObject({ kind: 'http', status: 404 });
    expect(told).toEqual([]);
  });
});

describe('naming a failure from the error chain of Node\'s fetch', () => {
  const fetchFailed = (code: string, message: string) => new TypeError('fetch failed', { cause: Object.assign(new Error(message), { code }) });

  it('when the host name does not resolve, then the failure is dns', () => {
    expect(networkFailure('https://api.dynatrace.example/iam/v1/accounts/a/users?x=1', fetchFailed('ENOTFOUND', 'getaddrinfo ENOTFOUND api.dynatrace.example'))).toEqual({
      url: 'https://api.dynatrace.example/iam/v1/accounts/a/users',
      kind: 'dns',
      status: null,
      errorCode: null,
      description: 'DNS lookup failed (ENOTFOUND)',
    });
    expect(networkFailure('https://h/x', fetchFailed('EAI_AGAIN', 'getaddrinfo EAI_AGAIN h')).kind).toBe('dns');
  });

  it('when a certificate is expired, names another host or is unknown, then the failure is tls and says which', () => {
    expect(networkFailure('https://h/x', fetchFailed('CERT_HAS_EXPIRED', 'certificate has expired')).description).toBe('TLS handshake failed: certificate has expired (CERT_HAS_EXPIRED)');
    expect(networkFailure('https://h/x', fetchFailed('ERR_TLS_CERT_ALTNAME_INVALID', 'Hostname/IP does not match')).description).toBe('TLS handshake failed: certificate does not name this host (ERR_TLS_CERT_ALTNAME_INVALID)');
    expect(networkFailure('https://h/x', fetchFailed('UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'unable to get local issuer certificate')).description).toBe('TLS handshake failed: certificate issuer unknown (not in the trusted CAs) (UNABLE_TO_GET_ISSUER_CERT_LOCALLY)');
  });

  it('when the connection breaks or the connect times out, then it says so; an unknown error is a network error', () => {
    expect(networkFailure('https://h/x', fetchFailed('ECONNRESET', 'read ECONNRESET')).kind).toBe('connection_reset');
    expect(networkFailure('https://h/x', fetchFailed('UND_ERR_CONNECT_TIMEOUT', 'Connect Timeout Error')).kind).toBe('timeout');
    expect(networkFailure('https://h/x', new TypeError('fetch failed'))).toMatchObject({ kind: 'network', description: 'network error' });
  });
});
