// Property-based fuzzing of the SCIM endpoints (fast-check): random and mutated bodies, filters, PatchOp
// documents and query parameters never yield a 5xx, a non-SCIM body, or a write when they are rejected.
// Reproduce a failure with FUZZ_SEED=<seed> (and FUZZ_PATH=<path>) as printed; FUZZ_RUNS scales the runs.
import { TextDecoder } from 'node:util';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFilter } from '../../src/scim/filter-parser.js';
import { groupSchema, userSchema } from '../../src/scim/scim-schemas.js';
import {
  anyFilter,
  groupBody,
  mutate,
  mutateText,
  mutation,
  patchDocument,
  queryParameters,
  queryString,
  serialise,
  text,
  textMutation,
  userBody,
  encodeQueryValue,
  type Json,
  type KnownIds,
  type QueryParameter,
} from '../helpers/scim-arbitraries.js';
import { ENTERPRISE_URN, GROUP_URN, PATCH_URN, USER_URN } from '../helpers/scim-builders.js';
import {
  expectListResponse,
  expectScimAnswer,
  prototypeKeys,
  sendRaw,
  storeFingerprint,
} from '../helpers/scim-invariants.js';
import { startTestBridge, type ScimResponse, type TestBridge } from '../helpers/test-bridge.js';

/** Small enough that huge strings and deep nesting sometimes cross it. */
const BODY_LIMIT = 65_536;

const SCALE = Number(process.env.FUZZ_RUNS ?? '1');
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const PATH = process.env.FUZZ_PATH;

/** Per test: the default runs take a few seconds; scaled-up runs get time in proportion. */
const TIMEOUT = Math.max(30_000, 30_000 * SCALE);

function runs(numRuns: number): fc.Parameters<unknown> {
  return {
    numRuns: Math.max(1, Math.round(numRuns * SCALE)),
    ...(SEED === undefined ? {} : { seed: SEED }),
    ...(PATH === undefined ? {} : { path: PATH }),
    // Stop (and report what was found, shrunk so far) before the test itself times out.
    interruptAfterTimeLimit: TIMEOUT - 5_000,
    markInterruptAsFailure: true,
  };
}

const JSON_CONTENT_TYPES = ['application/scim+json', 'application/json', 'application/json; charset=utf-8', 'application/scim+json; charset=UTF-8'];

type Payload =
  | { readonly kind: 'json'; readonly value: unknown }
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array };

function wireBody(payload: Payload): string | Uint8Array {
  switch (payload.kind) {
    case 'json':
      return serialise(payload.value as never);
    case 'text':
      return payload.text;
    case 'bytes':
      return payload.bytes;
  }
}

/** What the server's JSON parser sees: UTF-8 decoded (invalid bytes replaced, BOM stripped), then JSON.parse. */
function parsedAsServerWould(body: string | Uint8Array): { ok: true; value: unknown } | { ok: false } {
  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  if (bytes.length === 0) return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(new TextDecoder('utf-8').decode(bytes)) };
  } catch {
    return { ok: false };
  }
}

type ContentEncoding = 'none' | 'identity' | 'gzip' | 'bogus-gzip' | 'bogus-deflate' | 'bogus-br' | 'x-unknown';

/** The body as sent under a Content-Encoding: really compressed, or claimed but not (bogus-*). */
function encode(body: string | Uint8Array, encoding: ContentEncoding): [string | Uint8Array, Record<string, string>] {
  switch (encoding) {
    case 'none':
      return [body, {}];
    case 'gzip':
      return [gzipSync(body), { 'content-encoding': 'gzip' }];
    case 'identity':
    case 'x-unknown':
      return [body, { 'content-encoding': encoding }];
    default:
      return [body, { 'content-encoding': encoding.slice('bogus-'.length) }];
  }
}

function byteLength(body: string | Uint8Array): number {
  return typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.length;
}

function isPlainObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

