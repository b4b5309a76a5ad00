// Reliability end to end: Okta- and Entra-style joiner/mover/leaver scenarios over HTTP into the
// Dynatrace sandbox, without and with injected faults (30 % 5xx, 429s, latency), across a restart
// on the same SQLite file, re-applied idempotently, and with permanent failures an operator retries.
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAPPING, type Mapping } from '../../src/core/mapping/mapping.js';
import type { FetchFn } from '../../src/adapters/dynatrace/index.js';
import { parseMapping } from '../../src/mapping-file.js';
import type { SandboxFaults, SandboxHandle } from '../../src/sandbox/index.js';
import { accountSnapshot, acceptedWrites, statusCounts, type AccountSnapshot } from '../helpers/account-snapshot.js';
import {
  createManualClock,
  makeDataDir,
  removeDataDir,
  seededRandom,
  startBridgeProcess,
  startSharedSandbox,
  type BridgeProcess,
  type ManualClock,
} from '../helpers/bridge-process.js';
import type { ScimResponse } from '../helpers/test-bridge.js';
import { ENTERPRISE_URN, GROUP_URN, PATCH_URN, USER_URN } from '../helpers/scim-builders.js';
import { cleanupsAfterEach } from '../helpers/cleanups.js';

const ALL_USERS = 'Default group with all users';
const ENTRA_GROUP_URN = 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group';
/** 30 % of requests answer 502/503/504, at most 8 requests a (manual) minute, then 429; some latency. */
const FAULTS: Partial<SandboxFaults> = { errorRate: 0.3, errorStatuses: [502, 503, 504], rateLimitPerMinute: 8, latencyMs: 2 };

// ---------------------------------------------------------------- lifecycle

const cleanups = cleanupsAfterEach();

interface World {
  readonly clock: ManualClock;
  readonly sandbox: SandboxHandle;
  readonly dataDir: string;
  start(options?: { mapping?: Mapping; wrapFetch?: (f: FetchFn) => FetchFn; env?: Record<string, string> }): Promise<BridgeProcess>;
}

/** One Dynatrace sandbox and one data dir that bridge processes come and go on. */
async function world(options: { faults?: Partial<SandboxFaults>; seed?: number } = {}): Promise<World> {
  const clock = createManualClock();
  const sandbox = await startSharedSandbox({ clock, ...(options.faults ? { faults: options.faults } : {}), random: seededRandom(options.seed ?? 1) });
  const dataDir = makeDataDir();
  cleanups.push(() => removeDataDir(dataDir), () => sandbox.stop());
  return {
    clock,
    sandbox,
    dataDir,
    async start(startOptions = {}) {
      const bridge = await startBridgeProcess({ sandbox, dataDir, clock, ...startOptions });
      cleanups.push(() => bridge.close());
      return bridge;
    },
  };
}

// ---------------------------------------------------------------- SCIM requests as the IdPs send them

function ok(response: ScimResponse, statuses: readonly number[] = [200, 201, 204]): ScimResponse {
  if (!statuses.includes(response.status)) throw new Error(`SCIM answered ${response.status}: ${response.text}`);
  return response;
}

function patch(...operations: Array<Record<string, unknown>>): Record<string, unknown> {
  return { schemas: [PATCH_URN], Operations: operations };
}

function oktaUser(email: string, given: string, family: string): Record<string, unknown> {
  return {
    schemas: [USER_URN],
    userName: email,
    name: { givenName: given, familyName: family },
    emails: [{ primary: true, value: email, type: 'work' }],
    displayName: `${given} ${family}`,
    locale: 'en-US',
    externalId: `00u${given.toLowerCase()}`,
    groups: [],
    password: 'Okta-sends-1t',
    active: true,
  };
}

/** Okta's update: GET the user, change it, PUT the whole object back with id, meta, groups and password echoed. */
async function oktaPut(bridge: BridgeProcess, id: string, change: Record<string, unknown>): Promise<void> {
  const fetched = ok(await bridge.scim('GET', `/Users/${id}`)).body;
  ok(await bridge.scim('PUT', `/Users/${id}`, { ...fetched, ...change, password: 'Okta-sends-1t' }, { 'user-agent': 'Okta SCIM Client 1.0.0' }));
}

