// The sandbox itself, checked with raw fetch against what docs/dynatrace.md says it reproduces
// (each `it` names the documented behaviour), so that it stays faithful as it grows.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SandboxHandle, SandboxOptions } from '../../src/sandbox/index.js';
import { startSandbox } from '../../src/sandbox/index.js';
import { scriptedRandom } from '../helpers/sandbox-clock.js';

interface Raw {
  status: number;
  headers: Headers;
  body: unknown;
}

describe('sandbox behaviour (raw HTTP)', () => {
  let sb: SandboxHandle;
  let now: number;
  let token: string;
  let acct: string;

  async function boot(options: SandboxOptions = {}): Promise<void> {
    await sb?.stop();
    sb = await startSandbox({ tokenTtlSeconds: 300, faults: { rateLimitPerMinute: null }, clock: { now: () => now }, ...options });
    acct = `${sb.url}/iam/v1/accounts/${sb.accountUuid}`;
    token = await issue();
  }

  async function tokenRequest(fields: Record<string, string>): Promise<Raw> {
    const r = await fetch(sb.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields) });
    return { status: r.status, headers: r.headers, body: await r.json() };
  }

  async function issue(scope = 'account-idm-read account-idm-write account-env-read iam-policies-management', resource: string | null = `urn:dtaccount:${sb.accountUuid}`): Promise<string> {
    const fields: Record<string, string> = { grant_type: 'client_credentials', client_id: sb.clientId, client_secret: sb.clientSecret, scope };
    if (resource !== null) fields['resource'] = resource;
    const r = await tokenRequest(fields);
    return (r.body as { access_token: string }).access_token;
  }

  async function call(method: string, url: string, body?: unknown, auth: string | null = `Bearer ${token}`): Promise<Raw> {
    const headers: Record<string, string> = {};
    if (auth !== null) headers['authorization'] = auth;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const r = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    return { status: r.status, headers: r.headers, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
  }

  beforeEach(async () => {
    now = Date.UTC(2026, 2, 2, 8, 0, 0);
    await boot();
  });
  afterEach(async () => {
    await sb.stop();
  });

  describe('OAuth token endpoint (/sso/oauth2/token)', () => {
    it('when the client credentials are right, then a Bearer token with expires_in, scope and resource is issued', async () => {
      const r = await tokenRequest({ grant_type: 'client_credentials', client_id: sb.clientId, client_secret: sb.clientSecret, scope: 'account-idm-read', resource: `urn:dtaccount:${sb.accountUuid}` });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ token_type: 'Bearer', expires_in: 300, scope: 'account-idm-read', resource: `urn:dtaccount:${sb.accountUuid}` });
      expect(sb.clientId).toMatch(/^dt0s02\.[A-Z0-9]{24}$/);
      expect(sb.clientSecret).toMatch(/^dt0s02\.[A-Z0-9]{24}\.[A-Z0-9]{64}$/);
    });

    it('when the secret, grant type, scope or resource is wrong, then 400 with the OAuth error code', async () => {
      const base = { grant_type: 'client_credentials', client_id: sb.clientId, client_secret: sb.clientSecret };
      expect(await tokenRequest({ ...base, client_secret: 'nope' })).toMatchObject({ status: 400, body: { error: 'invalid_client' } });
      expect(await tokenRequest({ ...base, client_id: 'dt0s02.OTHER' })).toMatchObject({ status: 400, body: { error: 'invalid_client' } });
      expect(await tokenRequest({ ...base, grant_type: 'password' })).toMatchObject({ status: 400, body: { error: 'unsupported_grant_type' } });
      expect(await tokenRequest({ ...base, scope: 'account-idm-read root' })).toMatchObject({ status: 400, body: { error: 'invalid_scope' } });
      expect(await tokenRequest({ ...base, resource: 'urn:dtaccount:11111111-1111-4111-8111-111111111111' })).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    });

    it('when a token has expired, then the API answers 401; before that it is accepted', async () => {
      expect((await call('GET', `${acct}/users`)).status).toBe(200);
      now += 299_000;
      expect((await call('GET', `${acct}/users`)).status).toBe(200);
      now += 1_000;
      expect(await call('GET', `${acct}/users`)).toMatchObject({ status: 401, body: { error: { code: 401 } } });
    });

    it('when tokens are revoked, forged, missing or for another account path, then 401', async () => {
      expect((await call('GET', `${acct}/users`, undefined, `Bearer ${token}x`)).status).toBe(401);
      expect((await call('GET', `${acct}/users`, undefined, null)).status).toBe(401);
      expect((await call('GET', `${sb.url}/iam/v1/accounts/11111111-1111-4111-8111-111111111111/users`)).status).toBe(401);
      sb.state.revokeTokens();
      expect((await call('GET', `${acct}/users`)).status).toBe(401);
    });

    it('when a token was issued without resource, then every account call is 403 (dtiam report)', async () => {
      const bare = await issue(undefined, null);
      expect(await call('GET', `${acct}/users`, undefined, `Bearer ${bare}`)).toMatchObject({ status: 403, body: { message: 'Forbidden', statusCode: 403 } });
    });

    it('when a token lacks the scope of an endpoint, then 403; without `scope` the client gets all its scopes', async () => {
      const readOnly = await issue('account-idm-read');
      expect((await call('GET', `${acct}/users`, undefined, `Bearer ${readOnly}`)).status).toBe(200);
      expect((await call('POST', `${acct}/users`, { email: 'a@example.com' }, `Bearer ${readOnly}`)).status).toBe(403);
      expect((await call('GET', `${sb.url}/env/v2/accounts/${sb.accountUuid}/environments`, undefined, `Bearer ${readOnly}`)).status).toBe(403);
      const r = await tokenRequest({ grant_type: 'client_credentials', client_id: sb.clientId, client_secret: sb.clientSecret, resource: `urn:dtaccount:${sb.accountUuid}` });
      expect((r.body as { scope: string }).scope.split(' ')).toContain('iam-policies-management');
    });
  });

  describe('users', () => {
    it('when a user is invited, then 200 {"userUuid"} (observed), PENDING, no name, in "Default group with all users"', async () => {
      const created = await call('POST', `${acct}/users`, { email: 'new@example.com' });
      expect(created.status).toBe(200);
      const uid = (created.body as { userUuid: string }).userUuid;
      expect(uid).toMatch(/^[0-9a-f-]{36}$/);
      const user = await call('GET', `${acct}/users/new%40example.com`);
      expect(user.body).toMatchObject({ uid, email: 'new@example.com', userStatus: 'PENDING', type: 'DEFAULT', emergencyContact: false });
      expect(user.body).not.toHaveProperty('name');
      expect(user.body).not.toHaveProperty('userLoginMetadata');
      expect((user.body as { groups: unknown[] }).groups).toEqual([
        expect.objectContaining({ groupName: 'Default group with all users', owner: 'ALL_USERS', accountUUID: sb.accountUuid, hidden: false }),
      ]);
    });

    it('when the response style is spec, then user create answers 201 without body', async () => {
      await boot({ responseStyle: 'spec' });
      expect(await call('POST', `${acct}/users`, { email: 'spec@example.com' })).toMatchObject({ status: 201, body: undefined });
    });

    it('when a user signs in, then it becomes ACTIVE with names and login metadata', async () => {
      await call('POST', `${acct}/users`, { email: 'login@example.com' });
      sb.state.simulateLogin('login@example.com', { name: 'Lo', surname: 'Gin' });
      const list = await call('GET', `${acct}/users`);
      expect((list.body as { items: unknown[] }).items[0]).toMatchObject({ userStatus: 'ACTIVE', name: 'Lo', surname: 'Gin', userLoginMetadata: { successfulLoginCounter: 1 } });
    });

    it('when a user is absent, then 404 with "User <email> not found"', async () => {
      expect(await call('GET', `${acct}/users/ghost%40example.com`)).toMatchObject({ status: 404, body: { error: { code: 404, message: 'User ghost@example.com not found' } } });
      expect((await call('DELETE', `${acct}/users/ghost%40example.com`)).status).toBe(404);
    });

    it('when an email is refused or invited twice, then 400 or 409', async () => {
      await boot({ faults: { rateLimitPerMinute: null, refusedEmails: ['No@Example.com'] } });
      expect((await call('POST', `${acct}/users`, { email: 'no@example.com' })).status).toBe(400);
      await call('POST', `${acct}/users`, { email: 'dup@example.com' });
      expect((await call('POST', `${acct}/users`, { email: 'DUP@example.com' })).status).toBe(409);
    });

    it('when the duplicate answer is set to 400 or 201, then a second invitation answers so and changes nothing', async () => {
      const first = await call('POST', `${acct}/users`, { email: 'dup@example.com' });
      sb.state.setFaults({ duplicateUserAnswer: 400 });
      expect(await call('POST', `${acct}/users`, { email: 'dup@example.com' })).toMatchObject({ status: 400, body: { error: { message: 'User dup@example.com already exists' } } });
      sb.state.setFaults({ duplicateUserAnswer: 201 });
      expect(await call('POST', `${acct}/users`, { email: 'dup@example.com' })).toMatchObject({ status: 201, body: undefined });
      expect(sb.state.findUser('dup@example.com')?.uid).toBe((first.body as { userUuid: string }).userUuid);
    });

    it('when memberships are replaced with [] or ALL_USERS is removed, then the user stays in ALL_USERS', async () => {
      await call('POST', `${acct}/users`, { email: 'm@example.com' });
      const all = sb.state.allUsersGroupUuid;
      expect((await call('PUT', `${acct}/users/m%40example.com/groups`, [])).status).toBe(200);
      expect((await call('DELETE', `${acct}/users/m%40example.com/groups?group-uuid=${all}`)).status).toBe(200);
      expect(sb.state.findUser('m@example.com')?.groupUuids).toEqual([all]);
    });

    it('when groups are added, then 201 (spec; no recording exists) and unknown group UUIDs are 404', async () => {
      await call('POST', `${acct}/users`, { email: 'g@example.com' });
      const [group] = (await call('POST', `${acct}/groups`, [{ name: 'G' }])).body as Array<{ uuid: string }>;
      expect((await call('POST', `${acct}/users/g%40example.com`, [group?.uuid])).status).toBe(201);
      expect((await call('POST', `${acct}/users/g%40example.com`, ['11111111-1111-4111-8111-111111111111'])).status).toBe(404);
      expect((await call('POST', `${acct}/users/g%40example.com`, { not: 'an array' })).status).toBe(400);
    });

    it('when service users exist, then /users hides them unless service-users=true', async () => {
      const plain = (await call('GET', `${acct}/users`)).body as { count: number };
      const withService = (await call('GET', `${acct}/users?service-users=true`)).body as { items: Array<{ type: string; email: string }> };
      expect(plain.count).toBe(0);
      expect(withService.items).toEqual([expect.objectContaining({ type: 'SERVICE_EXTERNAL', email: expect.stringMatching(/@service\.sso\.dynatrace\.com$/) })]);
    });
  });

  describe('groups', () => {
    it('when groups are created, then 200 with the array as observed: LOCAL, hidden false, createdAt/updatedAt null', async () => {
      const r = await call('POST', `${acct}/groups`, [{ name: 'Created', description: 'd' }]);
      expect(r.status).toBe(200);
      expect(r.body).toEqual([{ uuid: expect.any(String), name: 'Created', owner: 'LOCAL', description: 'd', hidden: false, createdAt: null, updatedAt: null }]);
      expect((await call('POST', `${acct}/groups`, { name: 'not an array' })).status).toBe(400);
    });

    it('when the response style is spec, then group create answers 201 with full GetGroupDto', async () => {
      await boot({ responseStyle: 'spec' });
      const r = await call('POST', `${acct}/groups`, [{ name: 'Specified' }]);
      expect(r.status).toBe(201);
      expect((r.body as Array<{ createdAt: string }>)[0]?.createdAt).toBe(new Date(now).toISOString());
    });

    it('when SCIM or ALL_USERS groups are edited or deleted, then 400; LOCAL groups become SAML with federatedAttributeValues', async () => {
      const scim = sb.state.findGroupByName('Operations (native SCIM)');
      expect(scim?.owner).toBe('SCIM');
      expect((await call('PUT', `${acct}/groups/${scim?.uuid}`, { name: 'x' })).status).toBe(400);
      expect((await call('DELETE', `${acct}/groups/${sb.state.allUsersGroupUuid}`)).status).toBe(400);
      const [g] = (await call('POST', `${acct}/groups`, [{ name: 'Fed' }])).body as Array<{ uuid: string }>;
      expect((await call('PUT', `${acct}/groups/${g?.uuid}`, { name: 'Fed', federatedAttributeValues: ['x'] })).status).toBe(200);
      expect(sb.state.findGroupByName('Fed')?.owner).toBe('SAML');
    });

    it('when a group is absent, then 404 with "Group <uuid> not found"', async () => {
      const id = '44444444-4444-4444-8444-444444444444';
      expect(await call('GET', `${acct}/groups/${id}/users`)).toMatchObject({ status: 404, body: { error: { message: `Group ${id} not found` } } });
      expect((await call('DELETE', `${acct}/groups/${id}`)).status).toBe(404);
    });

    it('when seeded objects exist, then their UUIDs are stable across restarts', async () => {
      const first = { all: sb.state.allUsersGroupUuid, std: sb.state.findPolicy('Standard User')?.uuid };
      await boot({ accountUuid: sb.accountUuid });
      const again = { all: sb.state.allUsersGroupUuid, std: sb.state.findPolicy('Standard User')?.uuid };
      expect(again).toEqual(first);
    });
  });

  describe('legacy permissions', () => {
    it('when the permissions endpoint answers, then it carries Deprecation and Sunset (2027-01-11) headers and POST is 201', async () => {
      const [g] = (await call('POST', `${acct}/groups`, [{ name: 'P' }])).body as Array<{ uuid: string }>;
      const post = await call('POST', `${acct}/groups/${g?.uuid}/permissions`, [{ permissionName: 'account-viewer', scopeType: 'account', scope: sb.accountUuid }]);
      expect(post.status).toBe(201);
      const get = await call('GET', `${acct}/groups/${g?.uuid}/permissions`);
      for (const r of [post, get]) {
        expect(r.headers.get('deprecation')).toBe('Mon, 15 Jun 2026 00:00:00 GMT');
        expect(r.headers.get('sunset')).toBe('Mon, 11 Jan 2027 00:00:00 GMT');
      }
      expect(get.body).toMatchObject({ uuid: g?.uuid, name: 'P', permissions: [{ permissionName: 'account-viewer', scopeType: 'account', scope: sb.accountUuid }] });
      const other = await call('GET', `${acct}/groups`);
      expect(other.headers.get('sunset')).toBeNull();
    });

    it('when a permission is absent or malformed, then 404 "Permission … not found" or 400', async () => {
      const [g] = (await call('POST', `${acct}/groups`, [{ name: 'Q' }])).body as Array<{ uuid: string }>;
      const del = await call('DELETE', `${acct}/groups/${g?.uuid}/permissions?scope=abc12345&permission-name=tenant-viewer&scope-type=tenant`);
      expect(del.status).toBe(404);
      expect(JSON.stringify(del.body)).toContain('Permission tenant-viewer for scope abc12345 not found');
      expect((await call('PUT', `${acct}/groups/${g?.uuid}/permissions`, [{ permissionName: 'tenant-viewer', scopeType: 'tenant', scope: 'nosuchenv' }])).status).toBe(400);
    });
  });

  describe('environments, policies, bindings, service users, limits', () => {
    it('when environments are listed, then v2 has {data:[{id,name,active,url}]} and v1 tenantResources', async () => {
      const v2 = await call('GET', `${sb.url}/env/v2/accounts/${sb.accountUuid}/environments`);
      expect((v2.body as { data: unknown[] }).data).toContainEqual({ id: 'old00000', name: 'Decommissioned', active: false, url: 'https://old00000.live.dynatrace.com' });
      const v1 = await call('GET', `${sb.url}/env/v1/accounts/${sb.accountUuid}/environments`);
      expect((v1.body as { tenantResources: unknown[] }).tenantResources).toHaveLength(3);
    });

    it('when policies are listed, then native lists {policies} of one level and aggregate adds inherited ones, 400 for global', async () => {
      const native = await call('GET', `${sb.url}/iam/v1/repo/global/global/policies?name=Standard%20User`);
      expect(native.body).toEqual({ policies: [{ uuid: expect.any(String), name: 'Standard User', description: expect.any(String) }] });
      const agg = await call('GET', `${sb.url}/iam/v1/repo/environment/abc12345/policies/aggregate`);
      const levels = (agg.body as { policyOverviewList: Array<{ levelType: string }> }).policyOverviewList.map((p) => p.levelType);
      expect(new Set(levels)).toEqual(new Set(['environment', 'account', 'global']));
      expect((await call('GET', `${sb.url}/iam/v1/repo/global/global/policies/aggregate`)).status).toBe(400);
      expect(await call('GET', `${sb.url}/iam/v1/repo/environment/nope/policies`)).toMatchObject({ status: 404, body: { code: 404, errorsMap: {} } });
    });

    it('when group bindings are put, then 204 and they read back; global is 400 and an inactive environment 403', async () => {
      const [g] = (await call('POST', `${acct}/groups`, [{ name: 'B' }])).body as Array<{ uuid: string }>;
      const std = sb.state.findPolicy('Standard User')?.uuid;
      const url = (lt: string, id: string): string => `${sb.url}/iam/v1/repo/${lt}/${id}/bindings/groups/${g?.uuid}`;
      expect((await call('PUT', url('account', sb.accountUuid), { policyUuids: [std] })).status).toBe(204);
      expect((await call('GET', url('account', sb.accountUuid))).body).toEqual({ policyUuids: [std] });
      const level = await call('GET', `${sb.url}/iam/v1/repo/account/${sb.accountUuid}/bindings`);
      expect(level.body).toMatchObject({ levelType: 'account', policyBindings: [{ policyUuid: std, groups: [g?.uuid] }] });
      expect((await call('PUT', url('global', 'global'), { policyUuids: [] })).status).toBe(400);
      expect((await call('PUT', url('environment', 'old00000'), { policyUuids: [] })).status).toBe(403);
      // A policy of another environment is not available here.
      const prod = sb.state.findPolicy('Production Read Only')?.uuid;
      expect((await call('PUT', url('environment', 'def67890'), { policyUuids: [prod] })).status).toBe(400);
    });

    it('when environments v3 are paged, then nextPageKey leads through every record; without v3, 404', async () => {
      const v3 = `${sb.url}/env/v3/accounts/${sb.accountUuid}/environments`;
      const one = await call('GET', `${v3}?page-size=2`);
      expect(one.body).toMatchObject({ totalRecordCount: 3, hasNextPage: true, records: [{ id: 'abc12345', active: true }, { id: 'def67890' }] });
      const key = (one.body as { nextPageKey: string }).nextPageKey;
      expect(await call('GET', `${v3}?page=${key}`)).toMatchObject({ body: { hasNextPage: false, records: [{ id: 'old00000', active: false }] } });
      expect((await call('GET', `${v3}?page-size=501`)).status).toBe(400);
      sb.state.setFaults({ environmentsV3: false });
      expect((await call('GET', v3)).status).toBe(404);
    });

    it('when boundaries are listed, then pages of PolicyBoundaryOverview come back', async () => {
      const url = `${sb.url}/iam/v1/repo/account/${sb.accountUuid}/boundaries`;
      const page = await call('GET', `${url}?page=1&size=1`);
      expect(page.body).toMatchObject({ pageSize: 1, pageNumber: 1, totalCount: 2, content: [{ name: 'Production zone', levelType: 'account', levelId: sb.accountUuid }] });
      const zone = (page.body as { content: Array<{ boundaryConditions: unknown }> }).content[0];
      expect(zone?.boundaryConditions).toEqual([{ name: 'environment:management-zone', operator: 'IN', values: ['Production'] }]);
      expect((await call('GET', `${url}?page=2&size=1`)).body).toMatchObject({ content: [{ name: 'EU hosts' }] });
      expect((await call('GET', `${url}?size=0`)).status).toBe(400);
    });

    it('when bindings are written per policy, then the query selects one binding and others of the same policy are untouched', async () => {
      const [g] = (await call('POST', `${acct}/groups`, [{ name: 'Per policy' }])).body as Array<{ uuid: string }>;
      const std = sb.state.findPolicy('Standard User')?.uuid;
      const zone = sb.state.findBoundary('Production zone')?.uuid;
      const eu = sb.state.findBoundary('EU hosts')?.uuid;
      const base = `${sb.url}/iam/v1/repo/environment/abc12345/bindings/${std}/${g?.uuid}`;
      const mine = 'metadata[owner]=bridge';
      expect((await call('POST', base, { boundaries: [zone] })).status).toBe(204);
      expect((await call('POST', base, { boundaries: [eu] })).status).toBe(400); // same parameters and metadata
      expect((await call('PUT', `${base}?${mine}`, { metadata: { owner: 'bridge' }, parameters: { team: 'a' }, boundaries: [] })).status).toBe(204);
      expect((await call('PUT', `${base}?${mine}`, { metadata: { owner: 'bridge' }, parameters: { team: 'b' }, boundaries: [eu] })).status).toBe(204);
      expect(sb.state.bindingDetailsOf('environment', 'abc12345', g?.uuid ?? '')).toEqual([
        expect.objectContaining({ policyUuid: std, boundaries: [zone], parameters: {}, metadata: {} }),
        expect.objectContaining({ policyUuid: std, boundaries: [eu], parameters: { team: 'b' }, metadata: { owner: 'bridge' } }),
      ]);
      const details = await call('GET', `${sb.url}/iam/v1/repo/environment/abc12345/bindings/groups/${g?.uuid}?details=true`);
      expect(details.body).toMatchObject({ policyUuids: [std], bindingsDetails: [{ boundaries: [zone] }, { parameters: { team: 'b' } }] });
      expect((await call('GET', `${sb.url}/iam/v1/repo/environment/abc12345/bindings/groups/${g?.uuid}`)).body).toEqual({ policyUuids: [std] });
      expect((await call('GET', base)).body).toMatchObject({ levelType: 'environment', levelId: 'abc12345', policyBindings: [{ boundaries: [zone] }, { metadata: { owner: 'bridge' } }] });
      expect((await call('PUT', base, { boundaries: [] })).status).toBe(400); // selects both
      expect((await call('DELETE', base)).status).toBe(400); // forceMultiple is required
      expect((await call('DELETE', `${base}?forceMultiple=false`)).status).toBe(400); // selects both
      expect((await call('DELETE', `${base}?forceMultiple=false&${mine}`)).status).toBe(204);
      expect((await call('DELETE', `${base}?forceMultiple=false&${mine}`)).status).toBe(404);
      expect(sb.state.bindingDetailsOf('environment', 'abc12345', g?.uuid ?? '')).toEqual([expect.objectContaining({ boundaries: [zone] })]);
    });

    it('when a per-policy binding names an unknown boundary, policy or group, or a bad level, then ErrorDto 400/403/404', async () => {
      const [g] = (await call('POST', `${acct}/groups`, [{ name: 'Refused' }])).body as Array<{ uuid: string }>;
      const std = sb.state.findPolicy('Standard User')?.uuid;
      const url = (lt: string, id: string, policy = std, group = g?.uuid): string => `${sb.url}/iam/v1/repo/${lt}/${id}/bindings/${policy}/${group}`;
      expect(await call('PUT', url('environment', 'abc12345'), { boundaries: ['55555555-5555-4555-8555-555555555555'] })).toMatchObject({ status: 400, body: { code: 400, errorsMap: { boundaries: expect.any(String) } } });
      expect((await call('PUT', url('environment', 'abc12345'), { parameters: { n: 1 } })).status).toBe(400);
      expect((await call('PUT', url('environment', 'abc12345', '66666666-6666-4666-8666-666666666666'), {})).status).toBe(404);
      expect((await call('PUT', url('environment', 'abc12345', std, '77777777-7777-4777-8777-777777777777'), {})).status).toBe(404);
      expect((await call('PUT', url('environment', 'old00000'), {})).status).toBe(403);
      expect((await call('PUT', url('global', 'global'), {})).status).toBe(400);
    });

    it('when the whole-set group endpoint is used, then it overwrites every binding of the group, boundaries and parameters included', async () => {
      const [g] = (await call('POST', `${acct}/groups`, [{ name: 'Overwritten' }])).body as Array<{ uuid: string }>;
      const std = sb.state.findPolicy('Standard User')?.uuid;
      const zone = sb.state.findBoundary('Production zone')?.uuid;
      await call('POST', `${sb.url}/iam/v1/repo/account/${sb.accountUuid}/bindings/${std}/${g?.uuid}`, { boundaries: [zone], parameters: { p: 'v' } });
      await call('PUT', `${sb.url}/iam/v1/repo/account/${sb.accountUuid}/bindings/groups/${g?.uuid}`, { policyUuids: [std] });
      expect(sb.state.bindingDetailsOf('account', sb.accountUuid, g?.uuid ?? '')).toEqual([expect.objectContaining({ policyUuid: std, boundaries: [], parameters: {} })]);
    });

    it('when service users are paged, then nextPageKey leads through all and ends null', async () => {
      await boot({ seed: { serviceUsers: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] } });
      const one = (await call('GET', `${acct}/service-users?page-size=2`)).body as { results: unknown[]; nextPageKey: string | null; totalCount: number };
      expect(one).toMatchObject({ totalCount: 3, nextPageKey: expect.any(String) });
      expect(one.results).toHaveLength(2);
      const two = (await call('GET', `${acct}/service-users?page-key=${one.nextPageKey}`)).body as { results: unknown[]; nextPageKey: string | null };
      expect(two.results).toHaveLength(1);
      expect(two.nextPageKey).toBeNull();
    });

    it('when limits are read, then the documented limit types come with current values', async () => {
      const r = (await call('GET', `${acct}/limits`)).body as { results: Array<{ limitType: string }> };
      expect(r.results.map((l) => l.limitType)).toEqual(['REGULAR_USER', 'MAX_GROUPS_PER_ACCOUNT', 'MAX_PERMISSIONS_PER_GROUP', 'MAX_PLATFORM_TOKENS_PER_USER']);
    });
  });

  describe('faults', () => {
    it('when the rate limit is passed, then 429 with Retry-After in seconds until the window frees', async () => {
      sb.state.setFaults({ rateLimitPerMinute: 3 });
      for (let i = 0; i < 3; i += 1) {
        expect((await call('GET', `${acct}/groups`)).status).toBe(200);
        now += 10_000;
      }
      const limited = await call('GET', `${acct}/groups`);
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('30');
      now += 30_000;
      expect((await call('GET', `${acct}/groups`)).status).toBe(200);
    });

    it('when the Retry-After form is http-date, then it names the second the window frees', async () => {
      sb.state.setFaults({ rateLimitPerMinute: 1, retryAfter: 'http-date' });
      await call('GET', `${acct}/groups`);
      const limited = await call('GET', `${acct}/groups`);
      expect(limited.headers.get('retry-after')).toBe(new Date(now + 60_000).toUTCString());
    });

    it('when the token endpoint is called often, then it is not rate limited; Davis has its own window', async () => {
      sb.state.setFaults({ rateLimitPerMinute: 1 });
      for (let i = 0; i < 3; i += 1) await issue();
      expect(sb.state.requestLog.filter((r) => r.service === 'oauth').every((r) => r.status === 200)).toBe(true);
      expect((await call('GET', `${sb.url}/api/v2/tenant/users`, undefined, `api-token ${sb.davisToken}`)).status).toBe(200);
      expect((await call('GET', `${sb.url}/api/v2/tenant/users`, undefined, `api-token ${sb.davisToken}`)).status).toBe(429);
    });

    it('when an error rate is set, then requests fail with one of the configured 5xx statuses', async () => {
      await boot({ faults: { rateLimitPerMinute: null }, random: scriptedRandom([], 0.6) });
      sb.state.setFaults({ errorRate: 0.7, errorStatuses: [502, 503, 504] });
      const r = await call('GET', `${acct}/groups`);
      expect(r).toMatchObject({ status: 503, body: { error: { code: 503 } } });
    });

    it('when latency is set, then answers take at least that long', async () => {
      sb.state.setFaults({ latencyMs: 80 });
      const started = performance.now();
      await call('GET', `${acct}/groups`);
      expect(performance.now() - started).toBeGreaterThanOrEqual(75);
    });
  });

  describe('Davis Assistant and routing', () => {
    it('when the api-token is right, then users can be added and deleted; otherwise 401', async () => {
      const auth = `api-token ${sb.davisToken}`;
      const user = { firstName: 'A', lastName: 'B', timezone: 'UTC', admin: false };
      expect((await call('POST', `${sb.url}/api/v2/tenant/users/a%40example.com`, user, auth)).status).toBe(201);
      expect((await call('GET', `${sb.url}/api/v2/tenant/users`, undefined, auth)).body).toEqual([{ ...user, email: 'a@example.com' }]);
      expect((await call('DELETE', `${sb.url}/api/v2/tenant/users/a%40example.com`, undefined, auth)).status).toBe(204);
      expect((await call('GET', `${sb.url}/api/v2/tenant/users`, undefined, 'api-token wrong')).status).toBe(401);
      expect((await call('GET', `${sb.url}/api/v2/tenant/users`, undefined, `Bearer ${token}`)).status).toBe(401);
    });

    it('when Davis Assistant delete and update faults are set, then they answer without effect', async () => {
      const auth = `api-token ${sb.davisToken}`;
      const user = { firstName: 'A', lastName: 'B', timezone: 'UTC', admin: false };
      await call('POST', `${sb.url}/api/v2/tenant/users/a%40example.com`, user, auth);
      sb.state.setFaults({ davisDeleteAnswer: 405 });
      expect((await call('DELETE', `${sb.url}/api/v2/tenant/users/a%40example.com`, undefined, auth)).status).toBe(405);
      sb.state.setFaults({ davisDeleteAnswer: 404 });
      expect((await call('DELETE', `${sb.url}/api/v2/tenant/users/a%40example.com`, undefined, auth)).status).toBe(404);
      sb.state.setFaults({ davisUpdateIgnored: true });
      expect(await call('PUT', `${sb.url}/api/v2/tenant/users/a%40example.com`, { ...user, admin: true }, auth)).toMatchObject({ status: 200, body: undefined });
      expect(sb.state.davisUsers()).toEqual([{ ...user, email: 'a@example.com' }]);
    });

    it('when /sandbox/state and /sandbox/requests are read, then they show the account and what was asked, without a token and without being logged', async () => {
      const [g] = (await call('POST', `${acct}/groups`, [{ name: 'Seen' }])).body as Array<{ uuid: string }>;
      await call('POST', `${acct}/users`, { email: 'seen@example.com' });
      await call('POST', `${acct}/users/seen%40example.com`, [g?.uuid]);
      const std = sb.state.findPolicy('Standard User')?.uuid;
      const zone = sb.state.findBoundary('Production zone')?.uuid;
      await call('PUT', `${sb.url}/iam/v1/repo/environment/abc12345/bindings/${std}/${g?.uuid}`, { boundaries: [zone], parameters: { team: 'x' } });
      await call('GET', `${acct}/users/ghost%40example.com`);
      const logged = sb.state.requestLog.length;
      const state = await call('GET', `${sb.url}/sandbox/state`, undefined, null);
      expect(state.status).toBe(200);
      expect(state.body).toMatchObject({
        account: { uuid: sb.accountUuid },
        users: expect.arrayContaining([expect.objectContaining({ email: 'seen@example.com', userStatus: 'PENDING', groups: expect.arrayContaining([{ uuid: g?.uuid, name: 'Seen' }]) })]),
        bindings: [{ levelType: 'environment', levelId: 'abc12345', policy: { name: 'Standard User' }, group: { name: 'Seen' }, boundaries: [{ uuid: zone, name: 'Production zone' }], parameters: { team: 'x' } }],
      });
      const requests = await call('GET', `${sb.url}/sandbox/requests?last=2`, undefined, null);
      expect(requests.body).toMatchObject({
        total: logged,
        counts: expect.arrayContaining([
          { operation: 'GET /iam/v1/accounts/{account}/users/{email}', service: 'account-management', status: 404, count: 1 },
          { operation: 'POST /iam/v1/accounts/{account}/users', service: 'account-management', status: 200, count: 1 },
        ]),
        last: [{ method: 'PUT', status: 204 }, { method: 'GET', status: 404, operation: 'GET /iam/v1/accounts/{account}/users/{email}' }],
      });
      expect(sb.state.requestLog).toHaveLength(logged);
      expect((await call('GET', `${sb.url}/sandbox/requests?last=x`, undefined, null)).status).toBe(400);
      expect((await call('GET', `${sb.url}/sandbox/other`, undefined, null)).status).toBe(404);
      expect((await call('POST', `${sb.url}/sandbox/state`, {}, null)).status).toBe(405);
    });

    it('when a path is unknown or the method is wrong, then 404 or 405', async () => {
      expect((await call('GET', `${sb.url}/iam/v1/nothing`)).status).toBe(404);
      expect((await call('PATCH', `${acct}/users`)).status).toBe(405);
      expect((await call('POST', `${acct}/groups`, undefined)).status).toBe(400);
    });

    it('when options or faults are out of range, then TypeError', async () => {
      await expect(startSandbox({ port: 70_000 })).rejects.toThrow(TypeError);
      await expect(startSandbox({ accountUuid: 'x' })).rejects.toThrow(TypeError);
      await expect(startSandbox({ faults: { errorRate: 2 } })).rejects.toThrow(TypeError);
      expect(() => sb.state.setFaults({ errorStatuses: [404] })).toThrow(TypeError);
      expect(() => sb.state.setFaults({ rateLimitPerMinute: 0 })).toThrow(TypeError);
    });

    it('when stopped, then it no longer answers', async () => {
      const url = `${acct}/groups`;
      await sb.stop();
      await expect(fetch(url)).rejects.toThrow();
    });
  });
});
