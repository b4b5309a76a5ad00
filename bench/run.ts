// The performance bench the issue asks for, in one run: seed Users over POST, build Groups (one
// of 50,000 members), GET by `userName eq` side by side with a bare-Express ceiling (and, for
// information, the same ceiling served as the bridge serves its app), then PATCH one member in and
// out of the big group. Prints each figure with its target; writes bench/results/latest.json.
// BENCH_STORE=postgres runs the same on PostgreSQL (an embedded server, or BENCH_DATABASE_URL's), and
// writes bench/results/latest-postgres.json.
// Not a test: it reports PASS/FAIL against the targets but exits non-zero only when requests fail.
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { integerReader } from './settings-reader.js';
import { figure, printTable, sourceRevision, type Figure } from './report.js';
import { spawnBenchChild, type BenchChild } from './bench-child.js';
import {
  addMembersBody,
  groupBody,
  indexOfUserName,
  removeMemberBody,
  userBody,
  userNameFilterPath,
  userNameOf,
} from './idp-bodies.js';
import { cannon, createApi, distribution, pool, type CannonRun, type Distribution } from './load.js';
import { startBenchPostgres, type BenchPostgres, type PostgresStats } from './postgres-server.js';
import { formatProfileSummary, summariseProfile } from './profile-summary.js';

// ── settings ────────────────────────────────────────────────────────────────────────────────────

interface Settings {
  readonly users: number;
  readonly groups: number;
  readonly bigGroupMembers: number;
  readonly smallGroupMembers: number;
  readonly seedConnections: number;
  readonly getConnections: number;
  readonly getDurationS: number;
  readonly getWarmupS: number;
  readonly getRounds: number;
  readonly patchCount: number;
  readonly patchWarmup: number;
  readonly profile: boolean;
  readonly logLevel: string;
  /** Run the sync worker in the bridge (against the in-process sandbox), as src/main.ts does. */
  readonly syncWorker: boolean;
  readonly keepData: boolean;
  readonly resultsDir: string;
  /** The bridge's store: the SQLite file (default) or PostgreSQL. */
  readonly store: 'sqlite' | 'postgres';
  /** An existing, empty PostgreSQL database to use; null = start an embedded server (BENCH_STORE=postgres). */
  readonly databaseUrl: string | null;
}

function readSettings(env: NodeJS.ProcessEnv): Settings {
  const problems: string[] = [];
  const integer = integerReader(env, problems);
  const users = integer('BENCH_USERS', 100_000, 1_000, 1_000_000);
  const patchCount = integer('BENCH_PATCH_COUNT', 200, 10, 5_000);
  const patchWarmup = integer('BENCH_PATCH_WARMUP', 10, 0, 1_000);
  const seedConnections = integer('BENCH_SEED_CONNECTIONS', 8, 1, 64);
  // The big group takes half the users at most, so PATCH always has non-members to add.
  const bigGroupMembers = Math.min(integer('BENCH_BIG_GROUP_MEMBERS', 50_000, 1, 1_000_000), Math.floor(users / 2), users - patchCount - patchWarmup);
  if (bigGroupMembers < 1) problems.push('BENCH_USERS is too small for BENCH_PATCH_COUNT + BENCH_PATCH_WARMUP');
  const defaultResults = fileURLToPath(new URL('../../bench/results/', import.meta.url));
  const databaseUrl = env.BENCH_DATABASE_URL?.trim() || null;
  const storeText = env.BENCH_STORE?.trim().toLowerCase() || (databaseUrl === null ? 'sqlite' : 'postgres');
  if (storeText !== 'sqlite' && storeText !== 'postgres') problems.push(`BENCH_STORE must be sqlite or postgres, got "${storeText}"`);
  if (databaseUrl !== null && storeText !== 'postgres') problems.push('BENCH_DATABASE_URL needs BENCH_STORE=postgres (or no BENCH_STORE)');
  if (databaseUrl !== null && !/^postgres(ql)?:\/\//.test(databaseUrl)) problems.push('BENCH_DATABASE_URL must be a postgres:// or postgresql:// URL');
  const settings: Settings = {
    users,
    groups: integer('BENCH_GROUPS', 1_000, 1, 100_000),
    bigGroupMembers,
    smallGroupMembers: integer('BENCH_SMALL_GROUP_MEMBERS', 10, 0, 1_000),
    seedConnections,
    getConnections: integer('BENCH_GET_CONNECTIONS', 10, 1, 256),
    getDurationS: integer('BENCH_GET_DURATION', 10, 1, 300),
    getWarmupS: integer('BENCH_GET_WARMUP', 3, 0, 60),
    getRounds: integer('BENCH_GET_ROUNDS', 4, 1, 10),
    patchCount,
    patchWarmup,
    profile: env.BENCH_PROFILE === '1',
    logLevel: env.BENCH_LOG_LEVEL?.trim() || 'info',
    syncWorker: env.BENCH_SYNC_WORKER !== '0',
    keepData: env.BENCH_KEEP_DATA === '1',
    resultsDir: path.resolve(env.BENCH_RESULTS_DIR?.trim() || defaultResults),
    store: storeText === 'postgres' ? 'postgres' : 'sqlite',
    databaseUrl,
  };
  if (users < seedConnections) problems.push('BENCH_USERS must be at least BENCH_SEED_CONNECTIONS');
  if (problems.length > 0) throw new TypeError(`invalid bench settings:\n- ${problems.join('\n- ')}`);
  return settings;
}

// ── figures and report ──────────────────────────────────────────────────────────────────────────

function formatNumber(value: number, unit: string): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (unit === 'ratio') return value.toFixed(3);
  if (unit === 'ms') return value < 1 ? value.toFixed(3) : value < 10 ? value.toFixed(2) : value.toFixed(1);
  return value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(1);
}

