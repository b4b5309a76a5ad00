// The sync-efficiency bench: how many Dynatrace Account Management calls the bridge makes for what an
// IdP pushes, and how long a push takes against the rate budget. Scenarios 1–3 run in this process on
// 127.0.0.1: the Dynatrace sandbox (rate limit = the bridge's budget) and the bridge wired as main.ts
// wires it; requests go over real HTTP, as an IdP's would:
//   1. a joiner with k mapped groups (groups and a first user synced first) → target ≤ 3 calls: the
//      invitation, the add to all groups and, when the account's user list was read over a minute
//      before the joiner arrived, the lookup by name (here it was read seconds before: 2 calls)
//   2. an existing user added to three groups by three PATCHes         → target 1 call
//   3. an initial Entra-style push: N users, then G groups with members → calls ≤ 1.05 × minimum,
//      no 429 from the sandbox, wall time ≤ 1.1 × calls ÷ budget
// Scenario 4 runs bridges and the sandbox as processes of their own (jml-run.ts): a joiner-mover-leaver
// flow at the real budget with faults, on SQLite and on PostgreSQL with two replicas, each also with a
// SIGKILL mid-sync → calls ≤ 1.03 × minimum, wall time ≤ 1.05 × calls ÷ budget, no 429, a restarted
// process calling again within 10 s, and Dynatrace converged exactly.
// Prints each figure against its target (PASS/FAIL) and writes bench/results/sync-efficiency.json.
// Not a test: it exits non-zero only when a check on the outcome fails (then the figures mean nothing).
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { groupTarget, type Mapping } from '../src/core/mapping/mapping.js';
import { parseMapping } from '../src/mapping-file.js';
import type { SandboxHandle } from '../src/sandbox/index.js';
import { accountCalls, countBy, perUserHistogram, repeatedPerUser, summarise, type Call, type CallSummary } from './sync-calls.js';
import { integerReader } from './settings-reader.js';
import { figure, printTable, sourceRevision, type Figure } from './report.js';
import { startPair, type Pair, type PairOptions, type SyncTrace } from './sync-harness.js';
import { addMembersBody, entraUserBody, entraUserName, groupBody, groupsOfPushUser, inPool } from './sync-idp.js';
import { runJmlVariant, type JmlResult, type JmlSettings, type JmlVariant } from './jml-run.js';
import { JML_MAPPING } from './jml-scenario.js';
import { startBenchPostgres } from './postgres-server.js';

// ── settings ────────────────────────────────────────────────────────────────────────────────────

interface Settings {
  readonly budgetPerMinute: number;
  readonly coalesceMs: number;
  readonly users: number;
  readonly groups: number;
  readonly joinerGroups: number;
  readonly connections: number;
  readonly concurrency: number | null;
  readonly mapping: 'policies' | 'default';
  readonly logLevel: string;
  readonly keepData: boolean;
  readonly trace: boolean;
  readonly maxRunS: number;
  readonly resultsDir: string;
  /** Which scenarios run: 1 and 2 (`small`), 3 (`push`), 4 (`jml`). */
  readonly scenarios: ReadonlySet<'small' | 'push' | 'jml'>;
  readonly jml: JmlSettings & { readonly variants: readonly JmlVariant[] };
}

const JML_VARIANTS: Readonly<Record<string, JmlVariant>> = {
  sqlite: { engine: 'sqlite', kill: false },
  'sqlite-kill': { engine: 'sqlite', kill: true },
  postgres: { engine: 'postgres', kill: false },
  'postgres-kill': { engine: 'postgres', kill: true },
};

/** A comma-separated list of known names (`fallback` when unset), each problem recorded. */
function listOf(env: NodeJS.ProcessEnv, name: string, known: readonly string[], fallback: readonly string[], problems: string[]): string[] {
  const text = env[name]?.trim();
  const names = text === undefined || text === '' ? [...fallback] : text.split(',').map((n) => n.trim()).filter((n) => n !== '');
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length > 0 || names.length === 0) problems.push(`${name} must list some of ${known.join(', ')}, got "${text ?? ''}"`);
  return names.filter((n) => known.includes(n));
}

