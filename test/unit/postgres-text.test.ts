// Strings PostgreSQL text cannot hold as given (U+0000) or the driver would alter (lone surrogates):
// the engine's text codec round-trips every string, and the store keeps, finds and lists such
// values exactly as the SQLite engine does instead of failing with 'unavailable'.
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPostgresStore } from '../../src/adapters/store/index.js';
import { decodeText, encodeText } from '../../src/adapters/store/postgres/pg-text.js';
import type { ChangeContext, Store } from '../../src/ports/store.js';
import { dropSchema, freshSchemaName, postgresUrl } from '../helpers/postgres-server.js';

const at = '2025-01-01T00:00:00.000Z';
const change: ChangeContext = { at, requestId: 'req\u0000\uD800', syncDueAt: at };
const loneSurrogates = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

describe('PostgreSQL text codec', () => {
  it('when any string is encoded, then it decodes to itself and holds no U+0000 and no lone surrogate', () => {
    const strings = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.string({ unit: fc.constantFrom('\u0000', '\u0001', '0', 'u', 'd800', '\uD800', '\uDC00', '😀', 'a') }),
    );
    fc.assert(fc.property(strings, (value) => {
      const encoded = encodeText(value);
      return decodeText(encoded) === value && !encoded.includes('\u0000') && !loneSurrogates.test(encoded);
    }), { numRuns: 2000 });
  });

  it('when a string needs no escaping, then it is stored unchanged', () => {
    for (const value of ['', 'alice@example.com', 'Äquipe Ünïcode', '😀 emoji pairs', '2025-01-01T00:00:00.000Z']) {
      expect(encodeText(value)).toBe(value);
    }
  });
});

describe('PostgreSQL store with awkward strings', () => {
  let store: Store;
  let schema: string;

  beforeEach(async () => {
    schema = freshSchemaName('text');
    store = await createPostgresStore({ connectionString: postgresUrl(), schema, poolSize: 2 });
  });

  afterEach(async () => {
    await store.close();
    await dropSchema(schema);
  });

  it('when keys, names and ids hold U+0000, the escape character or lone surrogates, then they are stored, found and listed exactly', async () => {
    const id = 'u\u0000\u0001';
    const userName = 'Al\u0000ice\uD800';
    const displayName = 'A\u0001\uDC00';
    await store.insertUser({
      id,
      attributes: { userName, displayName },
      keys: { userName, externalId: 'x\u0000', active: true, emails: ['Mail\u0000@example.com'] },
    }, change);
    await store.insertUser({ id: 'plain', attributes: { userName: 'Al' }, keys: { userName: 'Al', externalId: null, active: true, emails: [] } }, change);
    await store.insertGroup({ id: 'g\u0000', attributes: { displayName: 'G\uD800' }, keys: { displayName: 'G\uD800', externalId: null } }, [id], change);

    expect((await store.getUser(id))?.attributes).toEqual({ userName, displayName });
    const found = async (attribute: 'userName' | 'externalId' | 'emails.value' | 'id', value: string) =>
      (await store.findUsers({ where: { kind: 'eq', attribute, value }, offset: 0, limit: 10 })).map((user) => user.id);
    expect(await found('userName', 'AL\u0000ICE\uD800')).toEqual([id]);
    expect(await found('userName', 'al\u0000ice\uDC00')).toEqual([]);
    expect(await found('externalId', 'x\u0000')).toEqual([id]);
    expect(await found('emails.value', 'mail\u0000@EXAMPLE.com')).toEqual([id]);
    expect(await found('id', '\u0000')).toEqual([]);
    expect(await store.getUser('\u0000')).toBeNull();
    expect(await store.membersOfGroups(['g\u0000'])).toEqual(new Map([['g\u0000', [{ value: id, display: displayName }]]]));
    expect(await store.groupsOfUsers([id])).toEqual(new Map([[id, [{ value: 'g\u0000', display: 'G\uD800' }]]]));
    const withGroups = await store.findUsersWithGroups({ where: { kind: 'eq', attribute: 'userName', value: 'al\u0000ICE\uD800' }, offset: 0, limit: 1 });
    expect(withGroups.map((user) => [user.record.attributes, user.groups])).toEqual([[{ userName, displayName }, [{ value: 'g\u0000', display: 'G\uD800' }]]]);
    const queued = await store.leaseSyncWork({ now: at, limit: 10, leaseUntil: at, owner: 'w\u0000' });
    expect(queued.map((item) => [item.resourceId, item.requestId])).toEqual([[id, change.requestId], ['plain', change.requestId], ['g\u0000', change.requestId]]);
  });
});