// ── helpers ─────────────────────────────────────────────────────────────────────────────────────

const BASE = '/scim/v2';
const IDLE_SAMPLE_MS = 5_000;
const MB = 1024 * 1024;

function log(message: string): void {
  console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
}

function expect(condition: boolean, message: string, problems: string[]): void {
  if (!condition) {
    problems.push(message);
    log(`CHECK FAILED: ${message}`);
  }
}

function statusSummary(run: CannonRun): string {
  const parts = Object.entries(run.statusCounts).map(([status, count]) => `${status}×${count}`);
  const { errors, timeouts } = run.result;
  return `${parts.join(' ') || 'no responses'}${errors > 0 ? `, ${errors} errors (${timeouts} timeouts)` : ''}`;
}

function roundDistribution(d: Distribution): Distribution {
  const r = (x: number) => Math.round(x * 1000) / 1000;
  return { count: d.count, min: r(d.min), median: r(d.median), p95: r(d.p95), p99: r(d.p99), max: r(d.max), mean: r(d.mean) };
}

interface PhaseCost {
  readonly bridgeCpuMs: number;
  readonly bridgePeakRssMb: number;
  readonly wallS: number;
  /** The embedded PostgreSQL's CPU over the phase, and its peak summed PSS / RSS (NaN without one). */
  readonly postgresCpuMs: number;
  readonly postgresPeakPssMb: number;
  readonly postgresPeakRssMb: number;
}

/** Samples the embedded PostgreSQL's processes (summed RSS and PSS) every 500 ms, keeping peaks. */
interface PostgresSampler {
  now(): PostgresStats | null;
  mark(): void;
  peakSinceMark(): { pssMb: number; rssMb: number };
  peak(): { pssMb: number; rssMb: number };
  stop(): void;
}

function startPostgresSampler(postgres: BenchPostgres | null): PostgresSampler {
  const peak = { pss: NaN, rss: NaN };
  const sinceMark = { pss: NaN, rss: NaN };
  const sample = (): PostgresStats | null => {
    const stats = postgres?.stats() ?? null;
    if (stats !== null) {
      for (const into of [peak, sinceMark]) {
        into.pss = Number.isNaN(into.pss) ? stats.pssSum : Math.max(into.pss, stats.pssSum);
        into.rss = Number.isNaN(into.rss) ? stats.rssSum : Math.max(into.rss, stats.rssSum);
      }
    }
    return stats;
  };
  const timer = postgres === null ? null : setInterval(sample, 500);
  timer?.unref();
  return {
    now: sample,
    mark() {
      sinceMark.pss = NaN;
      sinceMark.rss = NaN;
      sample();
    },
    peakSinceMark: () => (sample(), { pssMb: sinceMark.pss / MB, rssMb: sinceMark.rss / MB }),
    peak: () => (sample(), { pssMb: peak.pss / MB, rssMb: peak.rss / MB }),
    stop() {
      if (timer !== null) clearInterval(timer);
    },
  };
}

/** One query on its own short-lived connection (set-up checks and the database size). */
async function pgQuery(url: string, sql: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000, query_timeout: 60_000 });
  await client.connect();
  try {
    return (await client.query(sql)).rows as unknown[];
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The commit measured, and how many files under src/ differ from it, at the start (read-only git calls). */
// ── the run ─────────────────────────────────────────────────────────────────────────────────────

async function main(): Promise<number> {
  const settings = readSettings(process.env);
  const token = randomBytes(24).toString('hex');
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'scim-bench-'));
  mkdirSync(settings.resultsDir, { recursive: true });
  const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
  const problems: string[] = [];
  const source = sourceRevision();
  const cpus = os.cpus();
  log(`node ${process.version}, ${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / MB)} MB RAM`);
  log(`settings: ${JSON.stringify({ ...settings, resultsDir: undefined, databaseUrl: settings.databaseUrl === null ? null : '(given)' })}`);
  log(`data dir ${dataDir}`);

  // PostgreSQL, when asked for: an embedded server started here (stopped in `finally`), or an existing one.
  let postgres: BenchPostgres | null = null;
  let databaseUrl = settings.databaseUrl;
  if (settings.store === 'postgres' && databaseUrl === null) {
    log('starting an embedded PostgreSQL');
    try {
      postgres = await startBenchPostgres();
    } catch (error) {
      rmSync(dataDir, { recursive: true, force: true });
      throw error;
    }
    databaseUrl = postgres.url;
    log(`embedded PostgreSQL on ${databaseUrl.replace(/:[^:@/]*@/, ':***@')}, data dir ${postgres.dataDir}`);
  }
  const pgSampler = startPostgresSampler(postgres);
  let bridge: BenchChild | null = null;
  let baseline: BenchChild | null = null;
  let hostedBaseline: BenchChild;
  try {
    if (databaseUrl !== null) {
      const version = await pgQuery(databaseUrl, 'SELECT version() AS v, to_regclass(\'public.users\') IS NOT NULL AS has_users');
      const row = version[0] as { v: string; has_users: boolean } | undefined;
      log(`PostgreSQL: ${row?.v ?? 'unknown version'}`);
      if (row?.has_users === true) {
        const users = await pgQuery(databaseUrl, 'SELECT count(*)::int AS n FROM public.users');
        if ((users[0] as { n: number } | undefined)?.n !== 0) throw new Error('the PostgreSQL database already holds users: the bench needs an empty one');
      }
    }
    bridge = await spawnBenchChild({
      name: 'bridge',
      script: here('./bridge-server.js'),
      env: {
        BENCH_DATA_DIR: dataDir,
        BENCH_TOKEN: token,
        BENCH_LOG_LEVEL: settings.logLevel,
        BENCH_SYNC_WORKER: settings.syncWorker ? '1' : '0',
        ...(databaseUrl === null ? {} : { BENCH_DATABASE_URL: databaseUrl }),
      },
      logFile: path.join(dataDir, 'bridge.log'),
    });
    baseline = await spawnBenchChild({
      name: 'baseline',
      script: here('./baseline-server.js'),
      env: { BENCH_TOKEN: token },
      logFile: path.join(dataDir, 'baseline.log'),
    });
    hostedBaseline = await spawnBenchChild({
      name: 'hosted-baseline',
      script: here('./baseline-server.js'),
      env: { BENCH_TOKEN: token, BENCH_CEILING_SERVER: 'app-server' },
      logFile: path.join(dataDir, 'hosted-baseline.log'),
    });
  } catch (error) {
    await bridge?.stop().catch(() => null);
    await baseline?.stop().catch(() => null);
    pgSampler.stop();
    await postgres?.stop().catch((e: unknown) => log(`PostgreSQL stop: ${String(e)}`));
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  return runScenarios({ settings, token, dataDir, databaseUrl, postgres, pgSampler, bridge, baseline, hostedBaseline, problems, source, cpus });
}