function entraUser(email: string, given: string, family: string): Record<string, unknown> {
  return {
    schemas: [USER_URN, ENTERPRISE_URN],
    externalId: `entra-${given.toLowerCase()}`,
    userName: email,
    active: 'True',
    displayName: `${given} ${family}`,
    emails: [{ primary: true, type: 'work', value: email }],
    meta: { resourceType: 'User' },
    name: { formatted: `${given} ${family}`, familyName: family, givenName: given },
    roles: [],
  };
}

function entraGroup(displayName: string, members: readonly string[]): Record<string, unknown> {
  return {
    schemas: [GROUP_URN, ENTRA_GROUP_URN],
    externalId: `entra-group-${displayName.replace(/\W/g, '')}`,
    displayName,
    members: members.map((value) => ({ value })),
    meta: { resourceType: 'Group' },
  };
}

// ---------------------------------------------------------------- scenarios

type Ids = Record<string, string>;

interface Scenario {
  readonly mapping: Mapping;
  /** Each phase's SCIM requests, applied (settled) before the next phase starts. */
  readonly phases: ReadonlyArray<(bridge: BridgeProcess, ids: Ids) => Promise<void>>;
  readonly expected: AccountSnapshot;
  /** Every email the scenario provisions (each must be created exactly once). */
  readonly emails: readonly string[];
}

const okta: Scenario = {
  mapping: DEFAULT_MAPPING,
  phases: [
    // Joiners: users assigned to the app, then Push Groups (POST empty, PATCH with the rename inside).
    async (b, ids) => {
      for (const [key, email, given, family] of [
        ['alice', 'alice@okta.example', 'Alice', 'Anders'],
        ['bob', 'bob@okta.example', 'Bob', 'Brown'],
        ['carol', 'carol@okta.example', 'Carol', 'Chen'],
        ['dave', 'dave@okta.example', 'Dave', 'Diaz'],
      ] as const) {
        ids[key] = ok(await b.scim('POST', '/Users', oktaUser(email, given, family))).body.id;
      }
      for (const [key, name] of [['eng', 'Engineering'], ['support', 'Support']] as const) {
        ids[key] = ok(await b.scim('POST', '/Groups', { schemas: [GROUP_URN], displayName: name, members: [] })).body.id;
      }
      ok(await b.scim('PATCH', `/Groups/${ids.eng}`, patch(
        { op: 'replace', value: { id: ids.eng, displayName: 'Engineering' } },
        { op: 'add', path: 'members', value: [{ value: ids.alice, display: 'alice@okta.example' }, { value: ids.bob, display: 'bob@okta.example' }] },
      )));
      ok(await b.scim('PATCH', `/Groups/${ids.support}`, patch(
        { op: 'replace', value: { id: ids.support, displayName: 'Support' } },
        { op: 'add', path: 'members', value: [{ value: ids.carol, display: 'carol@okta.example' }, { value: ids.dave, display: 'dave@okta.example' }] },
      )));
    },
    // Movers: a profile update by PUT, a group renamed inside a membership update, members swapped.
    async (b, ids) => {
      await oktaPut(b, ids.alice as string, { name: { givenName: 'Alicia', familyName: 'Anders' }, title: 'Staff Engineer' });
      ok(await b.scim('PATCH', `/Groups/${ids.eng}`, patch(
        { op: 'replace', value: { id: ids.eng, displayName: 'Platform Engineering' } },
        { op: 'remove', path: `members[value eq "${ids.bob}"]` },
        { op: 'add', path: 'members', value: [{ value: ids.carol, display: 'carol@okta.example' }] },
      )));
      ok(await b.scim('PATCH', `/Groups/${ids.support}`, patch(
        { op: 'replace', value: { id: ids.support, displayName: 'Support' } },
        { op: 'remove', path: `members[value eq "${ids.carol}"]` },
        { op: 'add', path: 'members', value: [{ value: ids.bob, display: 'bob@okta.example' }] },
      )));
    },
    // Leavers: path-less deactivation PATCH, and an AIW-style PUT with active false.
    async (b, ids) => {
      ok(await b.scim('PATCH', `/Users/${ids.dave}`, patch({ op: 'replace', value: { active: false } })));
      await oktaPut(b, ids.carol as string, { active: false });
    },
  ],
  expected: {
    users: [
      { email: 'alice@okta.example', userStatus: 'PENDING', groups: [ALL_USERS, 'Platform Engineering'] },
      { email: 'bob@okta.example', userStatus: 'PENDING', groups: [ALL_USERS, 'Support'] },
      { email: 'carol@okta.example', userStatus: 'PENDING', groups: [ALL_USERS] },
      { email: 'dave@okta.example', userStatus: 'PENDING', groups: [ALL_USERS] },
    ],
    groups: [
      { name: 'Platform Engineering', bindings: [] },
      { name: 'Support', bindings: [] },
    ],
    davis: [
      { email: 'alice@okta.example', firstName: 'Alicia', lastName: 'Anders', admin: false },
      { email: 'bob@okta.example', firstName: 'Bob', lastName: 'Brown', admin: false },
    ],
  },
  emails: ['alice@okta.example', 'bob@okta.example', 'carol@okta.example', 'dave@okta.example'],
};

