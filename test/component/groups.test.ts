// /Groups through real HTTP: creation with members, uniqueness, membership PATCHes applied as
// deltas (never reading or rewriting the member list), excludedAttributes=members, rename, delete.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { change, far, groupWrite, t0, userWrite } from '../contract/store-fixtures.js';
import { recordingStore, type StoreCall } from '../fakes/recording-store.js';
import { StoreError, type Store } from '../../src/ports/store.js';
import { startTestBridge, TEST_TOKEN, type TestBridge } from '../helpers/test-bridge.js';
import { ERROR_URN, GROUP_URN, LIST_URN, groupBody, patchBody, userBody } from '../helpers/scim-builders.js';

let bridge: TestBridge;
let calls: StoreCall[];
beforeEach(async () => {
  bridge = await startTestBridge({
    wrapStore: (store) => {
      const recorded = recordingStore(store);
      calls = recorded.calls;
      return recorded.store;
    },
  });
});
afterEach(async () => {
  await bridge.close();
});

async function users(count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const response = await bridge.scim('POST', '/Users', userBody(`member${i}@example.com`));
    ids.push(response.body.id);
  }
  return ids;
}

/**
 * Users u00000… and groups g0… (group i takes the first `groupSizes[i]` users), written through the
 * store: thousands of users over HTTP would take a test a minute. Their sync work is due far ahead.
 */
async function seedThroughStore(store: Store, users: number, groupSizes: readonly number[]): Promise<void> {
  const later = change(t0, { syncDueAt: far });
  const ids = Array.from({ length: users }, (_, i) => `u${String(i).padStart(5, '0')}`);
  for (const id of ids) await store.insertUser(userWrite(id, `${id}@example.com`), later);
  for (const [index, size] of groupSizes.entries()) await store.insertGroup(groupWrite(`g${index}`, `Group ${index}`), ids.slice(0, size), later);
}

async function memberIds(groupId: string): Promise<string[]> {
  const response = await bridge.scim('GET', `/Groups/${groupId}`);
  return response.body.members.map((m: any) => m.value);
}

describe('POST /Groups', () => {
  it('when a group is created with members, then 201 with members carrying display and $ref', async () => {
    const [alice] = await users(1);
    const response = await bridge.scim('POST', '/Groups', groupBody('DT Prod Viewers', [alice as string], { externalId: 'entra-obj-1' }));
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ schemas: [GROUP_URN], displayName: 'DT Prod Viewers', externalId: 'entra-obj-1' });
    expect(response.body.members).toEqual([{ value: alice, display: 'member0@example.com', $ref: `${bridge.base}/Users/${alice}`, type: 'User' }]);
    expect(response.headers.get('location')).toBe(`${bridge.base}/Groups/${response.body.id}`);
  });

  it('when created with an empty member list (Entra), then 201 with members: []', async () => {
    const response = await bridge.scim('POST', '/Groups', groupBody('Empty'));
    expect(response.status).toBe(201);
    expect(response.body.members).toEqual([]);
  });

  it('when the displayName is taken in another case, then 409 uniqueness', async () => {
    await bridge.scim('POST', '/Groups', groupBody('Admins'));
    const response = await bridge.scim('POST', '/Groups', groupBody('ADMINS'));
    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({ schemas: [ERROR_URN], scimType: 'uniqueness' });
  });

  it('when a member id is not a user, then 400 naming the id and no group is created', async () => {
    const response = await bridge.scim('POST', '/Groups', groupBody('Ghosts', ['no-such-user']));
    expect(response.status).toBe(400);
    expect(response.body.scimType).toBe('invalidValue');
    expect(response.body.detail).toContain('no-such-user');
    expect(await bridge.store.countGroups(null)).toBe(0);
  });
});

