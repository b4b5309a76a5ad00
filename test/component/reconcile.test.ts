// Reconcile end to end: after a successful sync, drift is made by hand in the Dynatrace sandbox (a
// user deleted, a member removed, a stranger added, a managed group deleted, a binding removed or
// its boundaries changed, bindings others made);
// POST /admin/reconcile?dryRun=true reports it without changing anything, and POST /admin/reconcile
// plus the sync worker bring Dynatrace back to the desired state.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Mapping } from '../../src/core/mapping/mapping.js';
import { FINDING_KINDS, type FindingKind } from '../../src/core/sync/reconcile.js';
import { loadMappingFile, parseMapping } from '../../src/mapping-file.js';
import type { SandboxHandle } from '../../src/sandbox/index.js';
import { accountSnapshot, type AccountSnapshot } from '../helpers/account-snapshot.js';
import {
  createManualClock,
  makeDataDir,
  removeDataDir,
  startBridgeProcess,
  startSharedSandbox,
  type BridgeProcess,
  type ManualClock,
} from '../helpers/bridge-process.js';
import { groupBody, userBody } from '../helpers/scim-builders.js';
import { cleanupsAfterEach } from '../helpers/cleanups.js';

const ALL_USERS = 'Default group with all users';
const LIMITED_BINDING = fileURLToPath(new URL('../fixtures/mapping/limited-binding.yaml', import.meta.url));

const MAPPING: Mapping = parseMapping(`
groups:
  - scim: "Ops"
    policies:
      - level: environment
        id: abc12345
        names: ["Standard User"]
unmatchedGroups: mirror
`);

/** What Dynatrace holds after the sync of `synced()`: the state every repair must return to. */
const DESIRED: AccountSnapshot = {
  users: [
    { email: 'ann@example.com', userStatus: 'PENDING', groups: [ALL_USERS, 'Ops'] },
    { email: 'ben@example.com', userStatus: 'PENDING', groups: [ALL_USERS, 'Dev', 'Ops'] },
    { email: 'cat@example.com', userStatus: 'PENDING', groups: [ALL_USERS, 'Dev'] },
  ],
  groups: [
    { name: 'Dev', bindings: [] },
    { name: 'Ops', bindings: ['environment:abc12345: Standard User'] },
  ],
  davis: [],
};

const cleanups = cleanupsAfterEach();

interface Synced {
  readonly clock: ManualClock;
  readonly sandbox: SandboxHandle;
  readonly bridge: BridgeProcess;
  readonly ids: Record<'ann' | 'ben' | 'cat' | 'ops' | 'dev', string>;
  uuid(groupName: string): string;
}

/** Three users in two groups (Ops with a policy binding), synced to the sandbox. */
async function synced(options: { davis?: boolean; env?: Record<string, string>; mapping?: Mapping } = {}): Promise<Synced> {
  const clock = createManualClock();
  const sandbox = await startSharedSandbox({ clock });
  const dataDir = makeDataDir();
  cleanups.push(() => removeDataDir(dataDir), () => sandbox.stop());
  const bridge = await startBridgeProcess({ sandbox, dataDir, clock, mapping: options.mapping ?? MAPPING, davis: options.davis ?? false, ...(options.env ? { env: options.env } : {}) });
  cleanups.push(() => bridge.close());
  const user = async (email: string): Promise<string> => (await bridge.scim('POST', '/Users', userBody(email))).body.id;
  const ann = await user('ann@example.com');
  const ben = await user('ben@example.com');
  const cat = await user('cat@example.com');
  const ops = (await bridge.scim('POST', '/Groups', groupBody('Ops', [ann, ben]))).body.id;
  const dev = (await bridge.scim('POST', '/Groups', groupBody('Dev', [ben, cat]))).body.id;
  await bridge.settle();
  return {
    clock,
    sandbox,
    bridge,
    ids: { ann, ben, cat, ops, dev },
    uuid(groupName) {
      const group = sandbox.state.findGroupByName(groupName);
      if (group === null) throw new Error(`no group ${groupName}`);
      return group.uuid;
    },
  };
}

