// Runs the joiner-mover-leaver flow (jml-scenario.ts) of the sync-efficiency bench once per variant —
// SQLite with one bridge, PostgreSQL with two replicas; each without and with a SIGKILL of a bridge in the
// middle of the first cycle's sync (then started again, as a supervisor would) — against the sandbox in
// its own process at the real budget with faults, and measures calls against the minimum, wall time
// against calls ÷ budget, 429s, how soon a restarted process calls again, and that Dynatrace converges.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import pg from 'pg';
import { parseMapping } from '../src/mapping-file.js';
import { jmlScenario, JML_MAPPING, minimumCalls, total, type DtModel } from './jml-scenario.js';
import { spawnBridgeProcess, startSandboxProcess, type BridgeProcess, type SandboxProcess } from './jml-processes.js';
import type { BenchPostgres } from './postgres-server.js';
import { accountCalls, countBy, summarise, type Call, type CallSummary } from './sync-calls.js';
import { createBridgeClient, inPool, type BridgeClient } from './sync-idp.js';

export interface JmlVariant {
  readonly engine: 'sqlite' | 'postgres';
  readonly kill: boolean;
}

export interface JmlSettings {
  readonly users: number;
  readonly budgetPerMinute: number;
  readonly errorRate: number;
  readonly latencyMs: number;
  readonly coalesceMs: number;
  readonly connections: number;
  readonly keepData: boolean;
}

export interface KillReport {
  /** Flow calls the sandbox had answered when the bridge was killed. */
  readonly atFlowCall: number;
  /** Sync items the killed process held (leased) when it died. */
  readonly heldItems: number;
  /** From the kill until none of those items was held by the dead process any more. */
  readonly heldItemsFreedMs: number;
  /**
   * From the restarted process's spawn until it works: its first Account Management call, or its first
   * wait for the rate budget when the account's window is full then (the call itself waits for the budget).
   */
  readonly restartToWorkingMs: number;
  /** From its spawn to its first Account Management call and its first completed item. */
  readonly restartToFirstCallMs: number;
  readonly restartToFirstCompletedItemMs: number;
}

export interface CycleReport {
  readonly name: string;
  readonly calls: number;
  readonly minimum: number;
  readonly wallMs: number;
}

export interface JmlResult {
  readonly name: string;
  readonly variant: JmlVariant;
  readonly replicas: number;
  /** Account Management calls of the mapping check every process makes at start, before the flow. */
  readonly startupCalls: number;
  readonly calls: CallSummary;
  /** Answers that were the sandbox's injected 5xx faults (each costs a retry). */
  readonly injectedFaults: number;
  readonly minimum: { readonly total: number; readonly byOperation: Record<string, number> };
  /** Calls beyond the minimum, by operation (negative: fewer). */
  readonly beyondMinimum: Record<string, number>;
  readonly cycles: readonly CycleReport[];
  readonly wallS: number;
  readonly budgetS: number;
  readonly kill: KillReport | null;
  readonly problems: readonly string[];
}

const POLL_MS = 50;