const entraMapping = parseMapping(`
groups:
  - scim: "Entra Admins"
    dynatraceGroup: "DT Admins"
    davisAdmin: true
    policies:
      - level: environment
        id: abc12345
        names: ["Admin User"]
      - level: account
        names: ["Account Auditors"]
  - scimPattern: "^Entra (.+)$"
    dynatraceGroup: "DT $1"
    policies:
      - level: environment
        id: abc12345
        names: ["Standard User"]
unmatchedGroups: ignore
deactivation: delete
`);

const entra: Scenario = {
  mapping: entraMapping,
  phases: [
    // Joiners: users first, then groups created with their members.
    async (b, ids) => {
      for (const [key, email, given, family] of [
        ['megan', 'megan@contoso.example', 'Megan', 'Bowen'],
        ['adele', 'adele@contoso.example', 'Adele', 'Vance'],
        ['lee', 'lee@contoso.example', 'Lee', 'Gu'],
        ['nestor', 'nestor@contoso.example', 'Nestor', 'Wilke'],
      ] as const) {
        ids[key] = ok(await b.scim('POST', '/Users', entraUser(email, given, family))).body.id;
      }
      ids.admins = ok(await b.scim('POST', '/Groups', entraGroup('Entra Admins', [ids.megan as string, ids.adele as string]))).body.id;
      ids.readers = ok(await b.scim('POST', '/Groups', entraGroup('Entra Readers', [ids.adele as string, ids.lee as string, ids.nestor as string]))).body.id;
      ids.unmanaged = ok(await b.scim('POST', '/Groups', entraGroup('Unmanaged Team', [ids.megan as string]))).body.id;
    },
    // Movers: value-list Add/Remove with `$ref: null`, capitalised ops, a rename.
    async (b, ids) => {
      ok(await b.scim('PATCH', `/Groups/${ids.readers}`, patch({ op: 'Add', path: 'members', value: [{ $ref: null, value: ids.megan }] })));
      ok(await b.scim('PATCH', `/Groups/${ids.readers}`, patch({ op: 'Remove', path: 'members', value: [{ $ref: null, value: ids.lee }] })));
      ok(await b.scim('PATCH', `/Groups/${ids.admins}`, patch({ op: 'Remove', path: 'members', value: [{ $ref: null, value: ids.adele }] })));
      ok(await b.scim('PATCH', `/Groups/${ids.readers}`, patch({ op: 'Replace', path: 'displayName', value: 'Entra Viewers' })));
    },
    // Leavers: soft delete with a string boolean, then a hard DELETE.
    async (b, ids) => {
      ok(await b.scim('PATCH', `/Users/${ids.nestor}`, patch({ op: 'Replace', path: 'active', value: 'False' })));
      ok(await b.scim('DELETE', `/Users/${ids.lee}`), [204]);
    },
  ],
  expected: {
    users: [
      { email: 'adele@contoso.example', userStatus: 'PENDING', groups: [ALL_USERS, 'DT Viewers'] },
      { email: 'megan@contoso.example', userStatus: 'PENDING', groups: [ALL_USERS, 'DT Admins', 'DT Viewers'] },
    ],
    groups: [
      { name: 'DT Admins', bindings: ['account: Account Auditors', 'environment:abc12345: Admin User'] },
      { name: 'DT Viewers', bindings: ['environment:abc12345: Standard User'] },
    ],
    davis: [
      { email: 'adele@contoso.example', firstName: 'Adele', lastName: 'Vance', admin: false },
      { email: 'megan@contoso.example', firstName: 'Megan', lastName: 'Bowen', admin: true },
    ],
  },
  emails: ['megan@contoso.example', 'adele@contoso.example', 'lee@contoso.example', 'nestor@contoso.example'],
};

