// Restarts and replica losses of the real bridge process (compiled src/main.ts, the Dynatrace sandbox on
// loopback in account mode, answering slowly so that the sync is mid-item): on SQLite one process owns the
// data directory — a second one stops at start — and a restart after SIGKILL frees the dead process's
// leases and resumes at once; on PostgreSQL a replica renews the leases of the items it works on, and when
// it is killed the other replica takes its items over once their short leases end.
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type SandboxHandle } from '../../src/sandbox/index.js';
import { makeDataDir, removeDataDir } from '../helpers/bridge-process.js';
import { cleanupsAfterEach } from '../helpers/cleanups.js';
import { until } from '../helpers/until.js';
import { freshDatabase, withClient } from '../helpers/postgres-server.js';
import { userBody } from '../helpers/scim-builders.js';
import { parseJson, scimRequest } from '../helpers/scim-client.js';
import { buildBridge, runUntilExit, sandboxAccountEnv, spawnBridge, type BuiltBridge, type SpawnedBridge } from '../helpers/spawned-bridge.js';

const TOKEN = 'restart-test-token-0123456789';
const ADMIN_TOKEN = 'restart-test-admin-token-0123456789';

let built: BuiltBridge;
beforeAll(() => {
  built = buildBridge();
});
afterAll(() => built.remove());

const cleanups = cleanupsAfterEach();

async function slowSandbox(): Promise<SandboxHandle> {
  const sandbox = await startSandbox({ host: '127.0.0.1', port: 0, faults: { rateLimitPerMinute: null } });
  cleanups.push(() => sandbox.stop());
  return sandbox;
}

function env(sandbox: SandboxHandle, dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return { DATA_DIR: dataDir, SCIM_TOKENS: TOKEN, ADMIN_TOKENS: ADMIN_TOKEN, LOG_LEVEL: 'info', SYNC_COALESCE_MS: '0', RATE_LIMIT_PER_MINUTE: '0', RECONCILE_INTERVAL_MS: '0', ...sandboxAccountEnv(sandbox), DAVIS_ASSISTANT_TOKEN: '', ...extra };
}

/** A replica's environment: a data directory of its own, the shared database. */
function replicaEnv(sandbox: SandboxHandle, databaseUrl: string, extra: Record<string, string>): Record<string, string> {
  const dataDir = makeDataDir();
  cleanups.push(() => removeDataDir(dataDir));
  return env(sandbox, dataDir, { DATABASE_URL: databaseUrl, ...extra });
}

async function start(entryEnv: Record<string, string>): Promise<SpawnedBridge> {
  const bridge = await spawnBridge(built.entry, entryEnv);
  cleanups.push(() => bridge.kill());
  return bridge;
}

async function queueDepth(bridge: SpawnedBridge): Promise<number> {
  const response = await fetch(`${bridge.url}/admin/status`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  return (parseJson(await response.text()) as { queue: { depth: number } }).queue.depth;
}

async function postUsers(bridge: SpawnedBridge, names: readonly string[]): Promise<void> {
  for (const name of names) expect((await scimRequest(`${bridge.url}/scim/v2`, TOKEN, 'POST', '/Users', userBody(name))).status).toBe(201);
}

/** The POST /users the sandbox answered, per email. */
function invitations(sandbox: SandboxHandle): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of sandbox.state.requestLog) {
    if (r.operation !== 'createUser' || r.status >= 300) continue;
    counts.set(r.url, (counts.get(r.url) ?? 0) + 1);
  }
  return counts;
}

interface LeaseRow {
  readonly resource_id: string;
  readonly lease_owner: string | null;
}