function log(message: string): void {
  console.log(`[sync-bench jml ${new Date().toISOString().slice(11, 23)}] ${message}`);
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | null>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let found: T | null = null;
    try {
      found = await probe();
    } catch {
      // a process starting or just killed: ask again
    }
    if (found !== null) return found;
    if (Date.now() > deadline) throw new Error(`jml: ${what} not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** The sync queue's rows a process holds, and (after) whether it still holds any of them. */
interface QueueProbe {
  held(pid: number): Promise<string[]>;
  stillHeld(pid: number, items: readonly string[]): Promise<number>;
  close(): Promise<void>;
}

function sqliteProbe(file: string): QueueProbe {
  const rows = (): Array<{ item: string; owner: string }> => {
    const db = new Database(file, { fileMustExist: true, timeout: 5_000 });
    try {
      return db.prepare<[], { item: string; owner: string }>("SELECT resource_type || ':' || resource_id AS item, lease_owner AS owner FROM sync_queue WHERE lease_owner IS NOT NULL").all();
    } finally {
      db.close();
    }
  };
  return probeOver(async () => rows());
}

function postgresProbe(url: string): QueueProbe {
  const client = new pg.Client({ connectionString: url });
  const connected = client.connect();
  return {
    ...probeOver(async () => {
      await connected;
      return (await client.query<{ item: string; owner: string }>("SELECT resource_type || ':' || resource_id AS item, lease_owner AS owner FROM sync_queue WHERE lease_owner IS NOT NULL")).rows;
    }),
    close: () => client.end(),
  };
}

/** A worker's owner is `host:pid:random`. */
function probeOver(rows: () => Promise<Array<{ item: string; owner: string }>>): QueueProbe {
  const ownedBy = (owner: string, pid: number) => owner.split(':')[1] === String(pid);
  return {
    async held(pid) {
      return (await rows()).filter((row) => ownedBy(row.owner, pid)).map((row) => row.item);
    },
    async stillHeld(pid, items) {
      const wanted = new Set(items);
      return (await rows()).filter((row) => wanted.has(row.item) && ownedBy(row.owner, pid)).length;
    },
    close: async () => undefined,
  };
}

interface Fleet {
  readonly sandbox: SandboxProcess;
  /** The SCIM token of every replica (it opens /admin too: ADMIN_ACCEPTS_SCIM_TOKEN). */
  readonly token: string;
  bridges: BridgeProcess[];
  readonly probe: QueueProbe;
  /** Starts (again) replica `index` on its data directory. */
  spawn(index: number): Promise<BridgeProcess>;
  close(): Promise<void>;
}

async function startFleet(name: string, variant: JmlVariant, settings: JmlSettings, dir: string, postgres: BenchPostgres | null): Promise<Fleet> {
  const sandbox = await startSandboxProcess({ budgetPerMinute: settings.budgetPerMinute, errorRate: settings.errorRate, latencyMs: settings.latencyMs, logFile: path.join(dir, 'sandbox.log') });
  const mappingFile = path.join(dir, 'mapping.yaml');
  writeFileSync(mappingFile, JML_MAPPING);
  let databaseUrl: string | null = null;
  if (variant.engine === 'postgres') {
    if (postgres === null) throw new Error('jml: a PostgreSQL variant needs the bench server');
    const database = `jml_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    await admin.end();
    const url = new URL(postgres.url);
    url.pathname = `/${database}`;
    databaseUrl = url.toString();
  }
  const replicas = variant.engine === 'postgres' ? 2 : 1;
  const token = randomBytes(24).toString('hex');
  const spawn = async (index: number) => {
    const dataDir = path.join(dir, `replica-${index}`);
    mkdirSync(dataDir, { recursive: true });
    return spawnBridgeProcess(
      `${name} replica ${index}`,
      {
        DATA_DIR: dataDir,
        SCIM_TOKENS: token,
        // The bench reads /admin/status with the same token, as its in-process harness does.
        ADMIN_ACCEPTS_SCIM_TOKEN: 'true',
        LOG_LEVEL: 'info',
        MAPPING_FILE: mappingFile,
        SYNC_COALESCE_MS: String(settings.coalesceMs),
        RECONCILE_INTERVAL_MS: '0',
        // One simulated IdP pushes everything: the per-client limit is not what this bench measures.
        RATE_LIMIT_PER_MINUTE: '0',
        DT_RATE_LIMIT_PER_MINUTE: String(settings.budgetPerMinute),
        ...sandbox.bridgeEnv,
        ...(databaseUrl === null ? {} : { DATABASE_URL: databaseUrl }),
      },
      path.join(dataDir, 'bridge.log'),
    );
  };
  const bridges: BridgeProcess[] = [];
  for (let i = 0; i < replicas; i += 1) bridges.push(await spawn(i));
  const probe = databaseUrl === null ? sqliteProbe(path.join(dir, 'replica-0', 'bridge.sqlite')) : postgresProbe(databaseUrl);
  const fleet: Fleet = {
    sandbox,
    token,
    bridges,
    probe,
    spawn,
    async close() {
      for (const bridge of fleet.bridges) await bridge.stop();
      await probe.close();
      await sandbox.stop();
    },
  };
  return fleet;
}