const SCENARIOS = { okta, entra } as const;

interface RunResult {
  readonly snapshot: AccountSnapshot;
  readonly writes: string[];
  readonly ids: Ids;
  readonly bridge: BridgeProcess;
  readonly rounds: number;
}

async function runScenario(w: World, scenario: Scenario): Promise<RunResult> {
  const bridge = await w.start({ mapping: scenario.mapping });
  const ids: Ids = {};
  let rounds = 0;
  for (const phase of scenario.phases) {
    await phase(bridge, ids);
    rounds += (await bridge.settle()).rounds;
  }
  return { snapshot: accountSnapshot(w.sandbox.state), writes: acceptedWrites(w.sandbox.state), ids, bridge, rounds };
}

/** 2xx `POST /users` (invitations) per run, and the audit's applied createUser per email. */
async function creations(bridge: BridgeProcess): Promise<{ posts: number; audited: Record<string, number> }> {
  const posts = bridge.sandbox.state.requestLog.filter((r) => r.method === 'POST' && /\/iam\/v1\/accounts\/[^/]+\/users$/.test(r.url) && r.status < 300).length;
  const audit = await bridge.store.listAudit({ offset: 0, limit: 1000 });
  const audited: Record<string, number> = {};
  for (const e of audit.entries) if (e.operation === 'createUser' && e.outcome === 'applied') audited[e.target] = (audited[e.target] ?? 0) + 1;
  return { posts, audited };
}

/** Upstream writes that are not idempotent, or whose repetition would show a resource made twice. */
function createsAndDeletes(writes: readonly string[]): string[] {
  return writes.filter((line) =>
    /^(POST \/users$|POST \/groups$|DELETE \/users\/[^/]+$|DELETE \/groups\/|POST \/api\/v2\/tenant\/users\/|DELETE \/api\/v2\/tenant\/users\/)/.test(line),
  );
}

/**
 * The distinct writes. Idempotent ones may repeat under faults: user-sync records applied groups only
 * after both the add and the remove succeeded, and group-sync records bindings only after every level,
 * so a failure after the first write repeats it on retry (harmless, but it spends rate budget).
 */
function distinct(writes: readonly string[]): string[] {
  return [...new Set(writes)];
}

function once(emails: readonly string[]): Record<string, number> {
  return Object.fromEntries(emails.map((e) => [e, 1]));
}

// ---------------------------------------------------------------- tests

describe('joiner, mover and leaver end to end', () => {
  it('when Okta creates users, pushes groups with renames inside membership updates, updates by PUT and deactivates, then Dynatrace ends exactly in the desired state', async () => {
    const w = await world();
    const run = await runScenario(w, okta);
    expect(run.snapshot).toEqual(okta.expected);
    expect(await creations(run.bridge)).toEqual({ posts: 4, audited: once(okta.emails) });
    expect((await run.bridge.store.syncQueueStats({ failedLimit: 10 })).failedCount).toBe(0);
  });

  it('when Entra creates users, then groups with members, moves members with value lists and deletes users, then Dynatrace ends exactly in the desired state', async () => {
    const w = await world();
    const run = await runScenario(w, entra);
    expect(run.snapshot).toEqual(entra.expected);
    expect(await creations(run.bridge)).toEqual({ posts: 4, audited: once(entra.emails) });
    const deletes = acceptedWrites(w.sandbox.state).filter((line) => /^DELETE \/users\/[^/]+$/.test(line));
    expect(deletes).toEqual(['DELETE /users/lee@contoso.example', 'DELETE /users/nestor@contoso.example']);
  });
});