function counts(partial: Partial<Record<FindingKind, number>>): Record<FindingKind, number> {
  return Object.fromEntries(FINDING_KINDS.map((kind) => [kind, partial[kind] ?? 0])) as Record<FindingKind, number>;
}

/** Everything reconcile could change: the sandbox, its write log, applied state, the queue. */
async function observable(s: Synced) {
  return {
    account: accountSnapshot(s.sandbox.state),
    writes: s.sandbox.state.requestLog.filter((r) => r.method !== 'GET' && r.service !== 'oauth').length,
    appliedUsers: await s.bridge.store.listAppliedUsers(),
    appliedGroups: await s.bridge.store.listAppliedGroups(),
    queue: await s.bridge.store.syncQueueStats({ failedLimit: 10 }),
  };
}

/** Dry run over HTTP: asserts it changed nothing, returns its report. */
async function dryRun(s: Synced): Promise<any> {
  const before = await observable(s);
  const response = await s.bridge.admin('POST', '/reconcile?dryRun=true');
  expect(response.status).toBe(200);
  expect(response.body).toMatchObject({ dryRun: true, repaired: false });
  expect(await observable(s)).toEqual(before);
  return response.body;
}

/** Real reconcile over HTTP, then the worker until the queue is empty; returns the report. */
async function repair(s: Synced): Promise<any> {
  const response = await s.bridge.admin('POST', '/reconcile');
  expect(response.status).toBe(200);
  expect(response.body).toMatchObject({ dryRun: false, repaired: true });
  await s.bridge.settle();
  return response.body;
}

async function expectConverged(s: Synced): Promise<void> {
  expect(accountSnapshot(s.sandbox.state)).toEqual(DESIRED);
  const again = await s.bridge.admin('POST', '/reconcile?dryRun=true');
  expect(again.body.counts).toEqual(counts({}));
  expect(again.body.findings).toEqual([]);
  expect((await s.bridge.store.syncQueueStats({ failedLimit: 10 })).failed).toEqual([]);
}

describe('reconcile without drift', () => {
  it('when nothing drifted, then dry-run and real reconcile report zero findings, change nothing, and the last report shows in /admin/status', async () => {
    const s = await synced();
    expect(accountSnapshot(s.sandbox.state)).toEqual(DESIRED);
    const statusBefore = await s.bridge.admin('GET', '/status');
    expect(statusBefore.body.lastReconcile).toBeNull();

    const dry = await dryRun(s);
    expect(dry.counts).toEqual(counts({}));
    expect(dry.findings).toEqual([]);
    expect((await s.bridge.admin('GET', '/status')).body.lastReconcile).toEqual(dry);

    const before = await observable(s);
    const real = await s.bridge.admin('POST', '/reconcile');
    expect(real.body).toMatchObject({ dryRun: false, repaired: false, counts: counts({}), findings: [] });
    expect(await observable(s)).toEqual(before);
    const status = (await s.bridge.admin('GET', '/status')).body;
    expect(status.lastReconcile).toEqual(real.body);
    expect(status.lastReconcile.startedAt).toBe(s.clock.date().toISOString());
  });
});

