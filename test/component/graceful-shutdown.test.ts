// Graceful shutdown in-process (src/shutdown.ts) with real HTTP on loopback, a real SQLite file and the
// Dynatrace sandbox: in-flight requests finish while new connections are refused and /readyz says
// draining; a sync item waiting for the rate budget is released at once; a step that never finishes
// ends the shutdown at its deadline with exit code 1; a second signal exits at once.
import { EventEmitter, once } from 'node:events';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FetchFn } from '../../src/adapters/dynatrace/index.js';
import { createSqliteStore } from '../../src/adapters/store/index.js';
import { startMetricsServer } from '../../src/http/metrics-server.js';
import { trackForDrain, type ServerDrain } from '../../src/http/server-drain.js';
import { createLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
import type { SandboxFaults, SandboxHandle } from '../../src/sandbox/index.js';
import { exitOnStopSignals, shutDown, type ShutdownOutcome, type ShutdownParts } from '../../src/shutdown.js';
import {
  createManualClock,
  makeDataDir,
  removeDataDir,
  startBridgeProcess,
  startSharedSandbox,
  type BridgeProcess,
  type ManualClock,
} from '../helpers/bridge-process.js';
import { userBody } from '../helpers/scim-builders.js';
import { TEST_TOKEN } from '../helpers/test-bridge.js';
import { cleanupsAfterEach } from '../helpers/cleanups.js';
import { until } from '../helpers/until.js';

const cleanups = cleanupsAfterEach();

interface Rig {
  readonly bridge: BridgeProcess;
  readonly http: ServerDrain;
  readonly stopping: AbortController;
  readonly clock: ManualClock;
  readonly dataDir: string;
  /** Shutdown parts as main.ts wires them, with `overrides`. */
  parts(overrides: Partial<ShutdownParts> & { readonly timeoutMs: number }): ShutdownParts;
}

interface RigOptions {
  readonly env?: Record<string, string>;
  readonly faults?: Partial<SandboxFaults>;
  readonly wrapFetch?: (fetchFn: FetchFn) => FetchFn;
}

async function startRig(options: RigOptions = {}): Promise<Rig> {
  const clock = createManualClock();
  const sandbox: SandboxHandle = await startSharedSandbox({ clock, ...(options.faults ? { faults: options.faults } : {}) });
  cleanups.push(() => sandbox.stop());
  const dataDir = makeDataDir();
  cleanups.push(() => removeDataDir(dataDir));
  const stopping = new AbortController();
  const bridge = await startBridgeProcess({
    sandbox,
    dataDir,
    clock,
    stopSignal: stopping.signal,
    ...(options.env ? { env: options.env } : {}),
    ...(options.wrapFetch ? { wrapFetch: options.wrapFetch } : {}),
  });
  // Tolerates a store the shutdown already closed.
  cleanups.push(() => bridge.kill());
  const http = trackForDrain(bridge.server);
  return {
    bridge,
    http,
    stopping,
    clock,
    dataDir,
    parts: (overrides) => ({
      logger: bridge.deps.logger,
      readiness: bridge.deps.readiness,
      http,
      worker: bridge.worker,
      stopping,
      stopSchedules: () => undefined,
      store: bridge.store,
      upstream: { close: async () => undefined },
      metricsServer: null,
      ...overrides,
    }),
  };
}

interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** A request written to a raw socket in pieces, so it can be in flight (or half sent) when shutdown starts. */
interface RawExchange {
  send(text: string): void;
  /** The answer, once the server has closed the connection (bounded). */
  response(): Promise<RawResponse>;
}

async function rawRequest(url: string, firstPart: string): Promise<RawExchange> {
  const { port } = new URL(url);
  const socket = net.connect(Number(port), '127.0.0.1');
  await once(socket, 'connect');
  let received = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    received += chunk;
  });
  const closed = once(socket, 'close');
  socket.write(firstPart);
  return {
    send: (text) => socket.write(text),
    async response() {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`the server did not close the connection; received ${JSON.stringify(received)}`)), 5_000);
      });
      await Promise.race([closed, late]).finally(() => clearTimeout(timer));
      const [head = '', body = ''] = received.split('\r\n\r\n');
      const [statusLine = '', ...headerLines] = head.split('\r\n');
      const headers = Object.fromEntries(headerLines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
      return { status: Number(statusLine.split(' ')[1]), headers, body };
    },
  };
}