describe('a restart on SQLite', () => {
  function leases(dataDir: string): LeaseRow[] {
    const db = new Database(path.join(dataDir, 'bridge.sqlite'), { fileMustExist: true });
    try {
      return db.prepare<[], LeaseRow>('SELECT resource_id, lease_owner FROM sync_queue WHERE lease_owner IS NOT NULL').all();
    } finally {
      db.close();
    }
  }

  it('when the bridge is killed with SIGKILL mid-item, then a second process is refused while it runs, and a restart releases its leases and resumes within seconds, not when they expire', async () => {
    const sandbox = await slowSandbox();
    const dataDir = makeDataDir();
    cleanups.push(() => removeDataDir(dataDir));
    const first = await start(env(sandbox, dataDir));

    const second = await runUntilExit(built.entry, env(sandbox, dataDir));
    expect(second.code).toBe(2);
    expect(second.output).toContain(`DATA_DIR ${dataDir} is in use by another bridge process`);
    expect((await fetch(`${first.url}/healthz`)).status).toBe(200);

    // Every Dynatrace answer now takes 1.5 s: the worker holds the users' items while the process dies.
    sandbox.state.setFaults({ latencyMs: 1_500 });
    const users = Array.from({ length: 6 }, (_, i) => `restart.${i}@example.com`);
    await postUsers(first, users);
    await until(() => leases(dataDir).length > 0, 10_000, 'the worker leasing items');
    await first.kill();
    const held = leases(dataDir);
    expect(held.length).toBeGreaterThan(0);

    // The leases last 30 s (SYNC_LEASE_MS); the restart frees them and syncs everything well before.
    sandbox.state.setFaults({ latencyMs: 0 });
    const restartedAt = Date.now();
    const restarted = await start(env(sandbox, dataDir));
    await until(async () => (await queueDepth(restarted)) === 0, 10_000, 'the restarted bridge emptying the queue');
    expect(Date.now() - restartedAt).toBeLessThan(10_000);
    const released = restarted.output().split('\n').find((line) => line.includes('released what an earlier process held'));
    expect(JSON.parse(released ?? '{}')).toMatchObject({ leases: held.length });
    for (const user of users) expect(sandbox.state.findUser(user), user).not.toBeNull();
    for (const [url, count] of invitations(sandbox)) expect(count, url).toBe(1);
    restarted.signal('SIGTERM');
    expect((await restarted.exited).code).toBe(0);
  });
});

describe('a replica lost on PostgreSQL', () => {
  const LEASE_MS = 3_000;

  async function leases(url: string): Promise<LeaseRow[]> {
    return withClient(async (client) => (await client.query<LeaseRow>('SELECT resource_id, lease_owner FROM sync_queue WHERE lease_owner IS NOT NULL')).rows, url);
  }

  it('when a replica works on items longer than its lease, then it keeps them; when it is killed with SIGKILL, then the other replica takes them over once the short lease ends', async () => {
    const sandbox = await slowSandbox();
    const databaseUrl = await freshDatabase(cleanups, 'restart');
    const lease = { SYNC_LEASE_MS: String(LEASE_MS) };
    const doomed = await start(replicaEnv(sandbox, databaseUrl, lease));
    // Each Dynatrace answer takes longer than a lease: an item is worked on for two of them or more.
    sandbox.state.setFaults({ latencyMs: 4_000 });
    const users = ['replica.a@example.com', 'replica.b@example.com'];
    await postUsers(doomed, users);
    await until(async () => (await leases(databaseUrl)).length === users.length, 10_000, 'the first replica leasing both items');
    const owner = (await leases(databaseUrl))[0]?.lease_owner;

    const survivor = await start(replicaEnv(sandbox, databaseUrl, lease));
    await new Promise((resolve) => setTimeout(resolve, 2 * LEASE_MS));
    // Two leases long, and the idle replica has not taken either: they are renewed.
    expect((await leases(databaseUrl)).map((row) => row.lease_owner)).toEqual([owner, owner]);

    await doomed.kill();
    const killedAt = Date.now();
    await until(async () => (await leases(databaseUrl)).some((row) => row.lease_owner !== owner), 3 * LEASE_MS, 'the surviving replica taking the items over');
    expect(Date.now() - killedAt).toBeLessThan(LEASE_MS + 2_000);
    sandbox.state.setFaults({ latencyMs: 0 });
    await until(async () => (await queueDepth(survivor)) === 0, 20_000, 'the surviving replica emptying the queue');
    for (const user of users) expect(sandbox.state.findUser(user), user).not.toBeNull();
    for (const [url, count] of invitations(sandbox)) expect(count, url).toBe(1);
  });
});

