// groupTarget(): which Dynatrace group a SCIM group becomes under a Mapping (first matching rule
// wins; unmatched groups are mirrored or ignored).
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAPPING, groupTarget } from '../../src/core/mapping/mapping.js';
import type { GroupRule, Mapping, PolicyBindingRule } from '../../src/core/mapping/mapping.js';

const unlimited = { boundaryNames: [], boundaryUuids: [], parameters: {} };
const viewer: PolicyBindingRule = { level: 'environment', environmentId: 'abc12345', names: ['Standard User'], uuids: [], ...unlimited };
const admin: PolicyBindingRule = { level: 'account', environmentId: null, names: [], uuids: ['3f1c2a9e-6b7d-4e2f-9a8b-0c1d2e3f4a5b'], ...unlimited };

function exact(scim: string, more: Partial<GroupRule> = {}): GroupRule {
  return { scim, pattern: null, dynatraceGroup: null, policies: [], davisAdmin: false, ...more };
}

function pattern(source: string, more: Partial<GroupRule> = {}): GroupRule {
  return { scim: null, pattern: new RegExp(source), dynatraceGroup: null, policies: [], davisAdmin: false, ...more };
}

function mappingOf(groups: readonly GroupRule[], unmatchedGroups: Mapping['unmatchedGroups'] = 'mirror'): Mapping {
  return { ...DEFAULT_MAPPING, groups, unmatchedGroups };
}

describe('groupTarget', () => {
  it('when an exact rule matches, then its Dynatrace name and policies apply', () => {
    const mapping = mappingOf([exact('DT Prod Viewers', { dynatraceGroup: 'Prod Viewers', policies: [viewer] })]);
    expect(groupTarget(mapping, 'DT Prod Viewers')).toEqual({ dynatraceGroup: 'Prod Viewers', policies: [viewer], davisAdmin: false });
  });

  it('when an exact rule has no dynatraceGroup, then the SCIM name is the Dynatrace name', () => {
    expect(groupTarget(mappingOf([exact('Ops', { policies: [admin] })]), 'Ops')).toEqual({ dynatraceGroup: 'Ops', policies: [admin], davisAdmin: false });
  });

  it('when the SCIM name differs only in case from an exact rule, then the rule does not match', () => {
    expect(groupTarget(mappingOf([exact('Ops', { policies: [admin] })], 'ignore'), 'ops')).toBeNull();
  });

  it('when a pattern matches, then $1 in dynatraceGroup is replaced by the first capture group', () => {
    const mapping = mappingOf([pattern('^DT-(.+)-(prod|dev)$', { dynatraceGroup: 'Team $1 ($2)', policies: [viewer] })]);
    expect(groupTarget(mapping, 'DT-Payments-prod')).toEqual({ dynatraceGroup: 'Team Payments (prod)', policies: [viewer], davisAdmin: false });
  });

  it('when a pattern without dynatraceGroup matches, then the SCIM name is kept', () => {
    expect(groupTarget(mappingOf([pattern('^DT-')], 'ignore'), 'DT-Payments')?.dynatraceGroup).toBe('DT-Payments');
  });

  it('when several rules match, then the first one wins', () => {
    const mapping = mappingOf([
      pattern('^DT-(.+)$', { dynatraceGroup: 'Team $1', policies: [viewer] }),
      exact('DT-Ops', { dynatraceGroup: 'Operators', policies: [admin], davisAdmin: true }),
    ]);
    expect(groupTarget(mapping, 'DT-Ops')).toEqual({ dynatraceGroup: 'Team Ops', policies: [viewer], davisAdmin: false });
  });

  it('when an exact rule comes before a matching pattern, then the exact rule wins', () => {
    const mapping = mappingOf([exact('DT-Ops', { dynatraceGroup: 'Operators' }), pattern('^DT-(.+)$', { dynatraceGroup: 'Team $1' })]);
    expect(groupTarget(mapping, 'DT-Ops')?.dynatraceGroup).toBe('Operators');
    expect(groupTarget(mapping, 'DT-Dev')?.dynatraceGroup).toBe('Team Dev');
  });

  it('when no rule matches and unmatchedGroups is mirror, then a group of the same name without policies is the target', () => {
    const mapping = mappingOf([exact('Ops', { policies: [admin], davisAdmin: true })], 'mirror');
    expect(groupTarget(mapping, 'All Employees')).toEqual({ dynatraceGroup: 'All Employees', policies: [], davisAdmin: false });
  });

  it('when no rule matches and unmatchedGroups is ignore, then the group is not provisioned', () => {
    expect(groupTarget(mappingOf([exact('Ops')], 'ignore'), 'All Employees')).toBeNull();
  });

  it('when the default mapping applies, then every SCIM group is mirrored as named', () => {
    expect(groupTarget(DEFAULT_MAPPING, 'DT Prod Viewers')).toEqual({ dynatraceGroup: 'DT Prod Viewers', policies: [], davisAdmin: false });
  });

  it('when the matching rule sets davisAdmin, then the target carries it', () => {
    const mapping = mappingOf([exact('Davis Admins', { davisAdmin: true }), pattern('^Davis', { davisAdmin: false })]);
    expect(groupTarget(mapping, 'Davis Admins')?.davisAdmin).toBe(true);
    expect(groupTarget(mapping, 'Davis Users')?.davisAdmin).toBe(false);
  });
});