interface ScenarioContext {
  readonly settings: Settings;
  readonly token: string;
  readonly dataDir: string;
  readonly databaseUrl: string | null;
  readonly postgres: BenchPostgres | null;
  readonly pgSampler: PostgresSampler;
  readonly bridge: BenchChild;
  /** The stock-served ceiling (the target's); `hostedBaseline` serves the same app as the bridge is served. */
  readonly baseline: BenchChild;
  readonly hostedBaseline: BenchChild;
  readonly problems: string[];
  readonly source: ReturnType<typeof sourceRevision>;
  readonly cpus: os.CpuInfo[];
}

async function runScenarios(context: ScenarioContext): Promise<number> {
  const { settings, token, dataDir, databaseUrl, postgres, pgSampler, bridge, baseline, hostedBaseline, problems, source, cpus } = context;
  const bridgeOrigin = `http://127.0.0.1:${bridge.port}`;
  const baselineOrigin = `http://127.0.0.1:${baseline.port}`;
  const hostedBaselineOrigin = `http://127.0.0.1:${hostedBaseline.port}`;
  log(`bridge pid ${bridge.pid} on ${bridgeOrigin}, baseline pid ${baseline.pid} on ${baselineOrigin}, hosted baseline pid ${hostedBaseline.pid} on ${hostedBaselineOrigin}`);
  const api = createApi(bridgeOrigin, token);
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' };
  const profiles: Record<string, string> = {};

  /** Runs one scenario, measuring the bridge's CPU and peak RSS over it (and profiling it on request). */
  async function phase<T>(name: string, body: () => Promise<T>): Promise<{ value: T; cost: PhaseCost }> {
    const before = await bridge.stats({ mark: true });
    pgSampler.mark();
    const pgBefore = pgSampler.now();
    if (settings.profile) await bridge.startProfile();
    const started = performance.now();
    const value = await body();
    const wallS = (performance.now() - started) / 1000;
    const pgAfter = pgSampler.now();
    const pgPeak = pgSampler.peakSinceMark();
    if (settings.profile) {
      const file = path.join(settings.resultsDir, `${name}.cpuprofile`);
      await bridge.stopProfile(file);
      profiles[name] = file;
      console.log(formatProfileSummary(name, summariseProfile(file, 25)));
    }
    const after = await bridge.stats();
    return {
      value,
      cost: {
        bridgeCpuMs: after.cpuMs - before.cpuMs,
        bridgePeakRssMb: after.peakRssSinceMark / MB,
        wallS,
        postgresCpuMs: pgBefore !== null && pgAfter !== null ? pgAfter.cpuMs - pgBefore.cpuMs : NaN,
        postgresPeakPssMb: pgPeak.pssMb,
        postgresPeakRssMb: pgPeak.rssMb,
      },
    };
  }

  try {
    // (1) POST /Users from 0 to N with 8 connections, every body a unique Okta or Entra user.
    log(`(1) seeding ${settings.users} users with POST /Users over ${settings.seedConnections} connections`);
    const tenth = Math.ceil(settings.users / 10);
    const tenthMarksMs: number[] = [];
    let created = 0;
    let nextUser = 0;
    const seed = await phase('seed-users', () =>
      cannon({
        url: bridgeOrigin,
        connections: settings.seedConnections,
        amount: settings.users,
        timeout: 60,
        requests: [{ method: 'POST', path: `${BASE}/Users`, headers, setupRequest: (request) => ({ ...request, body: userBody(nextUser++) }) }],
        onResponse: (status, sinceStartMs) => {
          if (status !== 201) return;
          created++;
          if (created % tenth === 0 || created === settings.users) tenthMarksMs.push(sinceStartMs);
        },
      }),
    );
    const seedRun = seed.value;
    log(`    ${statusSummary(seedRun)} in ${seedRun.elapsedS.toFixed(1)} s`);
    const seedRate = created / seedRun.elapsedS;
    const tenthRates = tenthMarksMs.map((t, i) => {
      const from = i === 0 ? 0 : (tenthMarksMs[i - 1] as number);
      const count = i === tenthMarksMs.length - 1 ? created - tenth * i : tenth;
      return count / ((t - from) / 1000);
    });
    const slowestTenth = Math.min(...tenthRates);
    log(`    ${seedRate.toFixed(0)} users/s overall; per tenth: ${tenthRates.map((r) => r.toFixed(0)).join(', ')}`);
    log(`    CPU per user: bridge ${(seed.cost.bridgeCpuMs / Math.max(1, created)).toFixed(3)} ms${Number.isNaN(seed.cost.postgresCpuMs) ? '' : `, PostgreSQL ${(seed.cost.postgresCpuMs / Math.max(1, created)).toFixed(3)} ms`}`);
    const count = await api.call('GET', `${BASE}/Users?count=0`);
    expect(created === settings.users, `POST /Users created ${created} of ${settings.users} users`, problems);
    expect(count.body?.totalResults === settings.users, `GET /Users?count=0 reports ${count.body?.totalResults} users, expected ${settings.users}`, problems);

    // (2) Learn the ids, then the groups: one with 50,000 members (PATCH value lists of 1,000), the rest small.
    log('(2) paging user ids, then creating groups');
    const ids: string[] = new Array<string>(settings.users);
    const paging = await phase('page-users', async () => {
      const times: number[] = [];
      for (let start = 1; start <= settings.users; start += 1000) {
        const page = await api.call('GET', `${BASE}/Users?attributes=userName&count=1000&startIndex=${start}`);
        times.push(page.ms);
        if (page.status !== 200) throw new Error(`GET /Users page at ${start} answered ${page.status}`);
        for (const resource of page.body.Resources as Array<{ id: string; userName: string }>) ids[indexOfUserName(resource.userName)] = resource.id;
      }
      return distribution(times);
    });
    const missingIds = ids.filter((id) => id === undefined).length + (settings.users - ids.length);
    expect(missingIds === 0 && ids.length === settings.users, `paging missed ${missingIds} user ids`, problems);
    log(`    ${Math.ceil(settings.users / 1000)} pages of 1,000 in ${paging.cost.wallS.toFixed(1)} s (median ${paging.value.median.toFixed(1)} ms, max ${paging.value.max.toFixed(1)} ms)`);

    const bigGroup = await api.call('POST', `${BASE}/Groups`, groupBody(0, []));
    if (bigGroup.status !== 201) throw new Error(`POST /Groups (big) answered ${bigGroup.status}: ${JSON.stringify(bigGroup.body)}`);
    const bigId = bigGroup.body.id as string;
    const bigFill = await phase('fill-big-group', async () => {
      const times: number[] = [];
      for (let from = 0; from < settings.bigGroupMembers; from += 1000) {
        const batch = ids.slice(from, Math.min(from + 1000, settings.bigGroupMembers));
        const patched = await api.call('PATCH', `${BASE}/Groups/${bigId}`, addMembersBody(batch));
        if (patched.status !== 204) throw new Error(`PATCH add batch at ${from} answered ${patched.status}: ${JSON.stringify(patched.body)}`);
        times.push(patched.ms);
      }
      return distribution(times);
    });
    log(`    big group: ${settings.bigGroupMembers} members in ${bigFill.value.count} PATCHes of ≤1,000 in ${bigFill.cost.wallS.toFixed(1)} s (median ${bigFill.value.median.toFixed(1)} ms, max ${bigFill.value.max.toFixed(1)} ms)`);

    const smallGroups = await phase('create-groups', async () => {
      const times: number[] = [];
      await pool(settings.groups - 1, 8, async (i) => {
        const g = i + 1;
        const members = Array.from({ length: settings.smallGroupMembers }, (_, k) => ids[(g * 7919 + k * 104_729) % settings.users] as string);
        const response = await api.call('POST', `${BASE}/Groups`, groupBody(g, members));
        if (response.status !== 201) throw new Error(`POST /Groups #${g} answered ${response.status}: ${JSON.stringify(response.body)}`);
        times.push(response.ms);
      });
      return distribution(times);
    });
    log(`    ${settings.groups - 1} more groups of ${settings.smallGroupMembers} members in ${smallGroups.cost.wallS.toFixed(1)} s (8 concurrent)`);
    const groupCount = await api.call('GET', `${BASE}/Groups?count=0`);
    expect(groupCount.body?.totalResults === settings.groups, `GET /Groups?count=0 reports ${groupCount.body?.totalResults} groups, expected ${settings.groups}`, problems);

    // Background: the bridge's CPU with no requests at all (the sync worker draining its queue).
    const idleBefore = await bridge.stats();
    await new Promise((resolve) => setTimeout(resolve, IDLE_SAMPLE_MS));
    const idleAfter = await bridge.stats();
    const backgroundCpuShare = (idleAfter.cpuMs - idleBefore.cpuMs) / IDLE_SAMPLE_MS;
    log(`    with no requests for ${IDLE_SAMPLE_MS / 1000} s the bridge used ${(backgroundCpuShare * 100).toFixed(1)} % of a core (sync worker ${settings.syncWorker ? 'on' : 'off'})`);

    // (3) Side by side: the bare-Express ceiling (served as Express serves itself, and as the bridge is
    // served) and the bridge's `userName eq` filter, same load, interleaved.
    log(`(3) GET /Users?filter=userName eq "…": ${settings.getRounds} interleaved rounds of ${settings.getDurationS} s per server, ${settings.getConnections} connections`);
    const filterRequests = () => [{ method: 'GET', path: `${BASE}/Users`, headers, setupRequest: (request: object) => ({ ...request, path: userNameFilterPath(BASE, randomInt(settings.users)) }) }];
    const getLoad = (origin: string, durationS: number) =>
      cannon({ url: origin, connections: settings.getConnections, duration: durationS, timeout: 30, requests: filterRequests() });
    interface Segment {
      readonly server: 'baseline' | 'hostedBaseline' | 'bridge';
      readonly round: number;
      readonly ok: number;
      readonly non2xx: number;
      readonly errors: number;
      readonly durationS: number;
      readonly requestsPerS: number;
      readonly latencyMs: Distribution;
      readonly serverCpuMsPerRequest: number;
      readonly clientCpuMsPerRequest: number;
      /** The embedded PostgreSQL's CPU per request (NaN without one, 0-ish for the ceiling). */
      readonly postgresCpuMsPerRequest: number;
    }
    const segments: Segment[] = [];
    const measureSegment = async (server: Segment['server'], child: BenchChild, origin: string, round: number) => {
      const before = await child.stats();
      const pgBefore = pgSampler.now();
      const clientBefore = process.cpuUsage();
      const run = await getLoad(origin, settings.getDurationS);
      const client = process.cpuUsage(clientBefore);
      const pgAfter = pgSampler.now();
      const after = await child.stats();
      const segment: Segment = {
        server,
        round,
        ok: run.ok,
        non2xx: run.result.non2xx,
        errors: run.result.errors,
        durationS: run.result.duration,
        requestsPerS: run.ok / run.result.duration,
        latencyMs: roundDistribution(distribution(run.latenciesMs)),
        serverCpuMsPerRequest: (after.cpuMs - before.cpuMs) / Math.max(1, run.ok),
        clientCpuMsPerRequest: (client.user + client.system) / 1000 / Math.max(1, run.ok),
        postgresCpuMsPerRequest: pgBefore !== null && pgAfter !== null ? (pgAfter.cpuMs - pgBefore.cpuMs) / Math.max(1, run.ok) : NaN,
      };
      segments.push(segment);
      log(`    round ${round} ${server.padEnd(14)} ${segment.requestsPerS.toFixed(0).padStart(6)} req/s, p50 ${segment.latencyMs.median.toFixed(2)} ms, p99 ${segment.latencyMs.p99.toFixed(2)} ms, server CPU ${segment.serverCpuMsPerRequest.toFixed(3)} ms/req${Number.isNaN(segment.postgresCpuMsPerRequest) ? '' : `, PostgreSQL CPU ${segment.postgresCpuMsPerRequest.toFixed(3)} ms/req`} (${statusSummary(run)})`);
      expect(run.result.non2xx === 0 && run.result.errors === 0, `GET ${server} round ${round}: ${statusSummary(run)}`, problems);
    };
    const comparison = await phase('get-filter', async () => {
      if (settings.getWarmupS > 0) {
        await getLoad(baselineOrigin, settings.getWarmupS);
        await getLoad(hostedBaselineOrigin, settings.getWarmupS);
        await getLoad(bridgeOrigin, settings.getWarmupS);
      }
      // With BENCH_PROFILE=1 the ceiling is profiled too, so the two profiles can be compared.
      if (settings.profile) await baseline.startProfile();
      for (let round = 1; round <= settings.getRounds; round++) {
        await measureSegment('baseline', baseline, baselineOrigin, round);
        await measureSegment('hostedBaseline', hostedBaseline, hostedBaselineOrigin, round);
        await measureSegment('bridge', bridge, bridgeOrigin, round);
      }
      if (settings.profile) {
        const file = path.join(settings.resultsDir, 'get-filter-baseline.cpuprofile');
        await baseline.stopProfile(file);
        profiles['get-filter-baseline'] = file;
        console.log(formatProfileSummary('get-filter-baseline', summariseProfile(file, 25)));
      }
    });
    const rateOf = (server: Segment['server']) => {
      const mine = segments.filter((s) => s.server === server);
      return mine.reduce((sum, s) => sum + s.ok, 0) / mine.reduce((sum, s) => sum + s.durationS, 0);
    };
    const baselineRate = rateOf('baseline');
    const bridgeRate = rateOf('bridge');
    const getRatio = bridgeRate / baselineRate;
    const hostedBaselineRate = rateOf('hostedBaseline');
    const hostedRatio = bridgeRate / hostedBaselineRate;
    const roundRatios = Array.from({ length: settings.getRounds }, (_, i) => {
      const of = (server: Segment['server']) => segments.find((s) => s.server === server && s.round === i + 1)?.requestsPerS ?? NaN;
      return of('bridge') / of('baseline');
    });
    log(`    baseline ${baselineRate.toFixed(0)} req/s, bridge ${bridgeRate.toFixed(0)} req/s, ratio ${getRatio.toFixed(3)} (per round: ${roundRatios.map((r) => r.toFixed(3)).join(', ')})`);
    log(`    hosted baseline ${hostedBaselineRate.toFixed(0)} req/s, ratio bridge / hosted baseline ${hostedRatio.toFixed(3)}`);
    for (let check = 0; check < 50; check++) {
      const index = randomInt(settings.users);
      const found = await api.call('GET', userNameFilterPath(BASE, index));
      expect(found.body?.totalResults === 1 && found.body?.Resources?.[0]?.userName === userNameOf(index), `filter for user #${index} found ${found.body?.totalResults}`, problems);
    }
    const miss = await api.call('GET', `${BASE}/Users?filter=${encodeURIComponent('userName eq "nobody@example.com"')}`);
    expect(miss.status === 200 && miss.body?.totalResults === 0, 'filter for an absent userName did not answer an empty list', problems);

    // (4) PATCH one member into (and out of) the big group, sequentially; each a user not yet in it.
    log(`(4) PATCH /Groups/{big}: ${settings.patchCount} sequential single-member adds, then removes (after ${settings.patchWarmup} warm-up each)`);
    const patchPool = ids.slice(settings.bigGroupMembers, settings.bigGroupMembers + settings.patchWarmup + settings.patchCount);
    const patchRun = async (amount: number, from: number, bodyOf: (id: string) => string) => {
      let next = from;
      return cannon({
        url: bridgeOrigin,
        connections: 1,
        amount,
        timeout: 60,
        requests: [{ method: 'PATCH', path: `${BASE}/Groups/${bigId}`, headers, setupRequest: (request) => ({ ...request, body: bodyOf(patchPool[next++] as string) }) }],
      });
    };
    const probeId = patchPool[settings.patchWarmup] as string;
    const memberOfBig = async (id: string) => {
      const user = await api.call('GET', `${BASE}/Users/${id}`);
      return (user.body?.groups as Array<{ value: string }> | undefined)?.some((g) => g.value === bigId) === true;
    };
    const adds = await phase('patch-add', async () => {
      if (settings.patchWarmup > 0) await patchRun(settings.patchWarmup, 0, (id) => addMembersBody([id]));
      return patchRun(settings.patchCount, settings.patchWarmup, (id) => addMembersBody([id]));
    });
    const addLatency = roundDistribution(distribution(adds.value.latenciesMs));
    log(`    add: median ${addLatency.median} ms, p95 ${addLatency.p95} ms, p99 ${addLatency.p99} ms (${statusSummary(adds.value)})`);
    expect(adds.value.statusCounts['204'] === settings.patchCount, `PATCH add: ${statusSummary(adds.value)}`, problems);
    expect(await memberOfBig(probeId), 'a user added by PATCH is not listed in the big group', problems);

    const removes = await phase('patch-remove', async () => {
      if (settings.patchWarmup > 0) await patchRun(settings.patchWarmup, 0, removeMemberBody);
      return patchRun(settings.patchCount, settings.patchWarmup, removeMemberBody);
    });
    const removeLatency = roundDistribution(distribution(removes.value.latenciesMs));
    log(`    remove: median ${removeLatency.median} ms, p95 ${removeLatency.p95} ms, p99 ${removeLatency.p99} ms (${statusSummary(removes.value)})`);
    expect(removes.value.statusCounts['204'] === settings.patchCount, `PATCH remove: ${statusSummary(removes.value)}`, problems);
    expect(!(await memberOfBig(probeId)), 'a user removed by PATCH is still listed in the big group', problems);

    // Reading the big group back (informative): five times each way, the median reported.
    const readTimes = async (suffix: string) => {
      const times: number[] = [];
      let last: Awaited<ReturnType<typeof api.call>> | null = null;
      for (let i = 0; i < 5; i++) {
        last = await api.call('GET', `${BASE}/Groups/${bigId}${suffix}`);
        times.push(last.ms);
      }
      return { median: distribution(times).median, last };
    };
    const bigReads = await phase('read-big-group', async () => ({ full: await readTimes(''), lean: await readTimes('?excludedAttributes=members') }));
    const bigRead = bigReads.value.full;
    const bigReadLean = bigReads.value.lean;
    const bigMembers = (bigRead.last?.body?.members as unknown[] | undefined)?.length ?? -1;
    expect(bigMembers === settings.bigGroupMembers, `the big group has ${bigMembers} members, expected ${settings.bigGroupMembers}`, problems);
    log(`    GET the big group (median of 5): ${bigRead.median.toFixed(0)} ms with its ${bigMembers} members, ${bigReadLean.median.toFixed(1)} ms with excludedAttributes=members`);

    // Peak RSS of the bridge process over the whole run, then the report.
    const bridgeFinal = await bridge.stop();
    const baselineFinal = await baseline.stop();
    const hostedBaselineFinal = await hostedBaseline.stop();
    const dbFile = path.join(dataDir, 'bridge.sqlite');
    let dbBytes = [dbFile, `${dbFile}-wal`].filter(existsSync).reduce((sum, f) => sum + statSync(f).size, 0);
    if (databaseUrl !== null) {
      const size = await pgQuery(databaseUrl, 'SELECT pg_database_size(current_database())::bigint AS bytes').catch(() => []);
      dbBytes = Number((size[0] as { bytes: string } | undefined)?.bytes ?? NaN);
    }
    const peakRssMb = (bridgeFinal?.stats?.peakRss ?? NaN) / MB;
    if (bridgeFinal !== null) log(`bridge stopped in ${(bridgeFinal.stopMs / 1000).toFixed(1)} s${bridgeFinal.killed ? ' (killed: the graceful stop outlasted the deadline)' : ''}`);
    const scenarioPeakRssMb = Math.max(...[seed, paging, bigFill, smallGroups, comparison, adds, removes].map((p) => p.cost.bridgePeakRssMb));
    const cpuPerRequest = (server: Segment['server']) => {
      const mine = segments.filter((s) => s.server === server);
      return mine.reduce((sum, s) => sum + s.serverCpuMsPerRequest * s.ok, 0) / mine.reduce((sum, s) => sum + s.ok, 0);
    };
    const baselineCpu = cpuPerRequest('baseline');
    const bridgeCpu = cpuPerRequest('bridge');
    const hostedBaselineCpu = cpuPerRequest('hostedBaseline');
    const bridgeSegments = segments.filter((s) => s.server === 'bridge');
    const postgresCpuPerGet = bridgeSegments.reduce((sum, s) => sum + s.postgresCpuMsPerRequest * s.ok, 0) / bridgeSegments.reduce((sum, s) => sum + s.ok, 0);
    const scenarioPhases = [seed, paging, bigFill, smallGroups, comparison, adds, removes];
    const postgresScenarioPeakPssMb = Math.max(...scenarioPhases.map((p) => p.cost.postgresPeakPssMb));
    const postgresScenarioPeakRssMb = Math.max(...scenarioPhases.map((p) => p.cost.postgresPeakRssMb));
    const postgresPeak = pgSampler.peak();
    const postgresFigures: Figure[] =
      postgres === null
        ? []
        : [
            figure('postgresCpuMsPerUser', 'PostgreSQL server CPU per created user', seed.cost.postgresCpuMs / Math.max(1, created), 'ms'),
            figure('postgresCpuMsPerGet', 'PostgreSQL server CPU per bridge GET request', postgresCpuPerGet, 'ms'),
            figure('postgresCpuMsPerPatchAdd', 'PostgreSQL server CPU per single-member PATCH add', adds.cost.postgresCpuMs / (settings.patchCount + settings.patchWarmup), 'ms'),
            figure('postgresPeakPssMb', 'PostgreSQL processes, peak summed PSS, scenarios (1)–(4)', postgresScenarioPeakPssMb, 'MB'),
            figure('postgresPeakRssSumMb', '  peak summed RSS (shared buffers counted per process)', postgresScenarioPeakRssMb, 'MB'),
          ];

    const figures: Figure[] = [
      figure('seedUsersPerS', `POST /Users, 0 → ${settings.users.toLocaleString('en-US')} users, ${settings.seedConnections} connections`, seedRate, 'users/s', { op: '>=', value: 1000 }),
      figure('seedSlowestTenthUsersPerS', '  slowest tenth of the seeding', slowestTenth, 'users/s', { op: '>=', value: 1000 }),
      figure('baselineRequestsPerS', `GET bare Express 5 + bearer auth (ceiling), ${settings.getConnections} conns`, baselineRate, 'req/s'),
      figure('bridgeFilterRequestsPerS', `GET /Users?filter=userName eq "…", ${settings.getConnections} conns`, bridgeRate, 'req/s'),
      figure('filterToBaselineRatio', '  ratio bridge / ceiling', getRatio, 'ratio', { op: '>=', value: 0.5 }),
      figure('baselineCpuMsPerRequest', '  server CPU per request: ceiling', baselineCpu, 'ms'),
      figure('bridgeCpuMsPerRequest', '  server CPU per request: bridge', bridgeCpu, 'ms'),
      figure('cpuRatio', '  CPU ratio ceiling / bridge (load-independent)', baselineCpu / bridgeCpu, 'ratio'),
      figure('hostedBaselineRequestsPerS', '  the same ceiling served as the bridge is (createAppServer)', hostedBaselineRate, 'req/s'),
      figure('filterToHostedBaselineRatio', '  ratio bridge / that ceiling (information, no target)', hostedRatio, 'ratio'),
      figure('hostedBaselineCpuMsPerRequest', '  server CPU per request: that ceiling', hostedBaselineCpu, 'ms'),
      figure('bridgeIdleCpuShare', '  bridge CPU with no requests (background), share of a core', backgroundCpuShare, 'ratio'),
      figure('patchAddMedianMs', `PATCH add 1 member to ${settings.bigGroupMembers.toLocaleString('en-US')}-member group, median`, addLatency.median, 'ms', { op: '<', value: 20 }),
      figure('patchAddP95Ms', '  p95', addLatency.p95, 'ms'),
      figure('patchAddP99Ms', '  p99', addLatency.p99, 'ms'),
      figure('patchRemoveMedianMs', 'PATCH remove 1 member (members[value eq …]), median', removeLatency.median, 'ms'),
      figure('patchRemoveP95Ms', '  p95', removeLatency.p95, 'ms'),
      figure('patchRemoveP99Ms', '  p99', removeLatency.p99, 'ms'),
      figure('bridgePeakRssMb', 'peak RSS of the bridge process, scenarios (1)–(4)', scenarioPeakRssMb, 'MB', { op: '<', value: 250 }),
      figure('bridgePeakRssWholeRunMb', '  incl. reading the big group back with members', peakRssMb, 'MB', { op: '<', value: 250 }),
      figure('getBigGroupMedianMs', `GET /Groups/{id} with ${settings.bigGroupMembers.toLocaleString('en-US')} members, median of 5`, bigRead.median, 'ms'),
      ...postgresFigures,
    ];
    printTable(figures, (value, unit) => `${formatNumber(value, unit)} ${unit === 'ratio' ? '' : unit}`.trim());
    if (problems.length > 0) console.log(`\n${problems.length} check(s) failed — the figures above are not valid:\n- ${problems.join('\n- ')}`);
    const misses = figures.filter((f) => f.pass === false);
    console.log(misses.length === 0 ? '\nall targets met' : `\ntargets missed: ${misses.map((f) => f.key).join(', ')}`);

    const results = {
      generatedAt: new Date().toISOString(),
      machine: { cpus: cpus.length, cpuModel: cpus[0]?.model ?? null, totalMemMb: Math.round(os.totalmem() / MB), node: process.version, platform: `${os.platform()} ${os.release()}` },
      settings: { ...settings, resultsDir: undefined, databaseUrl: settings.databaseUrl === null ? null : '(given)' },
      store: settings.store,
      source,
      valid: problems.length === 0,
      problems,
      figures,
      seed: {
        created,
        elapsedS: seedRun.elapsedS,
        usersPerS: seedRate,
        perTenthUsersPerS: tenthRates,
        latencyMs: roundDistribution(distribution(seedRun.latenciesMs)),
        statusCounts: seedRun.statusCounts,
        errors: seedRun.result.errors,
        bridgeCpuMsPerUser: seed.cost.bridgeCpuMs / Math.max(1, created),
        bridgePeakRssMb: seed.cost.bridgePeakRssMb,
      },
      setup: {
        pageUsersMs: paging.value,
        bigGroupFill: { members: settings.bigGroupMembers, batches: bigFill.value, wallS: bigFill.cost.wallS },
        smallGroups: { count: settings.groups - 1, members: settings.smallGroupMembers, latencyMs: smallGroups.value, wallS: smallGroups.cost.wallS },
        getBigGroupMedianMs: bigRead.median,
        getBigGroupWithoutMembersMedianMs: bigReadLean.median,
        databaseMb: dbBytes / MB,
      },
      getFilter: { backgroundCpuShare, baselineRequestsPerS: baselineRate, bridgeRequestsPerS: bridgeRate, ratio: getRatio, roundRatios, baselineCpuMsPerRequest: baselineCpu, bridgeCpuMsPerRequest: bridgeCpu, hostedBaselineRequestsPerS: hostedBaselineRate, hostedRatio, hostedBaselineCpuMsPerRequest: hostedBaselineCpu, segments, bridgePeakRssMb: comparison.cost.bridgePeakRssMb },
      patch: {
        group: { id: bigId, members: settings.bigGroupMembers },
        addLatencyMs: addLatency,
        removeLatencyMs: removeLatency,
        addStatusCounts: adds.value.statusCounts,
        removeStatusCounts: removes.value.statusCounts,
        bridgeCpuMsPerAdd: adds.cost.bridgeCpuMs / (settings.patchCount + settings.patchWarmup),
      },
      processes: { bridge: bridgeFinal, baseline: baselineFinal, hostedBaseline: hostedBaselineFinal, peakRssMb, scenarioPeakRssMb },
      postgres:
        postgres === null
          ? null
          : {
              cpuMsPerUser: seed.cost.postgresCpuMs / Math.max(1, created),
              cpuMsPerGet: postgresCpuPerGet,
              cpuMsPerPatchAdd: adds.cost.postgresCpuMs / (settings.patchCount + settings.patchWarmup),
              scenarioPeakPssMb: postgresScenarioPeakPssMb,
              scenarioPeakRssSumMb: postgresScenarioPeakRssMb,
              wholeRunPeakPssMb: postgresPeak.pssMb,
              wholeRunPeakRssSumMb: postgresPeak.rssMb,
              processesAtEnd: pgSampler.now()?.processes ?? null,
            },
      phases: Object.fromEntries(
        Object.entries({ seed, paging, bigFill, smallGroups, comparison, adds, removes, bigReads }).map(([name, p]) => [name, p.cost]),
      ),
      profiles,
    };
    const out = path.join(settings.resultsDir, settings.store === 'postgres' ? 'latest-postgres.json' : 'latest.json');
    writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
    log(`results written to ${out}`);
    return problems.length === 0 ? 0 : 1;
  } finally {
    await bridge.stop().catch(() => null);
    await baseline.stop().catch(() => null);
    await hostedBaseline.stop().catch(() => null);
    pgSampler.stop();
    if (postgres !== null) {
      const stopping = performance.now();
      await postgres.stop().then(
        () => log(`embedded PostgreSQL stopped in ${((performance.now() - stopping) / 1000).toFixed(1)} s`),
        (error: unknown) => log(`embedded PostgreSQL did not stop cleanly: ${error instanceof Error ? error.message : String(error)}`),
      );
    }
    if (settings.keepData) log(`kept ${dataDir}`);
    else rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