describe('one rate budget per account, across restarts and replicas', () => {
  const BUDGET = 20;

  /** A sandbox that answers 429 past the bridge's budget, as Dynatrace does past its limit. */
  async function limitedSandbox(): Promise<SandboxHandle> {
    const sandbox = await startSandbox({ host: '127.0.0.1', port: 0, faults: { rateLimitPerMinute: BUDGET } });
    cleanups.push(() => sandbox.stop());
    return sandbox;
  }

  const accountCalls = (sandbox: SandboxHandle) => sandbox.state.requestLog.filter((r) => r.service === 'account-management');

  async function budgetStatus(bridge: SpawnedBridge): Promise<{ used: number; waiting: number }> {
    const response = await fetch(`${bridge.url}/admin/status`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    return (parseJson(await response.text()) as { rateBudget: { used: number; waiting: number } }).rateBudget;
  }

  it('when the bridge is killed with SIGKILL while the budget binds, then the restarted process continues the window: no call before slots free, no 429', async () => {
    const sandbox = await limitedSandbox();
    const dataDir = makeDataDir();
    cleanups.push(() => removeDataDir(dataDir));
    const budget = { DT_RATE_LIMIT_PER_MINUTE: String(BUDGET) };
    const first = await start(env(sandbox, dataDir, budget));
    await postUsers(first, Array.from({ length: 25 }, (_, i) => `budget.${i}@example.com`));
    await until(async () => (await budgetStatus(first)).waiting > 0, 15_000, 'the first process waiting for the budget');
    await first.kill();
    const spent = accountCalls(sandbox).length;
    // A request granted just before the kill may have died on its way: the ledger counts it all the same.
    expect(spent).toBeGreaterThanOrEqual(BUDGET - 4);
    expect(spent).toBeLessThanOrEqual(BUDGET);

    const restarted = await start(env(sandbox, dataDir, budget));
    expect((await budgetStatus(restarted)).used).toBe(BUDGET);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    // The window the dead process filled still binds: a fresh budget would have called at once and met 429s.
    expect(accountCalls(sandbox).length).toBe(spent);
    expect(accountCalls(sandbox).filter((r) => r.status === 429)).toEqual([]);
  });

  it('when two replicas share a database, then they draw from one budget: together no more than the account allows, no 429', async () => {
    const sandbox = await limitedSandbox();
    const databaseUrl = await freshDatabase(cleanups, 'budget');
    const budget = { DT_RATE_LIMIT_PER_MINUTE: String(BUDGET) };
    const [a, b] = await Promise.all([start(replicaEnv(sandbox, databaseUrl, budget)), start(replicaEnv(sandbox, databaseUrl, budget))]);
    await postUsers(a, Array.from({ length: 12 }, (_, i) => `shared.a${i}@example.com`));
    await postUsers(b, Array.from({ length: 12 }, (_, i) => `shared.b${i}@example.com`));
    await until(async () => (await budgetStatus(a)).waiting > 0 && (await budgetStatus(b)).waiting > 0, 15_000, 'both replicas waiting for the budget');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(accountCalls(sandbox)).toHaveLength(BUDGET);
    expect(accountCalls(sandbox).filter((r) => r.status === 429)).toEqual([]);
    expect((await budgetStatus(a)).used).toBe(BUDGET);
    expect((await budgetStatus(b)).used).toBe(BUDGET);
  });
});
