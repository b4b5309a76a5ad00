// Joiner, mover and leaver end to end: SCIM requests over HTTP, the sync worker, and the Dynatrace
// sandbox over HTTP; assertions on the sandbox's final state and on the upstream calls made.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Mapping } from '../../src/core/mapping/mapping.js';
import { DEFAULT_MAPPING } from '../../src/core/mapping/mapping.js';
import { parseMapping } from '../../src/mapping-file.js';
import { startTestBridge, TEST_ADMIN_TOKEN, type TestBridge } from '../helpers/test-bridge.js';
import { groupBody, patchBody, userBody } from '../helpers/scim-builders.js';

let bridge: TestBridge;
/** How far the bridge's clock runs ahead of the system's: tests move it past the user listing's minute. */
let clockAheadMs = 0;
afterEach(async () => {
  await bridge.close();
  clockAheadMs = 0;
});

async function start(mapping: Mapping = DEFAULT_MAPPING, env: Record<string, string> = {}): Promise<TestBridge> {
  bridge = await startTestBridge({ mapping, env, now: () => new Date(Date.now() + clockAheadMs) });
  return bridge;
}

/** A minute and more passes: the account's user listing no longer answers for changes arriving now. */
function listingGrowsOld(): void {
  clockAheadMs += 61_000;
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
    // Looked up first, in the account's user list read after the SCIM change arrived; not there: invited.
    const reads = bridge.sandbox.state.requestLog.slice(mark).filter((r) => r.service === 'account-management' && r.method === 'GET');
    expect(reads.map((r) => r.url.replace(/\/iam\/v1\/accounts\/[^/]+/, ''))).toEqual(['/users']);
    expect(dtUser('ada@example.com')?.userStatus).toBe('PENDING');
    expect(dtGroupNames('ada@example.com')).toEqual(['Default group with all users', 'Dev', 'Ops', 'Sec']);
  });

  it('when the user already exists in Dynatrace (SAML just-in-time), then it is found by lookup and adopted without an invitation', async () => {
    await start();
    bridge.sandbox.state.addUser({ email: 'jit@example.com', userStatus: 'ACTIVE', name: 'Jit', surname: 'User' });
    const mark = bridge.sandbox.state.requestLog.length;
    const id = await createUser('jit@example.com');
    await bridge.worker.drain();
    expect(writesSince(mark)).toEqual([]);
    expect(dtUser('jit@example.com')?.userStatus).toBe('ACTIVE');
    const applied = await bridge.store.getAppliedUser(id);
    expect(applied).toMatchObject({ email: 'jit@example.com', uid: dtUser('jit@example.com')?.uid, provenance: 'adopted' });
    expect((await bridge.store.syncQueueStats({ failedLimit: 10 })).failedCount).toBe(0);
    expect((await bridge.store.listAudit({ offset: 0, limit: 5 })).entries.find((e) => e.operation === 'createUser')).toMatchObject({ outcome: 'skipped', detail: 'the account has this user already: adopted' });
  });

  for (const answer of [409, 400, 201] as const) {
    it(`when the user appears over a minute after the account was listed, then it is looked up by name for the later SCIM change and adopted without an invitation, whatever a duplicate invitation would answer (${answer})`, async () => {
      await start();
      await createUser('first@example.com'); // the account's users are listed now
      await bridge.worker.drain();
      listingGrowsOld();
      bridge.sandbox.state.addUser({ email: 'late@example.com', userStatus: 'ACTIVE' });
      bridge.sandbox.state.setFaults({ duplicateUserAnswer: answer });
      const team = (await bridge.scim('POST', '/Groups', groupBody('Team'))).body.id;
      await bridge.worker.drain();
      const mark = bridge.sandbox.state.requestLog.length;
      const id = await createUser('late@example.com');
      await bridge.scim('PATCH', `/Groups/${team}`, patchBody({ op: 'add', path: 'members', value: [{ value: id }] }));
      await bridge.worker.drain();
      expect((await bridge.store.syncQueueStats({ failedLimit: 10 })).failedCount).toBe(0);
      expect(dtGroupNames('late@example.com')).toEqual(['Default group with all users', 'Team']);
      const lookups = bridge.sandbox.state.requestLog.slice(mark).filter((r) => r.method === 'GET' && /\/users(\/|$)/.test(r.url));
      expect(lookups.map((r) => r.url.replace(/.*\/users/, '/users'))).toEqual(['/users/late%40example.com']);
      expect(writesSince(mark)).toEqual(['POST /users/late%40example.com']);
      expect(await bridge.store.getAppliedUser(id)).toMatchObject({ email: 'late@example.com', provenance: 'adopted' });
    });
  }

  it('when users arrive together, then one listing answers for all of them and for those arriving within its minute; a lone joiner after that is looked up by name (404) and invited, several together by a new listing', async () => {
    await start();
    const mark = bridge.sandbox.state.requestLog.length;
    for (const name of ['one', 'two', 'three']) await createUser(`${name}@example.com`);
    await bridge.worker.drain();
    const reads = () => bridge.sandbox.state.requestLog.slice(mark).filter((r) => r.service === 'account-management' && r.method === 'GET');
    expect(reads().map((r) => r.url.replace(/.*\/users/, '/users'))).toEqual(['/users']);
    await createUser('soon-after@example.com');
    await bridge.worker.drain();
    expect(reads().slice(1)).toEqual([]);
    listingGrowsOld();
    await createUser('four@example.com');
    await bridge.worker.drain();
    expect(reads().slice(1).map((r) => `${r.url.replace(/.*\/users/, '/users')} ${r.status}`)).toEqual(['/users/four%40example.com 404']);
    // Someone signs in, then three more arrive together: one new listing answers for them all.
    listingGrowsOld();
    bridge.sandbox.state.addUser({ email: 'six@example.com', userStatus: 'ACTIVE' });
    for (const name of ['five', 'six', 'seven']) await createUser(`${name}@example.com`);
    await bridge.worker.drain();
    expect(reads().slice(2).map((r) => r.url.replace(/.*\/users/, '/users'))).toEqual(['/users']);
    expect(writesSince(mark).filter((w) => w === 'POST /users')).toHaveLength(7);
    expect(dtUser('six@example.com')?.userStatus).toBe('ACTIVE');
  });

  it('when a listed user was deleted by hand before the bridge adopts it, then the bridge invites it again', async () => {
    await start();
    bridge.sandbox.state.addUser({ email: 'gone@example.com', userStatus: 'ACTIVE' });
    await createUser('first@example.com'); // lists the account, gone@ included
    await bridge.worker.drain();
    bridge.sandbox.state.users.remove('gone@example.com');
    const team = (await bridge.scim('POST', '/Groups', groupBody('Team'))).body.id;
    const id = await createUser('gone@example.com');
    await bridge.scim('PATCH', `/Groups/${team}`, patchBody({ op: 'add', path: 'members', value: [{ value: id }] }));
    await bridge.worker.drain();
    expect(dtUser('gone@example.com')?.userStatus).toBe('PENDING');
    expect(dtGroupNames('gone@example.com')).toEqual(['Default group with all users', 'Team']);
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

describe('policy bindings with boundaries and parameters', () => {
  const LIMITED_TEXT = readFileSync(new URL('../fixtures/mapping/limited-binding.yaml', import.meta.url), 'utf8');
  const LIMITED = parseMapping(LIMITED_TEXT);

  it('when a policy is bound in one environment limited by a boundary, then the binding carries the boundary, the parameters and the bridge\'s mark', async () => {
    await start(LIMITED);
    await bridge.scim('POST', '/Groups', groupBody('Ops'));
    await bridge.worker.drain();
    const group = bridge.sandbox.state.findGroupByName('Ops');
    expect(bridge.sandbox.state.bindingDetailsOf('environment', 'abc12345', group?.uuid ?? '')).toEqual([
      {
        levelType: 'environment',
        levelId: 'abc12345',
        policyUuid: bridge.sandbox.state.findPolicy('Standard User')?.uuid,
        groupUuid: group?.uuid,
        boundaries: [bridge.sandbox.state.findBoundary('Production zone')?.uuid],
        parameters: { team: 'ops' },
        metadata: { 'managed-by': 'dynatrace-scim-bridge' },
      },
    ]);
    expect(bridge.sandbox.state.bindingDetailsOf('account', bridge.sandbox.accountUuid, group?.uuid ?? '')).toEqual([]);
  });

  it('when the mapping drops a policy, then only the bridge\'s binding is deleted and one made by hand of the same policy stays', async () => {
    await start(LIMITED);
    const g = (await bridge.scim('POST', '/Groups', groupBody('Ops'))).body.id;
    await bridge.worker.drain();
    const group = bridge.sandbox.state.findGroupByName('Ops')?.uuid ?? '';
    const standard = bridge.sandbox.state.findPolicy('Standard User')?.uuid ?? '';
    const eu = bridge.sandbox.state.findBoundary('EU hosts')?.uuid ?? '';
    bridge.sandbox.state.bindings.append('environment', 'abc12345', standard, group, { boundaries: [eu] });
    // Rename the SCIM group out of the rule: it is mirrored now, without policies.
    await bridge.scim('PATCH', `/Groups/${g}`, patchBody({ op: 'replace', value: { id: g, displayName: 'Ops Team' } }));
    await bridge.worker.drain();
    expect(bridge.sandbox.state.bindingDetailsOf('environment', 'abc12345', group)).toEqual([expect.objectContaining({ policyUuid: standard, boundaries: [eu], parameters: {}, metadata: {} })]);
  });

  it('when a boundary name does not resolve, then only that group is blocked and the reason names the boundary', async () => {
    await start(parseMapping(LIMITED_TEXT.replace('Production zone', 'No such boundary')));
    await bridge.scim('POST', '/Groups', groupBody('Ops'));
    await bridge.scim('POST', '/Groups', groupBody('Others'));
    await bridge.worker.drain();
    const stats = await bridge.store.syncQueueStats({ failedLimit: 10 });
    expect(stats.failed.map((f) => f.reason)).toEqual([expect.stringContaining('policy boundary "No such boundary" does not exist in the account')]);
    expect(bridge.sandbox.state.findGroupByName('Others')).not.toBeNull();
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

describe('no call for a fact already true', () => {
  it('when a group the bridge created is deleted with its members, then Dynatrace gets one group delete and no remove call, and no member\'s applied state names the group', async () => {
    await start();
    const ids: string[] = [];
    for (let i = 0; i < 7; i += 1) ids.push(await createUser(`member${i}@example.com`));
    const kept = (await bridge.scim('POST', '/Groups', groupBody('Kept', ids.slice(0, 2)))).body.id;
    const doomed = (await bridge.scim('POST', '/Groups', groupBody('Doomed', ids))).body.id;
    await bridge.worker.drain();
    const uuid = bridge.sandbox.state.findGroupByName('Doomed')?.uuid as string;
    expect(dtGroupNames('member0@example.com')).toEqual(['Default group with all users', 'Doomed', 'Kept']);
    const from = bridge.sandbox.state.requestLog.length;
    // The group's item and the first members' are leased together (4 lanes): the members wait for its deletion.
    expect((await bridge.scim('DELETE', `/Groups/${doomed}`)).status).toBe(204);
    await bridge.worker.drain();
    expect(writesSince(from)).toEqual([`DELETE /groups/${uuid}`]);
    expect(bridge.sandbox.state.findGroupByName('Doomed')).toBeNull();
    for (const id of ids) expect((await bridge.store.getAppliedUser(id))?.groupUuids, id).not.toContain(uuid);
    expect(dtGroupNames('member0@example.com')).toEqual(['Default group with all users', 'Kept']);
    expect(kept).toBeTypeOf('string');
  });

  it('when the mapping binds two policies of one level by name, then that level\'s policies are listed once for both', async () => {
    const mapping = parseMapping(`
groups:
  - scim: "Operators"
    dynatraceGroup: "Prod Operators"
    policies:
      - level: environment
        id: abc12345
        names: ["Pro User", "Production Read Only"]
      - level: account
        names: ["Account Auditors"]
unmatchedGroups: ignore
`);
    await start(mapping);
    await bridge.deps.admin.reloadMapping();
    await bridge.scim('POST', '/Groups', groupBody('Operators', [await createUser('operator@example.com')]));
    await bridge.worker.drain();
    const listings = bridge.sandbox.state.requestLog.filter((r) => r.method === 'GET' && r.url.includes('/policies/aggregate')).map((r) => r.url.split('/policies')[0]);
    expect(listings.sort()).toEqual([`/iam/v1/repo/account/${bridge.sandbox.accountUuid}`, '/iam/v1/repo/environment/abc12345']);
    const group = bridge.sandbox.state.findGroupByName('Prod Operators');
    expect(bridge.sandbox.state.bindingsOf('environment', 'abc12345', group?.uuid ?? '')).toHaveLength(2);
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