describe('reconcile repairs drift made by hand', () => {
  it('when a user is deleted in Dynatrace, then dry-run reports missing_user and reconcile re-creates it in its groups', async () => {
    const s = await synced();
    s.sandbox.state.users.remove('cat@example.com');

    const dry = await dryRun(s);
    expect(dry.counts).toEqual(counts({ missing_user: 1 }));
    expect(dry.findings).toEqual([{ kind: 'missing_user', resourceType: 'User', resourceId: s.ids.cat, target: 'cat@example.com', detail: 'the account has no such user' }]);
    expect(s.sandbox.state.findUser('cat@example.com')).toBeNull();

    const report = await repair(s);
    expect(report.counts).toEqual(counts({ missing_user: 1 }));
    await expectConverged(s);
  });

  it('when a member is removed from a managed group, then dry-run reports missing_membership and reconcile adds it back', async () => {
    const s = await synced();
    s.sandbox.state.users.removeFromGroups('ann@example.com', [s.uuid('Ops')]);

    const dry = await dryRun(s);
    expect(dry.counts).toEqual(counts({ missing_membership: 1 }));
    expect(dry.findings).toEqual([{ kind: 'missing_membership', resourceType: 'User', resourceId: s.ids.ann, target: 'ann@example.com', detail: 'not in managed group "Ops"' }]);

    await repair(s);
    await expectConverged(s);
  });

  it('when a stranger and a managed user are added by hand to a managed group, then both are reported as extra_membership and reconcile takes them out', async () => {
    const s = await synced();
    s.sandbox.state.addUser({ email: 'stranger@elsewhere.example', groups: ['Ops'] });
    s.sandbox.state.users.addToGroups('cat@example.com', [s.uuid('Ops')]);

    const dry = await dryRun(s);
    expect(dry.counts).toEqual(counts({ extra_membership: 2 }));
    expect([...dry.findings].sort((a: any, b: any) => a.target.localeCompare(b.target))).toEqual([
      { kind: 'extra_membership', resourceType: 'User', resourceId: s.ids.cat, target: 'cat@example.com', detail: 'in managed group "Ops" without a SCIM membership' },
      { kind: 'extra_membership', resourceType: 'User', resourceId: null, target: 'stranger@elsewhere.example', detail: 'in managed group "Ops" without a SCIM membership' },
    ]);

    await repair(s);
    // The stranger keeps its account (the bridge does not manage it), only the membership goes.
    expect(s.sandbox.state.findUser('stranger@elsewhere.example')?.groupUuids).toEqual([s.sandbox.state.allUsersGroupUuid]);
    const { users, groups } = accountSnapshot(s.sandbox.state);
    expect({ users: users.filter((u) => u.email !== 'stranger@elsewhere.example'), groups, davis: [] }).toEqual(DESIRED);
    const again = await s.bridge.admin('POST', '/reconcile?dryRun=true');
    expect(again.body.counts).toEqual(counts({}));
  });

  it('when a managed group is deleted in Dynatrace, then dry-run reports missing_group and reconcile re-creates it with its members and bindings', async () => {
    const s = await synced();
    const opsUuid = s.uuid('Ops');
    s.sandbox.state.groups.remove(opsUuid);

    const dry = await dryRun(s);
    expect(dry.counts).toEqual(counts({ missing_group: 1 }));
    expect(dry.findings).toEqual([{ kind: 'missing_group', resourceType: 'Group', resourceId: s.ids.ops, target: 'Ops', detail: `group ${opsUuid} no longer exists in Dynatrace` }]);

    await repair(s);
    expect(s.uuid('Ops')).not.toBe(opsUuid);
    await expectConverged(s);
  });

  it('when a policy binding is removed from a managed group, then dry-run reports wrong_bindings and reconcile binds it again', async () => {
    const s = await synced();
    const opsUuid = s.uuid('Ops');
    const standard = s.sandbox.state.findPolicy('Standard User')?.uuid;
    s.sandbox.state.bindings.remove('environment', 'abc12345', standard ?? '', opsUuid, new URLSearchParams({ forceMultiple: 'true' }));

    const dry = await dryRun(s);
    expect(dry.counts).toEqual(counts({ wrong_bindings: 1 }));
    expect(dry.findings).toEqual([{ kind: 'wrong_bindings', resourceType: 'Group', resourceId: s.ids.ops, target: 'Ops', detail: `environment:abc12345: policy ${standard} is not bound` }]);

    await repair(s);
    expect(s.sandbox.state.bindingsOf('environment', 'abc12345', opsUuid)).toEqual([standard]);
    await expectConverged(s);
  });

  it('when bindings with boundaries and parameters are made by hand on a managed group, then reconcile reports them, repairs nothing, and they survive sync', async () => {
    const s = await synced();
    const opsUuid = s.uuid('Ops');
    const standard = s.sandbox.state.findPolicy('Standard User')?.uuid as string;
    const readOnly = s.sandbox.state.findPolicy('Production Read Only')?.uuid as string;
    const zone = s.sandbox.state.findBoundary('Production zone')?.uuid as string;
    s.sandbox.state.bindings.append('environment', 'abc12345', readOnly, opsUuid, { boundaries: [zone] });
    s.sandbox.state.bindings.append('environment', 'abc12345', standard, opsUuid, { parameters: { team: 'night shift' }, boundaries: [zone] });
    const byHand = s.sandbox.state.bindingDetailsOf('environment', 'abc12345', opsUuid).filter((b) => b.metadata['managed-by'] === undefined);
    expect(byHand).toHaveLength(2);

    const dry = await dryRun(s);
    expect(dry.counts).toEqual(counts({ foreign_binding: 2 }));
    expect(dry.findings.map((f: any) => f.detail).sort()).toEqual([
      `environment:abc12345: policy ${readOnly} (boundaries: ${zone}), made outside the bridge (never changed by it)`,
      `environment:abc12345: policy ${standard} (boundaries: ${zone}; parameters: team=night shift), made outside the bridge (never changed by it)`,
    ].sort());
    const report = (await s.bridge.admin('POST', '/reconcile')).body;
    expect(report).toMatchObject({ dryRun: false, repaired: false });
    // A change to the group (a new member) syncs it again: the bridge writes only its own binding.
    const dan = (await s.bridge.scim('POST', '/Users', userBody('dan@example.com'))).body.id;
    await s.bridge.scim('PATCH', `/Groups/${s.ids.ops}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'add', path: 'members', value: [{ value: dan }] }] });
    await s.bridge.settle();
    expect(s.sandbox.state.bindingDetailsOf('environment', 'abc12345', opsUuid).filter((b) => b.metadata['managed-by'] === undefined)).toEqual(byHand);
  });

  it('when a tool overwrites the group\'s bindings with the whole-set endpoint, then the bridge\'s binding is repaired and the tool\'s is only reported', async () => {
    const s = await synced();
    const opsUuid = s.uuid('Ops');
    const standard = s.sandbox.state.findPolicy('Standard User')?.uuid as string;
    const readOnly = s.sandbox.state.findPolicy('Production Read Only')?.uuid as string;
    s.sandbox.state.bindings.replaceGroupPolicies('environment', 'abc12345', opsUuid, { policyUuids: [readOnly] });

    const dry = await dryRun(s);
    expect(dry.counts).toEqual(counts({ wrong_bindings: 1, foreign_binding: 1 }));
    await repair(s);
    expect(s.sandbox.state.bindingsOf('environment', 'abc12345', opsUuid).sort()).toEqual([readOnly, standard].sort());
    expect((await s.bridge.admin('POST', '/reconcile?dryRun=true')).body.counts).toEqual(counts({ foreign_binding: 1 }));
  });

  it('when the boundaries or parameters of the bridge\'s binding are changed by hand, then reconcile reports and restores them', async () => {
    const s = await synced({ mapping: loadMappingFile(LIMITED_BINDING) });
    const opsUuid = s.uuid('Ops');
    const standard = s.sandbox.state.findPolicy('Standard User')?.uuid as string;
    const zone = s.sandbox.state.findBoundary('Production zone')?.uuid as string;
    const eu = s.sandbox.state.findBoundary('EU hosts')?.uuid as string;
    const bridgeMade = { 'managed-by': 'dynatrace-scim-bridge' };
    expect(s.sandbox.state.bindingDetailsOf('environment', 'abc12345', opsUuid)).toEqual([
      expect.objectContaining({ policyUuid: standard, boundaries: [zone], parameters: { team: 'ops' }, metadata: bridgeMade }),
    ]);
    s.sandbox.state.bindings.upsert('environment', 'abc12345', standard, opsUuid, new URLSearchParams({ 'metadata[managed-by]': 'dynatrace-scim-bridge' }), { metadata: bridgeMade, boundaries: [eu], parameters: { team: 'all' } });

    const dry = await dryRun(s);
    expect(dry.findings).toEqual([
      {
        kind: 'wrong_bindings',
        resourceType: 'Group',
        resourceId: s.ids.ops,
        target: 'Ops',
        detail: `environment:abc12345: policy ${standard} (boundaries: ${zone}; parameters: team=ops) was changed to policy ${standard} (boundaries: ${eu}; parameters: team=all)`,
      },
    ]);
    await repair(s);
    expect(s.sandbox.state.bindingDetailsOf('environment', 'abc12345', opsUuid)).toEqual([
      expect.objectContaining({ policyUuid: standard, boundaries: [zone], parameters: { team: 'ops' }, metadata: bridgeMade }),
    ]);
    expect((await s.bridge.admin('POST', '/reconcile?dryRun=true')).body.findings).toEqual([]);
  });

  it('when a binding was made by an earlier release without the bridge\'s metadata, then reconcile has it written again with it, once', async () => {
    const s = await synced();
    const opsUuid = s.uuid('Ops');
    const standard = s.sandbox.state.findPolicy('Standard User')?.uuid as string;
    // What an earlier release left: a plain binding (whole-set endpoint) and a bare policy UUID in applied state.
    s.sandbox.state.bindings.replaceGroupPolicies('environment', 'abc12345', opsUuid, { policyUuids: [standard] });
    const [ops] = (await s.bridge.store.getAppliedGroups([s.ids.ops])).values();
    if (ops === undefined) throw new Error('Ops not applied');
    await s.bridge.store.putAppliedGroup({ ...ops, bindings: { 'environment:abc12345': [{ policyUuid: standard, boundaries: [], parameters: {}, unmarked: true }] } });

    const dry = await dryRun(s);
    expect(dry.counts).toEqual(counts({ wrong_bindings: 1 }));
    expect(dry.findings[0].detail).toBe(`environment:abc12345: policy ${standard} was made by an earlier release without the bridge's metadata: it is written again with it`);
    await repair(s);
    expect(s.sandbox.state.bindingDetailsOf('environment', 'abc12345', opsUuid)).toEqual([expect.objectContaining({ policyUuid: standard, metadata: { 'managed-by': 'dynatrace-scim-bridge' } })]);
    await expectConverged(s);
  });

  it('when every kind of drift happens at once, then dry-run reports each and one reconcile repairs all of it', async () => {
    const s = await synced();
    const devUuid = s.uuid('Dev');
    s.sandbox.state.users.remove('cat@example.com');
    s.sandbox.state.users.removeFromGroups('ann@example.com', [s.uuid('Ops')]);
    s.sandbox.state.addUser({ email: 'stranger@elsewhere.example', groups: ['Ops'] });
    s.sandbox.state.groups.remove(devUuid);
    s.sandbox.state.bindings.replaceGroupPolicies('environment', 'abc12345', s.uuid('Ops'), { policyUuids: [] });

    const dry = await dryRun(s);
    expect(dry.counts).toEqual(counts({ missing_user: 1, missing_group: 1, missing_membership: 1, extra_membership: 1, wrong_bindings: 1 }));
    expect(dry.findings.map((f: any) => `${f.kind} ${f.target}`).sort()).toEqual([
      'extra_membership stranger@elsewhere.example',
      'missing_group Dev',
      'missing_membership ann@example.com',
      'missing_user cat@example.com',
      'wrong_bindings Ops',
    ]);

    const report = await repair(s);
    expect(report.counts).toEqual(dry.counts);
    const { users, groups } = accountSnapshot(s.sandbox.state);
    expect({ users: users.filter((u) => u.email !== 'stranger@elsewhere.example'), groups, davis: [] }).toEqual(DESIRED);
    expect(s.sandbox.state.findUser('stranger@elsewhere.example')?.groupUuids).toEqual([s.sandbox.state.allUsersGroupUuid]);
    const again = await s.bridge.admin('POST', '/reconcile?dryRun=true');
    expect(again.body.findings).toEqual([]);
  });
});

describe('reconcile finds work that never reached Dynatrace', () => {
  it('when a SCIM user and group were stored but their sync work was lost, then reconcile reports them unsynced and provisions them', async () => {
    const s = await synced();
    const dan = (await s.bridge.scim('POST', '/Users', userBody('dan@example.com'))).body.id;
    const qa = (await s.bridge.scim('POST', '/Groups', groupBody('QA', [dan]))).body.id;
    // Lose the queued work: lease every item and complete it without syncing.
    const now = s.clock.date().toISOString();
    const lost = await s.bridge.store.leaseSyncWork({ now, limit: 10, leaseUntil: new Date(s.clock.now() + 60_000).toISOString(), owner: 'lossy' });
    for (const item of lost) await s.bridge.store.completeSyncWork(item, 'lossy');
    expect(lost.map((i) => i.resourceId).sort()).toEqual([dan, qa].sort());

    const dry = await dryRun(s);
    expect(dry.counts).toEqual(counts({ unsynced_user: 1, unsynced_group: 1 }));
    expect([...dry.findings].sort((a: any, b: any) => a.kind.localeCompare(b.kind))).toEqual([
      { kind: 'unsynced_group', resourceType: 'Group', resourceId: qa, target: 'QA', detail: 'in SCIM, never provisioned' },
      { kind: 'unsynced_user', resourceType: 'User', resourceId: dan, target: 'dan@example.com', detail: 'active in SCIM, never provisioned' },
    ]);

    await repair(s);
    expect(accountSnapshot(s.sandbox.state).users).toContainEqual({ email: 'dan@example.com', userStatus: 'PENDING', groups: [ALL_USERS, 'QA'] });
    expect((await s.bridge.admin('POST', '/reconcile?dryRun=true')).body.findings).toEqual([]);
  });

  it('when the bridge runs with DRY_RUN, then POST /admin/reconcile only reports, queues nothing and writes nothing', async () => {
    const s = await synced({ env: { DRY_RUN: 'true' } });
    expect(accountSnapshot(s.sandbox.state).users).toEqual([]);
    const before = await observable(s);
    const response = await s.bridge.admin('POST', '/reconcile');
    expect(response.body).toMatchObject({ dryRun: true, repaired: false, counts: counts({ unsynced_user: 3, unsynced_group: 2 }) });
    expect(await observable(s)).toEqual(before);
  });
});

describe('reconcile with Davis Assistant user management on', () => {
  // Regression: re-creating an account whose Davis Assistant user still existed used to fail on the
  // Davis 409; a 409 on create is now followed by an update.
  it('when a user is deleted in Dynatrace but its Davis Assistant user remains, then the repair re-creates the account without failing', async () => {
    const s = await synced({ davis: true });
    expect(s.sandbox.state.davisUsers().map((d) => d.email).sort()).toEqual(['ann@example.com', 'ben@example.com', 'cat@example.com']);
    s.sandbox.state.users.remove('cat@example.com');
    await repair(s);
    expect((await s.bridge.store.syncQueueStats({ failedLimit: 10 })).failed.map((f) => f.reason)).toEqual([]);
    expect(accountSnapshot(s.sandbox.state).users).toEqual(DESIRED.users);
  });

  it('when a Davis Assistant user is deleted and another changed by hand, then dry-run reports each and reconcile writes both back as the mapping wants them', async () => {
    const s = await synced({ davis: true });
    const desired = s.sandbox.state.davisUsers();
    const ben = desired.find((d) => d.email === 'ben@example.com');
    if (ben === undefined) throw new Error('ben has no Davis Assistant user');
    s.sandbox.state.davis.remove('ann@example.com');
    s.sandbox.state.davis.update('ben@example.com', { ...ben, lastName: 'Changed', admin: !ben.admin });
    const dry = await dryRun(s);
    expect(dry.counts).toEqual(counts({ missing_davis_user: 1, wrong_davis_user: 1 }));
    expect(dry.findings).toEqual([
      { kind: 'missing_davis_user', resourceType: 'User', resourceId: s.ids.ann, target: 'ann@example.com', detail: 'the Davis Assistant has no such user' },
      { kind: 'wrong_davis_user', resourceType: 'User', resourceId: s.ids.ben, target: 'ben@example.com', detail: 'the Davis Assistant user differs in lastName, admin' },
    ]);
    const report = await repair(s);
    expect(report.counts).toEqual(counts({ missing_davis_user: 1, wrong_davis_user: 1 }));
    const sortByEmail = (users: readonly { email: string }[]) => [...users].sort((a, b) => a.email.localeCompare(b.email));
    expect(sortByEmail(s.sandbox.state.davisUsers())).toEqual(sortByEmail(desired));
    expect(accountSnapshot(s.sandbox.state).users).toEqual(DESIRED.users);
    const again = await s.bridge.admin('POST', '/reconcile?dryRun=true');
    expect(again.body.findings).toEqual([]);
    expect((await s.bridge.store.syncQueueStats({ failedLimit: 10 })).failed).toEqual([]);
  });
});