function readSettings(env: NodeJS.ProcessEnv): Settings {
  const problems: string[] = [];
  const integer = integerReader(env, problems);
  const mapping = env.BENCH_SYNC_MAPPING?.trim() || 'policies';
  if (mapping !== 'policies' && mapping !== 'default') problems.push(`BENCH_SYNC_MAPPING must be policies or default, got "${mapping}"`);
  const concurrencyText = env.BENCH_SYNC_CONCURRENCY?.trim();
  const settings: Settings = {
    budgetPerMinute: integer('BENCH_SYNC_BUDGET', 6_000, 60, 100_000),
    coalesceMs: integer('BENCH_SYNC_COALESCE_MS', 2_000, 0, 60_000),
    // The sandbox keeps its last 10,000 requests; 3,000 users stay well inside that.
    users: integer('BENCH_SYNC_USERS', 1_000, 15, 3_000),
    // At least 15, so that a user's 1–3 groups (stride 7) are distinct.
    groups: integer('BENCH_SYNC_GROUPS', 20, 15, 200),
    joinerGroups: integer('BENCH_SYNC_JOINER_GROUPS', 5, 3, 20),
    connections: integer('BENCH_SYNC_CONNECTIONS', 8, 1, 64),
    concurrency: concurrencyText === undefined || concurrencyText === '' ? null : integer('BENCH_SYNC_CONCURRENCY', 4, 1, 64),
    mapping: mapping === 'default' ? 'default' : 'policies',
    logLevel: env.BENCH_SYNC_LOG_LEVEL?.trim() || 'info',
    keepData: env.BENCH_SYNC_KEEP_DATA === '1',
    trace: env.BENCH_SYNC_TRACE !== '0',
    maxRunS: integer('BENCH_SYNC_MAX_RUN_S', 0, 0, 3_600),
    resultsDir: path.resolve(env.BENCH_RESULTS_DIR?.trim() || fileURLToPath(new URL('../../bench/results/', import.meta.url))),
    scenarios: new Set(listOf(env, 'BENCH_SYNC_SCENARIOS', ['small', 'push', 'jml'], ['small', 'push', 'jml'], problems) as Array<'small' | 'push' | 'jml'>),
    jml: {
      variants: listOf(env, 'BENCH_JML_VARIANTS', Object.keys(JML_VARIANTS), Object.keys(JML_VARIANTS), problems).map((name) => JML_VARIANTS[name] as JmlVariant),
      users: integer('BENCH_JML_USERS', 150, 60, 1_000),
      // The real budget: Dynatrace's 200 requests a minute, the bridge's default.
      budgetPerMinute: integer('BENCH_JML_BUDGET', 200, 60, 100_000),
      errorRate: integer('BENCH_JML_ERROR_PERMILLE', 10, 0, 200) / 1000,
      latencyMs: integer('BENCH_JML_LATENCY_MS', 20, 0, 2_000),
      coalesceMs: integer('BENCH_SYNC_COALESCE_MS', 2_000, 0, 60_000),
      connections: 4,
      keepData: env.BENCH_SYNC_KEEP_DATA === '1',
    },
  };
  if (problems.length > 0) throw new TypeError(`invalid bench settings:\n- ${problems.join('\n- ')}`);
  return settings;
}

/**
 * Two SCIM groups of the push bound to IAM policies (one level, and two levels with two policies),
 * the joiner groups by pattern bound at an environment; every other group mirrored. The names are
 * the default sandbox seed's (environments abc12345 and def67890).
 */
const POLICY_MAPPING = `groups:
  - scim: "Entra Group 01"
    dynatraceGroup: "Prod Viewers"
    policies:
      - level: environment
        id: abc12345
        names: ["Standard User"]
  - scim: "Entra Group 02"
    dynatraceGroup: "Prod Operators"
    policies:
      - level: environment
        id: abc12345
        names: ["Pro User", "Production Read Only"]
      - level: account
        names: ["Account Auditors"]
  - scimPattern: "^Joiner Group (\\\\d+)$"
    dynatraceGroup: "Joiner Team $1"
    policies:
      - level: environment
        id: def67890
        names: ["Standard User"]
unmatchedGroups: mirror
deactivation: remove-groups
emailChange: migrate
`;

const DEFAULT_MAPPING_YAML = '{}\n';

// ── figures and report ──────────────────────────────────────────────────────────────────────────

function formatValue(value: number, unit: string): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (unit === 'ratio') return value.toFixed(3);
  if (unit === 's') return value.toFixed(2);
  return Math.round(value).toLocaleString('en-US');
}

/** A value with its unit; ratios and call counts need none. */
function withUnit(value: number, unit: string): string {
  return `${formatValue(value, unit)}${unit === 'ratio' || unit === 'calls' ? '' : ` ${unit}`}`;
}

function log(message: string): void {
  console.log(`[sync-bench ${new Date().toISOString().slice(11, 23)}] ${message}`);
}

// ── checks on the outcome ───────────────────────────────────────────────────────────────────────

class Checks {
  readonly problems: string[] = [];
  expect(condition: boolean, message: string): void {
    if (!condition) {
      this.problems.push(message);
      log(`CHECK FAILED: ${message}`);
    }
  }
}

function requireStatus(answer: { status: number; body: any }, status: number, what: string): void {
  if (answer.status !== status) throw new Error(`${what} answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 500)}`);
}

/** The Dynatrace group UUIDs a user should be in (managed groups only), by SCIM group display names. */
function expectedGroupUuids(sandbox: SandboxHandle, mapping: Mapping, displayNames: readonly string[]): Set<string> | null {
  const uuids = new Set<string>();
  for (const displayName of displayNames) {
    const target = groupTarget(mapping, displayName);
    if (target === null) continue;
    const group = sandbox.state.findGroupByName(target.dynatraceGroup);
    if (group === null) return null;
    uuids.add(group.uuid);
  }
  return uuids;
}

/** True when the user exists and its LOCAL groups are exactly `expected`. */
function userHasExactly(sandbox: SandboxHandle, email: string, expected: ReadonlySet<string>): boolean {
  const user = sandbox.state.findUser(email);
  if (user === null) return false;
  const local = new Set(
    user.groupUuids.filter((uuid) => sandbox.state.snapshotGroups().find((g) => g.uuid === uuid)?.owner === 'LOCAL'),
  );
  return local.size === expected.size && [...expected].every((uuid) => local.has(uuid));
}

