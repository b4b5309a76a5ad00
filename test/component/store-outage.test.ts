// The bridge on PostgreSQL when the database goes away (issue 5, operations): behind a TCP relay that
// refuses connections, or goes silent, /readyz answers 503 and SCIM writes 503 with Retry-After — each
// within a bounded time, never a hang or a 500 — and once the database is back, /readyz is 200 again
// and writes succeed (and are synced) without restarting anything.
import { describe, expect, it } from 'vitest';
import {
  createManualClock,
  makeDataDir,
  removeDataDir,
  startSharedSandbox,
  type BridgeProcess,
  type ManualClock,
} from '../helpers/bridge-process.js';
import { startPostgresBridge } from '../helpers/postgres-bridge.js';
import { dropSchema, freshSchemaName, postgresUrl } from '../helpers/postgres-server.js';
import { ERROR_URN, userBody } from '../helpers/scim-builders.js';
import { startTcpRelay, type TcpRelay } from '../helpers/tcp-relay.js';
import { cleanupsAfterEach } from '../helpers/cleanups.js';

const cleanups = cleanupsAfterEach();

/** The bridge's database timeouts here: connecting 0.5 s, statements 0.5 s (+ the client's 2 s grace). */
const CONNECT_TIMEOUT_MS = 500;
const STATEMENT_TIMEOUT_MS = 500;
/** The longest a request may take while the database is away: a statement timeout, its grace, and a connect. */
const BOUND_MS = STATEMENT_TIMEOUT_MS + 2000 + CONNECT_TIMEOUT_MS + 1000;

interface Outage {
  readonly clock: ManualClock;
  readonly relay: TcpRelay;
  readonly bridge: BridgeProcess;
}

async function start(): Promise<Outage> {
  const clock = createManualClock();
  const sandbox = await startSharedSandbox({ clock });
  cleanups.push(() => sandbox.stop());
  const relay = await startTcpRelay(new URL(postgresUrl()));
  cleanups.push(() => relay.close());
  const schema = freshSchemaName('outage');
  cleanups.push(() => dropSchema(schema));
  const dataDir = makeDataDir();
  cleanups.push(() => removeDataDir(dataDir));
  const bridge = await startPostgresBridge({
    sandbox,
    dataDir,
    clock,
    davis: false,
    postgres: {
      connectionString: relay.url,
      schema,
      poolSize: 4,
      connectionTimeoutMs: CONNECT_TIMEOUT_MS,
      statementTimeoutMs: STATEMENT_TIMEOUT_MS,
    },
  });
  cleanups.push(() => bridge.close());
  return { clock, relay, bridge };
}

async function timed<T>(work: Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await work;
  return { value, ms: Date.now() - started };
}

async function readyz(bridge: BridgeProcess): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${bridge.url}/readyz`);
  return { status: response.status, body: await response.json() };
}

/** While the database is away: not ready, and a SCIM create is refused with 503 + Retry-After; both bounded. */
async function expectUnavailable(bridge: BridgeProcess, email: string): Promise<void> {
  const ready = await timed(readyz(bridge));
  expect(ready.value).toMatchObject({ status: 503, body: { status: 'not ready', checks: { dynatrace: 'ok', mapping: 'ok' } } });
  // Refused at once (unavailable), or silent past the readiness check's timeout.
  expect(['unavailable', 'timeout']).toContain((ready.value.body as { checks: { store: string } }).checks.store);
  expect(ready.ms).toBeLessThan(BOUND_MS);
  const write = await timed(bridge.scim('POST', '/Users', userBody(email)));
  expect(write.value.status).toBe(503);
  expect(write.value.headers.get('retry-after')).toMatch(/^\d+$/);
  expect(write.value.body).toMatchObject({ schemas: [ERROR_URN], status: '503' });
  expect(write.ms).toBeLessThan(BOUND_MS);
  const read = await timed(bridge.scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${email}"`)}`));
  expect(read.value.status).toBe(503);
  expect(read.ms).toBeLessThan(BOUND_MS);
}

/** Once the database is back (the pool reconnects by itself): ready, writes accepted, and synced. */
async function expectRecovered(outage: Outage, email: string): Promise<void> {
  const { bridge } = outage;
  let ready = await readyz(bridge);
  for (let attempt = 0; ready.status !== 200 && attempt < 50; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    ready = await readyz(bridge);
  }
  expect(ready).toEqual({ status: 200, body: { status: 'ready', checks: { store: 'ok', dynatrace: 'ok', mapping: 'ok' } } });
  const created = await bridge.scim('POST', '/Users', userBody(email));
  expect(created.status).toBe(201);
  expect((await bridge.scim('GET', `/Users/${(created.body as { id: string }).id}`)).status).toBe(200);
  // The item queued during recovery is applied; items the worker had to defer during the outage
  // come due after their backoff (manual time), so settle advances the clock.
  await bridge.settle({ maxWallMs: 10_000 });
  expect(bridge.sandbox.state.findUser(email)).not.toBeNull();
}

describe('the bridge on PostgreSQL during a database outage', () => {
  it('when the database refuses connections, then /readyz and SCIM answer 503 (with Retry-After) at once, and all is well once it is back', async () => {
    const outage = await start();
    const { bridge, relay } = outage;
    expect((await readyz(bridge)).status).toBe(200);
    expect((await bridge.scim('POST', '/Users', userBody('before@outage.example'))).status).toBe(201);
    bridge.worker.start();

    await relay.cut();
    const started = Date.now();
    await expectUnavailable(bridge, 'during@outage.example');
    expect(Date.now() - started).toBeLessThan(BOUND_MS);
    expect(bridge.logLines.some((line) => line.includes('"status":500'))).toBe(false);

    await relay.restore();
    await bridge.worker.stop();
    await expectRecovered(outage, 'after@outage.example');
    expect(bridge.sandbox.state.findUser('before@outage.example')).not.toBeNull();
    expect(bridge.sandbox.state.findUser('during@outage.example')).toBeNull();
  });

  it('when the database goes silent (connections open, no answers), then /readyz and SCIM still answer 503 within the timeouts, and all is well once it answers again', async () => {
    const outage = await start();
    const { bridge, relay } = outage;
    // Pooled connections exist (so some requests hit a silent one, others a silent new connection).
    await Promise.all(Array.from({ length: 4 }, (_unused, index) => bridge.scim('POST', '/Users', userBody(`warm${index}@outage.example`))));
    expect((await readyz(bridge)).status).toBe(200);

    relay.blackhole();
    await expectUnavailable(bridge, 'silent@outage.example');
    // Concurrent requests are bounded too (they may wait for a pooled connection, but not forever).
    const burst = await timed(Promise.all(Array.from({ length: 6 }, (_unused, index) => bridge.scim('POST', '/Users', userBody(`burst${index}@outage.example`)))));
    expect(burst.value.map((response) => response.status)).toEqual(Array.from({ length: 6 }, () => 503));
    expect(burst.ms).toBeLessThan(2 * BOUND_MS);
    expect(bridge.logLines.some((line) => line.includes('"status":500'))).toBe(false);

    await relay.restore();
    await expectRecovered(outage, 'back@outage.example');
    expect(await bridge.store.countUsers(null)).toBe(5);
  });
});