/** A client of the replicas in turn, as a load balancer spreads an IdP's requests. */
function clientsOf(fleet: Fleet): () => BridgeClient {
  let next = 0;
  return () => {
    const bridge = fleet.bridges[next++ % fleet.bridges.length] as BridgeProcess;
    return createBridgeClient(bridge.url, '/scim/v2', fleet.token);
  };
}

async function queueStatus(fleet: Fleet): Promise<{ depth: number; failedCount: number; failed: unknown[] } | null> {
  for (const bridge of fleet.bridges) {
    try {
      const answer = await createBridgeClient(bridge.url, '/scim/v2', fleet.token, 10_000).admin('GET', '/status');
      if (answer.status === 200) return answer.body.queue;
    } catch {
      // killed or starting: ask the next one
    }
  }
  return null;
}

/** Kills replica 0 once the flow has made `atFlowCall` calls and it holds leases, starts it again, and measures. */
async function killMidSync(fleet: Fleet, flowStart: number, atFlowCall: number): Promise<KillReport> {
  const victim = fleet.bridges[0] as BridgeProcess;
  await until('the flow reaching the kill point', 300_000, async () => ((await fleet.sandbox.requests()).filter((r) => r.service === 'account-management').length - flowStart >= atFlowCall ? true : null));
  const held = await until('the victim holding leases', 30_000, async () => {
    const items = await fleet.probe.held(victim.pid);
    return items.length > 0 ? items : null;
  });
  const calledBefore = (await fleet.sandbox.requests()).filter((r) => r.service === 'account-management').length - flowStart;
  await victim.kill();
  const killedAt = Date.now();
  log(`SIGKILL ${victim.name} (pid ${victim.pid}) after ${calledBefore} flow calls, holding ${held.length} items`);
  const restarted = await fleet.spawn(0);
  fleet.bridges = [restarted, ...fleet.bridges.slice(1)];
  const [working, firstCall, firstCompleted, freed] = await Promise.all([
    until('the restarted process calling Dynatrace or waiting for the budget', 120_000, async () => {
      if ((await restarted.counter('scim_bridge_upstream_requests_total', { service: 'account-management' })) > 0) return Date.now();
      const status = await createBridgeClient(restarted.url, '/scim/v2', fleet.token, 10_000).admin('GET', '/status');
      return status.status === 200 && status.body.rateBudget.waiting > 0 ? Date.now() : null;
    }),
    until('the restarted process calling Dynatrace', 120_000, async () =>
      (await restarted.counter('scim_bridge_upstream_requests_total', { service: 'account-management' })) > 0 ? Date.now() : null),
    until('the restarted process completing an item', 120_000, async () =>
      (await restarted.counter('scim_bridge_sync_items_processed_total', { outcome: 'completed' })) > 0 ? Date.now() : null),
    until('the dead process\'s items freed', 120_000, async () => ((await fleet.probe.stillHeld(victim.pid, held)) === 0 ? Date.now() : null)),
  ]);
  return {
    atFlowCall: calledBefore,
    heldItems: held.length,
    heldItemsFreedMs: freed - killedAt,
    restartToWorkingMs: working - restarted.spawnedAt,
    restartToFirstCallMs: firstCall - restarted.spawnedAt,
    restartToFirstCompletedItemMs: firstCompleted - restarted.spawnedAt,
  };
}