/** Every pushed group's bindings at each level its rule names are the rule's policies. */
function bindingsMatch(sandbox: SandboxHandle, mapping: Mapping, displayName: string): boolean {
  const target = groupTarget(mapping, displayName);
  if (target === null) return true;
  const group = sandbox.state.findGroupByName(target.dynatraceGroup);
  if (group === null) return false;
  for (const rule of target.policies) {
    const levelType = rule.level;
    const levelId = rule.level === 'account' ? sandbox.accountUuid : (rule.environmentId ?? '');
    const want = new Set([...rule.uuids, ...rule.names.map((name) => sandbox.state.findPolicy(name)?.uuid ?? `missing:${name}`)]);
    const have = new Set(sandbox.state.bindingsOf(levelType, levelId, group.uuid));
    if (want.size !== have.size || [...want].some((uuid) => !have.has(uuid))) return false;
  }
  return true;
}

/** (group, level, policy) bindings the mapping gives the given SCIM groups. */
function boundPolicies(mapping: Mapping, displayNames: readonly string[]): number {
  let bindings = 0;
  for (const displayName of displayNames) {
    const target = groupTarget(mapping, displayName);
    if (target === null) continue;
    const level = (rule: (typeof target.policies)[number]) => (rule.level === 'account' ? 'account' : `environment:${rule.environmentId ?? ''}`);
    bindings += new Set(target.policies.flatMap((rule) => [...rule.names, ...rule.uuids].map((policy) => `${level(rule)} ${policy}`))).size;
  }
  return bindings;
}

function pairOptions(settings: Settings, name: string): PairOptions {
  return {
    name,
    budgetPerMinute: settings.budgetPerMinute,
    coalesceMs: settings.coalesceMs,
    concurrency: settings.concurrency,
    mappingYaml: settings.mapping === 'policies' ? POLICY_MAPPING : DEFAULT_MAPPING_YAML,
    logLevel: settings.logLevel,
    keepData: settings.keepData,
    trace: settings.trace,
  };
}

function callsSince(pair: Pair, mark: number): Call[] {
  return accountCalls(pair.sandbox.state.requestLog.slice(mark));
}

// ── scenarios 1 and 2: a joiner, then an existing user added to three groups ────────────────────

interface SmallScenario {
  readonly calls: CallSummary;
  readonly operations: string[];
  /** ms from the first to the last SCIM request of the scenario (must be inside the coalescing window). */
  readonly scimSpanMs: number;
  readonly drainMs: number;
  readonly correct: boolean;
}