describe('PATCH /Groups/{id} members', () => {
  it('when members are added as a value list (Entra, $ref null), then 204 and only those memberships are written as a delta', async () => {
    const [a, b, c] = await users(3);
    const group = (await bridge.scim('POST', '/Groups', groupBody('G', [a as string]))).body;
    calls.length = 0;
    const response = await bridge.scim(
      'PATCH',
      `/Groups/${group.id}`,
      patchBody({ op: 'Add', path: 'members', value: [{ $ref: null, value: b }, { $ref: null, value: c }] }),
    );
    expect(response.status).toBe(204);
    expect(response.text).toBe('');
    expect(response.headers.get('etag')).toBe('W/"2"');
    const methods = calls.map((call) => call.method);
    expect(methods).toEqual(['updateGroup']);
    expect(calls[0]?.args[0]).toMatchObject({ id: group.id, members: { kind: 'delta', add: [b, c], remove: [] } });
    expect(await memberIds(group.id)).toEqual([a, b, c]);
  });

  it('when Okta renames and removes and adds in one PATCH, then the net delta applies and the rename is stored', async () => {
    const [a, b, c] = await users(3);
    const group = (await bridge.scim('POST', '/Groups', groupBody('Old name', [a as string, b as string]))).body;
    calls.length = 0;
    const response = await bridge.scim(
      'PATCH',
      `/Groups/${group.id}`,
      patchBody(
        { op: 'replace', value: { id: group.id, displayName: 'New name' } },
        { op: 'remove', path: `members[value eq "${a}"]` },
        { op: 'add', path: 'members', value: [{ value: c, display: 'member2@example.com' }] },
      ),
    );
    expect(response.status).toBe(204);
    expect(calls.some((call) => call.method === 'membersOfGroups')).toBe(false);
    const after = await bridge.scim('GET', `/Groups/${group.id}`);
    expect(after.body.displayName).toBe('New name');
    expect(after.body.members.map((m: any) => m.value)).toEqual([b, c]);
  });

  it('when Okta re-sends the same name with a membership change, then only the members are written', async () => {
    const [a] = await users(1);
    const group = (await bridge.scim('POST', '/Groups', groupBody('Stable'))).body;
    calls.length = 0;
    await bridge.scim(
      'PATCH',
      `/Groups/${group.id}`,
      patchBody({ op: 'replace', value: { id: group.id, displayName: 'Stable' } }, { op: 'add', path: 'members', value: [{ value: a }] }),
    );
    const update = calls.find((call) => call.method === 'updateGroup');
    expect(update?.args[0]).toEqual({ id: group.id, members: { kind: 'delta', add: [a], remove: [] } });
  });

  it('when Entra removes members with a value list, or Okta with an or-filter, then exactly those go', async () => {
    const [a, b, c, d] = await users(4);
    const group = (await bridge.scim('POST', '/Groups', groupBody('R', [a, b, c, d] as string[]))).body;
    await bridge.scim('PATCH', `/Groups/${group.id}`, patchBody({ op: 'Remove', path: 'members', value: [{ $ref: null, value: a }] }));
    await bridge.scim('PATCH', `/Groups/${group.id}`, patchBody({ op: 'remove', path: `members[value eq "${b}" or value eq "${c}"]` }));
    expect(await memberIds(group.id)).toEqual([d]);
  });

  it('when members are removed by a non-id filter, then the matching ones go', async () => {
    const [a, b] = await users(2);
    const group = (await bridge.scim('POST', '/Groups', groupBody('F', [a as string, b as string]))).body;
    const response = await bridge.scim('PATCH', `/Groups/${group.id}`, patchBody({ op: 'remove', path: 'members[display eq "member1@example.com"]' }));
    expect(response.status).toBe(204);
    expect(await memberIds(group.id)).toEqual([a]);
  });

  it('when members are replaced, or removed without a value, then the list becomes exactly that', async () => {
    const [a, b, c] = await users(3);
    const group = (await bridge.scim('POST', '/Groups', groupBody('P', [a as string, b as string]))).body;
    await bridge.scim('PATCH', `/Groups/${group.id}`, patchBody({ op: 'replace', path: 'members', value: [{ value: c }] }));
    expect(await memberIds(group.id)).toEqual([c]);
    await bridge.scim('PATCH', `/Groups/${group.id}`, patchBody({ op: 'remove', path: 'members' }));
    expect(await memberIds(group.id)).toEqual([]);
  });

  it('when an added member is unknown, then 400 naming it and no membership changes', async () => {
    const [a, b] = await users(2);
    const group = (await bridge.scim('POST', '/Groups', groupBody('U', [a as string]))).body;
    const response = await bridge.scim('PATCH', `/Groups/${group.id}`, patchBody({ op: 'add', path: 'members', value: [{ value: b }, { value: 'ghost-id' }] }));
    expect(response.status).toBe(400);
    expect(response.body.detail).toContain('ghost-id');
    expect(await memberIds(group.id)).toEqual([a]);
  });

  it('when a members sub-attribute is patched, then 400 invalidPath', async () => {
    const group = (await bridge.scim('POST', '/Groups', groupBody('S'))).body;
    const response = await bridge.scim('PATCH', `/Groups/${group.id}`, patchBody({ op: 'replace', path: 'members.display', value: 'x' }));
    expect(response.status).toBe(400);
    expect(response.body.scimType).toBe('invalidPath');
  });

  it('when the PATCH asks for attributes, then 200 with the projected group', async () => {
    const [a] = await users(1);
    const group = (await bridge.scim('POST', '/Groups', groupBody('A'))).body;
    const response = await bridge.scim('PATCH', `/Groups/${group.id}?excludedAttributes=members`, patchBody({ op: 'add', path: 'members', value: [{ value: a }] }));
    expect(response.status).toBe(200);
    expect(response.body.members).toBeUndefined();
    expect(response.body.displayName).toBe('A');
  });

  it('when the group does not exist, then 404', async () => {
    const response = await bridge.scim('PATCH', '/Groups/nope', patchBody({ op: 'add', path: 'members', value: [] }));
    expect(response.status).toBe(404);
  });

  it('when If-Match is stale on a member PATCH, then 412 and nothing changes', async () => {
    const [a, b] = await users(2);
    const group = (await bridge.scim('POST', '/Groups', groupBody('E', [a as string]))).body;
    await bridge.scim('PATCH', `/Groups/${group.id}`, patchBody({ op: 'add', path: 'members', value: [{ value: b }] }));
    const response = await bridge.scim('PATCH', `/Groups/${group.id}`, patchBody({ op: 'remove', path: 'members' }), { 'if-match': 'W/"1"' });
    expect(response.status).toBe(412);
    expect(await memberIds(group.id)).toEqual([a, b]);
  });
});

