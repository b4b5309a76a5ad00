// The Account Management client against the sandbox over real HTTP on 127.0.0.1: every operation,
// 200-vs-201 drift, URL-encoding, idempotent deletes and error mapping by `code`. Every request the
// client sends is checked against the contract derived from Dynatrace's OpenAPI description, and so
// is every answer while the sandbox answers in the spec's style.
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAccountManagementClient, createOAuthTokenProvider } from '../../src/adapters/dynatrace/index.js';
import type { AccountApi, DtPolicyLevel } from '../../src/ports/account-api.js';
import type { ContractRecorder } from '../helpers/dynatrace-contract.js';
import { contract as published, recordAgainstContract } from '../helpers/dynatrace-contract.js';
import { UpstreamError } from '../../src/ports/upstream-error.js';
import { defaultSandboxSeed } from '../../src/sandbox/index.js';
import type { TestSandbox } from '../helpers/sandbox-harness.js';
import { startTestSandbox } from '../helpers/sandbox-harness.js';

async function upstreamFailure(promise: Promise<unknown>): Promise<UpstreamError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof UpstreamError) return error;
    throw error;
  }
  throw new Error('expected an UpstreamError');
}

describe('Account Management client against the sandbox', () => {
  let t: TestSandbox;
  let api: AccountApi;
  let account: DtPolicyLevel;
  let contract: ContractRecorder;

  beforeEach(async () => {
    t = await startTestSandbox({ seed: { ...defaultSandboxSeed, serviceUsers: [{ name: 'svc-a' }, { name: 'svc-b' }, { name: 'svc-c' }] } });
    contract = recordAgainstContract(t.fetch, { apiBase: t.sandbox.url, checkAnswers: () => t.sandbox.state.responseStyle === 'spec' });
    api = t.accountClient({ pageSize: 2, fetch: contract.fetch });
    account = { levelType: 'account', levelId: t.sandbox.accountUuid };
  });
  afterEach(async () => {
    await t.stop();
    expect(contract.violations).toEqual([]);
  });

  describe('users', () => {
    it('when a user is created, then it is PENDING, has a uid and is in the ALL_USERS group', async () => {
      const created = await api.createUser('new.user@example.com');
      expect(created).toMatchObject({ email: 'new.user@example.com', created: true });
      expect(created.uid).toMatch(/^[0-9a-f-]{36}$/);
      const user = await api.getUser('new.user@example.com');
      expect(user).toMatchObject({ uid: created.uid, email: 'new.user@example.com', userStatus: 'PENDING' });
      expect(user?.groups.map((g) => g.owner)).toEqual(['ALL_USERS']);
      expect(user?.groups[0]?.name).toBe('Default group with all users');
    });

    it('when the API answers create as its spec says (201, no body), then createUser succeeds with a null uid', async () => {
      t.sandbox.state.responseStyle = 'spec';
      const created = await api.createUser('spec.style@example.com');
      expect(created).toEqual({ email: 'spec.style@example.com', uid: null, created: true });
      expect(t.requests('account-management').at(-1)?.status).toBe(201);
      expect(t.sandbox.state.findUser('spec.style@example.com')?.userStatus).toBe('PENDING');
    });

    it('when the user already exists and the invitation answers 409, then createUser resolves created=false without a read; 400 "already exists", created=false with its uid once looked up', async () => {
      const first = await api.createUser('twice@example.com');
      expect(await api.createUser('TWICE@example.com')).toEqual({ email: 'twice@example.com', uid: null, created: false });
      expect(t.requests().at(-1)).toMatchObject({ method: 'POST', status: 409 });
      t.sandbox.state.setFaults({ duplicateUserAnswer: 400 });
      expect(await api.createUser('twice@example.com')).toEqual({ email: 'twice@example.com', uid: first.uid, created: false });
      expect(t.requests().slice(-2).map((r) => [r.method, r.status])).toEqual([['POST', 400], ['GET', 200]]);
    });

    it('when the invitation of an existing user answers 201, then createUser cannot tell and resolves created=true; another 400 stays an error', async () => {
      await api.createUser('again@example.com');
      t.sandbox.state.setFaults({ duplicateUserAnswer: 201 });
      expect(await api.createUser('again@example.com')).toEqual({ email: 'again@example.com', uid: null, created: true });
      t.sandbox.state.setFaults({ refusedEmails: ['refused@example.com'] });
      expect(await upstreamFailure(api.createUser('refused@example.com'))).toMatchObject({ code: 'rejected', status: 400 });
    });

    it('when an email has a plus and capitals, then it is sent lower-cased and URL-encoded', async () => {
      await api.createUser('Jane+Ops@Example.com');
      const user = await api.getUser('JANE+OPS@example.com');
      expect(user?.email).toBe('jane+ops@example.com');
      expect(t.requests().at(-1)?.url).toMatch(/\/users\/jane%2Bops%40example\.com$/);
    });

    it('when the user is absent, then getUser is null and deleteUser still resolves', async () => {
      expect(await api.getUser('ghost@example.com')).toBeNull();
      await expect(api.deleteUser('ghost@example.com')).resolves.toBeUndefined();
      expect(t.requests().at(-1)).toMatchObject({ method: 'DELETE', status: 404 });
    });

    it('when a user is deleted, then it is gone from the account', async () => {
      await api.createUser('leaver@example.com');
      await api.deleteUser('leaver@example.com');
      expect(t.sandbox.state.findUser('leaver@example.com')).toBeNull();
    });

    it('when users are listed, then service users are included only on request', async () => {
      await api.createUser('human@example.com');
      const humans = await api.listUsers();
      expect(humans.map((u) => u.email)).toEqual(['human@example.com']);
      const all = await api.listUsers({ includeServiceUsers: true });
      expect(all.filter((u) => u.type === 'SERVICE_EXTERNAL')).toHaveLength(3);
      expect(humans[0]).not.toHaveProperty('name'); // a PENDING user has no profile yet
    });

    it('when the sandbox refuses an email, then createUser fails rejected with status 400', async () => {
      t.sandbox.state.setFaults({ refusedEmails: ['blocked@example.com'] });
      const error = await upstreamFailure(api.createUser('blocked@example.com'));
      expect(error).toMatchObject({ code: 'rejected', status: 400, service: 'account-management', operation: 'createUser', attempts: 1 });
      expect(error.upstreamMessage).toContain('blocked@example.com');
    });

    it('when an email or group list is malformed, then the call throws TypeError before any request', async () => {
      const before = t.requests().length;
      await expect(api.getUser('not-an-email')).rejects.toThrow(TypeError);
      await expect(api.addUserToGroups('a@example.com', [''])).rejects.toThrow(TypeError);
      // @ts-expect-error misuse on purpose
      await expect(api.replaceUserGroups('a@example.com', 'uuid')).rejects.toThrow(TypeError);
      expect(t.requests()).toHaveLength(before);
    });
  });

  describe('memberships', () => {
    it('when groups are added, replaced and removed, then membership follows and ALL_USERS always stays', async () => {
      const [g1, g2, g3] = await api.createGroups([{ name: 'Team A' }, { name: 'Team B' }, { name: 'Team C' }]);
      if (g1 === undefined || g2 === undefined || g3 === undefined) throw new Error('groups not created');
      await api.createUser('member@example.com');
      const all = t.sandbox.state.allUsersGroupUuid;

      await api.addUserToGroups('member@example.com', [g1.uuid, g2.uuid]);
      expect(new Set(t.sandbox.state.findUser('member@example.com')?.groupUuids)).toEqual(new Set([all, g1.uuid, g2.uuid]));

      await api.replaceUserGroups('member@example.com', [g3.uuid]);
      expect(new Set(t.sandbox.state.findUser('member@example.com')?.groupUuids)).toEqual(new Set([all, g3.uuid]));

      await api.removeUserFromGroups('member@example.com', [g3.uuid, all]);
      expect(t.sandbox.state.findUser('member@example.com')?.groupUuids).toEqual([all]);

      await api.replaceUserGroups('member@example.com', []);
      expect(t.sandbox.state.findUser('member@example.com')?.groupUuids).toEqual([all]);
      expect((await api.listGroupMembers(g1.uuid)).map((u) => u.email)).toEqual([]);
    });

    it('when the group list is empty, then add and remove send nothing', async () => {
      await api.createUser('idle@example.com');
      const before = t.requests().length;
      await api.addUserToGroups('idle@example.com', []);
      await api.removeUserFromGroups('idle@example.com', []);
      expect(t.requests()).toHaveLength(before);
    });

    it('when 120 groups are removed at once, then the call is split into requests of at most 50 UUIDs', async () => {
      await api.createUser('many@example.com');
      const uuids = Array.from({ length: 120 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
      await api.removeUserFromGroups('many@example.com', uuids);
      const deletes = t.requests().filter((r) => r.method === 'DELETE');
      expect(deletes).toHaveLength(3);
      expect(deletes.map((r) => new URL(r.url, 'http://x').searchParams.getAll('group-uuid').length)).toEqual([50, 50, 20]);
    });

    it('when a group UUID is unknown, then adding fails not_found', async () => {
      await api.createUser('someone@example.com');
      const error = await upstreamFailure(api.addUserToGroups('someone@example.com', ['11111111-1111-4111-8111-111111111111']));
      expect(error).toMatchObject({ code: 'not_found', status: 404, operation: 'addUserToGroups' });
    });
  });

  describe('groups', () => {
    it('when groups are created, then they come back LOCAL with UUIDs, as observed (200) and as specified (201)', async () => {
      const observed = await api.createGroup({ name: 'Observed', description: 'made by test' });
      expect(observed).toMatchObject({ name: 'Observed', owner: 'LOCAL', description: 'made by test', createdAt: null });
      expect(t.requests().at(-1)?.status).toBe(200);
      t.sandbox.state.responseStyle = 'spec';
      const spec = await api.createGroup({ name: 'Specified' });
      expect(spec).toMatchObject({ name: 'Specified', owner: 'LOCAL' });
      expect(typeof spec.createdAt).toBe('string');
      expect(t.requests().at(-1)?.status).toBe(201);
    });

    it('when groups are listed, then ALL_USERS and the native SCIM group are among them', async () => {
      const owners = (await api.listGroups()).map((g) => g.owner).sort();
      expect(owners).toEqual(['ALL_USERS', 'SCIM']);
    });

    it('when a group is updated with federatedAttributeValues, then it becomes SAML, and LOCAL again without', async () => {
      const g = await api.createGroup({ name: 'Fed' });
      await api.updateGroup(g.uuid, { name: 'Fed', federatedAttributeValues: ['cn=ops'] });
      expect((await api.listGroups()).find((x) => x.uuid === g.uuid)).toMatchObject({ owner: 'SAML', federatedAttributeValues: ['cn=ops'] });
      await api.updateGroup(g.uuid, { name: 'Fed renamed', description: 'd' });
      expect((await api.listGroups()).find((x) => x.uuid === g.uuid)).toMatchObject({ owner: 'LOCAL', name: 'Fed renamed', description: 'd' });
    });

    it('when a SCIM or ALL_USERS group is edited, then the call fails rejected', async () => {
      const scim = t.sandbox.state.findGroupByName('Operations (native SCIM)');
      if (scim === null) throw new Error('seed lacks the SCIM group');
      expect(await upstreamFailure(api.updateGroup(scim.uuid, { name: 'x' }))).toMatchObject({ code: 'rejected', status: 400 });
      expect(await upstreamFailure(api.deleteGroup(t.sandbox.state.allUsersGroupUuid))).toMatchObject({ code: 'rejected', status: 400 });
    });

    it('when a group name is taken, then creating it again fails conflict', async () => {
      await api.createGroup({ name: 'Unique' });
      expect(await upstreamFailure(api.createGroup({ name: 'unique' }))).toMatchObject({ code: 'conflict', status: 409, attempts: 1 });
    });

    it('when a group is deleted twice, then both calls resolve and its members lose it', async () => {
      const g = await api.createGroup({ name: 'Short lived' });
      await api.createUser('m@example.com');
      await api.addUserToGroups('m@example.com', [g.uuid]);
      expect((await api.listGroupMembers(g.uuid)).map((u) => u.email)).toEqual(['m@example.com']);
      await api.deleteGroup(g.uuid);
      await api.deleteGroup(g.uuid);
      expect(t.sandbox.state.findUser('m@example.com')?.groupUuids).toEqual([t.sandbox.state.allUsersGroupUuid]);
    });

    it('when the members of an unknown group are asked for, then not_found carries the parsed upstream message', async () => {
      const error = await upstreamFailure(api.listGroupMembers('22222222-2222-4222-8222-222222222222'));
      expect(error).toMatchObject({ code: 'not_found', status: 404, retryAfterMs: null, operation: 'listGroupMembers' });
      expect(error.upstreamMessage).toBe('Group 22222222-2222-4222-8222-222222222222 not found');
    });

    it('when a group input is misused, then TypeError', async () => {
      await expect(api.createGroups([{ name: '' }])).rejects.toThrow(TypeError);
      await expect(api.createGroup({ name: 'x', description: 'd'.repeat(256) })).rejects.toThrow(TypeError);
      expect(await api.createGroups([])).toEqual([]);
    });
  });

  describe('policies and bindings', () => {
    it('when policies are listed, then native ones come from the level and aggregate ones include inherited levels', async () => {
      const global = await api.listPolicies({ levelType: 'global', levelId: 'global' });
      expect(global.map((p) => p.name)).toEqual(expect.arrayContaining(['Standard User', 'Pro User', 'Admin User']));
      expect((await api.listPolicies(account)).map((p) => p.name)).toEqual(['Account Auditors']);
      expect(await api.listPolicies({ levelType: 'global', levelId: 'global' }, { name: 'Pro User' })).toHaveLength(1);
      const available = await api.listAvailablePolicies({ levelType: 'environment', levelId: 'abc12345' });
      expect(new Set(available.map((p) => p.levelType))).toEqual(new Set(['environment', 'account', 'global']));
    });

    it('when a policy is resolved by name, then the nearest level wins and an unknown name is null', async () => {
      const env: DtPolicyLevel = { levelType: 'environment', levelId: 'abc12345' };
      expect(await api.findPolicyByName(env, 'Production Read Only')).toMatchObject({ levelType: 'environment', levelId: 'abc12345' });
      expect(await api.findPolicyByName(account, 'Standard User')).toMatchObject({ name: 'Standard User', levelType: 'global' });
      expect(await api.findPolicyByName({ levelType: 'environment', levelId: 'def67890' }, 'Production Read Only')).toBeNull();
      expect(await api.findPolicyByName({ levelType: 'global', levelId: 'global' }, 'Admin User')).toMatchObject({ levelType: 'global' });
    });

    it('when a binding is put, updated and deleted through its selector, then only that binding changes and details read back', async () => {
      const g = await api.createGroup({ name: 'Bound' });
      const std = t.sandbox.state.findPolicy('Standard User')?.uuid ?? '';
      const zone = t.sandbox.state.findBoundary('Production zone')?.uuid ?? '';
      const env: DtPolicyLevel = { levelType: 'environment', levelId: 'abc12345' };
      const mine = { metadata: { owner: 'test' } };
      // Someone else's binding of the same policy, limited by a boundary.
      t.sandbox.state.bindings.append('environment', 'abc12345', std, g.uuid, { boundaries: [zone] });
      await api.putPolicyBinding(env, g.uuid, { policyUuid: std, boundaries: [], parameters: { team: 'a' }, metadata: mine.metadata }, mine);
      await api.putPolicyBinding(env, g.uuid, { policyUuid: std, boundaries: [zone], parameters: { team: 'b' }, metadata: mine.metadata }, mine);
      const read = await api.getGroupBindings(env, g.uuid);
      expect(read.policyUuids).toEqual([std]);
      expect(read.bindings).toEqual([
        { policyUuid: std, boundaries: [zone], parameters: {}, metadata: {} },
        { policyUuid: std, boundaries: [zone], parameters: { team: 'b' }, metadata: { owner: 'test' } },
      ]);
      await api.deletePolicyBinding(env, g.uuid, std, mine);
      await api.deletePolicyBinding(env, g.uuid, std, mine); // absent: still resolves
      expect((await api.getGroupBindings(env, g.uuid)).bindings).toEqual([{ policyUuid: std, boundaries: [zone], parameters: {}, metadata: {} }]);
      expect(t.requests().filter((r) => r.method === 'DELETE').map((r) => r.status)).toEqual([204, 404]);
    });

    it('when a delete selects several bindings, then Dynatrace refuses it (forceMultiple=false) and none is removed', async () => {
      const g = await api.createGroup({ name: 'Two bindings' });
      const std = t.sandbox.state.findPolicy('Standard User')?.uuid ?? '';
      t.sandbox.state.bindings.append('account', t.sandbox.accountUuid, std, g.uuid, {});
      t.sandbox.state.bindings.append('account', t.sandbox.accountUuid, std, g.uuid, { parameters: { x: 'y' } });
      expect(await upstreamFailure(api.deletePolicyBinding(account, g.uuid, std, {}))).toMatchObject({ code: 'rejected', status: 400 });
      expect(t.sandbox.state.bindingDetailsOf('account', t.sandbox.accountUuid, g.uuid)).toHaveLength(2);
    });

    it('when bindings target an inactive environment, then misconfigured 403; a global level and a malformed binding are misuse', async () => {
      const g = await api.createGroup({ name: 'Inactive target' });
      const std = t.sandbox.state.findPolicy('Standard User')?.uuid ?? '';
      const binding = { policyUuid: std, boundaries: [], parameters: {}, metadata: {} };
      const error = await upstreamFailure(api.putPolicyBinding({ levelType: 'environment', levelId: 'old00000' }, g.uuid, binding, {}));
      expect(error).toMatchObject({ code: 'misconfigured', status: 403 });
      await expect(api.putPolicyBinding({ levelType: 'global', levelId: 'global' }, g.uuid, binding, {})).rejects.toThrow(TypeError);
      await expect(api.deletePolicyBinding({ levelType: 'global', levelId: 'global' }, g.uuid, std, {})).rejects.toThrow(TypeError);
      // @ts-expect-error misuse on purpose
      await expect(api.putPolicyBinding(account, g.uuid, { ...binding, parameters: { n: 1 } }, {})).rejects.toThrow(TypeError);
    });

    it('when a boundary UUID is unknown, then rejected with the ErrorDto message', async () => {
      const g = await api.createGroup({ name: 'Bad binding' });
      const std = t.sandbox.state.findPolicy('Standard User')?.uuid ?? '';
      const binding = { policyUuid: std, boundaries: ['33333333-3333-4333-8333-333333333333'], parameters: {}, metadata: {} };
      const error = await upstreamFailure(api.putPolicyBinding(account, g.uuid, binding, {}));
      expect(error).toMatchObject({ code: 'rejected', status: 400 });
      expect(error.upstreamMessage).toContain('Unknown policy boundaries');
    });

    it('when boundaries span pages, then every page is followed', async () => {
      t.sandbox.state.addBoundary({ name: 'Third', boundaryQuery: 'environment:management-zone IN ("Third");' });
      expect((await api.listBoundaries()).map((b) => b.name)).toEqual(['Production zone', 'EU hosts', 'Third']);
      expect(t.requests().filter((r) => r.url.includes('/boundaries')).map((r) => new URL(r.url, 'http://x').search)).toEqual(['?page=1&size=2', '?page=2&size=2']);
    });

    it('when the level does not exist, then not_found', async () => {
      expect(await upstreamFailure(api.listPolicies({ levelType: 'environment', levelId: 'zzz99999' }))).toMatchObject({ code: 'not_found', status: 404 });
    });
  });

  describe('legacy permissions (deprecated upstream)', () => {
    it('when permissions are added, read, replaced and removed, then each step shows and Deprecation/Sunset are reported once per operation', async () => {
      const notices: Array<{ operation: string; sunset: string | null }> = [];
      const legacy = t.accountClient({ onDeprecation: (n) => notices.push({ operation: n.operation, sunset: n.sunset }) });
      const g = await legacy.createGroup({ name: 'Legacy' });
      const viewer = { permissionName: 'account-viewer', scope: t.sandbox.accountUuid, scopeType: 'account' } as const;
      const tenant = { permissionName: 'tenant-viewer', scope: 'abc12345', scopeType: 'tenant' } as const;
      await legacy.addLegacyGroupPermissions(g.uuid, [viewer]);
      await legacy.addLegacyGroupPermissions(g.uuid, [tenant]);
      expect((await legacy.getLegacyGroupPermissions(g.uuid)).permissions).toEqual([viewer, tenant]);
      await legacy.replaceLegacyGroupPermissions(g.uuid, [tenant]);
      const read = await legacy.getLegacyGroupPermissions(g.uuid);
      expect(read.group).toMatchObject({ uuid: g.uuid, name: 'Legacy', owner: 'LOCAL' });
      expect(read.permissions).toEqual([tenant]);
      await legacy.removeLegacyGroupPermission(g.uuid, tenant);
      await legacy.removeLegacyGroupPermission(g.uuid, tenant); // absent: still resolves
      expect((await legacy.getLegacyGroupPermissions(g.uuid)).permissions).toEqual([]);
      expect(notices.map((n) => n.operation).sort()).toEqual([
        'addLegacyGroupPermissions',
        'getLegacyGroupPermissions',
        'removeLegacyGroupPermission',
        'replaceLegacyGroupPermissions',
      ]);
      expect(notices.every((n) => n.sunset === 'Mon, 11 Jan 2027 00:00:00 GMT')).toBe(true);
      expect(t.requests().filter((r) => r.method === 'POST' && r.url.endsWith('/permissions')).map((r) => r.status)).toEqual([201, 201]);
    });

    it('when a permission name is unknown upstream, then the request is outside the contract and Dynatrace rejects it', async () => {
      const g = await api.createGroup({ name: 'Legacy bad' });
      // Not through the contract check: the name is outside the spec's enum on purpose.
      const unchecked = t.accountClient();
      const error = await upstreamFailure(unchecked.addLegacyGroupPermissions(g.uuid, [{ permissionName: 'tenant-god-mode', scope: 'abc12345', scopeType: 'tenant' }]));
      expect(error).toMatchObject({ code: 'rejected', status: 400 });
    });
  });

  describe('environments, service users, limits', () => {
    it('when environments are listed, then v3 is followed page by page and active and inactive ones come back', async () => {
      const envs = await api.listEnvironments();
      expect(envs.map((e) => [e.id, e.active])).toEqual([
        ['abc12345', true],
        ['def67890', true],
        ['old00000', false],
      ]);
      const urls = t.requests().filter((r) => r.url.includes('/environments')).map((r) => r.url);
      expect(urls).toHaveLength(2);
      expect(urls[0]).toMatch(/^\/env\/v3\/accounts\/[^/]+\/environments\?page-size=2$/);
      expect(urls[1]).toMatch(/\?page=/);
    });

    it('when environments v3 answers 404, then v2 lists them, and later listings go to v2 at once', async () => {
      t.sandbox.state.setFaults({ environmentsV3: false });
      expect((await api.listEnvironments()).map((e) => e.id)).toEqual(['abc12345', 'def67890', 'old00000']);
      expect((await api.listEnvironments()).map((e) => e.id)).toEqual(['abc12345', 'def67890', 'old00000']);
      const calls = t.requests().filter((r) => r.url.includes('/environments')).map((r) => `${r.url.split('/')[2]} ${r.status}`);
      expect(calls).toEqual(['v3 404', 'v2 200', 'v2 200']);
    });

    it('when service users span pages, then every page is followed', async () => {
      const users = await api.listServiceUsers();
      expect(users.map((u) => u.name).sort()).toEqual(['svc-a', 'svc-b', 'svc-c']);
      expect(users.every((u) => u.email.endsWith('@service.sso.dynatrace.com'))).toBe(true);
      const urls = t.requests().filter((r) => r.url.includes('/service-users')).map((r) => r.url);
      expect(urls).toHaveLength(2);
      expect(urls[0]).toContain('page-size=2');
      expect(urls[1]).toContain('page-key=');
    });

    it('when limits are read, then current values follow the account', async () => {
      await api.createUser('counted@example.com');
      const limits = await api.getAccountLimits();
      expect(limits.find((l) => l.limitType === 'REGULAR_USER')).toEqual({ limitType: 'REGULAR_USER', limitValue: 10_000, currentValue: 1 });
      expect(limits.find((l) => l.limitType === 'MAX_GROUPS_PER_ACCOUNT')?.currentValue).toBe(2);
    });
  });

  describe('the published contract', () => {
    /** Operations of the contract the sandbox serves for tests and other clients, and the bridge's client never sends. */
    const SANDBOX_ONLY = new Set([
      'updatePolicyBindingsToGroup',
      'getAllLevelPoliciesBindings',
      'getLevelPolicyBindings',
      'getLevelPolicyBindingsForGroup',
      'appendParticularGroupBinding',
      'EnvironmentResourcesController_getEnvironmentResources',
    ]);

    it('when the sandbox answers as the spec says, then every operation the client sends, and every answer, is in the contract', async () => {
      t.sandbox.state.responseStyle = 'spec';
      const env: DtPolicyLevel = { levelType: 'environment', levelId: 'abc12345' };
      const [g] = await api.createGroups([{ name: 'Contract', description: 'every operation' }]);
      if (g === undefined) throw new Error('group not created');
      await api.updateGroup(g.uuid, { name: 'Contract', description: 'renamed', federatedAttributeValues: [] });
      await api.listGroups();
      await api.createUser('contract@example.com');
      await api.addUserToGroups('contract@example.com', [g.uuid]);
      await api.getUser('contract@example.com');
      await api.listUsers({ includeServiceUsers: true });
      await api.listGroupMembers(g.uuid);
      await api.replaceUserGroups('contract@example.com', [g.uuid]);
      await api.removeUserFromGroups('contract@example.com', [g.uuid]);
      const std = await api.findPolicyByName(env, 'Standard User');
      await api.listPolicies(account, { name: 'Account Auditors' });
      const [zone] = await api.listBoundaries();
      const binding = { policyUuid: std?.uuid ?? '', boundaries: [zone?.uuid ?? ''], parameters: { team: 'x' }, metadata: { owner: 'test' } };
      await api.putPolicyBinding(env, g.uuid, binding, { metadata: binding.metadata });
      await api.getGroupBindings(env, g.uuid);
      await api.deletePolicyBinding(env, g.uuid, binding.policyUuid, { metadata: binding.metadata });
      const viewer = { permissionName: 'account-viewer', scope: t.sandbox.accountUuid, scopeType: 'account' } as const;
      await api.addLegacyGroupPermissions(g.uuid, [viewer]);
      await api.replaceLegacyGroupPermissions(g.uuid, [viewer]);
      await api.getLegacyGroupPermissions(g.uuid);
      await api.removeLegacyGroupPermission(g.uuid, viewer);
      await api.listEnvironments();
      t.sandbox.state.setFaults({ environmentsV3: false });
      await t.accountClient({ fetch: contract.fetch }).listEnvironments();
      await api.listServiceUsers();
      await api.getAccountLimits();
      await api.deleteUser('contract@example.com');
      await api.deleteGroup(g.uuid);
      expect([...contract.seen.keys()].sort()).toEqual(published.operations.map((o) => o.operationId).filter((id) => !SANDBOX_ONLY.has(id)).sort());
    });
  });

  describe('responses and misuse', () => {
    it('when a 2xx body lacks required fields, then invalid_response', async () => {
      const broken = t.accountClient({
        fetch: async (input, init) => (String(input).endsWith('/users') && init.method === 'GET' ? new Response('{"count":1}', { status: 200 }) : t.fetch(input, init)),
      });
      expect(await upstreamFailure(broken.listUsers())).toMatchObject({ code: 'invalid_response', status: 200 });
      const notJson = t.accountClient({
        fetch: async (input, init) => (String(input).endsWith('/groups') ? new Response('<html>', { status: 200 }) : t.fetch(input, init)),
      });
      expect(await upstreamFailure(notJson.listGroups())).toMatchObject({ code: 'invalid_response' });
    });

    it('when the factory options are wrong, then TypeError names the problem without echoing secrets', () => {
      const provider = t.tokenProvider();
      expect(() => createAccountManagementClient({ accountUuid: 'nope', tokenProvider: provider })).toThrow(TypeError);
      expect(() => createAccountManagementClient({ accountUuid: t.sandbox.accountUuid, tokenProvider: provider, baseUrl: 'ftp://x' })).toThrow(TypeError);
      expect(() => createAccountManagementClient({ accountUuid: t.sandbox.accountUuid, tokenProvider: provider, baseUrl: 'https://u:p@x' })).toThrow(TypeError);
      // @ts-expect-error misuse on purpose
      expect(() => createAccountManagementClient({ accountUuid: t.sandbox.accountUuid })).toThrow(TypeError);
      // @ts-expect-error misuse on purpose
      expect(() => createAccountManagementClient()).toThrow(TypeError);
      // @ts-expect-error misuse on purpose
      expect(() => createOAuthTokenProvider({ clientId: 'a', accountUuid: t.sandbox.accountUuid })).toThrow(TypeError);
      try {
        createOAuthTokenProvider({ clientId: 'a', clientSecret: 'super-secret-value', accountUuid: 'bad' });
      } catch (error) {
        expect(inspect(error)).not.toContain('super-secret-value');
      }
    });

    it('when the account is given as urn:dtaccount:<uuid>, then the prefix is stripped', async () => {
      const urn = t.accountClient({ accountUuid: `urn:dtaccount:${t.sandbox.accountUuid.toUpperCase()}` });
      expect(urn.accountUuid).toBe(t.sandbox.accountUuid);
      await expect(urn.listGroups()).resolves.toHaveLength(2);
    });
  });
});
