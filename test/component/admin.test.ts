// The operator endpoints over HTTP: bearer authentication on every /admin route, the sync status
// (queue depth and age, failed and retrying items, drain rate, rate budget, whether Dynatrace is
// reached and why not, dry-run, mapping problems), audit paging and its
// input checks, retry of failed work, and the mapping re-check against the Dynatrace account.
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAPPING, type Mapping } from '../../src/core/mapping/mapping.js';
import { parseMapping } from '../../src/mapping-file.js';
import type { SandboxFaults, SandboxHandle } from '../../src/sandbox/index.js';
import {
  createManualClock,
  makeDataDir,
  removeDataDir,
  startBridgeProcess,
  startSharedSandbox,
  type BridgeProcess,
  type ManualClock,
} from '../helpers/bridge-process.js';
import { ERROR_URN, groupBody, userBody } from '../helpers/scim-builders.js';
import { TEST_ADMIN_TOKEN, TEST_TOKEN } from '../helpers/test-bridge.js';
import { consoleSignIn } from '../../tools/console-sign-in.js';
import { cleanupsAfterEach } from '../helpers/cleanups.js';
import { freePort } from '../../tools/free-port.js';

const cleanups = cleanupsAfterEach();

interface Admin {
  readonly clock: ManualClock;
  readonly sandbox: SandboxHandle;
  readonly bridge: BridgeProcess;
}

async function start(options: { mapping?: Mapping; env?: Record<string, string>; faults?: Partial<SandboxFaults> } = {}): Promise<Admin> {
  const clock = createManualClock();
  const sandbox = await startSharedSandbox({ clock, ...(options.faults ? { faults: options.faults } : {}) });
  const dataDir = makeDataDir();
  cleanups.push(() => removeDataDir(dataDir), () => sandbox.stop());
  const bridge = await startBridgeProcess({
    sandbox,
    dataDir,
    clock,
    davis: false,
    mapping: options.mapping ?? DEFAULT_MAPPING,
    env: { DT_RATE_LIMIT_PER_MINUTE: '150', ...options.env },
  });
  cleanups.push(() => bridge.close());
  return { clock, sandbox, bridge };
}

const ROUTES: ReadonlyArray<readonly [string, string]> = [
  ['GET', '/status'],
  ['GET', '/audit'],
  ['GET', '/audit?offset=0&limit=10'],
  ['POST', '/reconcile'],
  ['POST', '/reconcile?dryRun=true'],
  ['POST', '/sync/retry-failed'],
  ['POST', '/mapping/reload'],
];

describe('authentication', () => {
  it('when an /admin route is called without a bearer token, with a wrong one or with another scheme, then it answers 401 and does nothing', async () => {
    const { bridge, sandbox } = await start();
    await bridge.scim('POST', '/Users', userBody('pending@example.com'));
    const mark = sandbox.state.requestLog.length;
    for (const [method, route] of ROUTES) {
      for (const authorization of [null, 'Bearer wrong-token-0123456789', `Basic ${Buffer.from(`x:${TEST_TOKEN}`).toString('base64')}`, TEST_TOKEN]) {
        const response = await bridge.admin(method, route, authorization);
        expect({ route: `${method} ${route}`, authorization, status: response.status }).toEqual({ route: `${method} ${route}`, authorization, status: 401 });
        const challenge = authorization?.startsWith('Bearer ') ? 'Bearer realm="SCIM", error="invalid_token"' : 'Bearer realm="SCIM"';
        expect(response.headers.get('www-authenticate')).toBe(challenge);
        expect(response.body).toMatchObject({ schemas: [ERROR_URN], status: '401' });
      }
    }
    // Nothing ran: no reconcile, no upstream call, the queue untouched.
    expect(sandbox.state.requestLog.length).toBe(mark);
    const status = await bridge.admin('GET', '/status');
    expect(status.status).toBe(200);
    expect(status.body.lastReconcile).toBeNull();
    expect(status.body.queue.depth).toBe(1);
  });
});

