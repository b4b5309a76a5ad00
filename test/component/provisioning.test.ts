// Joiner, mover and leaver end to end: SCIM requests over HTTP, the sync worker, and the Dynatrace
// sandbox over HTTP; assertions on the sandbox's final state and on the upstream calls made.
import { afterEach, describe, expect, it } from 'vitest';
import type { Mapping } from '../../src/core/mapping/mapping.js';
import { DEFAULT_MAPPING } from '../../src/core/mapping/mapping.js';
import { parseMapping } from '../../src/mapping-file.js';
import { startTestBridge, TEST_ADMIN_TOKEN, type TestBridge } from '../helpers/test-bridge.js';
import { groupBody, patchBody, userBody } from '../helpers/scim-builders.js';

let bridge: TestBridge;
afterEach(async () => {
  await bridge.close();
});

async function start(mapping: Mapping = DEFAULT_MAPPING, env: Record<string, string> = {}): Promise<TestBridge> {
  bridge = await startTestBridge({ mapping, env });
  return bridge;
}

/** Account Management writes the sandbox received since `from` (token and read calls excluded). */
function writesSince(from: number): string[] {
  return bridge.sandbox.state.requestLog
    .slice(from)
    .filter((r) => r.service === 'account-management' && r.method !== 'GET')
    .map((r) => `${r.method} ${r.url.replace(/\/iam\/v1\/accounts\/[^/]+/, '')}`);
}

function dtUser(email: string) {
  return bridge.sandbox.state.findUser(email);
}

function dtGroupNames(email: string): string[] {
  const user = dtUser(email);
  const groups = bridge.sandbox.state.snapshotGroups();
  return (user?.groupUuids ?? []).map((uuid) => groups.find((g) => g.uuid === uuid)?.name ?? uuid).sort();
}

async function createUser(userName: string, extra: Record<string, unknown> = {}): Promise<string> {
  const response = await bridge.scim('POST', '/Users', userBody(userName, extra));
  expect(response.status).toBe(201);
  return response.body.id;
}

describe('joiner', () => {
  it('when a user is created and added to three groups, then Dynatrace gets one user create and one add with all groups', async () => {
    await start();
    const groups: string[] = [];
    for (const name of ['Ops', 'Dev', 'Sec']) groups.push((await bridge.scim('POST', '/Groups', groupBody(name))).body.id);
    await bridge.worker.drain();
    const mark = bridge.sandbox.state.requestLog.length;
    const id = await createUser('ada@example.com');
    for (const group of groups) await bridge.scim('PATCH', `/Groups/${group}`, patchBody({ op: 'add', path: 'members', value: [{ value: id }] }));
    await bridge.worker.drain();
    const writes = writesSince(mark);
    expect(writes).toHaveLength(2);
    expect(writes[0]).toBe('POST /users');
    expect(writes[1]).toBe('POST /users/ada%40example.com');
    expect(dtUser('ada@example.com')?.userStatus).toBe('PENDING');
    expect(dtGroupNames('ada@example.com')).toEqual(['Default group with all users', 'Dev', 'Ops', 'Sec']);
  });

  it('when the user already exists in Dynatrace (SAML just-in-time), then it is adopted, not an error', async () => {
    await start();
    bridge.sandbox.state.addUser({ email: 'jit@example.com', userStatus: 'ACTIVE', name: 'Jit', surname: 'User' });
    const id = await createUser('jit@example.com');
    await bridge.worker.drain();
    expect(dtUser('jit@example.com')?.userStatus).toBe('ACTIVE');
    const applied = await bridge.store.getAppliedUser(id);
    expect(applied).toMatchObject({ email: 'jit@example.com', provenance: 'adopted' });
    expect((await bridge.store.syncQueueStats({ failedLimit: 10 })).failedCount).toBe(0);
  });

  it('when a group is mapped with policies, then the Dynatrace group is created and its bindings applied', async () => {
    const mapping = parseMapping(`
groups:
  - scim: "DT Prod Viewers"
    dynatraceGroup: "Prod Viewers"
    policies:
      - level: environment
        id: abc12345
        names: ["Standard User"]
      - level: account
        names: ["Account Auditors"]
unmatchedGroups: ignore
`);
    await start(mapping);
    const id = await createUser('viewer@example.com');
    await bridge.scim('POST', '/Groups', groupBody('DT Prod Viewers', [id]));
    await bridge.scim('POST', '/Groups', groupBody('Not Mapped', [id]));
    await bridge.worker.drain();
    const group = bridge.sandbox.state.findGroupByName('Prod Viewers');
    expect(group?.owner).toBe('LOCAL');
    expect(bridge.sandbox.state.findGroupByName('Not Mapped')).toBeNull();
    const standard = bridge.sandbox.state.findPolicy('Standard User');
    expect(bridge.sandbox.state.bindingsOf('environment', 'abc12345', group?.uuid ?? '')).toEqual([standard?.uuid]);
    const auditors = bridge.sandbox.state.findPolicy('Account Auditors');
    expect(bridge.sandbox.state.bindingsOf('account', bridge.sandbox.accountUuid, group?.uuid ?? '')).toEqual([auditors?.uuid]);
    expect(dtGroupNames('viewer@example.com')).toEqual(['Default group with all users', 'Prod Viewers']);
  });
});

