// renderUserJson splices the stored attributes' JSON text into the answer, and renderGroupJsonChunks
// writes a group's members a chunk at a time: each must give exactly the text JSON.stringify of the
// object rendering gives, for any attributes a store holds.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { storedOfRow } from '../../src/adapters/store/resource-row.js';
import type { GroupView } from '../../src/core/groups.js';
import type { UserView } from '../../src/core/users.js';
import type { JsonObject } from '../../src/ports/json.js';
import { renderGroup, renderGroupJsonChunks, renderUser, renderUserJson } from '../../src/scim/resource-renderer.js';
import { ENTERPRISE_USER_SCHEMA } from '../../src/scim/scim-schemas.js';
import { listResponse, listResponseChunks } from '../../src/scim/scim-response.js';

const BASE = 'https://scim.example.com/scim/v2';

const text = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom(`"${ENTERPRISE_USER_SCHEMA}":`, '\\"', '}', ',"id":"x"'));
const attributes: fc.Arbitrary<JsonObject> = fc.record(
  {
    userName: text,
    displayName: text,
    active: fc.boolean(),
    emails: fc.array(fc.record({ value: text, type: fc.constantFrom('work', 'home'), primary: fc.boolean() })),
    name: fc.record({ givenName: text, familyName: text }, { requiredKeys: [] }),
    [ENTERPRISE_USER_SCHEMA]: fc.record({ department: text, employeeNumber: text, manager: fc.record({ value: text }) }, { requiredKeys: [] }),
  },
  { requiredKeys: [] },
);
const groups = fc.option(fc.array(fc.record({ value: fc.uuid(), display: text }), { maxLength: 4 }), { nil: null });

function viewOf(id: string, stored: JsonObject, refs: UserView['groups']): { spliced: UserView; parsed: UserView } {
  const record = storedOfRow({ id, version: 3, created: '2025-01-01T00:00:00.000Z', last_modified: '2025-01-02T00:00:00.000Z', attributes: JSON.stringify(stored) });
  return { spliced: { record, groups: refs }, parsed: { record: { ...record }, groups: refs } };
}

describe('renderUserJson', () => {
  it('when the stored JSON text is spliced in, then the answer is the very text of the parsed rendering', () => {
    fc.assert(
      fc.property(fc.uuid(), attributes, groups, (id, stored, refs) => {
        const { spliced, parsed } = viewOf(id, stored, refs);
        expect(spliced.record.attributesJson).toBe(JSON.stringify(stored));
        expect(parsed.record.attributesJson).toBeUndefined();
        const expected = JSON.stringify(renderUser(parsed, BASE));
        expect(renderUserJson(spliced, BASE)).toBe(expected);
        expect(renderUserJson(parsed, BASE)).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('when the enterprise URN only appears inside a value, then the schemas list the core schema alone', () => {
    const { spliced } = viewOf('u1', { userName: 'a', title: `"${ENTERPRISE_USER_SCHEMA}":` }, []);
    expect(JSON.parse(renderUserJson(spliced, BASE)).schemas).toEqual(['urn:ietf:params:scim:schemas:core:2.0:User']);
    const withExtension = viewOf('u2', { userName: 'b', [ENTERPRISE_USER_SCHEMA]: { department: 'R&D' } }, []).spliced;
    expect(JSON.parse(renderUserJson(withExtension, BASE)).schemas).toEqual(['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE_USER_SCHEMA]);
  });

  it('when a stored record is copied, then the copy carries no stale JSON text and its attributes parse lazily', () => {
    const { spliced } = viewOf('u1', { userName: 'a' }, null);
    expect(Object.keys(spliced.record)).toEqual(['id', 'version', 'created', 'lastModified', 'attributes']);
    expect({ ...spliced.record, attributes: { userName: 'b' } }.attributesJson).toBeUndefined();
    expect(spliced.record.attributes).toBe(spliced.record.attributes);
    expect(spliced.record.attributes).toEqual({ userName: 'a' });
  });
});

describe('renderGroupJsonChunks', () => {
  const groupAttributes: fc.Arbitrary<JsonObject> = fc.record({ displayName: text, externalId: text }, { requiredKeys: [] });
  const members = fc.option(fc.array(fc.record({ value: fc.uuid(), display: text }), { maxLength: 12 }), { nil: null });

  it('when a group is written in chunks of any size, then the chunks together are the text of the whole rendering', () => {
    fc.assert(
      fc.property(fc.uuid(), groupAttributes, members, fc.integer({ min: 1, max: 5 }), (id, stored, refs, perChunk) => {
        const record = storedOfRow({ id, version: 2, created: '2025-01-01T00:00:00.000Z', last_modified: '2025-01-02T00:00:00.000Z', attributes: JSON.stringify(stored) });
        const view: GroupView = { record, members: refs };
        const chunks = [...renderGroupJsonChunks(view, BASE, perChunk)];
        expect(chunks.join('')).toBe(JSON.stringify(renderGroup(view, BASE)));
        if (refs !== null) expect(chunks).toHaveLength(Math.ceil(refs.length / perChunk) + 2);
      }),
      { numRuns: 500 },
    );
  });

  it('when a page of groups is written in pieces, then the pieces together are the text of the ListResponse', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.uuid(), groupAttributes, members), { maxLength: 4 }), fc.nat(1_000), fc.integer({ min: 1, max: 3 }), async (groups, extra, perChunk) => {
        const views: GroupView[] = groups.map(([id, stored, refs]) => ({
          record: storedOfRow({ id, version: 1, created: '2025-01-01T00:00:00.000Z', last_modified: '2025-01-01T00:00:00.000Z', attributes: JSON.stringify(stored) }),
          members: refs,
        }));
        const total = views.length + extra;
        const pieces: string[] = [];
        for await (const piece of listResponseChunks(views.map((view) => renderGroupJsonChunks(view, BASE, perChunk)), views.length, total, 1)) pieces.push(piece);
        expect(pieces.join('')).toBe(JSON.stringify(listResponse(views.map((view) => renderGroup(view, BASE)), total, 1)));
      }),
      { numRuns: 300 },
    );
  });
});