/** What Dynatrace holds against the model: users, their managed groups, groups, their policy bindings. */
function convergenceProblems(state: any, model: DtModel, accountUuid: string): string[] {
  const problems: string[] = [];
  const localGroups = new Map<string, string>((state.groups as Array<{ uuid: string; name: string; owner: string }>).filter((g) => g.owner === 'LOCAL').map((g) => [g.uuid, g.name]));
  const expectedNames = new Set([...model.groups.values()].map((g) => g.name));
  const users = new Map<string, Array<{ uuid: string }>>((state.users as Array<{ email: string; groups: Array<{ uuid: string }> }>).map((u) => [u.email.toLowerCase(), u.groups]));
  for (const [index, user] of model.users) {
    const groups = users.get(user.email);
    if (groups === undefined) {
      problems.push(`user ${index} (${user.email}) is missing`);
      continue;
    }
    const have = groups.map((g) => localGroups.get(g.uuid)).filter((name): name is string => name !== undefined && expectedNames.has(name)).sort();
    const want = [...user.groups].map((g) => model.groups.get(g)?.name ?? '?').sort();
    if (JSON.stringify(have) !== JSON.stringify(want)) problems.push(`user ${user.email} is in ${JSON.stringify(have)}, not ${JSON.stringify(want)}`);
  }
  const expectedEmails = new Set([...model.users.values()].map((u) => u.email));
  for (const email of users.keys()) if (email.endsWith('@jml.example.com') && !expectedEmails.has(email)) problems.push(`user ${email} should not exist`);
  const bridgeGroups = new Map<string, string>();
  for (const [uuid, name] of localGroups) if (expectedNames.has(name)) bridgeGroups.set(name, uuid);
  for (const group of model.groups.values()) {
    const uuid = bridgeGroups.get(group.name);
    if (uuid === undefined) {
      problems.push(`group ${group.name} is missing`);
      continue;
    }
    const bound = new Set(
      (state.bindings as Array<{ levelType: string; levelId: string; policy: { name: string | null }; group: { uuid: string } }>)
        .filter((b) => b.group.uuid === uuid)
        .map((b) => `${b.levelType === 'account' && b.levelId === accountUuid ? 'account' : `${b.levelType}:${b.levelId}`} ${b.policy.name ?? '?'}`),
    );
    if (bound.size !== group.bindings.size || [...group.bindings].some((b) => !bound.has(b))) problems.push(`group ${group.name} has bindings ${JSON.stringify([...bound])}, not ${JSON.stringify([...group.bindings])}`);
  }
  for (const name of ['Ops East', 'Dev A', 'Dev E']) if ([...localGroups.values()].includes(name)) problems.push(`group ${name} should be gone (renamed or deleted)`);
  return problems;
}

export async function runJmlVariant(variant: JmlVariant, settings: JmlSettings, postgres: BenchPostgres | null): Promise<JmlResult> {
  const name = `${variant.engine}${variant.engine === 'postgres' ? ' ×2' : ''}${variant.kill ? ' + kill -9' : ''}`;
  const dir = mkdtempSync(path.join(tmpdir(), `scim-jml-${variant.engine}${variant.kill ? '-kill' : ''}-`));
  const mapping = parseMapping(JML_MAPPING, 'jml mapping');
  const scenario = jmlScenario(settings.users, mapping);
  const fleet = await startFleet(name, variant, settings, dir, postgres);
  try {
    return await runFlow(name, variant, settings, fleet, scenario);
  } finally {
    await fleet.close();
    if (!settings.keepData) rmSync(dir, { recursive: true, force: true });
    else log(`${name}: data and logs kept in ${dir}`);
  }
}

async function accountRequests(fleet: Fleet): Promise<number> {
  return (await fleet.sandbox.requests()).filter((r) => r.service === 'account-management').length;
}

