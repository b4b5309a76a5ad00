// Bad input at the SCIM edge (RFC 7644 §3.12): malformed JSON, wrong types, bad filters and PATCH
// documents, oversized bodies, bad query parameters. Every rejection is a SCIM error that leaves the
// store exactly as it was; unknown attributes are ignored. Regressions found by fuzz.test.ts at the end.
import { deflateSync, gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ENTERPRISE_URN, GROUP_URN, PATCH_URN, USER_URN, groupBody, patchBody, userBody } from '../helpers/scim-builders.js';
import { expectScimAnswer, expectScimError, prototypeKeys, sendRaw, storeFingerprint } from '../helpers/scim-invariants.js';
import { startTestBridge, type ScimResponse, type TestBridge } from '../helpers/test-bridge.js';

const BODY_LIMIT = 2048;

let bridge: TestBridge;
let adaId: string;
let graceId: string;
let groupId: string;

beforeEach(async () => {
  bridge = await startTestBridge({ env: { SCIM_MAX_BODY_BYTES: String(BODY_LIMIT) } });
  adaId = (await bridge.scim('POST', '/Users', userBody('ada@example.com'))).body.id;
  graceId = (await bridge.scim('POST', '/Users', userBody('grace@example.com'))).body.id;
  groupId = (await bridge.scim('POST', '/Groups', groupBody('Engineers', [adaId]))).body.id;
});
afterEach(async () => {
  await bridge.close();
});

/** Sends a request that must be refused with this status and scimType, and asserts the store did not change. */
async function expectRejected(
  send: () => Promise<ScimResponse>,
  status: number,
  scimType: string | undefined,
  context = '',
  on: TestBridge = bridge,
): Promise<ScimResponse> {
  const before = await storeFingerprint(on.store);
  const response = await send();
  expectScimError(response, status, scimType, context);
  expect(await storeFingerprint(on.store), `store after ${context}`).toBe(before);
  return response;
}

/** Every write endpoint, for bodies that no endpoint may accept. */
function writeRoutes(): Array<[method: string, route: string]> {
  return [
    ['POST', '/Users'],
    ['PUT', `/Users/${adaId}`],
    ['PATCH', `/Users/${adaId}`],
    ['POST', '/Groups'],
    ['PUT', `/Groups/${groupId}`],
    ['PATCH', `/Groups/${groupId}`],
  ];
}

const filterOf = (filter: string) => `filter=${encodeURIComponent(filter)}`;