async function joinerAndMover(settings: Settings, mapping: Mapping, checks: Checks): Promise<{ setup: CallSummary; startup: CallSummary; joiner: SmallScenario; mover: SmallScenario }> {
  const pair = await startPair(pairOptions(settings, 'joiner'));
  try {
    checks.expect(pair.mappingProblems.length === 0, `mapping problems at start: ${pair.mappingProblems.join('; ')}`);
    const { client, sandbox } = pair;
    const drainTimeoutMs = 60_000 + settings.coalesceMs * 3;
    const startup = summarise(callsSince(pair, 0));

    // Set-up, not measured: the k groups exist in Dynatrace, and so does the "mover" (in no group).
    const groupNames = Array.from({ length: settings.joinerGroups }, (_, i) => `Joiner Group ${i + 1}`);
    const groupIds: string[] = [];
    const setupMark = sandbox.state.requestLog.length;
    for (const name of groupNames) {
      const answer = await client.scim('POST', '/Groups', groupBody(name, []));
      requireStatus(answer, 201, `POST /Groups ${name}`);
      groupIds.push(answer.body.id as string);
    }
    const mover = await client.scim('POST', '/Users', entraUserBody('mover', 0));
    requireStatus(mover, 201, 'POST /Users (mover)');
    await pair.waitForEmptyQueue({ timeoutMs: drainTimeoutMs });
    const setup = summarise(callsSince(pair, setupMark));
    log(`(1) set-up: ${settings.joinerGroups} groups and one user synced with ${setup.total} calls ${JSON.stringify(setup.byOperation)}`);

    // 1. The joiner: POST /Users, then one PATCH per group adding it (as Entra and Okta push group members).
    let mark = sandbox.state.requestLog.length;
    const joinerStarted = Date.now();
    const joiner = await client.scim('POST', '/Users', entraUserBody('joiner', 0));
    requireStatus(joiner, 201, 'POST /Users (joiner)');
    let lastScim = 0;
    for (const id of groupIds) {
      const answer = await client.scim('PATCH', `/Groups/${id}`, addMembersBody([joiner.body.id as string]));
      requireStatus(answer, 204, 'PATCH /Groups add joiner');
      lastScim = answer.doneAt;
    }
    const joinerDrained = await pair.waitForEmptyQueue({ timeoutMs: drainTimeoutMs });
    const joinerCalls = callsSince(pair, mark);
    const joinerEmail = entraUserName('joiner', 0).toLowerCase();
    const joinerExpected = expectedGroupUuids(sandbox, mapping, groupNames);
    const joinerCorrect = joinerExpected !== null && userHasExactly(sandbox, joinerEmail, joinerExpected);
    checks.expect(joinerCorrect, `the joiner is not in exactly its ${settings.joinerGroups} Dynatrace groups`);
    checks.expect(joinerDrained.failedCount === 0, `joiner: ${joinerDrained.failedCount} sync items failed: ${JSON.stringify(joinerDrained.failed).slice(0, 500)}`);
    const joinerResult: SmallScenario = {
      calls: summarise(joinerCalls),
      operations: joinerCalls.map((c) => `${c.operation} ${c.status}`),
      scimSpanMs: lastScim - joinerStarted,
      drainMs: joinerDrained.emptyAt - joinerStarted,
      correct: joinerCorrect,
    };
    checks.expect(joinerResult.scimSpanMs < settings.coalesceMs, `joiner: the SCIM requests took ${joinerResult.scimSpanMs} ms, longer than the coalescing window`);
    log(`(1) joiner with ${settings.joinerGroups} groups: ${joinerCalls.length} calls (${joinerResult.operations.join(', ')}); SCIM requests over ${joinerResult.scimSpanMs} ms, queue empty after ${joinerResult.drainMs} ms`);

    // 2. The existing user added to three groups by three separate PATCHes, within the window.
    mark = sandbox.state.requestLog.length;
    const moverStarted = Date.now();
    for (const id of groupIds.slice(0, 3)) {
      const answer = await client.scim('PATCH', `/Groups/${id}`, addMembersBody([mover.body.id as string]));
      requireStatus(answer, 204, 'PATCH /Groups add mover');
      lastScim = answer.doneAt;
    }
    const moverDrained = await pair.waitForEmptyQueue({ timeoutMs: drainTimeoutMs });
    const moverCalls = callsSince(pair, mark);
    const moverExpected = expectedGroupUuids(sandbox, mapping, groupNames.slice(0, 3));
    const moverCorrect = moverExpected !== null && userHasExactly(sandbox, entraUserName('mover', 0).toLowerCase(), moverExpected);
    checks.expect(moverCorrect, 'the existing user is not in exactly its 3 Dynatrace groups');
    checks.expect(moverDrained.failedCount === 0, `mover: ${moverDrained.failedCount} sync items failed`);
    const moverResult: SmallScenario = {
      calls: summarise(moverCalls),
      operations: moverCalls.map((c) => `${c.operation} ${c.status}`),
      scimSpanMs: lastScim - moverStarted,
      drainMs: moverDrained.emptyAt - moverStarted,
      correct: moverCorrect,
    };
    checks.expect(moverResult.scimSpanMs < settings.coalesceMs, `mover: the SCIM requests took ${moverResult.scimSpanMs} ms, longer than the coalescing window`);
    log(`(2) existing user + 3 groups: ${moverCalls.length} calls (${moverResult.operations.join(', ')}); SCIM requests over ${moverResult.scimSpanMs} ms`);
    return { startup, setup, joiner: joinerResult, mover: moverResult };
  } finally {
    await pair.close();
  }
}

// ── scenario 3: the initial Entra-style push ────────────────────────────────────────────────────

/** A pause in upstream calls at least this long is reported (the budget's own spacing is far shorter). */
const IDLE_GAP_MS = 500;

interface PushResult {
  readonly startup: CallSummary;
  readonly calls: CallSummary;
  readonly minimum: { readonly total: number; readonly parts: Record<string, number>; readonly writeOnlyFloor: number };
  readonly addsPerUser: Record<string, number>;
  readonly repeatedAdds: Array<{ email: string; atMs: number[] }>;
  readonly timeline: {
    readonly usersPostedMs: number;
    readonly groupsPostedMs: number;
    readonly firstCallMs: number | null;
    readonly lastCallMs: number | null;
    readonly queueEmptyMs: number;
  };
  readonly wallS: number;
  readonly syncS: number;
  readonly budgetS: number;
  readonly callsPerSecond: number[];
  /** Stretches of at least IDLE_GAP_MS without an upstream call, between the first and the last one. */
  readonly idleGaps: Array<{ readonly ms: number; readonly fromMs: number; readonly toMs: number }>;
  /** Per 250 ms from the first SCIM request: calls by operation, and leases (with the trace). */
  readonly timeline250ms: Array<{ readonly tMs: number; readonly calls: Record<string, number>; readonly leases: number }>;
  readonly trace: TraceSummary | null;
  /** Every 429 the sandbox answered during the push. */
  readonly throttled: Array<{ readonly atMs: number; readonly operation: string; readonly email: string | null }>;
  /** Whether the push (with the start-up calls) needed more calls than one window of the budget allows. */
  readonly budgetBinding: boolean;
  readonly statusPolls: number;
  readonly quiescent: boolean;
  readonly budgetUsageAtEnd: unknown;
}