describe('GET /admin/status', () => {
  it('when work is pending, then it shows the queue depth and the age of the oldest change; once drained, an empty queue and the budget used', async () => {
    const { bridge, clock, sandbox } = await start();
    const enqueuedAt = clock.date().toISOString();
    const ids: string[] = [];
    for (const email of ['one@example.com', 'two@example.com', 'three@example.com']) ids.push((await bridge.scim('POST', '/Users', userBody(email))).body.id);
    clock.advance(30_000);
    await bridge.scim('POST', '/Groups', groupBody('Pending Group', ids.slice(0, 2)));
    clock.advance(60_000);

    const pending = await bridge.admin('GET', '/status');
    expect(pending.status).toBe(200);
    const untried = { reachable: null, lastAnswerAt: null, lastFailure: null };
    expect(pending.body).toEqual({
      dryRun: false,
      queue: {
        depth: 4, oldestEnqueuedAt: enqueuedAt, oldestAgeSeconds: 90, failedCount: 0, failed: [], retryingCount: 0, retrying: [],
        // Nothing drained yet: no estimate.
        drain: { perMinute: 0, emptyInSeconds: null },
      },
      rateBudget: { limit: 150, windowMs: 60_000, used: 0, waiting: 0, pausedUntil: null },
      upstream: { 'account-management': untried, oauth: untried, 'davis-assistant': untried },
      mapping: { problems: [] },
      lastReconcile: null,
    });

    await bridge.settle();
    const drained = await bridge.admin('GET', '/status');
    const accountCalls = sandbox.state.requestLog.filter((r) => r.service === 'account-management').length;
    expect(accountCalls).toBeGreaterThan(0);
    expect(drained.body.queue).toEqual({
      depth: 0, oldestEnqueuedAt: null, oldestAgeSeconds: null, failedCount: 0, failed: [], retryingCount: 0, retrying: [],
      // Three users, the group, and its two members again once it was linked: six in the last minute.
      drain: { perMinute: 6, emptyInSeconds: 0 },
    });
    expect(drained.body.upstream['account-management']).toEqual({ reachable: true, lastAnswerAt: clock.date().toISOString(), lastFailure: null });
    expect(drained.body.rateBudget).toEqual({ limit: 150, windowMs: 60_000, used: accountCalls, waiting: 0, pausedUntil: null });
  });

  it('when an item fails permanently, then the failed list shows it with its reason, request id and times', async () => {
    const { bridge, clock, sandbox } = await start({ faults: { refusedEmails: ['nope@example.com'] } });
    const created = await bridge.scim('POST', '/Users', userBody('nope@example.com'), { 'x-request-id': 'req-refused-1' });
    const at = clock.date().toISOString();
    await bridge.scim('POST', '/Users', userBody('yes@example.com'));
    await bridge.settle();

    const status = await bridge.admin('GET', '/status');
    expect(status.body.queue).toEqual({
      depth: 0,
      oldestEnqueuedAt: null,
      oldestAgeSeconds: null,
      retryingCount: 0,
      retrying: [],
      drain: { perMinute: 2, emptyInSeconds: 0 },
      failedCount: 1,
      failed: [
        {
          resourceType: 'User',
          resourceId: created.body.id,
          generation: expect.any(Number),
          attempts: 0,
          firstEnqueuedAt: at,
          requestId: 'req-refused-1',
          lastError: null,
          reason: `account-management createUser: rejected — HTTP 400 — code 400: User nope@example.com cannot be invited at ${sandbox.url}/iam/v1/accounts/${sandbox.accountUuid}/users`,
          failedAt: clock.date().toISOString(),
        },
      ],
    });
    expect((await bridge.admin('POST', '/sync/retry-failed')).body).toEqual({ retried: 1 });
    expect((await bridge.admin('GET', '/status')).body.queue).toMatchObject({ depth: 1, failedCount: 0, failed: [] });
  });

  it('when Dynatrace cannot be reached, then status lists the item retrying with its attempts, last error (cause and URL) and next attempt, and says why the account is not reached', async () => {
    const port = await freePort();
    const api = `http://127.0.0.1:${port}`;
    const { bridge, clock, sandbox } = await start({ env: { DT_API_URL: api } });
    const created = await bridge.scim('POST', '/Users', userBody('stuck@example.com'));
    expect(await bridge.worker.drain()).toBe(1);
    const failedAt = clock.date().toISOString();
    expect(await bridge.worker.drain()).toBe(0);

    const status = (await bridge.admin('GET', '/status')).body;
    const users = `${api}/iam/v1/accounts/${sandbox.accountUuid}/users`;
    expect(status.queue).toMatchObject({ depth: 1, retryingCount: 1, failedCount: 0, drain: { perMinute: 0, emptyInSeconds: null } });
    expect(status.queue.retrying).toEqual([
      {
        resourceType: 'User',
        resourceId: created.body.id,
        generation: 1,
        attempts: 1,
        firstEnqueuedAt: expect.any(String),
        requestId: expect.any(String),
        lastError: `account-management listUsers: unavailable — connection refused (ECONNREFUSED) at ${users}`,
        nextAttemptAt: expect.any(String),
      },
    ]);
    expect(Date.parse(status.queue.retrying[0].nextAttemptAt)).toBeGreaterThan(Date.parse(failedAt));
    expect(status.upstream['account-management']).toEqual({
      reachable: false,
      lastAnswerAt: null,
      lastFailure: { at: failedAt, operation: 'listUsers', url: users, kind: 'connection_refused', status: null, errorCode: null, description: 'connection refused (ECONNREFUSED)' },
    });
    // The token endpoint (the sandbox) answered: only the API is unreachable.
    expect(status.upstream.oauth).toMatchObject({ reachable: true, lastFailure: null });
    const line = bridge.logLines.map((l) => JSON.parse(l) as Record<string, unknown>).find((entry) => entry['msg'] === 'sync failed; will retry');
    expect(line).toMatchObject({ url: users, cause: 'connection_refused', attempts: 1 });

    // The console's overview shows the same: the item being retried, the drain rate, the unreachable service.
    const session = await consoleSignIn(bridge.url, TEST_ADMIN_TOKEN);
    const overview = await fetch(`${bridge.url}/console`, { headers: { cookie: session.cookie } });
    expect(overview.status).toBe(200);
    const page = await overview.text();
    expect(page).toContain(`/console/people/${created.body.id}`);
    expect(page).toContain(status.queue.retrying[0].nextAttemptAt);
    expect(page).toContain('0 / min');
    expect(page).toMatch(/data-testid="upstream-account-management">unreachable<span class="hint">, last failure [^<]*connection refused \(ECONNREFUSED\)/);
  });

  it('when the bridge runs with DRY_RUN, then status says so', async () => {
    const { bridge } = await start({ env: { DRY_RUN: 'true' } });
    expect((await bridge.admin('GET', '/status')).body.dryRun).toBe(true);
  });
});