describe('malformed JSON → 400 invalidSyntax', () => {
  it('when truncated JSON is sent as raw bytes to any write endpoint, then 400 invalidSyntax and nothing is written', async () => {
    const bytes = new TextEncoder().encode('{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"x');
    for (const [method, route] of writeRoutes()) {
      await expectRejected(() => sendRaw(bridge, method, route, bytes), 400, 'invalidSyntax', `${method} ${route}`);
    }
  });

  it('when the body is not JSON at all (binary garbage, single quotes, trailing comma, a comment), then 400 invalidSyntax', async () => {
    const bodies: Array<string | Uint8Array> = [
      Uint8Array.from([0xff, 0xfe, 0x00, 0x7b, 0x80]),
      "{'userName':'x'}",
      '{"userName":"x",}',
      '{"userName":"x"} // trailing comment',
      '{"userName":"x"}{"userName":"y"}',
      ' ',
    ];
    for (const body of bodies) {
      await expectRejected(() => sendRaw(bridge, 'POST', '/Users', body), 400, 'invalidSyntax', String(body));
    }
  });

  it('when the JSON body is not an object (array, string, number, true, null), then every write endpoint answers 400 invalidSyntax', async () => {
    for (const body of ['[]', '[{"userName":"x"}]', '"userName"', '42', 'true', 'null']) {
      for (const [method, route] of writeRoutes()) {
        await expectRejected(() => sendRaw(bridge, method, route, body), 400, 'invalidSyntax', `${method} ${route} ${body}`);
      }
    }
  });

  it('when the Content-Type is not JSON (text/plain, a form, none), then 400 invalidSyntax even for a valid body', async () => {
    const body = JSON.stringify(userBody('typed@example.com'));
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml', null]) {
      await expectRejected(() => sendRaw(bridge, 'POST', '/Users', body, type), 400, 'invalidSyntax', String(type));
    }
  });

  it('when `schemas` leaves out the core schema of the resource, then 400 invalidSyntax and nothing is written; URNs of other types are dropped', async () => {
    const cases: Array<[string, string, unknown]> = [
      ['POST', '/Users', { ...userBody('extension.only@example.com'), schemas: [ENTERPRISE_URN] }],
      ['PUT', `/Users/${adaId}`, { ...userBody('ada@example.com'), schemas: [GROUP_URN, ENTERPRISE_URN] }],
    ];
    for (const [method, route, body] of cases) {
      await expectRejected(() => bridge.scim(method, route, body), 400, 'invalidSyntax', `${method} ${route}`);
    }
    // Its own schema, with or without the extension, no `schemas` at all, or only URNs this
    // endpoint does not know (dropped, as IdPs send odd ones): all accepted.
    expect((await bridge.scim('POST', '/Users', { ...userBody('right.schema@example.com'), schemas: [USER_URN, ENTERPRISE_URN] })).status).toBe(201);
    const { schemas: _schemas, ...bare } = userBody('no.schema@example.com');
    expect((await bridge.scim('POST', '/Users', bare)).status).toBe(201);
    expect((await bridge.scim('POST', '/Users', { ...userBody('group.schema@example.com'), schemas: [GROUP_URN] })).status).toBe(201);
  });

  it('when the charset is not UTF-8, then 415 with a SCIM error body and nothing is written', async () => {
    const body = JSON.stringify(userBody('latin@example.com'));
    await expectRejected(() => sendRaw(bridge, 'POST', '/Users', body, 'application/scim+json; charset=latin1'), 415, undefined);
  });
});

describe('body size → 413', () => {
  it('when a body is larger than SCIM_MAX_BODY_BYTES, then 413 with a SCIM error body and nothing is written', async () => {
    const body = JSON.stringify(userBody('big@example.com', { title: 'x'.repeat(BODY_LIMIT) }));
    await expectRejected(() => sendRaw(bridge, 'POST', '/Users', body), 413, undefined);
    await expectRejected(() => sendRaw(bridge, 'PATCH', `/Groups/${groupId}`, body), 413, undefined);
  });

  it('when a body is exactly SCIM_MAX_BODY_BYTES long, then it is not refused as too large', async () => {
    const bare = JSON.stringify(userBody('limit@example.com', { title: '' }));
    const body = JSON.stringify(userBody('limit@example.com', { title: 'x'.repeat(BODY_LIMIT - Buffer.byteLength(bare)) }));
    expect(Buffer.byteLength(body)).toBe(BODY_LIMIT);
    const response = await sendRaw(bridge, 'POST', '/Users', body);
    expect(response.status).toBe(201);
  });
});

describe('wrong types → 400 invalidValue', () => {
  it.each([
    ['userName a number', { userName: 5 }],
    ['userName empty', { userName: '' }],
    ['userName missing', { displayName: 'No Name' }],
    ['active a word', { userName: 'a@example.com', active: 'yes' }],
    ['emails a string', { userName: 'a@example.com', emails: 'a@example.com' }],
    ['an email value a number', { userName: 'a@example.com', emails: [{ value: 5 }] }],
    ['name a string', { userName: 'a@example.com', name: 'Ada Lovelace' }],
    ['externalId an object', { userName: 'a@example.com', externalId: { id: 1 } }],
    ['the enterprise extension a string', { userName: 'a@example.com', [ENTERPRISE_URN]: 'R&D' }],
  ])('when a User has %s, then POST and PUT answer 400 invalidValue and nothing is written', async (_what, attributes) => {
    const body = { schemas: [USER_URN], ...attributes };
    await expectRejected(() => bridge.scim('POST', '/Users', body), 400, 'invalidValue', 'POST');
    await expectRejected(() => bridge.scim('PUT', `/Users/${adaId}`, body), 400, 'invalidValue', 'PUT');
  });

  it.each([
    ['displayName a number', { displayName: 5 }],
    ['displayName blank', { displayName: '  ' }],
    ['members a string', { displayName: 'G', members: 'ada' }],
    ['a member value a number', { displayName: 'G', members: [{ value: 5 }] }],
    ['a member without value', { displayName: 'G', members: [{ display: 'Ada' }] }],
  ])('when a Group has %s, then POST and PUT answer 400 invalidValue and nothing is written', async (_what, attributes) => {
    const body = { schemas: [GROUP_URN], ...attributes };
    await expectRejected(() => bridge.scim('POST', '/Groups', body), 400, 'invalidValue', 'POST');
    await expectRejected(() => bridge.scim('PUT', `/Groups/${groupId}`, body), 400, 'invalidValue', 'PUT');
  });

  it('when a PATCH value has the wrong type, then 400 invalidValue and nothing is written', async () => {
    await expectRejected(() => bridge.scim('PATCH', `/Users/${adaId}`, patchBody({ op: 'replace', path: 'active', value: 'maybe' })), 400, 'invalidValue');
    await expectRejected(() => bridge.scim('PATCH', `/Groups/${groupId}`, patchBody({ op: 'replace', path: 'displayName', value: 5 })), 400, 'invalidValue');
  });
});