async function initialPush(settings: Settings, mapping: Mapping, checks: Checks): Promise<PushResult> {
  const pair = await startPair(pairOptions(settings, 'push'));
  try {
    checks.expect(pair.mappingProblems.length === 0, `mapping problems at start: ${pair.mappingProblems.join('; ')}`);
    const { client, sandbox } = pair;
    const startup = summarise(callsSince(pair, 0));
    const groupNames = Array.from({ length: settings.groups }, (_, g) => `Entra Group ${String(g + 1).padStart(2, '0')}`);
    const membersOf: string[][] = groupNames.map(() => []);
    const userIds: string[] = new Array<string>(settings.users);
    const mark = sandbox.state.requestLog.length;

    // Users first (Entra's order), over `connections` connections; then the groups with their members.
    const t0 = Date.now();
    await inPool(settings.users, settings.connections, async (i) => {
      const answer = await client.scim('POST', '/Users', entraUserBody('push', i));
      requireStatus(answer, 201, `POST /Users #${i}`);
      userIds[i] = answer.body.id as string;
    });
    const usersPosted = Date.now();
    log(`(3) ${settings.users} users POSTed in ${usersPosted - t0} ms over ${settings.connections} connections`);
    for (let i = 0; i < settings.users; i++) for (const g of groupsOfPushUser(i, settings.groups)) membersOf[g]?.push(userIds[i] as string);
    await inPool(settings.groups, settings.connections, async (g) => {
      const answer = await client.scim('POST', '/Groups', groupBody(groupNames[g] as string, membersOf[g] as string[]));
      requireStatus(answer, 201, `POST /Groups ${groupNames[g]}`);
    });
    const groupsPosted = Date.now();
    const memberships = membersOf.reduce((sum, m) => sum + m.length, 0);
    log(`(3) ${settings.groups} groups (${memberships} memberships) POSTed in ${groupsPosted - usersPosted} ms; waiting for the sync queue to empty`);

    const expectedMinimumCalls = 2 * settings.users + 3 * settings.groups;
    const drainTimeoutMs = 120_000 + settings.coalesceMs * 3 + Math.ceil((4 * expectedMinimumCalls * 60_000) / settings.budgetPerMinute);
    const drained = await pair.waitForEmptyQueue({ timeoutMs: drainTimeoutMs });
    const status = await client.admin('GET', '/status');
    checks.expect(drained.failedCount === 0, `push: ${drained.failedCount} sync items failed: ${JSON.stringify(drained.failed).slice(0, 500)}`);

    // Quiescence: once the queue is empty no further call may follow.
    const callsAtEmpty = sandbox.state.requestLog.length;
    await new Promise((resolve) => setTimeout(resolve, 500 + 250));
    const quiescent = sandbox.state.requestLog.length === callsAtEmpty;
    checks.expect(quiescent, 'upstream calls went on after the queue was empty');
    checks.expect(sandbox.state.requestLog.length < 10_000, 'the sandbox request log reached its cap: counts would be incomplete');

    const calls = callsSince(pair, mark);
    const summary = summarise(calls);

    // Outcome: every user in exactly its managed groups, every bound group with its policies.
    let wrongUsers = 0;
    for (let i = 0; i < settings.users; i++) {
      const expected = expectedGroupUuids(sandbox, mapping, groupsOfPushUser(i, settings.groups).map((g) => groupNames[g] as string));
      if (expected === null || !userHasExactly(sandbox, entraUserName('push', i).toLowerCase(), expected)) wrongUsers++;
    }
    checks.expect(wrongUsers === 0, `${wrongUsers} of ${settings.users} users are not in exactly their Dynatrace groups`);
    const wrongBindings = groupNames.filter((name) => !bindingsMatch(sandbox, mapping, name));
    checks.expect(wrongBindings.length === 0, `policy bindings differ from the mapping for ${wrongBindings.join(', ')}`);

    // The minimum: each user created once and added to all its groups at once; each group created once;
    // the account's groups listed once (adopt by name) and its users once (adopt by lookup); per
    // binding one write (per policy; bindings others made are never read or written). Policy names
    // were resolved at start-up (not counted here).
    const targets = new Set(groupNames.map((name) => groupTarget(mapping, name)?.dynatraceGroup).filter((n): n is string => n !== undefined));
    const usersWithGroups = Array.from({ length: settings.users }, (_, i) => i).filter((i) =>
      groupsOfPushUser(i, settings.groups).some((g) => groupTarget(mapping, groupNames[g] as string) !== null),
    ).length;
    const bindings = boundPolicies(mapping, groupNames);
    const parts: Record<string, number> = {
      createUser: settings.users,
      addUserToGroups: usersWithGroups,
      createGroups: targets.size,
      listGroups: targets.size > 0 ? 1 : 0,
      listUsers: settings.users > 0 ? 1 : 0,
      putPolicyBinding: bindings,
    };
    const minimumTotal = Object.values(parts).reduce((sum, n) => sum + n, 0);
    // Lower still: all groups in one POST /groups (it takes a list), no listings.
    const writeOnlyFloor = settings.users + usersWithGroups + (targets.size > 0 ? 1 : 0) + bindings;

    const repeated = repeatedPerUser(calls, 'addUserToGroups');
    const first = summary.firstAt;
    const last = summary.lastAt;
    const bucketCount = last === null ? 0 : Math.floor((last - t0) / 1000) + 1;
    const callsPerSecond = new Array<number>(bucketCount).fill(0);
    for (const c of calls) {
      const bucket = Math.floor((c.at - t0) / 1000);
      if (bucket >= 0 && bucket < bucketCount) callsPerSecond[bucket] = (callsPerSecond[bucket] ?? 0) + 1;
    }
    const sorted = calls.map((c) => c.at).sort((a, b) => a - b);
    const idleGaps: PushResult['idleGaps'] = [];
    for (let i = 1; i < sorted.length; i++) {
      const gap = (sorted[i] as number) - (sorted[i - 1] as number);
      if (gap >= IDLE_GAP_MS) idleGaps.push({ ms: gap, fromMs: (sorted[i - 1] as number) - t0, toMs: (sorted[i] as number) - t0 });
    }
    return {
      startup,
      calls: summary,
      minimum: { total: minimumTotal, parts, writeOnlyFloor },
      addsPerUser: perUserHistogram(calls, 'addUserToGroups'),
      repeatedAdds: [...repeated].slice(0, 50).map(([email, times]) => ({ email, atMs: times.map((t) => t - t0) })),
      timeline: {
        usersPostedMs: usersPosted - t0,
        groupsPostedMs: groupsPosted - t0,
        firstCallMs: first === null ? null : first - t0,
        lastCallMs: last === null ? null : last - t0,
        queueEmptyMs: drained.emptyAt - t0,
      },
      wallS: (drained.emptyAt - t0) / 1000,
      syncS: first === null || last === null ? 0 : (last - first) / 1000,
      budgetS: (summary.total * 60) / settings.budgetPerMinute,
      callsPerSecond,
      idleGaps,
      timeline250ms: timeline(calls, pair.trace, t0, drained.emptyAt),
      trace: pair.trace === null ? null : summariseTrace(pair.trace, t0),
      throttled: calls.filter((c) => c.status === 429).map((c) => ({ atMs: c.at - t0, operation: c.operation, email: c.email })),
      budgetBinding: summary.total + startup.total > settings.budgetPerMinute,
      statusPolls: drained.polls,
      quiescent,
      budgetUsageAtEnd: (status.body as any)?.rateBudget ?? null,
    };
  } finally {
    await pair.close();
  }
}

