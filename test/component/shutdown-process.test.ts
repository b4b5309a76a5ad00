// SIGTERM to the real bridge process (compiled src/main.ts, SQLite under a temp DATA_DIR, Dynatrace
// sandbox on loopback in account mode) while SCIM requests are in flight and the sync worker waits for
// a binding rate budget: it exits 0 well within SHUTDOWN_TIMEOUT_MS, every acknowledged change is
// there after a restart on the same data dir, and the queue still holds the unsynced work — unleased,
// so the restarted process syncs all of it. And the start on PostgreSQL while the server cannot be
// reached: it waits DATABASE_START_TIMEOUT_MS for it, then gives up with exit code 1.
import { once } from 'node:events';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../../src/adapters/store/index.js';
import { startSandbox, type SandboxHandle } from '../../src/sandbox/index.js';
import { makeDataDir, removeDataDir } from '../helpers/bridge-process.js';
import { freshDatabase } from '../helpers/postgres-server.js';
import { groupBody, patchBody, userBody } from '../helpers/scim-builders.js';
import { parseJson, scimRequest } from '../helpers/scim-client.js';
import { buildBridge, sandboxAccountEnv, spawnBridge, type BuiltBridge, type SpawnedBridge } from '../helpers/spawned-bridge.js';
import { cleanupsAfterEach } from '../helpers/cleanups.js';
import { until } from '../helpers/until.js';
import { startTcpRelay, type TcpRelay } from '../helpers/tcp-relay.js';

const TOKEN = 'process-test-token-0123456789';
const ADMIN_TOKEN = 'process-test-admin-token-0123456789';
const SHUTDOWN_TIMEOUT_MS = 10_000;

let built: BuiltBridge;
beforeAll(() => {
  built = buildBridge();
});
afterAll(() => built.remove());

const cleanups = cleanupsAfterEach();

function bridgeEnv(sandbox: SandboxHandle, dataDir: string, extra: Record<string, string>): Record<string, string> {
  return {
    DATA_DIR: dataDir,
    SCIM_TOKENS: TOKEN,
    ADMIN_TOKENS: ADMIN_TOKEN,
    LOG_LEVEL: 'info',
    SYNC_COALESCE_MS: '0',
    RATE_LIMIT_PER_MINUTE: '0',
    RECONCILE_INTERVAL_MS: '0',
    SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
    ...sandboxAccountEnv(sandbox),
    ...extra,
  };
}

async function start(sandbox: SandboxHandle, dataDir: string, extra: Record<string, string>): Promise<SpawnedBridge> {
  const bridge = await spawnBridge(built.entry, bridgeEnv(sandbox, dataDir, extra));
  cleanups.push(() => bridge.kill());
  return bridge;
}

