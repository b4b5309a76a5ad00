// /Users through real HTTP on loopback with a real SQLite file: create, read, filter, page,
// project, replace, patch, soft delete, delete and ETag preconditions (RFC 7644 §3).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestBridge, type TestBridge } from '../helpers/test-bridge.js';
import { ENTERPRISE_URN, ERROR_URN, LIST_URN, USER_URN, patchBody, userBody } from '../helpers/scim-builders.js';

let bridge: TestBridge;
beforeEach(async () => {
  bridge = await startTestBridge();
});
afterEach(async () => {
  await bridge.close();
});

const q = (filter: string) => `/Users?filter=${encodeURIComponent(filter)}`;

async function createUser(userName: string, extra: Record<string, unknown> = {}): Promise<any> {
  const response = await bridge.scim('POST', '/Users', userBody(userName, extra));
  expect(response.status).toBe(201);
  return response.body;
}

describe('POST /Users', () => {
  it('when a user is created, then 201 carries the full resource, meta.location, a Location header and an ETag', async () => {
    const response = await bridge.scim('POST', '/Users', userBody('ada.lovelace@example.com', { externalId: 'okta-1' }));
    expect(response.status).toBe(201);
    expect(response.headers.get('content-type')).toBe('application/scim+json');
    const user = response.body;
    expect(user.schemas).toEqual([USER_URN]);
    expect(user.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(user).toMatchObject({ userName: 'ada.lovelace@example.com', externalId: 'okta-1', active: true, name: { givenName: 'ada', familyName: 'lovelace' } });
    expect(user.meta).toMatchObject({ resourceType: 'User', version: 'W/"1"', location: `${bridge.base}/Users/${user.id}` });
    expect(response.headers.get('location')).toBe(user.meta.location);
    expect(response.headers.get('etag')).toBe('W/"1"');
    expect(user.meta.created).toBe(user.meta.lastModified);
  });

  it('when the body is sent as application/json, then it is accepted like application/scim+json', async () => {
    const response = await bridge.scim('POST', '/Users', userBody('json@example.com'), { 'content-type': 'application/json' });
    expect(response.status).toBe(201);
  });

  it('when the userName is taken in another case, then 409 uniqueness and nothing is written', async () => {
    await createUser('Grace.Hopper@example.com');
    const response = await bridge.scim('POST', '/Users', userBody('grace.hopper@EXAMPLE.com'));
    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({ schemas: [ERROR_URN], status: '409', scimType: 'uniqueness' });
    expect(await bridge.store.countUsers(null)).toBe(1);
  });

  it('when password, groups, id and meta are sent, then they are ignored and password is never stored or returned', async () => {
    const response = await bridge.scim(
      'POST',
      '/Users',
      userBody('okta@example.com', { password: '1mz050nq', groups: [{ value: 'g' }], id: 'chosen-by-client', meta: { version: 'W/"9"' } }),
    );
    expect(response.status).toBe(201);
    expect(response.body.id).not.toBe('chosen-by-client');
    expect(response.body.password).toBeUndefined();
    expect(response.body.groups).toBeUndefined();
    const stored = await bridge.store.getUser(response.body.id);
    expect(JSON.stringify(stored)).not.toContain('1mz050nq');
  });

  it('when unknown attributes are sent, then they are ignored', async () => {
    const response = await bridge.scim('POST', '/Users', userBody('unknown@example.com', { favouriteColour: 'teal' }));
    expect(response.status).toBe(201);
    expect(response.body.favouriteColour).toBeUndefined();
  });

  it('when the enterprise extension is sent, then it is stored and its schema is listed', async () => {
    const response = await bridge.scim(
      'POST',
      '/Users',
      userBody('ent@example.com', { schemas: [USER_URN, ENTERPRISE_URN], [ENTERPRISE_URN]: { employeeNumber: '42', department: 'R&D' } }),
    );
    expect(response.status).toBe(201);
    expect(response.body.schemas).toEqual([USER_URN, ENTERPRISE_URN]);
    expect(response.body[ENTERPRISE_URN]).toEqual({ employeeNumber: '42', department: 'R&D' });
  });

  it('when userName is missing or empty, then 400 invalidValue', async () => {
    for (const body of [{ schemas: [USER_URN] }, { schemas: [USER_URN], userName: '  ' }, { schemas: [USER_URN], userName: 7 }]) {
      const response = await bridge.scim('POST', '/Users', body);
      expect(response.status).toBe(400);
      expect(response.body.scimType).toBe('invalidValue');
    }
    expect(await bridge.store.countUsers(null)).toBe(0);
  });
});

describe('GET /Users/{id}', () => {
  it('when the id is unknown, then 404 with a SCIM error body', async () => {
    const response = await bridge.scim('GET', '/Users/00919288221112222');
    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({ schemas: [ERROR_URN], status: '404' });
    expect(typeof response.body.detail).toBe('string');
  });

  it('when If-None-Match names the current version, then 304; an older one, then 200', async () => {
    const user = await createUser('etag@example.com');
    const notModified = await bridge.scim('GET', `/Users/${user.id}`, undefined, { 'if-none-match': 'W/"1"' });
    expect(notModified.status).toBe(304);
    expect(notModified.text).toBe('');
    const modified = await bridge.scim('GET', `/Users/${user.id}`, undefined, { 'if-none-match': 'W/"0"' });
    expect(modified.status).toBe(200);
    expect(modified.headers.get('etag')).toBe('W/"1"');
  });

  it('when the user is in groups, then groups lists them with $ref', async () => {
    const user = await createUser('member@example.com');
    const group = await bridge.scim('POST', '/Groups', { displayName: 'Engineers', members: [{ value: user.id }] });
    const response = await bridge.scim('GET', `/Users/${user.id}`);
    expect(response.body.groups).toEqual([{ value: group.body.id, display: 'Engineers', $ref: `${bridge.base}/Groups/${group.body.id}`, type: 'direct' }]);
  });
});

describe('GET /Users with filters', () => {
  let ada: any;
  let bob: any;
  beforeEach(async () => {
    ada = await createUser('Ada@Example.com', { externalId: 'ext-Ada', title: 'Engineer' });
    bob = await createUser('bob@example.com', { externalId: 'ext-bob', active: false, emails: [{ value: 'Bob.Work@Example.com', type: 'work' }, { value: 'bob@home.example', type: 'home' }] });
    await createUser('carol@example.com', { title: 'Manager' });
  });

  const ids = (response: { body: any }) => response.body.Resources.map((r: any) => r.id);

  it('when filtering userName eq in another case, then the user is found (caseExact=false)', async () => {
    const response = await bridge.scim('GET', q('userName eq "ada@example.COM"'));
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ schemas: [LIST_URN], totalResults: 1, startIndex: 1, itemsPerPage: 1 });
    expect(ids(response)).toEqual([ada.id]);
  });

  it('when a filter matches nothing, then 200 with an empty ListResponse, never 404', async () => {
    const response = await bridge.scim('GET', q('userName eq "6e1a0d52-26c3-4a5b-a5bb-1f5c1c3f1a5e"'));
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ schemas: [LIST_URN], totalResults: 0, startIndex: 1, itemsPerPage: 0, Resources: [] });
  });

  it('when filtering externalId eq, then the match is exact (caseExact=true), quoted or not', async () => {
    expect(ids(await bridge.scim('GET', q('externalId eq "ext-Ada"')))).toEqual([ada.id]);
    expect(ids(await bridge.scim('GET', q('externalId eq "EXT-ADA"')))).toEqual([]);
    expect(ids(await bridge.scim('GET', q('externalId eq ext-bob')))).toEqual([bob.id]);
  });

  it('when filtering id eq, active eq, emails.value eq and emails[type eq "work"].value eq, then each finds its users', async () => {
    expect(ids(await bridge.scim('GET', q(`id eq "${bob.id}"`)))).toEqual([bob.id]);
    expect(ids(await bridge.scim('GET', q('active eq false')))).toEqual([bob.id]);
    expect(ids(await bridge.scim('GET', q('active eq "True"'))).length).toBe(2);
    expect(ids(await bridge.scim('GET', q('emails.value eq "bob.work@example.com"')))).toEqual([bob.id]);
    expect(ids(await bridge.scim('GET', q('emails[type eq "work"].value eq "bob.work@example.com"')))).toEqual([bob.id]);
    expect(ids(await bridge.scim('GET', q('emails[type eq "work"].value eq "bob@home.example"')))).toEqual([]);
  });

  it('when a filter combines and/or/not and non-indexed operators, then it is evaluated exactly', async () => {
    expect(ids(await bridge.scim('GET', q('title sw "eng" or userName co "carol"'))).length).toBe(2);
    expect(ids(await bridge.scim('GET', q('active eq true and not (title eq "Manager")')))).toEqual([ada.id]);
    expect(ids(await bridge.scim('GET', q('userName eq "ada@example.com" and title pr')))).toEqual([ada.id]);
    expect(ids(await bridge.scim('GET', q('meta.created gt "2000-01-01T00:00:00Z"'))).length).toBe(3);
  });

  it('when a filter is malformed, then 400 invalidFilter', async () => {
    const response = await bridge.scim('GET', q('userName eq'));
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ schemas: [ERROR_URN], status: '400', scimType: 'invalidFilter' });
  });
});