interface TraceSummary {
  readonly leases: number;
  readonly leasesByType: Record<string, number>;
  /** Generation of the leased item: 1 = enqueued once; higher = re-enqueued before it was synced. */
  readonly leasesByGeneration: Record<string, number>;
  /** `enqueueSync` calls by the sync itself (a linked group re-enqueueing its members), and their targets. */
  readonly syncEnqueues: number;
  readonly syncEnqueuedTargets: number;
  readonly syncEnqueueWindowMs: readonly [number, number] | null;
  readonly syncEnqueueDueInMs: number | null;
}

function summariseTrace(trace: SyncTrace, t0: number): TraceSummary {
  const leases = trace.leases.filter((l) => l.at >= t0);
  const enqueues = trace.enqueues.filter((e) => e.at >= t0);
  return {
    leases: leases.length,
    leasesByType: countBy(leases, (l) => l.resourceType),
    leasesByGeneration: countBy(leases, (l) => (l.generation >= 5 ? '5+' : String(l.generation))),
    syncEnqueues: enqueues.length,
    syncEnqueuedTargets: enqueues.reduce((sum, e) => sum + e.targets, 0),
    syncEnqueueWindowMs: enqueues.length === 0 ? null : [Math.min(...enqueues.map((e) => e.at)) - t0, Math.max(...enqueues.map((e) => e.at)) - t0],
    syncEnqueueDueInMs: enqueues.length === 0 ? null : Math.max(...enqueues.map((e) => e.dueInMs)),
  };
}

function timeline(calls: readonly Call[], trace: SyncTrace | null, t0: number, end: number): PushResult['timeline250ms'] {
  const slots = Math.max(0, Math.floor((end - t0) / 250) + 1);
  const rows = Array.from({ length: slots }, (_, i) => ({ tMs: i * 250, calls: {} as Record<string, number>, leases: 0 }));
  for (const c of calls) {
    const row = rows[Math.floor((c.at - t0) / 250)];
    if (row !== undefined) row.calls[c.operation] = (row.calls[c.operation] ?? 0) + 1;
  }
  for (const l of trace?.leases ?? []) {
    const row = l.at >= t0 ? rows[Math.floor((l.at - t0) / 250)] : undefined;
    if (row !== undefined) row.leases++;
  }
  return rows;
}

// ── the run ─────────────────────────────────────────────────────────────────────────────────────