describe('bad filters → 400 invalidFilter', () => {
  it.each([
    'userName eq',
    'userName eq "a" and',
    '(userName eq "a"',
    'userName eq "a")',
    'emails[type eq "work"',
    'userName xx "a"',
    'userName eq "unterminated',
    'userName eq "bad \\q escape"',
    'name.givenName.x eq "a"',
    'userName pr "value"',
    'not userName eq "a"',
    '"a" eq userName',
    `userName eq "${'x'.repeat(4100)}"`,
    `${'('.repeat(60)}userName pr${')'.repeat(60)}`,
  ])('when the filter is %j, then GET /Users and GET /Groups answer 400 invalidFilter', async (filter) => {
    for (const resource of ['Users', 'Groups']) {
      const response = await bridge.scim('GET', `/${resource}?${filterOf(filter)}`);
      expectScimError(response, 400, 'invalidFilter', `${resource} ${filter.slice(0, 40)}`);
    }
  });
});

describe('bad PATCH documents', () => {
  it('when a PATCH has no Operations, an empty list or a non-list, then 400 invalidSyntax', async () => {
    for (const body of [{ schemas: [PATCH_URN] }, { schemas: [PATCH_URN], Operations: [] }, { schemas: [PATCH_URN], Operations: { op: 'add' } }]) {
      await expectRejected(() => bridge.scim('PATCH', `/Users/${adaId}`, body), 400, 'invalidSyntax', JSON.stringify(body));
      await expectRejected(() => bridge.scim('PATCH', `/Groups/${groupId}`, body), 400, 'invalidSyntax', JSON.stringify(body));
    }
  });

  it('when schemas names another message, then 400 invalidSyntax', async () => {
    const body = { schemas: [USER_URN], Operations: [{ op: 'replace', path: 'displayName', value: 'X' }] };
    await expectRejected(() => bridge.scim('PATCH', `/Users/${adaId}`, body), 400, 'invalidSyntax');
  });

  it('when an op is not add, remove or replace (or not a string, or an operation is not an object), then 400 invalidSyntax', async () => {
    for (const operation of [{ op: 'move', path: 'displayName', value: 'X' }, { op: 'test', path: 'active', value: true }, { op: 5, path: 'active' }, { path: 'active', value: true }]) {
      await expectRejected(() => bridge.scim('PATCH', `/Users/${adaId}`, patchBody(operation)), 400, 'invalidSyntax', JSON.stringify(operation));
    }
    await expectRejected(() => bridge.scim('PATCH', `/Users/${adaId}`, { schemas: [PATCH_URN], Operations: ['add'] }), 400, 'invalidSyntax');
  });

  it.each([
    ['an unknown attribute', 'favouriteColour'],
    ['an unknown sub-attribute', 'name.nickname'],
    ['a malformed value filter', 'emails[type eq'],
    ['an unclosed bracket', 'emails[type eq "work"'],
    ['two levels of sub-attribute', 'name.givenName.first'],
    ['a filter on a sub-attribute', 'name.givenName[value eq "x"]'],
    ['a schema that is not a URN', 'foo:userName'],
    ['a blank path', '  '],
  ])('when the PATCH path is %s, then 400 invalidPath and nothing is written', async (_what, path) => {
    await expectRejected(() => bridge.scim('PATCH', `/Users/${adaId}`, patchBody({ op: 'replace', path, value: 'x' })), 400, 'invalidPath', path);
  });

  it('when the PATCH path is not a string, then 400 invalidPath', async () => {
    await expectRejected(() => bridge.scim('PATCH', `/Users/${adaId}`, patchBody({ op: 'replace', path: 5, value: 'x' })), 400, 'invalidPath');
  });

  it('when a Group PATCH adds through a members filter or patches a member sub-attribute, then 400 invalidPath', async () => {
    await expectRejected(
      () => bridge.scim('PATCH', `/Groups/${groupId}`, patchBody({ op: 'add', path: `members[value eq "${graceId}"]`, value: [{ value: graceId }] })),
      400,
      'invalidPath',
    );
    await expectRejected(
      () => bridge.scim('PATCH', `/Groups/${groupId}`, patchBody({ op: 'replace', path: `members[value eq "${adaId}"].display`, value: 'X' })),
      400,
      'invalidPath',
    );
  });

  it('when remove has no path, then 400 noTarget and nothing is written', async () => {
    await expectRejected(() => bridge.scim('PATCH', `/Users/${adaId}`, patchBody({ op: 'remove' })), 400, 'noTarget');
    await expectRejected(() => bridge.scim('PATCH', `/Groups/${groupId}`, patchBody({ op: 'remove', value: [{ value: adaId }] })), 400, 'noTarget');
  });

  it('when a PATCH targets a read-only attribute, then 400 mutability', async () => {
    await expectRejected(() => bridge.scim('PATCH', `/Users/${adaId}`, patchBody({ op: 'replace', path: 'id', value: 'mine' })), 400, 'mutability');
    await expectRejected(() => bridge.scim('PATCH', `/Users/${adaId}`, patchBody({ op: 'add', path: 'groups', value: [{ value: groupId }] })), 400, 'mutability');
  });

  it('when a valid operation is followed by a bad one, then the whole PATCH is refused and the valid part is not applied', async () => {
    await expectRejected(
      () =>
        bridge.scim(
          'PATCH',
          `/Users/${adaId}`,
          patchBody({ op: 'replace', path: 'displayName', value: 'Countess' }, { op: 'replace', path: 'active', value: false }, { op: 'add', path: 'nope', value: 1 }),
        ),
      400,
      'invalidPath',
    );
    await expectRejected(
      () =>
        bridge.scim(
          'PATCH',
          `/Groups/${groupId}`,
          patchBody(
            { op: 'add', path: 'members', value: [{ value: graceId }] },
            { op: 'replace', path: 'displayName', value: 'Renamed' },
            { op: 'add', path: 'members', value: [{ value: 'no-such-user' }] },
          ),
        ),
      400,
      'invalidValue',
    );
  });
});