describe('mover', () => {
  it('when a user moves from one group to another, then one add and one remove are made', async () => {
    await start();
    const id = await createUser('mover@example.com');
    const a = (await bridge.scim('POST', '/Groups', groupBody('Team A', [id]))).body.id;
    const b = (await bridge.scim('POST', '/Groups', groupBody('Team B'))).body.id;
    await bridge.worker.drain();
    const mark = bridge.sandbox.state.requestLog.length;
    await bridge.scim('PATCH', `/Groups/${a}`, patchBody({ op: 'remove', path: `members[value eq "${id}"]` }));
    await bridge.scim('PATCH', `/Groups/${b}`, patchBody({ op: 'add', path: 'members', value: [{ value: id }] }));
    await bridge.worker.drain();
    expect(writesSince(mark).sort()).toEqual(['DELETE /users/mover%40example.com/groups?group-uuid=' + bridge.sandbox.state.findGroupByName('Team A')?.uuid, 'POST /users/mover%40example.com'].sort());
    expect(dtGroupNames('mover@example.com')).toEqual(['Default group with all users', 'Team B']);
  });

  it('when a group is renamed, then the Dynatrace group is renamed in place', async () => {
    await start();
    const g = (await bridge.scim('POST', '/Groups', groupBody('Old Name'))).body.id;
    await bridge.worker.drain();
    const uuid = bridge.sandbox.state.findGroupByName('Old Name')?.uuid;
    await bridge.scim('PATCH', `/Groups/${g}`, patchBody({ op: 'replace', value: { id: g, displayName: 'New Name' } }));
    await bridge.worker.drain();
    expect(bridge.sandbox.state.findGroupByName('New Name')?.uuid).toBe(uuid);
    expect(bridge.sandbox.state.findGroupByName('Old Name')).toBeNull();
  });

  it('when the userName changes with emailChange migrate, then the new user gets the same groups and the old one is removed', async () => {
    await start();
    const id = await createUser('old.name@example.com');
    await bridge.scim('POST', '/Groups', groupBody('Keep', [id]));
    await bridge.worker.drain();
    await bridge.scim('PATCH', `/Users/${id}`, patchBody({ op: 'replace', path: 'userName', value: 'new.name@example.com' }));
    await bridge.worker.drain();
    expect(dtUser('old.name@example.com')).toBeNull();
    expect(dtGroupNames('new.name@example.com')).toEqual(['Default group with all users', 'Keep']);
  });

  it('when the userName changes with emailChange reject, then SCIM answers 400 mutability and nothing changes', async () => {
    await start({ ...DEFAULT_MAPPING, emailChange: 'reject' });
    const id = await createUser('fixed@example.com');
    const response = await bridge.scim('PATCH', `/Users/${id}`, patchBody({ op: 'replace', path: 'userName', value: 'other@example.com' }));
    expect(response.status).toBe(400);
    expect(response.body.scimType).toBe('mutability');
    const rename = await bridge.scim('PATCH', `/Users/${id}`, patchBody({ op: 'replace', path: 'title', value: 'ok' }));
    expect(rename.status).toBe(200);
  });
});