async function main(): Promise<number> {
  const settings = readSettings(process.env);
  const jmlS = settings.scenarios.has('jml') ? settings.jml.variants.length * (240 + Math.ceil((4 * settings.jml.users * 60) / settings.jml.budgetPerMinute)) : 0;
  const maxRunS = settings.maxRunS > 0 ? settings.maxRunS : 300 + jmlS + Math.ceil(((4 * (2 * settings.users + 3 * settings.groups)) / settings.budgetPerMinute) * 60);
  const watchdog = setTimeout(() => {
    console.error(`sync bench: still running after ${maxRunS} s; giving up`);
    process.exit(2);
  }, maxRunS * 1000);
  watchdog.unref();
  mkdirSync(settings.resultsDir, { recursive: true });
  const cpus = os.cpus();
  log(`node ${process.version}, ${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 1024 / 1024)} MB RAM`);
  log(`settings: ${JSON.stringify({ ...settings, scenarios: [...settings.scenarios], resultsDir: undefined })}`);
  const mapping = parseMapping(settings.mapping === 'policies' ? POLICY_MAPPING : DEFAULT_MAPPING_YAML, 'bench mapping');
  const checks = new Checks();

  const small = settings.scenarios.has('small') ? await joinerAndMover(settings, mapping, checks) : null;
  const push = settings.scenarios.has('push') ? await initialPush(settings, mapping, checks) : null;
  const jml = settings.scenarios.has('jml') ? await jmlFlows(settings, checks) : [];

  const figures: Figure[] = [...smallFigures(settings, small), ...pushFigures(settings, push), ...jml.flatMap(jmlFigures)];
  printTable(figures, withUnit);
  if (push !== null) printPushDetails(settings, push);
  for (const result of jml) printJmlDetails(result);
  if (checks.problems.length > 0) console.log(`\n${checks.problems.length} check(s) failed — the figures above are not valid:\n- ${checks.problems.join('\n- ')}`);
  const misses = figures.filter((f) => f.pass === false);
  console.log(misses.length === 0 ? '\nall targets met' : `\ntargets missed: ${misses.map((f) => f.key).join(', ')}`);

  const results = {
    generatedAt: new Date().toISOString(),
    machine: { cpus: cpus.length, cpuModel: cpus[0]?.model ?? null, totalMemMb: Math.round(os.totalmem() / 1024 / 1024), node: process.version, platform: `${os.platform()} ${os.release()}` },
    settings: { ...settings, scenarios: [...settings.scenarios], resultsDir: undefined },
    mapping: settings.mapping === 'policies' ? POLICY_MAPPING : DEFAULT_MAPPING_YAML,
    jmlMapping: JML_MAPPING,
    source: sourceRevision(),
    valid: checks.problems.length === 0,
    problems: checks.problems,
    figures,
    joiner: small === null ? null : { startup: small.startup, setup: small.setup, ...small.joiner },
    mover: small?.mover ?? null,
    push,
    jml,
  };
  const out = path.join(settings.resultsDir, 'sync-efficiency.json');
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  log(`results written to ${out}`);
  clearTimeout(watchdog);
  return checks.problems.length === 0 ? 0 : 1;
}

function smallFigures(settings: Settings, small: Awaited<ReturnType<typeof joinerAndMover>> | null): Figure[] {
  if (small === null) return [];
  return [
    figure('joinerCalls', `(1) joiner with k=${settings.joinerGroups} mapped groups: Account Management calls`, small.joiner.calls.total, 'calls', { op: '<=', value: 3 }),
    figure('moverCalls', '(2) existing user + 3 groups by 3 PATCHes in the window: calls', small.mover.calls.total, 'calls', { op: '=', value: 1 }),
  ];
}

function pushFigures(settings: Settings, push: PushResult | null): Figure[] {
  if (push === null) return [];
  return [
    figure('pushCalls', `(3) push ${settings.users.toLocaleString('en-US')} users / ${settings.groups} groups: calls (incl. retries)`, push.calls.total, 'calls'),
    figure('pushMinimum', '    minimum (see definition)', push.minimum.total, 'calls'),
    figure('pushRatio', '    ratio calls / minimum', push.calls.total / push.minimum.total, 'ratio', { op: '<=', value: 1.05 }),
    figure('push429', `    429s from the sandbox (limit = budget = ${settings.budgetPerMinute.toLocaleString('en-US')}/min)`, push.calls.throttled, 'calls', { op: '=', value: 0 }),
    figure('pushBudgetS', '    calls ÷ budget', push.budgetS, 's'),
    figure('pushWallS', '    wall time, first SCIM request → queue empty', push.wallS, 's'),
    figure('pushWallRatio', '    wall time / (calls ÷ budget)', push.wallS / push.budgetS, 'ratio', { op: '<=', value: 1.1 }),
    figure('pushSyncS', '    sync-only time, first → last upstream call', push.syncS, 's'),
    figure('pushSyncRatio', '    sync-only time / (calls ÷ budget)', push.syncS / push.budgetS, 'ratio', { op: '<=', value: 1.1 }),
  ];
}