describe('invalid member ids → 400 invalidValue naming the ids', () => {
  const unknownA = '3f1f0c55-0000-4000-8000-00000000000a';
  const unknownB = 'not-a-user';

  it('when a Group is created with unknown member ids, then 400 naming every unknown id and no group is created', async () => {
    const response = await expectRejected(() => bridge.scim('POST', '/Groups', groupBody('New', [adaId, unknownA, unknownB])), 400, 'invalidValue');
    expect(response.body.detail).toContain(unknownA);
    expect(response.body.detail).toContain(unknownB);
    expect(response.body.detail).not.toContain(adaId);
  });

  it('when a PUT replaces the members with unknown ids, then 400 naming them and the members stay', async () => {
    const response = await expectRejected(() => bridge.scim('PUT', `/Groups/${groupId}`, groupBody('Engineers', [graceId, unknownA])), 400, 'invalidValue');
    expect(response.body.detail).toContain(unknownA);
  });

  it('when a PATCH adds unknown ids, or a Group id as a member, then 400 naming them and no membership changes', async () => {
    const otherGroup = (await bridge.scim('POST', '/Groups', groupBody('Operators'))).body.id as string;
    const response = await expectRejected(
      () => bridge.scim('PATCH', `/Groups/${groupId}`, patchBody({ op: 'add', path: 'members', value: [{ value: graceId }, { value: unknownB }, { value: otherGroup }] })),
      400,
      'invalidValue',
    );
    expect(response.body.detail).toContain(unknownB);
    expect(response.body.detail).toContain(otherGroup);
  });
});