describe('with 30 % injected 5xx, 429s and latency', () => {
  for (const [name, scenario] of Object.entries(SCENARIOS)) {
    for (const seed of [7, 1234]) {
      it(`when the ${name} scenario runs against a failing Dynatrace (seed ${seed}), then the final state equals the fault-free run and nothing is done twice`, async () => {
        const clean = await runScenario(await world(), scenario);
        const w = await world({ faults: FAULTS, seed });
        const faulty = await runScenario(w, scenario);

        // The faults happened: throttling, 5xx answers, and items the worker deferred and retried.
        const statuses = statusCounts(w.sandbox.state);
        expect(statuses[429] ?? 0).toBeGreaterThan(0);
        expect((statuses[502] ?? 0) + (statuses[503] ?? 0) + (statuses[504] ?? 0)).toBeGreaterThan(0);
        expect(faulty.bridge.logLines.filter((l) => l.includes('sync failed; will retry')).length).toBeGreaterThan(0);
        expect(faulty.rounds).toBeGreaterThan(scenario.phases.length);

        expect(faulty.snapshot).toEqual(scenario.expected);
        expect(faulty.snapshot).toEqual(clean.snapshot);
        // Writes that must happen exactly once (creations and deletions) did, as in the clean run;
        // idempotent writes (memberships added, bindings replaced, renames) are the same set, but one
        // may repeat when a later write of the same item failed (see the note at `distinct`).
        expect(createsAndDeletes(faulty.writes)).toEqual(createsAndDeletes(clean.writes));
        expect(distinct(faulty.writes)).toEqual(distinct(clean.writes));
        expect(await creations(faulty.bridge)).toEqual({ posts: 4, audited: once(scenario.emails) });
        const stats = await faulty.bridge.store.syncQueueStats({ failedLimit: 10 });
        expect({ depth: stats.depth, failedCount: stats.failedCount }).toEqual({ depth: 0, failedCount: 0 });
      });
    }
  }
});