describe('GET /Users paging and projection', () => {
  it('when paging, then totalResults counts every match, pages are stable and count=0 returns only the total', async () => {
    const created: string[] = [];
    for (let i = 0; i < 12; i++) created.push((await createUser(`user${String(i).padStart(2, '0')}@example.com`)).id);
    const pages: string[] = [];
    for (let startIndex = 1; startIndex <= 12; startIndex += 5) {
      const page = await bridge.scim('GET', `/Users?startIndex=${startIndex}&count=5`);
      expect(page.body).toMatchObject({ totalResults: 12, startIndex });
      expect(Number.isInteger(page.body.itemsPerPage)).toBe(true);
      pages.push(...page.body.Resources.map((r: any) => r.id));
    }
    expect(pages).toEqual(created);
    const onlyTotal = await bridge.scim('GET', '/Users?count=0');
    expect(onlyTotal.body).toMatchObject({ totalResults: 12, itemsPerPage: 0, Resources: [] });
    const beyond = await bridge.scim('GET', '/Users?startIndex=50&count=5');
    expect(beyond.body).toMatchObject({ totalResults: 12, startIndex: 50, itemsPerPage: 0 });
    const clamped = await bridge.scim('GET', '/Users?startIndex=-3&count=-1');
    expect(clamped.body).toMatchObject({ totalResults: 12, startIndex: 1, itemsPerPage: 0 });
  });

  it('when no count is given, then the default page size applies; a larger count is capped at the maximum', async () => {
    await bridge.close();
    bridge = await startTestBridge({ env: { SCIM_DEFAULT_PAGE_SIZE: '2', SCIM_MAX_PAGE_SIZE: '3' } });
    for (let i = 0; i < 5; i++) await createUser(`p${i}@example.com`);
    expect((await bridge.scim('GET', '/Users')).body.itemsPerPage).toBe(2);
    expect((await bridge.scim('GET', '/Users?count=100')).body.itemsPerPage).toBe(3);
  });

  it('when attributes or excludedAttributes are given, then only the right attributes come back, id always', async () => {
    const user = await createUser('proj@example.com', { title: 'Boss' });
    const only = await bridge.scim('GET', `/Users/${user.id}?attributes=userName,name.givenName`);
    expect(only.body).toEqual({ schemas: [USER_URN], id: user.id, userName: 'proj@example.com', name: { givenName: 'proj' } });
    const without = await bridge.scim('GET', `/Users?excludedAttributes=emails,name,meta,id`);
    const [first] = without.body.Resources;
    expect(first.id).toBe(user.id);
    expect(first.emails).toBeUndefined();
    expect(first.name).toBeUndefined();
    expect(first.meta).toBeUndefined();
    expect(first.title).toBe('Boss');
  });

  it('when startIndex is not a number, then 400 invalidValue', async () => {
    const response = await bridge.scim('GET', '/Users?startIndex=abc');
    expect(response.status).toBe(400);
    expect(response.body.scimType).toBe('invalidValue');
  });

  it('when a filter has no indexed condition and more candidates than the scan limit, then 400 tooMany', async () => {
    await bridge.close();
    bridge = await startTestBridge({ env: { SCIM_FILTER_SCAN_LIMIT: '3' } });
    for (let i = 0; i < 4; i++) await createUser(`scan${i}@example.com`, { title: 'T' });
    const response = await bridge.scim('GET', q('title eq "T"'));
    expect(response.status).toBe(400);
    expect(response.body.scimType).toBe('tooMany');
    const indexed = await bridge.scim('GET', q('userName eq "scan1@example.com" and title eq "T"'));
    expect(indexed.body.totalResults).toBe(1);
  });
});