describe('bad query parameters → 400 invalidValue', () => {
  it.each([
    ['startIndex=abc'],
    ['count=abc'],
    ['count=1.5'],
    ['startIndex=1e3'],
    ['startIndex=1&startIndex=2'],
    ['filter=userName%20pr&filter=active%20pr'],
    ['attributes=user%20name'],
    ['excludedAttributes=emails..value'],
  ])('when the list query is %s, then GET /Users and GET /Groups answer 400 invalidValue', async (query) => {
    for (const resource of ['Users', 'Groups']) {
      expectScimError(await bridge.scim('GET', `/${resource}?${query}`), 400, 'invalidValue', `${resource}?${query}`);
    }
  });

  it('when startIndex and count are out of range, then they are clamped (RFC 7644 §3.4.2.4), not refused', async () => {
    const response = await bridge.scim('GET', '/Users?startIndex=-5&count=-1');
    expectScimAnswer(response);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ startIndex: 1, itemsPerPage: 0, totalResults: 2 });
  });

  it('when a write carries a bad attributes parameter, then 400 invalidValue before anything is written', async () => {
    await expectRejected(() => bridge.scim('POST', '/Users?attributes=a%20b', userBody('query@example.com')), 400, 'invalidValue');
  });
});

describe('unknown attributes are ignored', () => {
  it('when a User carries unknown attributes and extensions, then 201 and they are neither stored nor returned', async () => {
    const response = await bridge.scim(
      'POST',
      '/Users',
      userBody('extra@example.com', {
        favouriteColour: 'blue',
        'urn:example:params:scim:schemas:extension:acme:2.0:User': { badge: 7 },
        name: { givenName: 'Extra', shoeSize: 44 },
        emails: [{ value: 'extra@example.com', type: 'work', label: 'x' }],
      }),
    );
    expect(response.status).toBe(201);
    const read = await bridge.scim('GET', `/Users/${response.body.id}`);
    expect(read.status).toBe(200);
    expect(read.body.favouriteColour).toBeUndefined();
    expect(read.body['urn:example:params:scim:schemas:extension:acme:2.0:User']).toBeUndefined();
    expect(read.body.name).toEqual({ givenName: 'Extra' });
    expect(read.body.emails).toEqual([{ value: 'extra@example.com', type: 'work' }]);
  });

  it('when a body carries __proto__ and constructor keys, then they are ignored and no prototype is polluted', async () => {
    const before = prototypeKeys();
    const response = await sendRaw(
      bridge,
      'POST',
      '/Users',
      '{"userName":"proto@example.com","__proto__":{"polluted":true,"active":false},"constructor":{"prototype":{"polluted":true}},"name":{"__proto__":{"x":1}}}',
    );
    expect(response.status).toBe(201);
    expect(response.body.active).toBeUndefined();
    expect(prototypeKeys()).toEqual(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const stored = await bridge.store.getUser(response.body.id);
    expect(Object.keys(stored?.attributes ?? {})).not.toContain('__proto__');
    expect(Object.keys(stored?.attributes ?? {})).not.toContain('constructor');
  });
});

describe('regressions found by fuzzing', () => {
  it('when a body nests far deeper than any SCIM resource (5,000 levels), then 400 invalidSyntax instead of a 500 stack overflow', async () => {
    // Found by fuzz.test.ts: the normaliser's recursion overflowed the stack (RangeError → 500).
    // Such bodies exceed this file's 2 KiB limit, so this runs against a bridge with the default 1 MiB.
    const roomy = await startTestBridge();
    try {
      const userId = (await roomy.scim('POST', '/Users', userBody('ada@example.com'))).body.id as string;
      const deepArray = `${'['.repeat(5_000)}${']'.repeat(5_000)}`;
      const deepObject = `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`;
      const cases: Array<[string, string, string]> = [
        ['POST', '/Users', `{"userName":"deep@example.com","x":${deepArray}}`],
        ['POST', '/Users', `{"userName":"deep@example.com","name":${deepObject}}`],
        ['POST', '/Groups', `{"displayName":"Deep","members":${deepArray}}`],
        ['POST', '/Groups', deepObject],
        ['PUT', `/Users/${userId}`, `{"userName":"ada@example.com","x":${deepArray}}`],
        ['PATCH', `/Users/${userId}`, `{"schemas":["${PATCH_URN}"],"Operations":[{"op":"add","path":"name","value":${deepObject}}]}`],
      ];
      for (const [method, route, body] of cases) {
        await expectRejected(() => sendRaw(roomy, method, route, body), 400, 'invalidSyntax', `${method} ${route}`, roomy);
      }
    } finally {
      await roomy.close();
    }
  });

  it('when a body nests a little deeper than SCIM needs (10 levels in an unknown attribute), then it is accepted and the extra ignored', async () => {
    const response = await sendRaw(bridge, 'POST', '/Users', `{"userName":"nested@example.com","x":${'{"a":'.repeat(10)}1${'}'.repeat(10)}}`);
    expect(response.status).toBe(201);
    expect(response.body.x).toBeUndefined();
  });

  it('when a path segment is not valid percent-encoding (/Users/%FF), then 400 with a SCIM error body instead of a 500', async () => {
    // Found by fuzz.test.ts: the router's URIError reached the error handler as an unknown error.
    for (const [method, route] of [['GET', '/Users/%FF'], ['GET', '/Groups/%E0%A4%A'], ['DELETE', '/Users/%'], ['PATCH', '/Groups/%C0']] as const) {
      const body = method === 'PATCH' ? patchBody({ op: 'replace', path: 'displayName', value: 'X' }) : undefined;
      await expectRejected(() => bridge.scim(method, route, body), 400, undefined, `${method} ${route}`);
    }
  });

  it('when Content-Encoding claims gzip, deflate or br but the body is not compressed, then 400 invalidSyntax instead of a 500', async () => {
    // Found by fuzzing content encodings: zlib's error carried no body-parser `type`, so it became a 500.
    const body = JSON.stringify(userBody('zip@example.com'));
    for (const encoding of ['gzip', 'deflate', 'br']) {
      await expectRejected(() => sendRaw(bridge, 'POST', '/Users', body, 'application/scim+json', { 'content-encoding': encoding }), 400, 'invalidSyntax', encoding);
    }
  });

  it('when the body really is gzip- or deflate-compressed, then it is accepted', async () => {
    const gz = await sendRaw(bridge, 'POST', '/Users', gzipSync(JSON.stringify(userBody('gz@example.com'))), 'application/scim+json', { 'content-encoding': 'gzip' });
    expect(gz.status).toBe(201);
    const df = await sendRaw(bridge, 'POST', '/Users', deflateSync(JSON.stringify(userBody('df@example.com'))), 'application/scim+json', { 'content-encoding': 'deflate' });
    expect(df.status).toBe(201);
  });

  it('when a PATCH changes nothing (removes an absent value, re-sends the current one), then 200 and nothing is written', async () => {
    // Found while fuzzing: scimmy's PatchOp.apply resolves to undefined when nothing changed (was a 500).
    const noOps = [
      patchBody({ op: 'remove', path: 'emails[type eq "home"]' }),
      patchBody({ op: 'remove', path: 'nickName' }),
      patchBody({ op: 'remove', path: 'name.middleName' }),
      patchBody({ op: 'replace', path: 'active', value: true }),
      patchBody({ op: 'replace', path: 'userName', value: 'ada@example.com' }),
    ];
    for (const body of noOps) {
      const before = await storeFingerprint(bridge.store);
      const response = await bridge.scim('PATCH', `/Users/${adaId}`, body);
      expectScimAnswer(response, JSON.stringify(body));
      expect(response.status, JSON.stringify(body)).toBe(200);
      expect(response.body.id).toBe(adaId);
      expect(await storeFingerprint(bridge.store), JSON.stringify(body)).toBe(before);
    }
  });
});