describe('restart', () => {
  it('when the worker is stopped mid-queue and a new process opens the same SQLite file, then it finishes the work with nothing lost or doubled', async () => {
    const w = await world();
    const first = await w.start({ mapping: okta.mapping });
    const ids: Ids = {};
    await okta.phases[0]?.(first, ids);
    const depthBefore = (await first.store.syncQueueStats({ failedLimit: 1 })).depth;
    expect(depthBefore).toBe(6);
    expect(await first.worker.drain({ maxItems: 2 })).toBe(2);
    const writesByFirst = acceptedWrites(w.sandbox.state).length;
    expect(writesByFirst).toBeGreaterThan(0);
    await first.close();

    const second = await w.start({ mapping: okta.mapping });
    expect((await second.store.syncQueueStats({ failedLimit: 1 })).depth).toBeGreaterThan(0);
    await second.settle();
    await okta.phases[1]?.(second, ids);
    await second.settle();
    await okta.phases[2]?.(second, ids);
    await second.settle();

    expect(accountSnapshot(w.sandbox.state)).toEqual(okta.expected);
    expect(await creations(second)).toEqual({ posts: 4, audited: once(okta.emails) });
    expect(acceptedWrites(w.sandbox.state).filter((l) => l.startsWith('POST /groups'))).toEqual(['POST /groups', 'POST /groups']);
  });

  it('when the first process stops with items deferred by faults, then the next process on the same file retries them to the same end state', async () => {
    const w = await world({ faults: FAULTS, seed: 99 });
    const first = await w.start({ mapping: entra.mapping });
    const ids: Ids = {};
    await entra.phases[0]?.(first, ids);
    await first.worker.drain();
    const deferred = await first.store.syncQueueStats({ failedLimit: 1 });
    expect(deferred.depth).toBeGreaterThan(0);
    await first.close();

    const second = await w.start({ mapping: entra.mapping });
    await second.settle();
    await entra.phases[1]?.(second, ids);
    await second.settle();
    await entra.phases[2]?.(second, ids);
    await second.settle();
    expect(accountSnapshot(w.sandbox.state)).toEqual(entra.expected);
    expect(await creations(second)).toEqual({ posts: 4, audited: once(entra.emails) });
    expect(acceptedWrites(w.sandbox.state).filter((l) => l === 'POST /groups')).toEqual(['POST /groups', 'POST /groups']);
  });

  it('when a process died holding leases, then the new process leaves them alone until they expire and then finishes them', async () => {
    const w = await world();
    const first = await w.start({ mapping: okta.mapping });
    const ids: Ids = {};
    await okta.phases[0]?.(first, ids);
    // A replica takes two items and dies without completing or releasing them.
    const now = w.clock.now();
    const leased = await first.store.leaseSyncWork({ now: new Date(now).toISOString(), limit: 2, leaseUntil: new Date(now + 300_000).toISOString(), owner: 'replica-that-died' });
    expect(leased).toHaveLength(2);
    await first.close();

    const second = await w.start({ mapping: okta.mapping });
    expect(await second.worker.drain()).toBeGreaterThanOrEqual(4);
    const stillLeased = await second.store.syncQueueStats({ failedLimit: 1 });
    expect(stillLeased.depth).toBe(2);
    const emailOf = new Map(okta.emails.map((email) => [ids[email.split('@')[0] as string], email]));
    for (const item of leased) {
      // The leased users were not touched; a leased group may have been made by a member's sync.
      if (item.resourceType === 'User') expect(w.sandbox.state.findUser(emailOf.get(item.resourceId) as string)).toBeNull();
    }
    w.clock.advance(300_001);
    await second.settle();
    await okta.phases[1]?.(second, ids);
    await second.settle();
    await okta.phases[2]?.(second, ids);
    await second.settle();
    expect(accountSnapshot(w.sandbox.state)).toEqual(okta.expected);
    expect(await creations(second)).toEqual({ posts: 4, audited: once(okta.emails) });
  });
});

describe('a new process renaming and deleting linked groups', () => {
  it('when a process renames and deletes groups an earlier one linked, then it reads no group listing for it: their owner was checked when they were linked', async () => {
    const w = await world();
    const first = await w.start();
    const renamed = ok(await first.scim('POST', '/Groups', { schemas: [GROUP_URN], displayName: 'Before Rename' })).body.id as string;
    const deleted = ok(await first.scim('POST', '/Groups', { schemas: [GROUP_URN], displayName: 'To Delete' })).body.id as string;
    await first.settle();
    await first.close();

    const second = await w.start();
    const mark = w.sandbox.state.requestLog.length;
    ok(await second.scim('PATCH', `/Groups/${renamed}`, patch({ op: 'replace', path: 'displayName', value: 'After Rename' })));
    ok(await second.scim('DELETE', `/Groups/${deleted}`), [204]);
    await second.settle();
    const calls = w.sandbox.state.requestLog.slice(mark).filter((r) => r.service === 'account-management').map((r) => r.operation);
    expect(calls.sort()).toEqual(['DELETE /iam/v1/accounts/{account}/groups/{group}', 'PUT /iam/v1/accounts/{account}/groups/{group}']);
    expect(w.sandbox.state.findGroupByName('After Rename')).not.toBeNull();
    expect(w.sandbox.state.findGroupByName('To Delete')).toBeNull();
  });
});