describe('PUT /Users/{id}', () => {
  it('when Okta GETs then PUTs the whole user back with read-only fields, then it replaces and bumps the version', async () => {
    const user = await createUser('put@example.com', { title: 'Old', nickName: 'gone' });
    const fetched = (await bridge.scim('GET', `/Users/${user.id}`)).body;
    const { nickName: _dropped, ...rest } = fetched;
    const response = await bridge.scim('PUT', `/Users/${user.id}`, { ...rest, title: 'New', password: 'secret-pass' });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id: user.id, title: 'New', meta: { version: 'W/"2"' } });
    expect(response.body.nickName).toBeUndefined();
    expect(response.body.password).toBeUndefined();
  });

  it('when If-Match names an old version, then 412 and nothing changes', async () => {
    const user = await createUser('ifmatch@example.com');
    await bridge.scim('PUT', `/Users/${user.id}`, userBody('ifmatch@example.com', { title: 'v2' }));
    const stale = await bridge.scim('PUT', `/Users/${user.id}`, userBody('ifmatch@example.com', { title: 'stale' }), { 'if-match': 'W/"1"' });
    expect(stale.status).toBe(412);
    expect(stale.body.schemas).toEqual([ERROR_URN]);
    expect((await bridge.scim('GET', `/Users/${user.id}`)).body.title).toBe('v2');
    const fresh = await bridge.scim('PUT', `/Users/${user.id}`, userBody('ifmatch@example.com', { title: 'v3' }), { 'if-match': 'W/"2"' });
    expect(fresh.status).toBe(200);
  });

  it('when the new userName belongs to someone else, then 409 uniqueness', async () => {
    await createUser('taken@example.com');
    const user = await createUser('mine@example.com');
    const response = await bridge.scim('PUT', `/Users/${user.id}`, userBody('TAKEN@example.com'));
    expect(response.status).toBe(409);
    expect(response.body.scimType).toBe('uniqueness');
  });

  it('when the user does not exist, then 404', async () => {
    expect((await bridge.scim('PUT', '/Users/nope', userBody('x@example.com'))).status).toBe(404);
  });
});