describe('GET /admin/audit', () => {
  it('when writes were made, then pages of any size return every entry once, newest first, with the total', async () => {
    const { bridge } = await start();
    const ids: string[] = [];
    for (const email of ['a1@example.com', 'a2@example.com', 'a3@example.com']) {
      ids.push((await bridge.scim('POST', '/Users', userBody(email), { 'x-request-id': `req-${email.split('@')[0]}` })).body.id);
    }
    // Settled first: a later enqueue of the same user would carry the later request's id.
    await bridge.settle();
    await bridge.scim('POST', '/Groups', groupBody('Audited', ids), { 'x-request-id': 'req-group' });
    await bridge.settle();

    const all = await bridge.admin('GET', '/audit');
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ offset: 0, limit: 100 });
    // createUser ×3, createGroup, addUserToGroups ×3.
    expect(all.body.total).toBe(7);
    expect(all.body.entries.map((e: any) => e.operation).sort()).toEqual(['addUserToGroups', 'addUserToGroups', 'addUserToGroups', 'createGroup', 'createUser', 'createUser', 'createUser']);
    expect(all.body.entries.find((e: any) => e.operation === 'createUser' && e.target === 'a2@example.com')).toMatchObject({
      resourceType: 'User',
      resourceId: ids[1],
      outcome: 'applied',
      requestId: 'req-a2',
      detail: null,
    });
    expect(all.body.entries.filter((e: any) => e.operation !== 'createUser').map((e: any) => e.requestId)).toEqual(['req-group', 'req-group', 'req-group', 'req-group']);
    const seqs: number[] = all.body.entries.map((e: any) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));

    const paged: number[] = [];
    for (let offset = 0, pages = 0; pages < 10; pages++, offset += 3) {
      const page = await bridge.admin('GET', `/audit?offset=${offset}&limit=3`);
      expect(page.body).toMatchObject({ offset, limit: 3, total: 7 });
      if (page.body.entries.length === 0) break;
      paged.push(...page.body.entries.map((e: any) => e.seq));
    }
    expect(paged).toEqual(seqs);
    expect((await bridge.admin('GET', '/audit?offset=7&limit=3')).body).toEqual({ offset: 7, limit: 3, total: 7, entries: [] });
  });

  it('when limit or offset is not a whole number, then it answers 400 invalidValue; out-of-range limits are clamped', async () => {
    const { bridge } = await start();
    for (const query of ['limit=abc', 'limit=-1', 'limit=2.5', 'limit=1e3', 'limit=%20', 'offset=x', 'offset=-5']) {
      const response = await bridge.admin('GET', `/audit?${query}`);
      expect({ query, status: response.status }).toEqual({ query, status: 400 });
      expect(response.body).toMatchObject({ schemas: [ERROR_URN], status: '400', scimType: 'invalidValue' });
    }
    expect((await bridge.admin('GET', '/audit?limit=5000')).body).toEqual({ offset: 0, limit: 1000, total: 0, entries: [] });
    expect((await bridge.admin('GET', '/audit?limit=0')).body).toEqual({ offset: 0, limit: 1, total: 0, entries: [] });
    expect((await bridge.admin('GET', '/audit?limit=')).body).toEqual({ offset: 0, limit: 100, total: 0, entries: [] });
  });
});