describe('idempotency', () => {
  it('when everything is applied, then draining again, re-queueing every resource, or Okta repeating its same-name rename and PUT makes no upstream write', async () => {
    const w = await world();
    const run = await runScenario(w, okta);
    const bridge = run.bridge;
    const mark = w.sandbox.state.requestLog.length;

    expect(await bridge.worker.drain()).toBe(0);
    expect(w.sandbox.state.requestLog.length).toBe(mark);

    const at = w.clock.date().toISOString();
    await bridge.store.enqueueSync(
      [
        ...['alice', 'bob', 'carol', 'dave'].map((k) => ({ resourceType: 'User' as const, resourceId: run.ids[k] as string })),
        ...['eng', 'support'].map((k) => ({ resourceType: 'Group' as const, resourceId: run.ids[k] as string })),
      ],
      { at, requestId: 'requeue-all', dueAt: at },
    );
    ok(await bridge.scim('PATCH', `/Groups/${run.ids.eng}`, patch({ op: 'replace', value: { id: run.ids.eng, displayName: 'Platform Engineering' } })));
    await oktaPut(bridge, run.ids.bob as string, {});
    const { processed } = await bridge.settle();
    expect(processed).toBe(6);
    expect(acceptedWrites(w.sandbox.state, mark)).toEqual([]);
    expect(w.sandbox.state.requestLog.slice(mark).filter((r) => r.method !== 'GET' && r.service !== 'oauth')).toEqual([]);
    expect(accountSnapshot(w.sandbox.state)).toEqual(okta.expected);
  });
});

describe('lost responses', () => {
  /** Lets the first matching request reach Dynatrace, then loses its response (the connection resets). */
  function loseFirstResponse(match: (method: string, url: string) => boolean): { wrap: (f: FetchFn) => FetchFn; lost: () => number } {
    let lost = 0;
    return {
      lost: () => lost,
      wrap: (inner) => async (input, init) => {
        const response = await inner(input, init);
        if (lost === 0 && match(init.method ?? 'GET', input) && response.ok) {
          lost += 1;
          await response.text();
          throw new TypeError('fetch failed', { cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) });
        }
        return response;
      },
    };
  }

  it('when Dynatrace created a user but the answer was lost, then the retry adopts the account and it is invited once', async () => {
    const w = await world();
    const fault = loseFirstResponse((method, url) => method === 'POST' && /\/users$/.test(url));
    const bridge = await w.start({ wrapFetch: fault.wrap });
    const id = ok(await bridge.scim('POST', '/Users', oktaUser('lost@okta.example', 'Lost', 'Answer'))).body.id;
    ok(await bridge.scim('POST', '/Groups', { schemas: [GROUP_URN], displayName: 'Found', members: [{ value: id }] }));
    await bridge.settle();
    expect(fault.lost()).toBe(1);
    expect(accountSnapshot(w.sandbox.state).users).toEqual([{ email: 'lost@okta.example', userStatus: 'PENDING', groups: [ALL_USERS, 'Found'] }]);
    expect((await creations(bridge)).posts).toBe(1);
    expect((await bridge.store.syncQueueStats({ failedLimit: 10 })).failedCount).toBe(0);
  });

  // Regression: a group create whose answer is lost used to be retried against a stale group
  // directory, answered 409 and failed permanently. A 409 on create now re-lists and adopts.
  it('when Dynatrace created a group but the answer was lost, then the retry adopts that group instead of failing', async () => {
    const w = await world();
    const fault = loseFirstResponse((method, url) => method === 'POST' && /\/groups$/.test(url));
    const bridge = await w.start();
    const id = ok(await bridge.scim('POST', '/Users', oktaUser('member@okta.example', 'Member', 'One'))).body.id;
    await bridge.settle();
    await bridge.close();
    // A fresh process, so the group directory is listed before the lost create.
    const next = await w.start({ wrapFetch: fault.wrap });
    ok(await next.scim('POST', '/Groups', { schemas: [GROUP_URN], displayName: 'Half Created', members: [{ value: id }] }));
    await next.settle();
    expect(fault.lost()).toBe(1);
    const stats = await next.store.syncQueueStats({ failedLimit: 10 });
    expect(stats.failed.map((f) => f.reason)).toEqual([]);
    expect(accountSnapshot(w.sandbox.state).users).toEqual([{ email: 'member@okta.example', userStatus: 'PENDING', groups: [ALL_USERS, 'Half Created'] }]);
  });
});