async function admin(bridge: SpawnedBridge, route: string): Promise<any> {
  const response = await fetch(`${bridge.url}/admin${route}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  return parseJson(await response.text());
}

describe('the bridge process on SIGTERM', () => {
  it('when SIGTERM arrives with requests in flight and sync waiting for the rate budget, then it exits 0 in time and a restart finds every acknowledged change and the unsynced work', async () => {
    const sandbox = await startSandbox({ host: '127.0.0.1', port: 0, faults: { rateLimitPerMinute: null } });
    cleanups.push(() => sandbox.stop());
    const dataDir = makeDataDir();
    cleanups.push(() => removeDataDir(dataDir));

    // A budget of 3 calls a minute: the worker soon waits for it, with most of the work still queued.
    const first = await start(sandbox, dataDir, { DT_RATE_LIMIT_PER_MINUTE: '3' });
    const base = `${first.url}/scim/v2`;
    const acknowledged = new Map<string, string>();
    for (let i = 0; i < 8; i += 1) {
      const userName = `joiner.${i}@example.com`;
      const created = await scimRequest(base, TOKEN, 'POST', '/Users', userBody(userName));
      expect(created.status).toBe(201);
      acknowledged.set(created.body.id as string, userName);
    }
    const [firstId, secondId] = [...acknowledged.keys()];
    const group = await scimRequest(base, TOKEN, 'POST', '/Groups', groupBody('Process Team', [firstId as string, secondId as string]));
    expect(group.status).toBe(201);
    const mover = await scimRequest(base, TOKEN, 'PATCH', `/Users/${secondId}`, patchBody({ op: 'replace', path: 'displayName', value: 'Moved Person' }));
    expect(mover.status).toBe(200);
    await until(async () => (await admin(first, '/status')).rateBudget.waiting > 0, 15_000, 'the sync worker waiting for the rate budget');

    // One request surely in flight: its headers are taken (the bridge answered 100 Continue), its body not yet sent.
    const slowBody = JSON.stringify(userBody('in.flight@example.com'));
    const socket = net.connect(Number(new URL(first.url).port), '127.0.0.1');
    await once(socket, 'connect');
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      answer += chunk;
    });
    const answered = once(socket, 'close');
    socket.write(
      `POST /scim/v2/Users HTTP/1.1\r\nHost: bridge\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/scim+json\r\nContent-Length: ${Buffer.byteLength(slowBody)}\r\nExpect: 100-continue\r\n\r\n`,
    );
    await until(() => answer.startsWith('HTTP/1.1 100 Continue\r\n\r\n'), 5_000, 'the bridge taking the slow request');
    answer = '';
    // And a burst that races the signal: each is either acknowledged (and must survive) or refused.
    const burst = Array.from({ length: 6 }, (_, i) =>
      scimRequest(base, TOKEN, 'POST', '/Users', userBody(`racer.${i}@example.com`)).then(
        (response) => (response.status === 201 ? { id: response.body.id as string, userName: `racer.${i}@example.com` } : null),
        () => null,
      ),
    );

    const signalledAt = performance.now();
    first.signal('SIGTERM');
    await until(() => first.printed('shutting down'), 5_000, 'the shutdown starting');
    socket.write(slowBody);
    await answered;
    expect(answer).toMatch(/^HTTP\/1\.1 201 /);
    expect(answer.toLowerCase()).toContain('connection: close');
    const inFlight = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { id: string };
    acknowledged.set(inFlight.id, 'in.flight@example.com');
    for (const raced of await Promise.all(burst)) if (raced !== null) acknowledged.set(raced.id, raced.userName);

    const { code } = await first.exited;
    const elapsed = performance.now() - signalledAt;
    expect(code, first.output().slice(-3000)).toBe(0);
    expect(elapsed).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
    expect(first.printed('"msg":"stopped"')).toBe(true);
    expect(first.printed('shutdown deadline passed')).toBe(false);

    // The unsynced work is still queued and nobody holds it: another owner may lease all of it now.
    const store = createSqliteStore({ file: path.join(dataDir, 'bridge.sqlite') });
    const depth = (await store.syncQueueStats({ failedLimit: 1 })).depth;
    expect(depth).toBeGreaterThan(0);
    const now = new Date();
    const leasable = await store.leaseSyncWork({ now: now.toISOString(), limit: 1_000, leaseUntil: new Date(now.getTime() + 60_000).toISOString(), owner: 'inspector' });
    expect(leasable).toHaveLength(depth);
    await store.releaseSyncLeases('inspector');
    await store.close();

    const second = await start(sandbox, dataDir, { DT_RATE_LIMIT_PER_MINUTE: '100000' });
    const secondBase = `${second.url}/scim/v2`;
    for (const [id, userName] of acknowledged) {
      const read = await scimRequest(secondBase, TOKEN, 'GET', `/Users/${id}`);
      expect(read.status, userName).toBe(200);
      expect(read.body.userName).toBe(userName);
    }
    expect((await scimRequest(secondBase, TOKEN, 'GET', `/Users/${secondId}`)).body.displayName).toBe('Moved Person');
    const members = (await scimRequest(secondBase, TOKEN, 'GET', `/Groups/${group.body.id}`)).body.members as Array<{ value: string }>;
    expect(members.map((m) => m.value).sort()).toEqual([firstId, secondId].sort());

    await until(async () => (await admin(second, '/status')).queue.depth === 0, 20_000, 'the restarted bridge syncing the queued work');
    for (const userName of acknowledged.values()) expect(sandbox.state.findUser(userName), userName).not.toBeNull();
    expect(sandbox.state.findGroupByName('Process Team')).not.toBeNull();

    second.signal('SIGTERM');
    expect((await second.exited).code).toBe(0);
  });
});

describe('the bridge process when PostgreSQL is not reachable at start', () => {
  /** Sandbox mode (no Dynatrace credentials), the store behind a relay that refuses connections for now. */
  async function unreachableDatabase(): Promise<{ relay: TcpRelay; env: Record<string, string>; password: string }> {
    const database = new URL(await freshDatabase(cleanups, 'start'));
    const relay = await startTcpRelay(database);
    cleanups.push(() => relay.close());
    await relay.cut();
    const dataDir = makeDataDir();
    cleanups.push(() => removeDataDir(dataDir));
    return { relay, password: decodeURIComponent(database.password), env: { DATA_DIR: dataDir, SCIM_TOKENS: TOKEN, LOG_LEVEL: 'info', DATABASE_URL: relay.url } };
  }

  it('when the server comes while the bridge waits, then it logs each refused attempt (no password) and starts serving', async () => {
    const { relay, env, password } = await unreachableDatabase();
    // The server comes back once the bridge has been refused twice (however long its start took).
    let refusedTwice: () => void = () => undefined;
    const twice = new Promise<void>((resolve) => {
      refusedTwice = resolve;
    });
    const starting = spawnBridge(built.entry, { ...env, DATABASE_START_TIMEOUT_MS: '30000' }, {
      startTimeoutMs: 30_000,
      onOutput: (output) => {
        if (output.split('PostgreSQL is not reachable yet').length > 2) refusedTwice();
      },
    });
    await Promise.race([twice, starting]);
    await relay.restore();
    const bridge = await starting;
    cleanups.push(() => bridge.kill());
    expect((await fetch(`${bridge.url}/healthz`)).status).toBe(200);
    expect((await scimRequest(`${bridge.url}/scim/v2`, TOKEN, 'POST', '/Users', userBody('late.start@example.com'))).status).toBe(201);
    const waits = bridge.output().split('\n').filter((line) => line.includes('PostgreSQL is not reachable yet'));
    expect(waits.length).toBeGreaterThanOrEqual(2);
    expect(JSON.parse(waits[0] as string)).toMatchObject({ level: 'warn', retryInMs: 500 });
    expect(bridge.output()).not.toContain(password);
    bridge.signal('SIGTERM');
    expect((await bridge.exited).code).toBe(0);
  });

  it('when the server never comes, then the bridge gives up after DATABASE_START_TIMEOUT_MS and exits 1 naming the cause', async () => {
    const { env, password } = await unreachableDatabase();
    const started = Date.now();
    const failed = await spawnBridge(built.entry, { ...env, DATABASE_START_TIMEOUT_MS: '1500' }, { startTimeoutMs: 10_000 }).then(
      () => null,
      (error: unknown) => error as Error,
    );
    expect(failed?.message).toMatch(/fatal: the PostgreSQL store failed: .*ECONNREFUSED.* \(still unreachable after 2 s\)/);
    expect(failed?.message).not.toContain(password);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_400);
    expect(Date.now() - started).toBeLessThan(8_000);
  });
});