async function runFlow(name: string, variant: JmlVariant, settings: JmlSettings, fleet: Fleet, scenario: ReturnType<typeof jmlScenario>): Promise<JmlResult> {
  // Each process checks the mapping against the account at start: wait for it (readiness), so that
  // those calls come before the flow.
  for (const bridge of fleet.bridges) {
    await until(`${bridge.name} ready`, 60_000, async () => ((await fetch(`${bridge.url}/readyz`)).status === 200 ? true : null));
  }
  const startupCalls = await accountRequests(fleet);
  const flowStart = startupCalls;
  const client = clientsOf(fleet);
  const problems: string[] = [];
  const cycles: CycleReport[] = [];
  let before: DtModel = { users: new Map(), groups: new Map() };
  const minimum: Record<string, number> = {};
  let kill: Promise<KillReport> | null = null;
  const t0 = Date.now();
  for (const [index, cycle] of scenario.cycles.entries()) {
    const started = Date.now();
    const callsBefore = await accountRequests(fleet);
    for (const phase of cycle.phases) await inPool(phase.length, settings.connections, (i) => (phase[i] as (typeof phase)[number]).send(client()));
    const after = scenario.model();
    const cycleMinimum = minimumCalls(before, after);
    for (const [operation, n] of Object.entries(cycleMinimum)) minimum[operation] = (minimum[operation] ?? 0) + n;
    if (index === 0 && variant.kill) kill = killMidSync(fleet, flowStart, Math.round(total(cycleMinimum) * 0.4));
    const drained = await until(`${name}: the queue emptying after cycle ${index + 1}`, 900_000, async () => {
      const queue = await queueStatus(fleet);
      return queue !== null && queue.depth === 0 ? queue : null;
    });
    if (drained.failedCount > 0) problems.push(`cycle ${index + 1}: ${drained.failedCount} items failed: ${JSON.stringify(drained.failed).slice(0, 500)}`);
    const calls = (await accountRequests(fleet)) - callsBefore;
    cycles.push({ name: cycle.name, calls, minimum: total(cycleMinimum), wallMs: Date.now() - started });
    log(`${name}: cycle ${index + 1} (${cycle.name}): ${calls} calls, minimum ${total(cycleMinimum)}, ${((Date.now() - started) / 1000).toFixed(1)} s`);
    before = after;
  }
  const wallMs = Date.now() - t0;
  const killReport = kill === null ? null : await kill;
  // Quiescence: nothing more may follow an empty queue.
  const atEnd = await accountRequests(fleet);
  await new Promise((resolve) => setTimeout(resolve, 2 * settings.coalesceMs));
  if ((await accountRequests(fleet)) !== atEnd) problems.push('upstream calls went on after the queue was empty');
  const requests = await fleet.sandbox.requests();
  if (requests.length >= 10_000) problems.push('the sandbox request log reached its cap: counts would be incomplete');
  const flow: Call[] = accountCalls(requests).slice(flowStart);
  const summary = summarise(flow);
  problems.push(...convergenceProblems(await fleet.sandbox.state(), before, fleet.sandbox.bridgeEnv['DT_ACCOUNT_UUID'] ?? ''));
  const byOperation = countBy(flow, (c) => c.operation);
  const beyondMinimum: Record<string, number> = {};
  for (const operation of new Set([...Object.keys(byOperation), ...Object.keys(minimum)])) {
    const extra = (byOperation[operation] ?? 0) - (minimum[operation] ?? 0);
    if (extra !== 0) beyondMinimum[operation] = extra;
  }
  return {
    name,
    variant,
    replicas: variant.engine === 'postgres' ? 2 : 1,
    startupCalls,
    calls: summary,
    injectedFaults: flow.filter((c) => c.status >= 500).length,
    minimum: { total: total(minimum), byOperation: Object.fromEntries(Object.entries(minimum).sort(([a], [b]) => a.localeCompare(b))) },
    beyondMinimum,
    cycles,
    wallS: wallMs / 1000,
    budgetS: (summary.total * 60) / settings.budgetPerMinute,
    kill: killReport,
    problems,
  };
}