describe('groups made by hand while the bridge runs', () => {
  // Regression: a LOCAL group made in the Dynatrace UI after the bridge listed the groups used to
  // fail with 409; it is now adopted like one that existed before start.
  it('when a LOCAL group of the same name was created by hand after the bridge listed the groups, then it is adopted', async () => {
    const w = await world();
    const bridge = await w.start();
    ok(await bridge.scim('POST', '/Groups', { schemas: [GROUP_URN], displayName: 'Early', members: [] }));
    await bridge.settle();
    const byHand = w.sandbox.state.addGroup({ name: 'Made By Hand', owner: 'LOCAL' });
    const id = ok(await bridge.scim('POST', '/Users', oktaUser('hand@okta.example', 'Hand', 'Made'))).body.id;
    ok(await bridge.scim('POST', '/Groups', { schemas: [GROUP_URN], displayName: 'Made By Hand', members: [{ value: id }] }));
    await bridge.settle();
    const stats = await bridge.store.syncQueueStats({ failedLimit: 10 });
    expect(stats.failed.map((f) => f.reason)).toEqual([]);
    expect(w.sandbox.state.findUser('hand@okta.example')?.groupUuids).toContain(byHand.uuid);
  });
});

describe('permanent failures', () => {
  it('when Dynatrace refuses an email, then that item fails with its reason in /admin/status, the rest is applied, and retry-failed re-queues it until it succeeds', async () => {
    const w = await world({ faults: { refusedEmails: ['refused@okta.example'] } });
    const bridge = await w.start();
    const refusedId = ok(await bridge.scim('POST', '/Users', oktaUser('refused@okta.example', 'Refused', 'User'))).body.id;
    const fineId = ok(await bridge.scim('POST', '/Users', oktaUser('fine@okta.example', 'Fine', 'User'))).body.id;
    ok(await bridge.scim('POST', '/Groups', { schemas: [GROUP_URN], displayName: 'Team', members: [{ value: refusedId }, { value: fineId }] }));
    await bridge.settle();

    const status = await bridge.admin('GET', '/status');
    expect(status.status).toBe(200);
    expect(status.body.queue.depth).toBe(0);
    expect(status.body.queue.failedCount).toBe(1);
    expect(status.body.queue.failed).toHaveLength(1);
    expect(status.body.queue.failed[0]).toMatchObject({ resourceType: 'User', resourceId: refusedId });
    expect(status.body.queue.failed[0].reason).toContain('createUser');
    expect(status.body.queue.failed[0].reason).toContain('HTTP 400');
    expect(status.body.queue.failed[0].reason).toContain('refused@okta.example cannot be invited');
    expect(accountSnapshot(w.sandbox.state).users).toEqual([{ email: 'fine@okta.example', userStatus: 'PENDING', groups: [ALL_USERS, 'Team'] }]);

    // Retried while Dynatrace still refuses: it fails again, nothing else moves.
    expect((await bridge.admin('POST', '/sync/retry-failed')).body).toEqual({ retried: 1 });
    expect((await bridge.admin('GET', '/status')).body.queue).toMatchObject({ depth: 1, failedCount: 0 });
    await bridge.settle();
    expect((await bridge.admin('GET', '/status')).body.queue).toMatchObject({ depth: 0, failedCount: 1 });

    w.sandbox.state.setFaults({ refusedEmails: [] });
    expect((await bridge.admin('POST', '/sync/retry-failed')).body).toEqual({ retried: 1 });
    await bridge.settle();
    expect((await bridge.admin('GET', '/status')).body.queue).toMatchObject({ depth: 0, failedCount: 0, failed: [] });
    expect(accountSnapshot(w.sandbox.state).users).toEqual([
      { email: 'fine@okta.example', userStatus: 'PENDING', groups: [ALL_USERS, 'Team'] },
      { email: 'refused@okta.example', userStatus: 'PENDING', groups: [ALL_USERS, 'Team'] },
    ]);
    expect((await bridge.admin('POST', '/sync/retry-failed')).body).toEqual({ retried: 0 });
  });
});