function logged(bridge: BridgeProcess, message: string): Record<string, unknown> | undefined {
  return bridge.logLines.map((line) => JSON.parse(line) as Record<string, unknown>).find((entry) => entry['msg'] === message);
}

describe('graceful shutdown', () => {
  it('when shutdown starts with requests in flight, then they finish with Connection: close, /readyz says draining, /healthz stays 200, new connections are refused and the metrics listener closes last', async () => {
    const rig = await startRig();
    const { bridge } = rig;
    const serverSockets: net.Socket[] = [];
    bridge.server.on('connection', (socket: net.Socket) => serverSockets.push(socket));
    const metricsServer = await startMetricsServer({ host: '127.0.0.1', port: 0, metrics: createMetrics(), token: null, logger: createLogger({ level: 'silent' }) });
    const metricsUrl = `http://127.0.0.1:${metricsServer.port}/metrics`;
    const body = JSON.stringify(userBody('slow.joiner@example.com'));
    const post = await rawRequest(
      bridge.url,
      `POST /scim/v2/Users HTTP/1.1\r\nHost: bridge\r\nAuthorization: Bearer ${TEST_TOKEN}\r\nContent-Type: application/scim+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 20)}`,
    );
    // Half-sent headers: the connection is busy (not idle), the request not yet routed.
    const readyz = await rawRequest(bridge.url, 'GET /readyz HTTP/1.1\r\nHost: bridge\r\n');
    const healthz = await rawRequest(bridge.url, 'GET /healthz HTTP/1.1\r\nHost: bridge\r\n');
    await until(() => rig.http.inFlight() === 1 && serverSockets.length === 3 && serverSockets.every((socket) => socket.bytesRead > 0), 5_000, 'three requests in flight');

    const shutdown = shutDown(rig.parts({ timeoutMs: 10_000, metricsServer }), 'SIGTERM');
    await expect(fetch(`${bridge.url}/healthz`)).rejects.toThrow();
    expect((await fetch(metricsUrl)).status).toBe(200);

    readyz.send('\r\n');
    healthz.send('\r\n');
    post.send(body.slice(20));
    const [ready, health, created] = await Promise.all([readyz.response(), healthz.response(), post.response()]);
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.body)).toMatchObject({ status: 'draining' });
    expect(health.status).toBe(200);
    expect(created.status).toBe(201);
    for (const answer of [ready, health, created]) expect(answer.headers['connection']).toBe('close');

    expect(await shutdown).toEqual({ exitCode: 0, cutShort: [] });
    await expect(fetch(metricsUrl)).rejects.toThrow();
    expect(logged(bridge, 'stopped')).toBeDefined();

    const reopened = createSqliteStore({ file: path.join(rig.dataDir, 'bridge.sqlite') });
    cleanups.push(() => reopened.close());
    expect(await reopened.getUser(JSON.parse(created.body).id as string)).not.toBeNull();
  });

  it('when a sync item waits for the rate budget, then shutdown abandons the wait at once: the lease is released and the item stays pending', async () => {
    const rig = await startRig({ env: { DT_RATE_LIMIT_PER_MINUTE: '1' } });
    const { bridge } = rig;
    expect((await bridge.scim('POST', '/Users', userBody('budget.waiter@example.com'))).status).toBe(201);
    // The minute's only slot is spent: the user's first call waits for the budget.
    await bridge.rateBudget.acquire();
    bridge.worker.start();
    await until(async () => (await bridge.rateBudget.usage()).waiting === 1, 5_000, 'the worker waiting for the budget');

    const started = performance.now();
    const outcome = await shutDown(rig.parts({ timeoutMs: 10_000 }), 'SIGTERM');
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(outcome).toEqual({ exitCode: 0, cutShort: [] });
    expect(logged(bridge, 'stopped')).toMatchObject({ syncItemsReleased: 1 });

    const reopened = createSqliteStore({ file: path.join(rig.dataDir, 'bridge.sqlite') });
    cleanups.push(() => reopened.close());
    expect((await reopened.syncQueueStats({ failedLimit: 1 })).depth).toBe(1);
    // Another replica may take it right away: no lease is left to expire.
    const now = rig.clock.date();
    const leased = await reopened.leaseSyncWork({ now: now.toISOString(), limit: 10, leaseUntil: new Date(now.getTime() + 60_000).toISOString(), owner: 'another-replica' });
    expect(leased.map((item) => item.resourceType)).toEqual(['User']);
    expect(leased[0]?.attempts).toBe(0);
    // Nothing was sent to Dynatrace, so the audit log holds no failed write for it.
    expect((await reopened.listAudit({ offset: 0, limit: 10 })).entries).toEqual([]);
  });

  it('when the store never finishes closing, then shutdown ends at its deadline with exit code 1 and names the step', async () => {
    const rig = await startRig();
    const started = performance.now();
    const outcome = await shutDown(rig.parts({ timeoutMs: 1_000, store: { close: () => new Promise<void>(() => undefined) } }), 'SIGTERM');
    const elapsed = performance.now() - started;
    expect(outcome).toEqual({ exitCode: 1, cutShort: ['store close'] });
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(1_800);
    expect(logged(rig.bridge, 'shutdown deadline passed: exiting with work cut short')).toMatchObject({ cutShort: ['store close'], requestsInFlight: 0, syncItemsUnfinished: 0 });
  });

  it('when a sync item never finishes (Dynatrace does not answer), then shutdown ends at its deadline with exit code 1, counting the item without naming it', async () => {
    let calls = 0;
    const countCalls = (fetchFn: FetchFn): FetchFn => (input, init) => {
      calls += 1;
      return fetchFn(input, init);
    };
    const rig = await startRig({ faults: { latencyMs: 20_000 }, wrapFetch: countCalls });
    const { bridge } = rig;
    const created = await bridge.scim('POST', '/Users', userBody('stuck.item@example.com'));
    bridge.worker.start();
    // Its first call (the OAuth token) is on its way and will not be answered in time.
    await until(() => calls > 0, 5_000, 'a call');

    const started = performance.now();
    const outcome = await shutDown(rig.parts({ timeoutMs: 1_500 }), 'SIGTERM');
    const elapsed = performance.now() - started;
    expect(outcome).toEqual({ exitCode: 1, cutShort: ['sync worker'] });
    expect(elapsed).toBeGreaterThanOrEqual(1_200);
    expect(elapsed).toBeLessThan(2_300);
    const line = bridge.logLines.find((l) => l.includes('shutdown deadline passed')) ?? '';
    expect(JSON.parse(line)).toMatchObject({ syncItemsUnfinished: 1, cutShort: ['sync worker'] });
    expect(line).not.toContain(created.body.id as string);
    expect(line).not.toContain('stuck.item');
  });
});

describe('stop signals', () => {
  const quiet = { warn: () => undefined };

  it('when SIGTERM arrives, then shutdown runs once and the process exits with its code', async () => {
    const signals = new EventEmitter();
    const exits: number[] = [];
    const runs: string[] = [];
    exitOnStopSignals({
      logger: quiet,
      signals,
      exit: (code) => exits.push(code),
      shutdown: async (signal): Promise<ShutdownOutcome> => {
        runs.push(signal);
        return { exitCode: 0, cutShort: [] };
      },
    });
    signals.emit('SIGTERM', 'SIGTERM');
    await until(() => exits.length > 0, 1_000, 'an exit');
    expect(runs).toEqual(['SIGTERM']);
    expect(exits).toEqual([0]);
  });

  it('when a second signal arrives during shutdown, then the process exits at once with 1', () => {
    const signals = new EventEmitter();
    const exits: number[] = [];
    exitOnStopSignals({ logger: quiet, signals, exit: (code) => exits.push(code), shutdown: () => new Promise<ShutdownOutcome>(() => undefined) });
    signals.emit('SIGTERM', 'SIGTERM');
    expect(exits).toEqual([]);
    signals.emit('SIGINT', 'SIGINT');
    expect(exits).toEqual([1]);
  });
});
