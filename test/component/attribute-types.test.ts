// Canonical values are advice, not law (RFC 7643 §2.3.1, §7): any string `type` on every
// multi-valued User attribute that has one is stored exactly as sent through POST, PUT and PATCH
// and read back by GET — on each store engine — and a filter on it follows caseExact=false.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { patchBody, USER_URN } from '../helpers/scim-builders.js';
import { startTestBridge, STORE_ENGINES, type TestBridge } from '../helpers/test-bridge.js';

/** Each attribute with a value its own sub-attribute definition accepts (photos: a URL; x509: base64). */
const ATTRIBUTES: Readonly<Record<string, string>> = {
  emails: 'someone@example.com',
  phoneNumbers: '+1 555 0100',
  ims: 'someone@chat.example',
  photos: 'https://photos.example.com/someone.png',
  addresses: 'ignored',
  entitlements: 'dynatrace-viewer',
  roles: 'Admin',
  x509Certificates: 'MIIDQzCCAqygAwIBAgICEAAwDQYJKoZIhvcNAQEFBQAw',
};

/** A value of `attribute` with `type` (addresses carry no `value`: a street address instead). */
function entry(attribute: string, type: string, n: number): Record<string, string> {
  return attribute === 'addresses' ? { streetAddress: `${n} Main St`, type } : { value: ATTRIBUTES[attribute] as string, type };
}

/** Any Unicode text (no lone surrogates, which JSON can carry but UTF-8 cannot store), the empty string included. */
const typeString = fc.string({ unit: 'binary', maxLength: 24 });
const runs = { numRuns: 40, seed: process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED) };

for (const engine of STORE_ENGINES) {
  describe(`any type string [${engine}]`, () => {
    let bridge: TestBridge;
    beforeAll(async () => {
      bridge = await startTestBridge({ engine });
    });
    afterAll(async () => {
      await bridge.close();
    });

    it('when a type is any string, then POST, PUT, PATCH and GET keep it exactly as sent, and a type filter finds it in any case', async () => {
      let n = 0;
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...Object.keys(ATTRIBUTES)), typeString, typeString, typeString, async (attribute, created, replaced, added) => {
          n += 1;
          const userName = `types.${engine}.${n}.${Date.now()}@example.com`;
          const typesOf = (body: any): unknown => (body[attribute] as Array<{ type: string }> | undefined)?.map((item) => item.type);

          const post = await bridge.scim('POST', '/Users', { schemas: [USER_URN], userName, [attribute]: [entry(attribute, created, 1)] });
          expect(post.status, JSON.stringify(post.body)).toBe(201);
          expect(typesOf(post.body)).toEqual([created]);
          const id = post.body.id as string;
          expect(typesOf((await bridge.scim('GET', `/Users/${id}`)).body)).toEqual([created]);

          const put = await bridge.scim('PUT', `/Users/${id}`, { schemas: [USER_URN], userName, [attribute]: [entry(attribute, replaced, 2)] });
          expect(put.status, JSON.stringify(put.body)).toBe(200);
          expect(typesOf(put.body)).toEqual([replaced]);

          const filter = `${attribute}[type eq ${JSON.stringify(replaced.toUpperCase())}]`;
          const found = await bridge.scim('GET', `/Users?filter=${encodeURIComponent(`userName eq ${JSON.stringify(userName)} and ${filter}`)}`);
          expect(found.body.totalResults, filter).toBe(1);

          const patch = await bridge.scim('PATCH', `/Users/${id}`, patchBody({ op: 'add', path: attribute, value: [entry(attribute, added, 3)] }));
          expect(patch.status, JSON.stringify(patch.body)).toBe(200);
          // Adding a value equal to one already there adds nothing (only addresses differ in more than type).
          const expected = replaced === added && attribute !== 'addresses' ? [replaced] : [replaced, added];
          expect(typesOf((await bridge.scim('GET', `/Users/${id}`)).body)).toEqual(expected);
          expect((await bridge.scim('DELETE', `/Users/${id}`)).status).toBe(204);
        }),
        runs,
      );
    });
  });
}
