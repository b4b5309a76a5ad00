// The mapping file (MAPPING_FILE): the documented examples, the defaults, and every validation
// problem, reported all at once with its location.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAPPING, groupTarget } from '../../src/core/mapping/mapping.js';
import { MappingFileError, loadMappingFile, parseMapping } from '../../src/mapping-file.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/mapping/${name}`, import.meta.url));

function problemsOf(text: string): readonly string[] {
  try {
    parseMapping(text);
  } catch (error) {
    if (error instanceof MappingFileError) return error.problems;
    throw error;
  }
  return [];
}

/** A binding rule's limits when the file sets none. */
const unlimited = { boundaryNames: [], boundaryUuids: [], parameters: {} };

/** One group rule around the given lines (indented as items of `groups`). */
const rule = (...lines: string[]): string => `groups:\n  - ${lines.join('\n    ')}\n`;

describe('loadMappingFile', () => {
  it('when the issue example is loaded, then it gives exactly the documented Mapping', () => {
    expect(loadMappingFile(fixture('example.yaml'))).toEqual({
      groups: [
        {
          scim: 'DT Prod Viewers',
          pattern: null,
          dynatraceGroup: 'Prod Viewers',
          policies: [{ level: 'environment', environmentId: 'abc12345', names: ['Standard User'], uuids: [], ...unlimited }],
          davisAdmin: false,
        },
      ],
      unmatchedGroups: 'mirror',
      deactivation: 'remove-groups',
      emailChange: 'migrate',
      protectedUsers: new Set(['breakglass@example.com']),
    });
  });

  it('when the full example is loaded, then every rule and choice is read as documented', () => {
    const mapping = loadMappingFile(fixture('full.yaml'));
    expect(mapping.groups).toHaveLength(4);
    expect(mapping.groups[0]?.policies).toEqual([
      { level: 'environment', environmentId: 'abc12345', names: ['Standard User'], uuids: [], ...unlimited, boundaryNames: ['Production zone'] },
      { level: 'environment', environmentId: 'abc12345', names: ['Team Settings Writer'], uuids: [], ...unlimited, parameters: { team: 'payments' } },
      { level: 'environment', environmentId: 'xyz98765', names: ['Standard User', 'Read Settings'], uuids: [], ...unlimited },
    ]);
    expect(mapping.groups[1]).toEqual({
      scim: 'DT Account Admins',
      pattern: null,
      dynatraceGroup: null,
      policies: [
        { level: 'account', environmentId: null, names: ['Account Viewer'], uuids: ['3f1c2a9e-6b7d-4e2f-9a8b-0c1d2e3f4a5b'], ...unlimited, boundaryUuids: ['9c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f'] },
      ],
      davisAdmin: true,
    });
    expect(mapping.groups[2]?.pattern?.source).toBe('^DT-([A-Za-z0-9]+)$');
    expect(mapping.groups[3]).toMatchObject({ scim: null, dynatraceGroup: null, policies: [], davisAdmin: false });
    expect(mapping).toMatchObject({ unmatchedGroups: 'ignore', deactivation: 'remove-groups', emailChange: 'reject' });
    expect([...mapping.protectedUsers]).toEqual(['breakglass@example.com', 'platform-owner@example.com']);
    expect(groupTarget(mapping, 'DT-Payments')?.dynatraceGroup).toBe('Team Payments');
    expect(groupTarget(mapping, 'DT-ENV-abc12345-Operators')?.dynatraceGroup).toBe('DT-ENV-abc12345-Operators');
    expect(groupTarget(mapping, 'All Employees')).toBeNull();
  });

  it('when no file is configured, then the default mapping applies', () => {
    expect(loadMappingFile(null, () => { throw new Error('must not read'); })).toBe(DEFAULT_MAPPING);
  });

  it('when the file cannot be read, then a MappingFileError names the file and the cause is kept', () => {
    const missing = fixture('does-not-exist.yaml');
    let caught: unknown;
    try {
      loadMappingFile(missing);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(MappingFileError);
    const error = caught as MappingFileError;
    expect(error.name).toBe('MappingFileError');
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toContain(missing);
    expect(error.problems[0]).toContain('ENOENT');
    expect(error.message).toContain(`invalid mapping file ${missing}`);
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ENOENT');
  });

  it('when readFile is injected, then the text it returns is parsed', () => {
    const mapping = loadMappingFile('/etc/bridge/mapping.yaml', (f) => (f === '/etc/bridge/mapping.yaml' ? 'deactivation: delete\n' : ''));
    expect(mapping.deactivation).toBe('delete');
  });
});

describe('parseMapping', () => {
  it('when the file is an empty mapping, then every default applies', () => {
    expect(parseMapping('{}')).toEqual({ ...DEFAULT_MAPPING, protectedUsers: new Set() });
  });

  it('when a rule gives only scim, then dynatraceGroup is null (the SCIM name), no policies and davisAdmin false', () => {
    expect(parseMapping(rule('scim: "Ops"')).groups).toEqual([{ scim: 'Ops', pattern: null, dynatraceGroup: null, policies: [], davisAdmin: false }]);
  });

  it('when a rule uses scimPattern with $1, then the pattern is compiled and the template kept', () => {
    const [only] = parseMapping(rule('scimPattern: "^DT-(.+)$"', 'dynatraceGroup: "Team $1"')).groups;
    expect(only?.scim).toBeNull();
    expect(only?.pattern).toBeInstanceOf(RegExp);
    expect(only?.pattern?.exec('DT-Payments')?.[1]).toBe('Payments');
    expect(only?.dynatraceGroup).toBe('Team $1');
  });

  it('when policy names and uuids repeat or vary in case, then names are trimmed, uuids lower-cased and both de-duplicated', () => {
    const text = rule(
      'scim: "Ops"',
      'policies:',
      '  - level: account',
      '    names: [" Standard User", "Standard User"]',
      '    uuids: ["3F1C2A9E-6B7D-4E2F-9A8B-0C1D2E3F4A5B", "3f1c2a9e-6b7d-4e2f-9a8b-0c1d2e3f4a5b"]',
    );
    expect(parseMapping(text).groups[0]?.policies).toEqual([
      { level: 'account', environmentId: null, names: ['Standard User'], uuids: ['3f1c2a9e-6b7d-4e2f-9a8b-0c1d2e3f4a5b'], ...unlimited },
    ]);
  });

  it('when protectedUsers mix case, then the set holds them lower-cased', () => {
    expect(parseMapping('protectedUsers: [Admin@Example.COM, admin@example.com]').protectedUsers).toEqual(new Set(['admin@example.com']));
  });

  it('when the YAML is malformed, then the problem names its line and column', () => {
    const problems = problemsOf('groups:\n  - scim: "Ops"\n    policies: [\n  - scim: x\n');
    expect(problems.length).toBeGreaterThanOrEqual(1);
    expect(problems[0]).toMatch(/^line \d+, column \d+: YAML syntax: /);
  });

  it('when a key is repeated, then the YAML problem names the line of the repeat', () => {
    const problems = problemsOf('deactivation: delete\nemailChange: reject\ndeactivation: remove-groups\n');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('line 3, column 1');
    expect(problems[0]).toContain('unique');
  });

  it('when an alias refers to no anchor, then it is a problem, not a crash', () => {
    const problems = problemsOf('groups: *rules\n');
    expect(problems.some((p) => p.includes('alias'))).toBe(true);
  });

  it('when the file is empty or holds only comments, then it is a problem (MAPPING_FILE must be unset for the default)', () => {
    expect(problemsOf('')).toHaveLength(1);
    expect(problemsOf('# nothing yet\n')[0]).toContain('(top level)');
  });

  it('when the top level is not a mapping, then that is the one problem', () => {
    const problems = problemsOf('- scim: Ops\n');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('(top level) (line 1): must be a mapping');
  });

  it('when keys are unknown at any depth, then each is reported with a suggestion for near misses', () => {
    const problems = problemsOf(
      [
        'unmatchedGroup: ignore',
        'groups:',
        '  - scim: Ops',
        '    dynatraceGroups: Operators',
        '    policies:',
        '      - level: account',
        '        name: ["Standard User"]',
        '        uuids: ["3f1c2a9e-6b7d-4e2f-9a8b-0c1d2e3f4a5b"]',
      ].join('\n'),
    );
    expect(problems).toHaveLength(3);
    expect(problems[0]).toContain('unmatchedGroup (line 1): unknown key (did you mean unmatchedGroups?)');
    expect(problems[1]).toContain('groups[0].dynatraceGroups (line 4): unknown key (did you mean dynatraceGroup?)');
    expect(problems[2]).toContain('groups[0].policies[0].name (line 7): unknown key (did you mean names?)');
  });

  it('when groups is not a list, then it is a problem', () => {
    expect(problemsOf('groups:\n  scim: Ops\n')[0]).toContain('groups (line 1): must be a list of group rules');
    expect(problemsOf('groups:\n')[0]).toContain('groups (line 1): must be a list');
  });

  it('when a rule is not a mapping, then it is a problem', () => {
    expect(problemsOf('groups: ["DT Ops"]\n')).toEqual([expect.stringContaining('groups[0] (line 1): must be a mapping')]);
  });

  it('when a rule has neither or both of scim and scimPattern, then each is a problem', () => {
    const problems = problemsOf('groups:\n  - dynatraceGroup: Ops\n  - scim: Ops\n    scimPattern: "^Ops$"\n');
    expect(problems).toHaveLength(2);
    expect(problems[0]).toContain('groups[0] (line 2): needs scim');
    expect(problems[1]).toContain('groups[1] (line 3): has both scim and scimPattern');
  });

  it('when scim is empty or not a string, then it is a problem', () => {
    expect(problemsOf(rule('scim: ""'))[0]).toContain('groups[0].scim');
    expect(problemsOf(rule('scim: 42'))[0]).toContain('groups[0].scim (line 2): must be a non-empty string');
  });

  it('when scimPattern does not compile, is too long or is written as a /literal/, then each is a problem', () => {
    const text = [
      'groups:',
      '  - scimPattern: "^DT-(.+$"',
      `  - scimPattern: "${'a'.repeat(501)}"`,
      '  - scimPattern: "/^DT-(.+)$/i"',
      '  - scimPattern: ""',
    ].join('\n');
    const problems = problemsOf(text);
    expect(problems).toHaveLength(4);
    expect(problems[0]).toContain('groups[0].scimPattern (line 2): is not a valid regular expression');
    expect(problems[1]).toContain('groups[1].scimPattern (line 3): is 501 characters long; at most 500');
    expect(problems[2]).toContain('groups[2].scimPattern (line 4): looks like a /…/flags literal');
    expect(problems[3]).toContain('groups[3].scimPattern (line 5): must be a non-empty regular expression');
  });

  it('when dynatraceGroup refers to capture groups the pattern lacks, or uses $n without scimPattern, then each is a problem', () => {
    const text = [
      'groups:',
      '  - scimPattern: "^DT-(.+)-(?:prod|dev)$"',
      '    dynatraceGroup: "$1 $2"',
      '  - scim: "Ops"',
      '    dynatraceGroup: "Ops $1"',
      '  - scimPattern: "^(?<team>.+)-(.+)$"',
      '    dynatraceGroup: "$0: $2/$1"',
    ].join('\n');
    const problems = problemsOf(text);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toContain('groups[0].dynatraceGroup (line 3): uses $2, but scimPattern has 1 capture group');
    expect(problems[1]).toContain('groups[1].dynatraceGroup (line 5): uses $1, but only a rule with scimPattern');
  });

  it('when dynatraceGroup is empty or longer than 200 characters, then it is a problem', () => {
    expect(problemsOf(rule('scim: Ops', 'dynatraceGroup: " "'))[0]).toContain('groups[0].dynatraceGroup (line 3): must be a non-empty string');
    expect(problemsOf(rule('scim: Ops', `dynatraceGroup: "${'x'.repeat(201)}"`))[0]).toContain('is 201 characters long; at most 200');
    expect(problemsOf(rule('scim: Ops', `dynatraceGroup: "${'x'.repeat(200)}"`))).toEqual([]);
  });

  it('when a long scim name would also be the Dynatrace name, then it is a problem unless dynatraceGroup is set', () => {
    const long = 'x'.repeat(201);
    expect(problemsOf(rule(`scim: "${long}"`))[0]).toContain('groups[0].scim (line 2): is longer than 200 characters');
    expect(problemsOf(rule(`scim: "${long}"`, 'dynatraceGroup: Short'))).toEqual([]);
  });

  it('when davisAdmin is not a boolean, then it is a problem', () => {
    expect(problemsOf(rule('scim: Ops', 'davisAdmin: "yes"'))).toEqual([expect.stringContaining('groups[0].davisAdmin (line 3): must be true or false; got "yes"')]);
  });

  it('when policies is not a list or an entry is not a mapping, then each is a problem', () => {
    expect(problemsOf(rule('scim: Ops', 'policies: Standard User'))[0]).toContain('groups[0].policies (line 3): must be a list of policy bindings');
    expect(problemsOf(rule('scim: Ops', 'policies: ["Standard User"]'))[0]).toContain('groups[0].policies[0] (line 3): must be a mapping');
  });

  it('when a policy level is missing or unknown, then it is a problem', () => {
    const text = rule('scim: Ops', 'policies:', '  - names: [A]', '  - level: tenant', '    names: [A]');
    const problems = problemsOf(text);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toContain('groups[0].policies[0].level (line 4): is required');
    expect(problems[1]).toContain('groups[0].policies[1].level (line 5): must be account or environment; got "tenant"');
  });

  it('when an environment id is missing, malformed or given for account level, then each is a problem', () => {
    const text = rule(
      'scim: Ops',
      'policies:',
      '  - level: environment',
      '    names: [A]',
      '  - level: environment',
      '    id: "prod env"',
      '    names: [A]',
      '  - level: account',
      '    id: abc12345',
      '    names: [A]',
      '  - level: environment',
      '    id: 12345678',
      '    names: [A]',
    );
    const problems = problemsOf(text);
    expect(problems).toHaveLength(4);
    expect(problems[0]).toContain('groups[0].policies[0].id (line 4): is required for level environment');
    expect(problems[1]).toContain('groups[0].policies[1].id (line 7): must be a Dynatrace environment id');
    expect(problems[2]).toContain('groups[0].policies[2].id (line 10): must be omitted for level account');
    expect(problems[3]).toContain('groups[0].policies[3].id (line 13): must be a Dynatrace environment id');
  });

  it('when a policy has no names and no uuids, or malformed ones, then each is a problem', () => {
    const text = rule(
      'scim: Ops',
      'policies:',
      '  - level: account',
      '  - level: environment',
      '    id: abc12345',
      '    names: []',
      '    uuids: []',
      '  - level: environment',
      '    id: def12345',
      '    names: "Standard User"',
      '  - level: environment',
      '    id: ghi12345',
      '    names: ["", 7]',
      '    uuids: ["not-a-uuid"]',
    );
    const problems = problemsOf(text);
    expect(problems).toHaveLength(6);
    expect(problems[0]).toContain('groups[0].policies[0] (line 4): needs at least one policy');
    expect(problems[1]).toContain('groups[0].policies[1] (line 5): needs at least one policy');
    expect(problems[2]).toContain('groups[0].policies[2].names (line 11): must be a list of IAM policy names');
    expect(problems[3]).toContain('groups[0].policies[3].names[0] (line 14): must be a non-empty IAM policy name');
    expect(problems[4]).toContain('groups[0].policies[3].names[1] (line 14): must be a string; got 7');
    expect(problems[5]).toContain('groups[0].policies[3].uuids[0] (line 15): must be a policy UUID');
  });

  it('when one rule binds the same policy twice at a level, then the repeat is a problem; other policies may share the level', () => {
    const text = rule(
      'scim: Ops',
      'policies:',
      '  - {level: account, names: [A]}',
      '  - {level: account, names: [B], boundaries: [Zone]}',
      '  - {level: account, names: [A], parameters: {team: x}}',
      '  - {level: environment, id: abc12345, names: [A]}',
    );
    expect(problemsOf(text)).toEqual([
      expect.stringContaining('groups[0].policies[2] (line 6): binds policy "A" at account again (see groups[0].policies[0]); a policy is bound once per level, with one set of boundaries and parameters'),
    ]);
  });

  it('when boundaries, boundaryUuids and parameters are given, then they are read; malformed ones are each a problem', () => {
    const good = rule('scim: Ops', 'policies:', '  - level: account', '    names: [A]', '    boundaries: [" Zone ", Zone]', '    boundaryUuids: [9C2D3E4F-5A6B-4C7D-8E9F-0A1B2C3D4E5F]', '    parameters: {team: ops, "zone.name": "eu-1"}');
    expect(parseMapping(good).groups[0]?.policies).toEqual([
      { level: 'account', environmentId: null, names: ['A'], uuids: [], boundaryNames: ['Zone'], boundaryUuids: ['9c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f'], parameters: { team: 'ops', 'zone.name': 'eu-1' } },
    ]);
    const bad = rule(
      'scim: Ops',
      'policies:',
      '  - level: account',
      '    names: [A]',
      '    boundaries: Zone',
      '    boundaryUuids: [nope]',
      '    parameters: {team: 7, "bad name": x}',
      '  - level: account',
      '    names: [B]',
      '    boundaries: [""]',
      '    parameters: [team]',
      '    boundaryUuid: [x]',
    );
    expect(problemsOf(bad)).toEqual([
      expect.stringContaining('groups[0].policies[0].boundaries (line 6): must be a list of policy boundary names, e.g. ["Production zone"]; got "Zone"'),
      expect.stringContaining('groups[0].policies[0].boundaryUuids[0] (line 7): must be a policy boundary UUID'),
      expect.stringContaining('groups[0].policies[0].parameters.team (line 8): must be a string; got 7 (quote it to keep it as text)'),
      expect.stringContaining('groups[0].policies[0].parameters."bad name" (line 8): is not a policy parameter name'),
      expect.stringContaining('groups[0].policies[1].boundaries[0] (line 11): must be a non-empty policy boundary name'),
      expect.stringContaining('groups[0].policies[1].parameters (line 12): must be a mapping of policy parameter names to values'),
      expect.stringContaining('groups[0].policies[1].boundaryUuid (line 13): unknown key (did you mean boundaryUuids?)'),
    ]);
  });

  it('when the choices hold unknown values, then each names the allowed ones', () => {
    const problems = problemsOf('unmatchedGroups: create\ndeactivation: disable\nemailChange: true\n');
    expect(problems).toEqual([
      expect.stringContaining('unmatchedGroups (line 1): must be mirror or ignore (default mirror); got "create"'),
      expect.stringContaining('deactivation (line 2): must be remove-groups or delete (default remove-groups); got "disable"'),
      expect.stringContaining('emailChange (line 3): must be migrate or reject (default migrate); got true'),
    ]);
  });

  it('when protectedUsers is not a list of email addresses, then each bad entry is a problem', () => {
    expect(problemsOf('protectedUsers: breakglass@example.com\n')[0]).toContain('protectedUsers (line 1): must be a list of email addresses');
    const problems = problemsOf('protectedUsers:\n  - breakglass\n  - ok@example.com\n  - "a b@example.com"\n  - 3\n');
    expect(problems).toHaveLength(3);
    expect(problems[0]).toContain('protectedUsers[0] (line 2): must be an email address');
    expect(problems[1]).toContain('protectedUsers[2] (line 4)');
    expect(problems[2]).toContain('protectedUsers[3] (line 5): must be a string');
  });

  it('when two rules name the same scim group, then the later one is a problem', () => {
    const problems = problemsOf('groups:\n  - scim: Ops\n  - scim: Dev\n  - scim: Ops\n    dynatraceGroup: Other\n');
    expect(problems).toEqual([expect.stringContaining('groups[2].scim (line 4): "Ops" is already the scim of groups[0]')]);
  });

  it('when an earlier pattern already matches a later rule, then the unreachable rule is a problem', () => {
    const problems = problemsOf('groups:\n  - scimPattern: "^DT-(.+)$"\n  - scim: DT-Ops\n  - scimPattern: "^DT-(.+)$"\n');
    expect(problems).toHaveLength(2);
    expect(problems[0]).toContain('groups[1].scim (line 3): "DT-Ops" is already matched by the scimPattern of groups[0]');
    expect(problems[1]).toContain('groups[2].scimPattern (line 4): repeats the scimPattern of groups[0]');
  });

  it('when a custom tag is used, then the YAML warning is a problem with its line', () => {
    expect(problemsOf('deactivation: !secret delete\n')).toEqual([expect.stringMatching(/^line 1, column 15: YAML: Unresolved tag/)]);
  });

  it('when several things are wrong, then every problem is reported at once, in file order', () => {
    const text = [
      'groups:',
      '  - scim: "DT Prod Viewers"',
      '    dynatraceGroup: "Prod $1"',
      '    policies:',
      '      - level: environment',
      '        names: ["Standard User"]',
      '    davisAdmin: maybe',
      '  - scimPattern: "(unclosed"',
      'unmatchedGroups: mirrored',
      'protectedUsers: ["not-an-email"]',
      'colour: blue',
    ].join('\n');
    let caught: unknown;
    try {
      parseMapping(text, '/etc/bridge/mapping.yaml');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(MappingFileError);
    const { problems, message } = caught as MappingFileError;
    expect(problems).toHaveLength(7);
    expect(problems[0]).toContain('groups[0].dynatraceGroup (line 3)');
    expect(problems[1]).toContain('groups[0].policies[0].id (line 5)');
    expect(problems[2]).toContain('groups[0].davisAdmin (line 7)');
    expect(problems[3]).toContain('groups[1].scimPattern (line 8)');
    expect(problems[4]).toContain('unmatchedGroups (line 9)');
    expect(problems[5]).toContain('protectedUsers[0] (line 10)');
    expect(problems[6]).toContain('colour (line 11): unknown key');
    expect(message).toContain('invalid mapping file /etc/bridge/mapping.yaml:\n- ');
  });
});