describe('GET /Groups', () => {
  it('when excludedAttributes=members, then members are neither returned nor loaded', async () => {
    const [a] = await users(1);
    const group = (await bridge.scim('POST', '/Groups', groupBody('Big', [a as string]))).body;
    calls.length = 0;
    const one = await bridge.scim('GET', `/Groups/${group.id}?excludedAttributes=members`);
    const list = await bridge.scim('GET', `/Groups?excludedAttributes=members&filter=${encodeURIComponent('displayName eq "big"')}`);
    expect(one.body.members).toBeUndefined();
    expect(list.body.totalResults).toBe(1);
    expect(list.body.Resources[0].members).toBeUndefined();
    expect(calls.some((call) => call.method === 'membersOfGroups')).toBe(false);
  });

  it('when a group has more members than one chunk, then GET and a list holding it write it out in chunks as the same resource, with its ETag', async () => {
    const ids = await users(2_345);
    const group = (await bridge.scim('POST', '/Groups', groupBody('Everyone', ids, { externalId: 'all' }))).body;
    const response = await bridge.scim('GET', `/Groups/${group.id}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/scim+json');
    expect(response.headers.get('content-length')).toBeNull();
    expect(response.headers.get('etag')).toBe(group.meta.version);
    expect(response.body).toEqual(group);
    expect(response.body.members.map((m: any) => m.value)).toEqual(ids);
    expect((await bridge.scim('GET', `/Groups/${group.id}`, undefined, { 'if-none-match': group.meta.version })).status).toBe(304);
    const projected = await bridge.scim('GET', `/Groups/${group.id}?attributes=members.value`);
    expect(projected.headers.get('content-length')).not.toBeNull();
    expect(projected.body.members).toHaveLength(2_345);
    const listed = await bridge.scim('GET', `/Groups?filter=${encodeURIComponent('displayName eq "Everyone"')}`);
    expect(listed.headers.get('content-length')).toBeNull();
    expect(listed.body).toEqual({ schemas: [LIST_URN], totalResults: 1, startIndex: 1, itemsPerPage: 1, Resources: [group] });
  });

  it('when a page of groups holds more members than one batch, then they are loaded a batch of groups at a time as the page is written, and the page is the groups as GET reads them', async () => {
    const sizes = [6_000, 5_000, 3, 12_000, 0];
    await seedThroughStore(bridge.store, 12_000, sizes);
    const byId = await Promise.all(sizes.map(async (_, index) => (await bridge.scim('GET', `/Groups/g${index}`)).body));

    calls.length = 0;
    const page = await bridge.scim('GET', '/Groups?count=10');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-length')).toBeNull();
    expect(page.body).toEqual({ schemas: [LIST_URN], totalResults: 5, startIndex: 1, itemsPerPage: 5, Resources: byId });
    // Budget 10,000: g0 alone, then g1 and g2, then g3 (bigger than the budget) with g4; one count first.
    expect(calls.filter((call) => call.method === 'countMembersOfGroups').map((call) => call.args[0])).toEqual([['g0', 'g1', 'g2', 'g3', 'g4']]);
    expect(calls.filter((call) => call.method === 'membersOfGroups').map((call) => call.args[0])).toEqual([['g0'], ['g1', 'g2'], ['g3', 'g4']]);

    const projected = await bridge.scim('GET', '/Groups?count=10&attributes=displayName,members.value');
    expect(projected.body.itemsPerPage).toBe(5);
    expect(projected.body.Resources).toEqual(
      byId.map((group) => ({ schemas: [GROUP_URN], id: group.id, displayName: group.displayName, members: group.members.map((m: any) => ({ value: m.value })) })),
    );

    calls.length = 0;
    const small = await bridge.scim('GET', '/Groups?startIndex=3&count=1');
    expect(small.headers.get('content-length')).not.toBeNull();
    expect(small.body.Resources).toEqual([byId[2]]);
    expect(calls.filter((call) => call.method === 'membersOfGroups').map((call) => call.args[0])).toEqual([['g2']]);
  });

  it('when the store fails while a later batch of the page is loaded, then the answer is cut off (never completed short) and the failure is logged', async () => {
    let membersCalls = 0;
    const failing = await startTestBridge({
      wrapStore: (store) =>
        new Proxy(store, {
          get(target, property, receiver) {
            if (property !== 'membersOfGroups') return Reflect.get(target, property, receiver) as unknown;
            return async (ids: readonly string[]) => {
              membersCalls += 1;
              if (membersCalls === 2) throw new StoreError('unavailable', 'the database went away');
              return target.membersOfGroups(ids);
            };
          },
        }),
    });
    try {
      await seedThroughStore(failing.store, 10_000, [10_000, 1]);
      const response = await fetch(`${failing.base}/Groups`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
      expect(response.status).toBe(200);
      await expect(response.text()).rejects.toThrow();
      expect(membersCalls).toBe(2);
      const failed = failing.logLines.map((line) => JSON.parse(line)).find((line) => line.msg?.startsWith('the answer failed while it was being written'));
      expect(failed).toMatchObject({ level: 'error', err: { code: 'store_unavailable', message: expect.stringContaining('the database went away') } });
      expect(failed.requestId).toEqual(expect.any(String));
      // The next request is answered as usual.
      expect((await failing.scim('GET', '/Groups?excludedAttributes=members')).body.totalResults).toBe(2);
    } finally {
      await failing.close();
    }
  });

  it('when a filter is evaluated in memory, then the candidates’ members are loaded only if it reads them', async () => {
    const [a, b] = await users(2);
    const opsA = (await bridge.scim('POST', '/Groups', groupBody('Ops A', [a as string]))).body;
    const opsB = (await bridge.scim('POST', '/Groups', groupBody('Ops B', [b as string]))).body;
    await bridge.scim('POST', '/Groups', groupBody('Dev', [a as string, b as string]));
    calls.length = 0;
    const byName = await bridge.scim('GET', `/Groups?excludedAttributes=members&filter=${encodeURIComponent('displayName co "ops"')}`);
    expect(byName.body.Resources.map((g: any) => g.id)).toEqual([opsA.id, opsB.id]);
    expect(calls.some((call) => call.method === 'membersOfGroups')).toBe(false);
    const byMember = await bridge.scim('GET', `/Groups?excludedAttributes=members&filter=${encodeURIComponent(`displayName co "ops" and members.display ew "member1@example.com"`)}`);
    expect(byMember.body.Resources.map((g: any) => g.id)).toEqual([opsB.id]);
    expect(calls.filter((call) => call.method === 'membersOfGroups')).toHaveLength(1);
  });

  it('when filtering by members.value or externalId, then the groups are found', async () => {
    const [a] = await users(1);
    const g1 = (await bridge.scim('POST', '/Groups', groupBody('One', [a as string], { externalId: 'x1' }))).body;
    await bridge.scim('POST', '/Groups', groupBody('Two'));
    const byMember = await bridge.scim('GET', `/Groups?filter=${encodeURIComponent(`members.value eq "${a}"`)}`);
    expect(byMember.body.Resources.map((g: any) => g.id)).toEqual([g1.id]);
    const byExternal = await bridge.scim('GET', `/Groups?filter=${encodeURIComponent('externalId eq "x1"')}&attributes=displayName`);
    expect(byExternal.body.Resources).toEqual([{ schemas: [GROUP_URN], id: g1.id, displayName: 'One' }]);
  });
});

describe('PUT and DELETE /Groups/{id}', () => {
  it('when an AIW app PUTs the group, then name and the whole member list are replaced', async () => {
    const [a, b] = await users(2);
    const group = (await bridge.scim('POST', '/Groups', groupBody('Put', [a as string]))).body;
    const response = await bridge.scim('PUT', `/Groups/${group.id}`, groupBody('Put renamed', [b as string]));
    expect(response.status).toBe(200);
    expect(response.body.displayName).toBe('Put renamed');
    expect(response.body.members.map((m: any) => m.value)).toEqual([b]);
  });

  it('when a group is deleted, then 204 then 404, and its users stay', async () => {
    const [a] = await users(1);
    const group = (await bridge.scim('POST', '/Groups', groupBody('Del', [a as string]))).body;
    expect((await bridge.scim('DELETE', `/Groups/${group.id}`)).status).toBe(204);
    expect((await bridge.scim('GET', `/Groups/${group.id}`)).status).toBe(404);
    const user = await bridge.scim('GET', `/Users/${a}`);
    expect(user.status).toBe(200);
    expect(user.body.groups).toBeUndefined();
  });
});
