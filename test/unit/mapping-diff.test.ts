// What a changed mapping would change, per setting and per SCIM group (Dynatrace group, bindings per
// level, Davis admin), before it is deployed; and the drain meter that estimates when the queue empties.
import { describe, expect, it } from 'vitest';
import { diffMappings } from '../../src/core/mapping/mapping-diff.js';
import { parseMapping } from '../../src/mapping-file.js';

const BEFORE = parseMapping(`
groups:
  - scim: Admins
    dynatraceGroup: DT Admins
    policies:
      - level: account
        names: ["Standard User"]
  - scimPattern: "^team-(.+)$"
    dynatraceGroup: "Team $1"
`);

const GROUPS = [
  { id: 'g1', displayName: 'Admins' },
  { id: 'g2', displayName: 'team-obs' },
  { id: 'g3', displayName: 'Coffee Club' },
];

describe('diffMappings', () => {
  it('when nothing changes, then nothing is listed', () => {
    expect(diffMappings(BEFORE, BEFORE, GROUPS)).toEqual({ settings: [], groups: [] });
  });

  it('when bindings, names, Davis admin and settings change, then each group lists its changes and unchanged groups are left out', () => {
    const after = parseMapping(`
groups:
  - scim: Admins
    dynatraceGroup: DT Administrators
    davisAdmin: true
    policies:
      - level: account
        names: ["Pro User"]
      - level: environment
        id: abc12345
        names: ["Admin User"]
  - scimPattern: "^team-(.+)$"
    dynatraceGroup: "Team $1"
unmatchedGroups: ignore
deactivation: delete
protectedUsers: ["breakglass@example.com"]
`);
    expect(diffMappings(BEFORE, after, GROUPS)).toEqual({
      settings: ['unmatchedGroups: mirror → ignore', 'deactivation: remove-groups → delete', 'protectedUsers: + breakglass@example.com'],
      groups: [
        {
          group: GROUPS[0],
          before: 'DT Admins',
          after: 'DT Administrators',
          changes: [
            'Dynatrace group "DT Admins" → "DT Administrators"',
            'account: + "Pro User"',
            'account: − "Standard User"',
            'environment:abc12345: + "Admin User"',
            'Davis Assistant admin: false → true',
          ],
        },
        {
          group: GROUPS[2],
          before: 'Coffee Club',
          after: null,
          changes: ['no longer provisioned (was Dynatrace group "Coffee Club"): its members lose what it granted'],
        },
      ],
    });
  });

  it('when a group becomes provisioned, then its Dynatrace group and bindings are listed as added', () => {
    const ignoring = parseMapping('unmatchedGroups: ignore\n');
    const mirroring = parseMapping('groups:\n  - scim: Coffee Club\n    policies:\n      - level: account\n        uuids: ["00000000-0000-4000-8000-0000000000aa"]\n');
    expect(diffMappings(ignoring, mirroring, [GROUPS[2] as (typeof GROUPS)[number]]).groups[0]?.changes).toEqual([
      'becomes provisioned as Dynatrace group "Coffee Club"',
      'account: + 00000000-0000-4000-8000-0000000000aa',
    ]);
  });
});