describe('POST /admin/mapping/reload', () => {
  const BROKEN = parseMapping(`
groups:
  - scim: "Somewhere"
    policies:
      - level: environment
        id: zzz99999
        names: ["Standard User"]
  - scim: "Auditors"
    policies:
      - level: account
        names: ["No Such Policy", "Account Auditors"]
  - scim: "Old Env"
    policies:
      - level: environment
        id: old00000
        names: ["Standard User"]
  - scim: "Fine"
    policies:
      - level: environment
        id: abc12345
        names: ["Production Read Only"]
unmatchedGroups: ignore
`);
  const PROBLEMS = [
    'groups[0].policies[0]: environment zzz99999 does not exist in the account',
    'groups[1].policies[0]: IAM policy "No Such Policy" does not exist at account',
    'groups[2].policies[0]: environment old00000 is inactive (Dynatrace refuses binding changes there)',
  ];

  it('when the mapping names an unknown environment, an unknown policy or an inactive environment, then reload reports each problem and status keeps them', async () => {
    const { bridge } = await start({ mapping: BROKEN });
    expect((await bridge.admin('GET', '/status')).body.mapping).toEqual({ problems: [] });
    const reload = await bridge.admin('POST', '/mapping/reload');
    expect(reload.status).toBe(200);
    expect(reload.body).toEqual({ problems: PROBLEMS });
    expect((await bridge.admin('GET', '/status')).body.mapping).toEqual({ problems: PROBLEMS });
  });

  it('when a group maps to a policy that does not exist, then only that group\'s item fails, naming the policy, and the other groups are bound', async () => {
    const { bridge, sandbox } = await start({ mapping: BROKEN });
    const auditors = (await bridge.scim('POST', '/Groups', groupBody('Auditors'))).body.id;
    await bridge.scim('POST', '/Groups', groupBody('Fine'));
    await bridge.settle();
    const status = (await bridge.admin('GET', '/status')).body;
    expect(status.queue.failed.map((f: any) => [f.resourceId, f.reason])).toEqual([[auditors, 'group "Auditors": IAM policy "No Such Policy" does not exist at account']]);
    const fine = sandbox.state.findGroupByName('Fine');
    expect(sandbox.state.bindingsOf('environment', 'abc12345', fine?.uuid ?? '')).toEqual([sandbox.state.findPolicy('Production Read Only')?.uuid]);
    // The Auditors group exists, but a rule with an unresolvable name binds nothing at its level.
    const group = sandbox.state.findGroupByName('Auditors');
    expect(group?.owner).toBe('LOCAL');
    expect(sandbox.state.bindingsOf('account', sandbox.accountUuid, group?.uuid ?? '')).toEqual([]);
  });

  it('when the mapping resolves, then reload reports no problems', async () => {
    const { bridge } = await start({ mapping: parseMapping('groups:\n  - scim: "Fine"\n    policies:\n      - level: account\n        names: ["Account Auditors"]\n') });
    expect((await bridge.admin('POST', '/mapping/reload')).body).toEqual({ problems: [] });
  });
});