function printPushDetails(settings: Settings, push: PushResult): void {
  console.log(`\npush calls by operation: ${JSON.stringify(push.calls.byOperation)}`);
  console.log(`minimum: ${JSON.stringify(push.minimum.parts)} = ${push.minimum.total} (write-only floor ${push.minimum.writeOnlyFloor})`);
  console.log(`users by number of addUserToGroups calls they got: ${JSON.stringify(push.addsPerUser)}`);
  console.log(`statuses: ${JSON.stringify(push.calls.byStatus)}; start-up calls (mapping check, before the push): ${push.startup.total} ${JSON.stringify(push.startup.byOperation)}`);
  console.log(
    `timeline (ms from the first SCIM request): users posted ${push.timeline.usersPostedMs}, groups posted ${push.timeline.groupsPostedMs}, ` +
      `first call ${push.timeline.firstCallMs}, last call ${push.timeline.lastCallMs}, queue empty ${push.timeline.queueEmptyMs}`,
  );
  console.log(`calls per second from the first SCIM request: ${push.callsPerSecond.join(' ')}`);
  console.log(
    `stretches of ≥ ${IDLE_GAP_MS} ms without an upstream call: ` +
      (push.idleGaps.length === 0 ? 'none' : push.idleGaps.map((g) => `${g.ms} ms (${g.fromMs} → ${g.toMs})`).join(', ')),
  );
  if (push.throttled.length > 0) console.log(`429s at (ms from the first SCIM request): ${push.throttled.map((c) => `${c.atMs} ${c.operation}`).join(', ')}`);
  if (!push.budgetBinding) {
    console.log(
      `note: the push made ${push.calls.total} calls (+${push.startup.total} at start-up), fewer than one window of the budget ` +
        `(${settings.budgetPerMinute}/min): the budget never held a call back, so the 429 and wall-time figures do not exercise it ` +
        '(BENCH_SYNC_BUDGET=1000 does, in about 2 minutes).',
    );
  }
  if (push.trace !== null) {
    const t = push.trace;
    console.log(
      `worker: ${t.leases} leases ${JSON.stringify(t.leasesByType)} for ${settings.users + settings.groups} resources, by generation ${JSON.stringify(t.leasesByGeneration)}; ` +
        `the sync re-enqueued ${t.syncEnqueuedTargets} targets in ${t.syncEnqueues} enqueueSync calls` +
        (t.syncEnqueueWindowMs === null ? '' : ` between ${t.syncEnqueueWindowMs[0]} and ${t.syncEnqueueWindowMs[1]} ms, due ${t.syncEnqueueDueInMs} ms later`),
    );
  }
}

// ── scenario 4: the joiner-mover-leaver flow, bridges and sandbox in processes of their own ─────────

async function jmlFlows(settings: Settings, checks: Checks): Promise<JmlResult[]> {
  const postgres = settings.jml.variants.some((v) => v.engine === 'postgres') ? await startBenchPostgres() : null;
  try {
    const results: JmlResult[] = [];
    for (const variant of settings.jml.variants) {
      const result = await runJmlVariant(variant, settings.jml, postgres);
      for (const problem of result.problems) checks.expect(false, `(4) ${result.name}: ${problem}`);
      results.push(result);
    }
    return results;
  } finally {
    await postgres?.stop();
  }
}

function jmlFigures(result: JmlResult): Figure[] {
  const key = `jml ${result.name}`;
  const figures = [
    figure(`${key} calls`, `(4) ${result.name}: calls (incl. ${result.injectedFaults} injected 5xx and their retries)`, result.calls.total, 'calls'),
    figure(`${key} minimum`, '    minimum (see definition)', result.minimum.total, 'calls'),
    figure(`${key} rawRatio`, '    ratio calls / minimum', result.calls.total / result.minimum.total, 'ratio'),
    // Each injected 5xx costs the one call it answered again: the fault's, not the bridge's.
    figure(`${key} ratio`, '    ratio (calls − injected 5xx) / minimum', (result.calls.total - result.injectedFaults) / result.minimum.total, 'ratio', { op: '<=', value: 1.03 }),
    figure(`${key} 429`, '    429s from the sandbox', result.calls.throttled, 'calls', { op: '=', value: 0 }),
    figure(`${key} budgetS`, '    calls ÷ budget', result.budgetS, 's'),
    figure(`${key} wallS`, '    wall time, first SCIM request → queue empty after cycle 3', result.wallS, 's'),
    figure(`${key} wallRatio`, '    wall time / (calls ÷ budget)', result.wallS / result.budgetS, 'ratio', { op: '<=', value: 1.05 }),
  ];
  if (result.kill !== null) {
    figures.push(
      figure(`${key} restartWorking`, '    restart → first call, or first wait for a full budget', result.kill.restartToWorkingMs / 1000, 's', { op: '<', value: 10 }),
      figure(`${key} restartCall`, '    restart → first Account Management call', result.kill.restartToFirstCallMs / 1000, 's'),
      figure(`${key} restartItem`, '    restart → first item completed', result.kill.restartToFirstCompletedItemMs / 1000, 's'),
      figure(`${key} freed`, `    kill → the dead process's ${result.kill.heldItems} leased items free`, result.kill.heldItemsFreedMs / 1000, 's'),
    );
  }
  return figures;
}

function printJmlDetails(result: JmlResult): void {
  console.log(`\n(4) ${result.name}: ${result.replicas} replica(s); start-up calls (mapping check of each process, before the flow): ${result.startupCalls}`);
  console.log(`    calls by operation: ${JSON.stringify(result.calls.byOperation)}; statuses: ${JSON.stringify(result.calls.byStatus)}`);
  console.log(`    minimum by operation: ${JSON.stringify(result.minimum.byOperation)}; beyond it: ${JSON.stringify(result.beyondMinimum)}`);
  console.log(`    cycles: ${result.cycles.map((c) => `${c.name} ${c.calls}/${c.minimum} calls in ${(c.wallMs / 1000).toFixed(1)} s`).join('; ')}`);
  if (result.kill !== null) console.log(`    kill -9 after ${result.kill.atFlowCall} flow calls: ${JSON.stringify(result.kill)}`);
  if (result.problems.length > 0) console.log(`    problems: ${result.problems.join('; ')}`);
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