describe('PATCH /Users/{id}', () => {
  it('when Okta deactivates with a path-less replace, then the user stays readable and filterable as inactive', async () => {
    const user = await createUser('leaver@example.com');
    const response = await bridge.scim('PATCH', `/Users/${user.id}`, patchBody({ op: 'replace', value: { active: false } }));
    expect(response.status).toBe(200);
    expect(response.body.active).toBe(false);
    const found = await bridge.scim('GET', q('userName eq "leaver@example.com"'));
    expect(found.body.Resources[0]).toMatchObject({ id: user.id, active: false });
    expect((await bridge.scim('GET', q('active eq false'))).body.totalResults).toBe(1);
  });

  it('when a path-less replace carries an unknown attribute (a custom Okta extension), then it is ignored like on POST', async () => {
    const user = await createUser('custom@example.com');
    const response = await bridge.scim('PATCH', `/Users/${user.id}`, patchBody({ op: 'replace', value: { favouriteColour: 'teal', title: 'Lead' } }));
    expect(response.status).toBe(200);
    expect(response.body.title).toBe('Lead');
    expect(response.body.favouriteColour).toBeUndefined();
  });

  it('when a PATCH changes nothing, then the version stays', async () => {
    const user = await createUser('same@example.com');
    const response = await bridge.scim('PATCH', `/Users/${user.id}`, patchBody({ op: 'replace', path: 'active', value: true }));
    expect(response.status).toBe(200);
    expect(response.headers.get('etag')).toBe('W/"1"');
  });

  it('when If-Match is stale, then 412', async () => {
    const user = await createUser('stalepatch@example.com');
    await bridge.scim('PATCH', `/Users/${user.id}`, patchBody({ op: 'replace', path: 'title', value: 'a' }));
    const response = await bridge.scim('PATCH', `/Users/${user.id}`, patchBody({ op: 'replace', path: 'title', value: 'b' }), { 'if-match': 'W/"1"' });
    expect(response.status).toBe(412);
  });

  it('when a path names no attribute, then 400 invalidPath; a read-only one, then 400 mutability', async () => {
    const user = await createUser('paths@example.com');
    const bad = await bridge.scim('PATCH', `/Users/${user.id}`, patchBody({ op: 'replace', path: 'noSuchThing', value: 1 }));
    expect(bad.status).toBe(400);
    expect(bad.body.scimType).toBe('invalidPath');
    const readOnly = await bridge.scim('PATCH', `/Users/${user.id}`, patchBody({ op: 'replace', path: 'id', value: 'x' }));
    expect(readOnly.status).toBe(400);
    expect(readOnly.body.scimType).toBe('mutability');
  });

  it('when the new userName is taken, then 409 and the user is unchanged', async () => {
    await createUser('first@example.com');
    const user = await createUser('second@example.com');
    const response = await bridge.scim('PATCH', `/Users/${user.id}`, patchBody({ op: 'replace', path: 'userName', value: 'First@example.com' }));
    expect(response.status).toBe(409);
    expect((await bridge.scim('GET', `/Users/${user.id}`)).body.userName).toBe('second@example.com');
  });
});