describe('leaver', () => {
  it('when a user is deactivated with remove-groups, then the account stays without managed groups, and reactivation restores them', async () => {
    await start();
    const id = await createUser('leaver@example.com');
    await bridge.scim('POST', '/Groups', groupBody('Payroll', [id]));
    await bridge.worker.drain();
    await bridge.scim('PATCH', `/Users/${id}`, patchBody({ op: 'replace', value: { active: false } }));
    await bridge.worker.drain();
    expect(dtGroupNames('leaver@example.com')).toEqual(['Default group with all users']);
    await bridge.scim('PATCH', `/Users/${id}`, patchBody({ op: 'replace', path: 'active', value: 'True' }));
    await bridge.worker.drain();
    expect(dtGroupNames('leaver@example.com')).toEqual(['Default group with all users', 'Payroll']);
  });

  it('when a user is deactivated with delete, then the account is removed, and reactivation re-creates it', async () => {
    await start({ ...DEFAULT_MAPPING, deactivation: 'delete' });
    const id = await createUser('gone@example.com');
    await bridge.worker.drain();
    await bridge.scim('PATCH', `/Users/${id}`, patchBody({ op: 'Replace', path: 'active', value: 'False' }));
    await bridge.worker.drain();
    expect(dtUser('gone@example.com')).toBeNull();
    await bridge.scim('PATCH', `/Users/${id}`, patchBody({ op: 'replace', path: 'active', value: true }));
    await bridge.worker.drain();
    expect(dtUser('gone@example.com')?.userStatus).toBe('PENDING');
  });

  it('when a user is deleted in SCIM, then it is removed from the account', async () => {
    await start();
    const id = await createUser('deleted@example.com');
    await bridge.worker.drain();
    await bridge.scim('DELETE', `/Users/${id}`);
    await bridge.worker.drain();
    expect(dtUser('deleted@example.com')).toBeNull();
    expect(await bridge.store.getAppliedUser(id)).toBeNull();
  });

  it('when a group the bridge created is deleted, then it is deleted in Dynatrace; an adopted one is only unlinked', async () => {
    await start();
    const created = (await bridge.scim('POST', '/Groups', groupBody('Ours'))).body.id;
    await bridge.worker.drain();
    bridge.sandbox.state.addGroup({ name: 'Theirs', owner: 'LOCAL' });
    const adopted = (await bridge.scim('POST', '/Groups', groupBody('Theirs'))).body.id;
    await bridge.worker.drain();
    await bridge.scim('DELETE', `/Groups/${created}`);
    await bridge.scim('DELETE', `/Groups/${adopted}`);
    await bridge.worker.drain();
    expect(bridge.sandbox.state.findGroupByName('Ours')).toBeNull();
    expect(bridge.sandbox.state.findGroupByName('Theirs')).not.toBeNull();
  });
});

describe('guard rails, dry-run and audit', () => {
  it('when a protected user changes, then the bridge writes nothing for it and audits the skip', async () => {
    const mapping = parseMapping('protectedUsers: ["breakglass@example.com"]\n');
    await start(mapping);
    const mark = bridge.sandbox.state.requestLog.length;
    await createUser('breakglass@example.com');
    await bridge.worker.drain();
    expect(writesSince(mark)).toEqual([]);
    const audit = await bridge.store.listAudit({ offset: 0, limit: 10 });
    expect(audit.entries[0]).toMatchObject({ outcome: 'skipped', target: 'breakglass@example.com' });
  });

  it('when a SCIM group maps to a Dynatrace group not owned as LOCAL, then it is never edited and the failure is visible', async () => {
    await start();
    const id = await createUser('scimowned@example.com');
    await bridge.scim('POST', '/Groups', groupBody('Operations (native SCIM)', [id]));
    await bridge.worker.drain();
    const stats = await bridge.store.syncQueueStats({ failedLimit: 10 });
    expect(stats.failedCount).toBeGreaterThan(0);
    expect(stats.failed[0]?.reason).toContain('owned by SCIM');
    expect(dtGroupNames('scimowned@example.com')).toEqual(['Default group with all users']);
  });

  it('when DRY_RUN is on, then everything is audited as dry-run and Dynatrace is not written', async () => {
    await start(DEFAULT_MAPPING, { DRY_RUN: 'true' });
    const mark = bridge.sandbox.state.requestLog.length;
    const id = await createUser('dry@example.com');
    await bridge.scim('POST', '/Groups', groupBody('Dry Group', [id]));
    await bridge.worker.drain();
    expect(writesSince(mark)).toEqual([]);
    const audit = await bridge.store.listAudit({ offset: 0, limit: 50 });
    expect(audit.entries.length).toBeGreaterThan(0);
    expect(audit.entries.every((e) => e.outcome === 'dry-run')).toBe(true);
    expect(audit.entries.map((e) => e.operation)).toContain('createUser');
  });

  it('when writes are made, then the audit log pages them newest first with the SCIM request id', async () => {
    await start();
    const response = await bridge.scim('POST', '/Users', userBody('audited@example.com'), { 'x-request-id': 'req-audit-1' });
    expect(response.status).toBe(201);
    await bridge.worker.drain();
    const headers = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
    const all = (await (await fetch(`${bridge.url}/admin/audit?limit=10`, { headers })).json()) as any;
    expect(all.entries.map((e: any) => e.operation)).toEqual(['createDavisUser', 'createUser']);
    expect(all.entries[1]).toMatchObject({ target: 'audited@example.com', outcome: 'applied', requestId: 'req-audit-1', resourceType: 'User' });
    expect(all.entries[0].seq).toBeGreaterThan(all.entries[1].seq);
    const second = (await (await fetch(`${bridge.url}/admin/audit?offset=1&limit=1`, { headers })).json()) as any;
    expect(second).toMatchObject({ total: 2, offset: 1, limit: 1 });
    expect(second.entries[0].operation).toBe('createUser');
    expect((await fetch(`${bridge.url}/admin/audit`)).status).toBe(401);
  });
});
