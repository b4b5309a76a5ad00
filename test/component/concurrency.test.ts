// Concurrent writers on one resource lose nothing: member deltas commute, attribute PATCHes retry.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestBridge, type TestBridge } from '../helpers/test-bridge.js';
import { groupBody, patchBody, userBody } from '../helpers/scim-builders.js';

let bridge: TestBridge;
beforeEach(async () => {
  bridge = await startTestBridge();
});
afterEach(async () => {
  await bridge.close();
});

describe('concurrent writes', () => {
  it('when 50 membership PATCHes with Okta renames hit one group at once, then every member is present', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) ids.push((await bridge.scim('POST', '/Users', userBody(`c${i}@example.com`))).body.id);
    const group = (await bridge.scim('POST', '/Groups', groupBody('Busy'))).body;
    const responses = await Promise.all(
      ids.map((id, i) =>
        bridge.scim(
          'PATCH',
          `/Groups/${group.id}`,
          patchBody({ op: 'replace', value: { id: group.id, displayName: i % 2 === 0 ? 'Busy' : 'busy' } }, { op: 'add', path: 'members', value: [{ value: id }] }),
        ),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(ids.map(() => 204));
    const after = await bridge.scim('GET', `/Groups/${group.id}`);
    expect(new Set(after.body.members.map((m: any) => m.value))).toEqual(new Set(ids));
  });

  it('when 20 PATCHes change different attributes of one user at once, then all of them land', async () => {
    const user = (await bridge.scim('POST', '/Users', userBody('busy@example.com'))).body;
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        bridge.scim('PATCH', `/Users/${user.id}`, patchBody({ op: 'add', path: 'phoneNumbers', value: [{ value: `+1-555-${i}`, type: 'work' }] })),
      ),
    );
    expect(responses.every((r) => r.status === 200)).toBe(true);
    const after = await bridge.scim('GET', `/Users/${user.id}`);
    expect(after.body.phoneNumbers).toHaveLength(20);
  });
});