describe('fuzzing the SCIM endpoints with hostile input', () => {
  let bridge: TestBridge;
  const ids: KnownIds = { users: [], groups: [] };
  const pristinePrototype = prototypeKeys();
  const userAttributes = new Set([...userSchema().topLevel.keys(), 'groups', 'meta', 'id', 'schemas']);
  const groupAttributes = new Set([...groupSchema().topLevel.keys(), 'members', 'meta', 'id', 'schemas']);

  beforeAll(async () => {
    bridge = await startTestBridge({ env: { SCIM_MAX_BODY_BYTES: String(BODY_LIMIT) } });
    const users = [
      {
        schemas: [USER_URN, ENTERPRISE_URN],
        userName: 'ada@example.com',
        externalId: 'ext-ada',
        displayName: 'Ada Lovelace',
        active: true,
        name: { givenName: 'Ada', familyName: 'Lovelace' },
        emails: [{ value: 'ada@example.com', type: 'work', primary: true }],
        phoneNumbers: [{ value: '+1 555 0100', type: 'mobile' }],
        [ENTERPRISE_URN]: { employeeNumber: '1', department: 'R&D' },
      },
      { schemas: [USER_URN], userName: 'grace@example.com', active: false, emails: [{ value: 'grace@example.com', type: 'home' }] },
      { schemas: [USER_URN], userName: 'alan@example.com', displayName: 'Alan' },
      { schemas: [USER_URN], userName: 'edsger@example.com', name: { formatted: 'Edsger W. Dijkstra' } },
    ];
    for (const user of users) {
      const response = await bridge.scim('POST', '/Users', user);
      expect(response.status).toBe(201);
      (ids.users as string[]).push(response.body.id);
    }
    for (const [i, displayName] of ['Engineers', 'Operators'].entries()) {
      const members = ids.users.slice(i, i + 3).map((value) => ({ value }));
      const response = await bridge.scim('POST', '/Groups', { schemas: [GROUP_URN], displayName, externalId: `ext-${i}`, members });
      expect(response.status).toBe(201);
      (ids.groups as string[]).push(response.body.id);
    }
  });

  afterAll(async () => {
    await bridge?.close();
  });

  /** The resource reads back as valid SCIM with this id, holding no attribute outside its schema. */
  async function expectReadsBack(resourceType: 'Users' | 'Groups', id: string, context: string): Promise<void> {
    const response = await bridge.scim('GET', `/${resourceType}/${encodeURIComponent(id)}`);
    expectScimAnswer(response, `read-back of ${context}`);
    expect(response.status, `read-back of ${context}`).toBe(200);
    expect(response.body.id, `read-back of ${context}`).toBe(id);
    const core = resourceType === 'Users' ? USER_URN : GROUP_URN;
    expect(response.body.schemas, `read-back of ${context}`).toContain(core);
    const required = resourceType === 'Users' ? 'userName' : 'displayName';
    expect(response.body[required], `${required} of ${context}`).toBeTypeOf('string');
    // Unknown attributes are ignored, never stored.
    const known = resourceType === 'Users' ? userAttributes : groupAttributes;
    const unknown = Object.keys(response.body).filter((key) => !known.has(key.toLowerCase()));
    expect(unknown, `attributes of ${context}`).toEqual([]);
  }

  /** Sends a request and checks the invariants every request shares; returns the response. */
  async function exchange(send: () => Promise<ScimResponse>, context: string, write: boolean): Promise<ScimResponse> {
    const before = await storeFingerprint(bridge.store);
    const response = await send();
    expectScimAnswer(response, context);
    expect(prototypeKeys(), `Object.prototype after ${context}`).toEqual(pristinePrototype);
    if (!write || response.status >= 400) {
      expect(await storeFingerprint(bridge.store), `store after ${response.status} to ${context}`).toBe(before);
    }
    return response;
  }

  const pickId = (list: readonly string[], n: number): string => (n < 0 ? '00000000-0000-4000-8000-000000000000' : (list[n % list.length] as string));

  it('when random and mutated User and Group bodies are POSTed or PUT, then every answer is SCIM, rejected ones write nothing, accepted ones read back', async () => {
    const resourceBody = (resourceType: 'Users' | 'Groups'): fc.Arbitrary<Json> => {
      const [own, other] = resourceType === 'Users' ? [userBody(ids), groupBody(ids)] : [groupBody(ids), userBody(ids)];
      return fc.oneof({ weight: 8, arbitrary: own }, { weight: 1, arbitrary: other });
    };
    const payload = (resourceType: 'Users' | 'Groups'): fc.Arbitrary<Payload> =>
      fc.oneof(
        {
          weight: 7,
          arbitrary: fc
            .tuple(resourceBody(resourceType), fc.array(mutation, { maxLength: 3 }))
            .map(([b, ms]) => ({ kind: 'json' as const, value: mutate(b, ms) })),
        },
        { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => ({ kind: 'json' as const, value })) },
        {
          weight: 1,
          arbitrary: fc
            .tuple(resourceBody(resourceType), fc.array(textMutation, { minLength: 1, maxLength: 3 }))
            .map(([b, ms]) => ({ kind: 'text' as const, text: mutateText(JSON.stringify(b), ms) })),
        },
        { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ kind: 'bytes' as const, bytes })) },
      );
    const contentType = fc.oneof(
      { weight: 16, arbitrary: fc.constantFrom(...JSON_CONTENT_TYPES) },
      { weight: 1, arbitrary: fc.constantFrom<string | null>('text/plain', 'application/x-www-form-urlencoded', null, 'application/json; charset=latin1', 'application/scim+json; charset=utf-16') },
    );
    const request = fc.constantFrom('Users' as const, 'Groups' as const).chain((resourceType) =>
      fc.record({
        method: fc.constantFrom('POST', 'PUT'),
        resourceType: fc.constant(resourceType),
        id: fc.oneof({ weight: 12, arbitrary: fc.nat() }, { weight: 1, arbitrary: fc.constant(-1) }),
        body: payload(resourceType),
        type: contentType,
        encoding: fc.oneof(
          { weight: 14, arbitrary: fc.constant<ContentEncoding>('none') },
          { weight: 1, arbitrary: fc.constantFrom<ContentEncoding>('gzip', 'bogus-gzip', 'bogus-deflate', 'bogus-br', 'identity', 'x-unknown') },
        ),
      }),
    );

    await fc.assert(
      fc.asyncProperty(request, async ({ method, resourceType, id, body, type, encoding }) => {
        const targetId = pickId(resourceType === 'Users' ? ids.users : ids.groups, id);
        const route = method === 'POST' ? `/${resourceType}` : `/${resourceType}/${targetId}`;
        const wire = wireBody(body);
        const context = `${method} ${route} (${type ?? 'no content type'}, ${encoding})`;
        const [sent, headers] = encode(wire, encoding);
        const response = await exchange(() => sendRaw(bridge, method, route, sent, type, headers), context, true);

        const unreadable = encoding.startsWith('bogus') || encoding === 'x-unknown' || type === null || !JSON_CONTENT_TYPES.includes(type);
        if (unreadable) {
          expect(response.status, context).toBeGreaterThanOrEqual(400);
        } else if (byteLength(wire) > BODY_LIMIT) {
          expect(response.status, context).toBe(413);
        } else {
          const parsed = parsedAsServerWould(wire);
          if (!parsed.ok || !isPlainObject(parsed.value)) {
            expect({ status: response.status, scimType: response.body.scimType }, context).toEqual({ status: 400, scimType: 'invalidSyntax' });
          }
        }
        if (response.status < 300) {
          expect(response.status, context).toBe(method === 'POST' ? 201 : 200);
          const createdId: string = response.body.id;
          if (method === 'POST') expect(response.headers.get('location') ?? '', context).toContain(createdId);
          else expect(createdId, context).toBe(targetId);
          await expectReadsBack(resourceType, createdId, context);
        }
      }),
      runs(300),
    );
  }, TIMEOUT);

  it('when random and mutated filters are sent to GET /Users and GET /Groups, then each is answered 200 or 400 invalidFilter/tooMany, as the parser decides', async () => {
    const rawBytes = fc.uint8Array({ minLength: 1, maxLength: 24 }).map((bytes) => [...bytes].map((b) => `%${b.toString(16).padStart(2, '0')}`).join(''));
    const filter = fc.oneof(
      { weight: 12, arbitrary: anyFilter.map((text) => ({ text, encoded: encodeQueryValue(text) })) },
      { weight: 1, arbitrary: rawBytes.map((encoded) => ({ text: null, encoded })) },
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('Users', 'Groups'), filter, async (resourceType, { text, encoded }) => {
        const route = `/${resourceType}?filter=${encoded}`;
        const response = await exchange(() => bridge.scim('GET', route), `GET ${route.slice(0, 200)}`, false);
        expect([200, 400], route).toContain(response.status);
        if (response.status === 200) expectListResponse(response, route);
        else expect(['invalidFilter', 'tooMany'], route).toContain(response.body.scimType);
        if (text === null) return;
        const wellFormed = text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
        let parses = true;
        try {
          if (wellFormed.trim() !== '') parseFilter(wellFormed);
        } catch {
          parses = false;
        }
        if (!parses) expect(response.body.scimType, route).toBe('invalidFilter');
        else expect(response.body.scimType, route).not.toBe('invalidFilter');
      }),
      runs(300),
    );
  }, TIMEOUT);

  it('when random and mutated PatchOp documents are sent to PATCH /Users/{id} and /Groups/{id}, then every answer is SCIM, rejected ones write nothing, accepted ones read back', async () => {
    const payload = (resourceType: 'Users' | 'Groups'): fc.Arbitrary<Payload> =>
      fc.oneof(
        { weight: 10, arbitrary: patchDocument(ids, resourceType).map((value) => ({ kind: 'json' as const, value })) },
        {
          weight: 2,
          arbitrary: fc
            .tuple(patchDocument(ids, resourceType), fc.array(mutation, { minLength: 1, maxLength: 3 }))
            .map(([d, ms]) => ({ kind: 'json' as const, value: mutate(d, ms) })),
        },
        {
          weight: 1,
          arbitrary: fc
            .tuple(patchDocument(ids, resourceType), fc.array(textMutation, { minLength: 1, maxLength: 2 }))
            .map(([d, ms]) => ({ kind: 'text' as const, text: mutateText(JSON.stringify(d), ms) })),
        },
        { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((value) => ({ kind: 'json' as const, value })) },
      );
    const request = fc.constantFrom('Users' as const, 'Groups' as const).chain((resourceType) =>
      fc.record({
        resourceType: fc.constant(resourceType),
        id: fc.oneof({ weight: 12, arbitrary: fc.nat() }, { weight: 1, arbitrary: fc.constant(-1) }),
        body: payload(resourceType),
        ifMatch: fc.oneof(
          { weight: 10, arbitrary: fc.constant(undefined) },
          { weight: 1, arbitrary: fc.constantFrom('*', 'W/"1"', 'W/"2"', '"3"', 'W/"999"', 'garbage', '', 'W/"1", W/"2"') },
        ),
      }),
    );
    await fc.assert(
      fc.asyncProperty(request, async ({ resourceType, id, body, ifMatch }) => {
        const targetId = pickId(resourceType === 'Users' ? ids.users : ids.groups, id);
        const route = `/${resourceType}/${targetId}`;
        const wire = wireBody(body);
        const context = `PATCH ${route} (If-Match ${ifMatch ?? 'none'}) ${typeof wire === 'string' ? wire.slice(0, 300) : ''}`;
        const headers: Record<string, string> = ifMatch === undefined ? {} : { 'if-match': ifMatch };
        const response = await exchange(() => sendRaw(bridge, 'PATCH', route, wire, 'application/scim+json', headers), context, true);
        const parsed = parsedAsServerWould(wire);
        if (byteLength(wire) > BODY_LIMIT) expect(response.status, context).toBe(413);
        else if (ifMatch !== undefined) expect(response.status, context).toBeLessThan(500); // a bad If-Match may be refused (412) first
        else if (!parsed.ok || !isPlainObject(parsed.value)) {
          expect({ status: response.status, scimType: response.body?.scimType }, context).toEqual({ status: 400, scimType: 'invalidSyntax' });
        }
        if (response.status < 300) {
          expect([200, 204], context).toContain(response.status);
          if (response.status === 200) expect(response.body.id, context).toBe(targetId);
          await expectReadsBack(resourceType, targetId, context);
        }
      }),
      runs(300),
    );
  }, TIMEOUT);

  it('when random query parameters are sent to list, get and patch endpoints, then every answer is SCIM and lists stay consistent', async () => {
    /**
     * Mostly a known id (null); sometimes an unknown, strange or badly percent-encoded path segment.
     * Never a dot segment (`.`, `..`, `%2e`, `%2e%2e`): the client's URL parser resolves it, so
     * `/Users/%2e` goes out as `/Users/` (a list) and `/Users/..` as the base path (the root query).
     */
    const pathId = fc
      .oneof(
        { weight: 8, arbitrary: fc.constant(null) },
        { weight: 1, arbitrary: text.filter((t) => t !== '').map((t) => encodeQueryValue(t)) },
        { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 6 }).map((bytes) => [...bytes].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')) },
        { weight: 1, arbitrary: fc.constantFrom('%', '%E0%A4%A', '.%2e.', 'a%2Fb', '%00', '%C0%AF') },
      )
      .filter((segment) => segment === null || !/^(?:\.|%2e){1,2}$/i.test(segment));
    const endpoint = fc.constantFrom('GET /Users', 'GET /Groups', 'GET /Users/{id}', 'GET /Groups/{id}', 'PATCH /Groups/{id}', 'PATCH /Users/{id}');
    await fc.assert(
      fc.asyncProperty(endpoint, fc.nat(), pathId, queryParameters, async (which, n, strangeId, parameters: QueryParameter[]) => {
        const [method, template] = which.split(' ') as [string, string];
        const resourceType = template.startsWith('/Users') ? 'Users' : 'Groups';
        const id = strangeId ?? pickId(resourceType === 'Users' ? ids.users : ids.groups, n);
        const route = `${template.replace('{id}', id)}?${queryString(parameters)}`;
        const context = `${method} ${route.slice(0, 300)}`;
        const body =
          method === 'PATCH'
            ? { schemas: [PATCH_URN], Operations: [{ op: 'replace', path: 'externalId', value: `ext-${n}` }] }
            : undefined;
        const response = await exchange(() => bridge.scim(method, route, body), context, method === 'PATCH');
        if (response.status >= 400) {
          if (strangeId !== null && response.status === 404) return;
          expect(response.status, context).toBe(400);
          if (strangeId === null) expect(['invalidValue', 'invalidFilter', 'tooMany'], context).toContain(response.body.scimType);
          return;
        }
        if (template.endsWith('{id}')) {
          if (response.status !== 204) expect(response.body.id, context).toBeTypeOf('string');
          return;
        }
        expectListResponse(response, context);
        const count = parameters.filter(([name]) => name.toLowerCase() === 'count').map(([, value]) => value);
        if (count.length === 1 && /^\s*\d{1,6}\s*$/.test(count[0] as string)) {
          expect(response.body.itemsPerPage, context).toBeLessThanOrEqual(Number(count[0]));
        }
      }),
      runs(250),
    );
  }, TIMEOUT);
});