describe('DELETE /Users/{id}', () => {
  it('when a user is deleted, then 204, then 404, and its memberships are gone', async () => {
    const user = await createUser('gone@example.com');
    const group = await bridge.scim('POST', '/Groups', { displayName: 'G', members: [{ value: user.id }] });
    const response = await bridge.scim('DELETE', `/Users/${user.id}`);
    expect(response.status).toBe(204);
    expect(response.text).toBe('');
    expect((await bridge.scim('GET', `/Users/${user.id}`)).status).toBe(404);
    expect((await bridge.scim('DELETE', `/Users/${user.id}`)).status).toBe(404);
    const after = await bridge.scim('GET', `/Groups/${group.body.id}`);
    expect(after.body.members).toEqual([]);
    expect(after.body.meta.version).toBe('W/"2"');
  });

  it('when the userName of a deleted user is reused, then the new user is created', async () => {
    const user = await createUser('reuse@example.com');
    await bridge.scim('DELETE', `/Users/${user.id}`);
    expect((await bridge.scim('POST', '/Users', userBody('reuse@example.com'))).status).toBe(201);
  });
});

describe('projection of the enterprise extension', () => {
  it('when attributes names the whole extension URN or one of its attributes, then exactly that is returned', async () => {
    const user = await createUser('proj.ext@example.com', { [ENTERPRISE_URN]: { employeeNumber: '7', department: 'Ops' } });
    const whole = await bridge.scim('GET', `/Users/${user.id}?attributes=${ENTERPRISE_URN}`);
    expect(whole.body[ENTERPRISE_URN]).toEqual({ employeeNumber: '7', department: 'Ops' });
    expect(whole.body.userName).toBeUndefined();
    const one = await bridge.scim('GET', `/Users/${user.id}?attributes=${ENTERPRISE_URN}:department`);
    expect(one.body[ENTERPRISE_URN]).toEqual({ department: 'Ops' });
    const excluded = await bridge.scim('GET', `/Users/${user.id}?excludedAttributes=${ENTERPRISE_URN}:department`);
    expect(excluded.body[ENTERPRISE_URN]).toEqual({ employeeNumber: '7' });
  });
});
