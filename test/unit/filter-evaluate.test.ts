// Unit tests of matchesFilter (RFC 7644 §3.4.2.2 semantics) over full SCIM User and Group
// resources, with a small in-test attribute catalogue and fast-check fuzzing.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { matchesFilter } from '../../src/core/filter/evaluate.js';
import type { AttributeCatalogue, AttributeInfo } from '../../src/core/filter/attribute-catalogue.js';
import type { AttributePath, CompareOperator, CompareValue, FilterNode } from '../../src/core/filter/ast.js';
import type { JsonObject, JsonValue } from '../../src/ports/json.js';
import { parseFilter } from '../../src/scim/filter-parser.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

function info(type: AttributeInfo['type'], caseExact = false, multiValued = false): AttributeInfo {
  return { type, caseExact, multiValued };
}

/** A slice of the RFC 7643 §8.7.1 User and enterprise extension schemas, keyed by lower-cased dotted path. */
const USER_ATTRIBUTES: ReadonlyMap<string, AttributeInfo> = new Map([
  ['id', info('string', true)],
  ['externalid', info('string', true)],
  ['username', info('string')],
  ['displayname', info('string')],
  ['title', info('string')],
  ['usertype', info('string')],
  ['active', info('boolean')],
  ['name', info('complex')],
  ['name.givenname', info('string')],
  ['name.familyname', info('string')],
  ['emails', info('complex', false, true)],
  ['emails.value', info('string', false, true)],
  ['emails.type', info('string', false, true)],
  ['emails.primary', info('boolean', false, true)],
  ['ims', info('complex', false, true)],
  ['ims.value', info('string', false, true)],
  ['ims.type', info('string', false, true)],
  ['x509certificates', info('complex', false, true)],
  ['x509certificates.value', info('binary', true, true)],
  ['meta.created', info('dateTime')],
  ['meta.lastmodified', info('dateTime')],
  ['schemas', info('reference', true, true)],
  [`${ENTERPRISE.toLowerCase()}:employeenumber`, info('string')],
  [`${ENTERPRISE.toLowerCase()}:costcenter`, info('string')],
  [`${ENTERPRISE.toLowerCase()}:manager`, info('complex')],
  [`${ENTERPRISE.toLowerCase()}:manager.value`, info('string', true)],
  ['scores', info('integer', false, true)],
]);

/** Records each lookup so the tests can check how valuePath sub-attributes are described. */
class UserCatalogue implements AttributeCatalogue {
  readonly lookups: AttributePath[] = [];

  describe(path: AttributePath): AttributeInfo | undefined {
    this.lookups.push(path);
    const schema = path.schema === null || path.schema.toLowerCase() === USER.toLowerCase() ? '' : `${path.schema.toLowerCase()}:`;
    const name = path.subAttribute === null ? path.attribute : `${path.attribute}.${path.subAttribute}`;
    return USER_ATTRIBUTES.get(`${schema}${name.toLowerCase()}`);
  }
}

const EMPTY_CATALOGUE: AttributeCatalogue = { describe: () => undefined };

/** Barbara Jensen, after RFC 7643 §8.2, with the enterprise extension. */
const BJENSEN: JsonObject = {
  schemas: [USER, ENTERPRISE],
  id: '2819c223-7f76-453a-919d-413861904646',
  externalId: 'bjensen-EXT',
  meta: {
    resourceType: 'User',
    created: '2010-01-23T04:56:22Z',
    lastModified: '2011-05-13T04:42:34Z',
    version: 'W/"3694e05e9dff591"',
  },
  name: { formatted: 'Ms. Barbara J Jensen, III', familyName: "O'Malley", givenName: 'Barbara' },
  userName: 'bjensen@example.com',
  displayName: 'Babs Jensen',
  title: 'Tour Guide',
  userType: 'Employee',
  active: true,
  emails: [
    { value: 'bjensen@example.com', type: 'work', primary: true },
    { value: 'babs@jensen.org', type: 'home' },
  ],
  ims: [{ value: 'someaimhandle', type: 'aim' }],
  x509Certificates: [{ value: 'MIIDQzCCAqygAwIBAgICEAAwDQYJKoZIhvcNAQEFBQAwTjELMAkGA1UEBhMCVVMx' }],
  scores: [3, 17],
  nickName: '',
  locale: null,
  addresses: [],
  [ENTERPRISE]: {
    employeeNumber: '701984',
    costCenter: '4130',
    manager: { value: '26118915-6090-4610-87e4-49d8ca9f808d', displayName: 'John Smith' },
  },
};

/** An Entra-shaped user: string boolean, mixed-case keys. */
const ENTRA_USER: JsonObject = {
  schemas: [USER],
  id: 'e1',
  UserName: 'Test_User_ab@contoso.com',
  Active: 'False',
  Emails: [{ Value: 'Test_User_ab@contoso.com', Type: 'work' }],
  externalId: 'jyoung',
};

function matches(filter: string, resource: JsonObject = BJENSEN, catalogue: AttributeCatalogue = new UserCatalogue()): boolean {
  return matchesFilter(parseFilter(filter), resource, catalogue);
}

describe('matchesFilter: the RFC 7644 §3.4.2.2 examples against Barbara Jensen', () => {
  const cases: ReadonlyArray<readonly [string, boolean]> = [
    ['userName eq "bjensen@example.com"', true],
    ['userName eq "bjensen"', false],
    ['userName Eq "BJENSEN@example.COM"', true],
    ['Username eq "bjensen@example.com"', true],
    ['name.familyName co "O\'Malley"', true],
    ['name.familyName co "o\'mall"', true],
    ['name.familyName co "Jensen"', false],
    ['userName sw "B"', true],
    ['userName sw "J"', false],
    [`${USER}:userName sw "bj"`, true],
    [`${USER}:name.familyName co "O'Malley"`, true],
    ['title pr', true],
    ['nickName pr', false],
    ['meta.lastModified gt "2011-05-13T04:42:33Z"', true],
    ['meta.lastModified gt "2011-05-13T04:42:34Z"', false],
    ['meta.lastModified ge "2011-05-13T04:42:34Z"', true],
    ['meta.lastModified lt "2011-05-13T04:42:34Z"', false],
    ['meta.lastModified le "2011-05-13T04:42:34Z"', true],
    ['title pr and userType eq "Employee"', true],
    ['title pr and userType eq "Intern"', false],
    ['title pr or userType eq "Intern"', true],
    ['nickName pr or userType eq "Intern"', false],
    [`schemas eq "${ENTERPRISE}"`, true],
    ['schemas eq "urn:example:other"', false],
    ['userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")', true],
    ['userType eq "Employee" and (emails co "example.net" or emails.value co "example.org")', false],
    ['userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")', false],
    ['userType ne "Intern" and not (emails co "example.net" or emails.value co "example.org")', true],
    ['userType eq "Employee" and (emails.type eq "work")', true],
    ['userType eq "Employee" and emails[type eq "work" and value co "@example.com"]', true],
    ['userType eq "Employee" and emails[type eq "home" and value co "@example.com"]', false],
    ['emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]', true],
    ['emails[type eq "other" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]', false],
    ['emails[type eq "other"] or ims[type eq "aim" and value co "aimhandle"]', true],
  ];
  for (const [filter, expected] of cases) {
    it(`when filtering with ${filter}, then the result is ${expected}`, () => {
      expect(matches(filter)).toBe(expected);
    });
  }
});

describe('matchesFilter: Okta and Entra ID lookups', () => {
  it('when Okta looks up a userName in another case, then it matches (userName is not caseExact)', () => {
    const okta: JsonObject = { userName: 'test.user@okta.local', active: true };
    expect(matches('userName eq "Test.User@OKTA.local"', okta)).toBe(true);
    expect(matches('userName eq "other@okta.local"', okta)).toBe(false);
  });

  it('when Entra sends externalId eq jyoung unquoted, then it matches exactly', () => {
    expect(matches('externalId eq jyoung', ENTRA_USER)).toBe(true);
    expect(matches('externalId eq JYOUNG', ENTRA_USER)).toBe(false);
  });

  it('when the resource keys are in another case than the filter, then they are still found', () => {
    expect(matches('userName eq "test_user_ab@contoso.com"', ENTRA_USER)).toBe(true);
    expect(matches('emails[type eq "work"].value eq "TEST_USER_AB@contoso.com"', ENTRA_USER)).toBe(true);
  });

  it('when Entra filters emails[type eq "work"].value, then type and value must hold on the same email', () => {
    expect(matches('emails[type eq "work"].value eq "bjensen@example.com"')).toBe(true);
    expect(matches('emails[type eq "work"].value eq "babs@jensen.org"')).toBe(false);
    expect(matches('emails[type eq "home"].value eq "babs@jensen.org"')).toBe(true);
  });

  it('when Entra filters active eq "True", then the boolean attribute accepts the string', () => {
    expect(matches('active eq "True"')).toBe(true);
    expect(matches('active eq "FALSE"')).toBe(false);
    expect(matches('active eq true')).toBe(true);
    expect(matches('active eq True')).toBe(true);
    expect(matches('active ne "true"')).toBe(false);
  });

  it('when a boolean attribute holds Entra\'s string "False", then it compares as a boolean', () => {
    expect(matches('active eq false', ENTRA_USER)).toBe(true);
    expect(matches('active eq "false"', ENTRA_USER)).toBe(true);
    expect(matches('active eq true', ENTRA_USER)).toBe(false);
  });

  it('when Entra looks up a group by displayName, then it matches case-insensitively', () => {
    const group: JsonObject = { id: 'g1', displayName: 'Group One', members: [{ value: 'u1' }, { value: 'u2' }] };
    expect(matches('displayName eq "group one"', group, EMPTY_CATALOGUE)).toBe(true);
    expect(matches('members[value eq "u2"]', group, EMPTY_CATALOGUE)).toBe(true);
    expect(matches('members.value eq "u3"', group, EMPTY_CATALOGUE)).toBe(false);
  });
});

describe('matchesFilter: extensions and schema URNs', () => {
  it('when a path names the enterprise extension, then it is looked up under the URN key', () => {
    expect(matches(`${ENTERPRISE}:employeeNumber eq "701984"`)).toBe(true);
    expect(matches(`${ENTERPRISE}:employeeNumber eq "1"`)).toBe(false);
    expect(matches(`${ENTERPRISE.toLowerCase()}:EMPLOYEENUMBER eq "701984"`)).toBe(true);
  });

  it('when a path names the manager value, then it is found (and compared caseExact)', () => {
    expect(matches(`${ENTERPRISE}:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d"`)).toBe(true);
    expect(matches(`${ENTERPRISE}:manager.value eq "26118915-6090-4610-87E4-49D8CA9F808D"`)).toBe(false);
  });

  it('when a complex single-valued attribute is compared without sub-attribute, then its value is compared', () => {
    expect(matches(`${ENTERPRISE}:manager eq "26118915-6090-4610-87e4-49d8ca9f808d"`)).toBe(true);
  });

  it('when an extension attribute is named without its URN, then it is not found (core only)', () => {
    expect(matches('employeeNumber pr')).toBe(false);
  });

  it('when the extension is absent, then its attributes are absent', () => {
    expect(matches(`${ENTERPRISE}:employeeNumber pr`, ENTRA_USER)).toBe(false);
    expect(matches(`${ENTERPRISE}:employeeNumber ne "1"`, ENTRA_USER)).toBe(true);
  });

  it('when a path names the Group core schema, then it is a top-level attribute too', () => {
    const group: JsonObject = { displayName: 'Ops' };
    expect(matches('urn:ietf:params:scim:schemas:core:2.0:Group:displayName eq "ops"', group)).toBe(true);
  });

  it('when a path names an unknown URN, then nothing matches', () => {
    expect(matches('urn:example:other:1.0:User:userName pr')).toBe(false);
  });
});

describe('matchesFilter: operators', () => {
  it('when ne meets an absent attribute, then it matches (ne is not (eq))', () => {
    expect(matches('costCenter ne "x"')).toBe(true);
    expect(matches('title ne "tour guide"')).toBe(false);
    expect(matches('title ne "Manager"')).toBe(true);
  });

  it('when ne meets a multi-valued attribute, then it matches only if no value is equal', () => {
    expect(matches('emails ne "babs@jensen.org"')).toBe(false);
    expect(matches('emails ne "nobody@example.com"')).toBe(true);
  });

  it('when eq null / ne null are used, then they mean absent / present', () => {
    expect(matches('locale eq null')).toBe(true);
    expect(matches('missing eq null')).toBe(true);
    expect(matches('nickName eq null')).toBe(true);
    expect(matches('title eq null')).toBe(false);
    expect(matches('title ne null')).toBe(true);
    expect(matches('locale ne null')).toBe(false);
    expect(matches('title gt null')).toBe(false);
    expect(matches('title co null')).toBe(false);
  });

  it('when pr meets empty values, then "", null, [] and {} are not present', () => {
    const r: JsonObject = { a: '', b: null, c: [], d: {}, e: { x: null, y: '' }, f: [null, ''], g: 0, h: false, i: [{}, { v: 'x' }] };
    const expected: Record<string, boolean> = { a: false, b: false, c: false, d: false, e: false, f: false, g: true, h: true, i: true, z: false };
    for (const [name, present] of Object.entries(expected)) {
      expect(matches(`${name} pr`, r, EMPTY_CATALOGUE), name).toBe(present);
    }
  });

  it('when co/sw/ew meet a string, then they test substring, prefix and suffix case-insensitively', () => {
    expect(matches('displayName co "S JEN"')).toBe(true);
    expect(matches('displayName sw "babs"')).toBe(true);
    expect(matches('displayName ew "JENSEN"')).toBe(true);
    expect(matches('displayName ew "Babs"')).toBe(false);
  });

  it('when the attribute is caseExact, then case matters for every string operator', () => {
    expect(matches('externalId eq "bjensen-EXT"')).toBe(true);
    expect(matches('externalId eq "bjensen-ext"')).toBe(false);
    expect(matches('externalId ew "ext"')).toBe(false);
    expect(matches('externalId ew "EXT"')).toBe(true);
    expect(matches('x509Certificates co "miidq"')).toBe(false);
    expect(matches('x509Certificates sw "MIIDQ"')).toBe(true);
  });

  it('when an attribute is unknown to the catalogue, then strings compare case-insensitively', () => {
    expect(matches('externalId eq "BJENSEN-ext"', BJENSEN, EMPTY_CATALOGUE)).toBe(true);
  });

  it('when co/sw/ew meet booleans or numbers, then they never match', () => {
    expect(matches('active co "tr"')).toBe(false);
    expect(matches('active sw "true"')).toBe(false);
    expect(matches('scores co 1')).toBe(false);
    expect(matches('scores sw "1"')).toBe(false);
  });

  it('when gt/ge/lt/le meet booleans, then they never match', () => {
    for (const op of ['gt', 'ge', 'lt', 'le']) {
      expect(matches(`active ${op} false`), op).toBe(false);
      expect(matches(`active ${op} true`), op).toBe(false);
    }
  });

  it('when numbers are compared, then any value of a multi-valued attribute may match', () => {
    expect(matches('scores gt 10')).toBe(true);
    expect(matches('scores gt 17')).toBe(false);
    expect(matches('scores ge 17')).toBe(true);
    expect(matches('scores lt 3')).toBe(false);
    expect(matches('scores le 3')).toBe(true);
    expect(matches('scores eq 17')).toBe(true);
    expect(matches('scores eq "17"')).toBe(true);
    expect(matches('scores eq "seventeen"')).toBe(false);
    expect(matches('scores eq true')).toBe(false);
  });

  it('when a string attribute is compared with a number literal, then the literal\'s text is compared', () => {
    expect(matches(`${ENTERPRISE}:employeeNumber eq 701984`)).toBe(true);
    expect(matches(`${ENTERPRISE}:costCenter gt 4000`)).toBe(true);
  });

  it('when dateTimes are compared, then instants are compared whatever the notation', () => {
    expect(matches('meta.lastModified eq "2011-05-13T04:42:34.000Z"')).toBe(true);
    expect(matches('meta.lastModified eq "2011-05-13T06:42:34+02:00"')).toBe(true);
    expect(matches('meta.lastModified gt "2011-05-13T05:42:34+02:00"')).toBe(true);
    expect(matches('meta.lastModified lt "2011-05-13T05:42:34+02:00"')).toBe(false);
    expect(matches('meta.created lt "2011-01-01T00:00:00Z" and meta.lastModified ge "2011-01-01T00:00:00Z"')).toBe(true);
  });

  it('when a dateTime filter value does not parse, then it falls back to string comparison', () => {
    expect(matches('meta.lastModified lt "2011-05-13T04:42:34Zjunk"')).toBe(true);
    expect(matches('meta.lastModified sw "2011-05"')).toBe(true);
    expect(matches('meta.lastModified gt "not a date"')).toBe(false);
  });

  it('when an unknown attribute holds a date string, then it is ordered as a string', () => {
    const r: JsonObject = { when: '2011-05-13T04:42:34Z' };
    expect(matches('when gt "2011-05-13T04:42:33Z"', r, EMPTY_CATALOGUE)).toBe(true);
    expect(matches('when eq "2011-05-13T04:42:34.000Z"', r, EMPTY_CATALOGUE)).toBe(false);
  });

  it('when strings are ordered, then it is lexicographic after case folding', () => {
    expect(matches('title gt "tour"')).toBe(true);
    expect(matches('title lt "TOUR GUIDE"')).toBe(false);
    expect(matches('title le "TOUR GUIDE"')).toBe(true);
    expect(matches('title ge "u"')).toBe(false);
  });

  it('when a complex multi-valued attribute is compared without sub-attribute, then its values are compared', () => {
    expect(matches('emails eq "BABS@jensen.org"')).toBe(true);
    expect(matches('emails co "jensen.org"')).toBe(true);
    expect(matches('emails sw "home"')).toBe(false);
    expect(matches('emails pr')).toBe(true);
    expect(matches('addresses pr')).toBe(false);
  });

  it('when a sub-attribute of a multi-valued attribute is compared, then any value may match', () => {
    expect(matches('emails.type eq "home"')).toBe(true);
    expect(matches('emails.primary eq true')).toBe(true);
    expect(matches('emails.primary eq false')).toBe(false);
    expect(matches('emails.display pr')).toBe(false);
  });

  it('when a sub-attribute holds an object (no schema allows it), then it is not compared through its value', () => {
    const r: JsonObject = { a: { b: { value: 'x' } } };
    expect(matches('a.b eq "x"', r, EMPTY_CATALOGUE)).toBe(false);
    expect(matches('a.b pr', r, EMPTY_CATALOGUE)).toBe(true);
  });

  it('when not wraps a filter, then it negates it', () => {
    expect(matches('not (title pr)')).toBe(false);
    expect(matches('not (not (title pr))')).toBe(true);
    expect(matches('not (userName eq "x") and not (nickName pr)')).toBe(true);
  });
});

describe('matchesFilter: value paths', () => {
  it('when a value path holds or and not, then they apply within one value', () => {
    expect(matches('emails[not (type eq "work") and value ew ".org"]')).toBe(true);
    expect(matches('emails[not (type eq "home") and value ew ".org"]')).toBe(false);
    expect(matches('emails[type eq "home" or primary eq true]')).toBe(true);
  });

  it('when a value path names sub-attributes, then the catalogue is asked about them under the outer attribute', () => {
    const catalogue = new UserCatalogue();
    expect(matchesFilter(parseFilter('emails[primary eq "TRUE"]'), BJENSEN, catalogue)).toBe(true);
    expect(catalogue.lookups).toContainEqual({ schema: null, attribute: 'emails', subAttribute: 'primary' });
  });

  it('when a URN-qualified attribute has a value path, then the extension value is searched', () => {
    expect(matches(`${ENTERPRISE}:manager[displayName sw "john"]`)).toBe(true);
    expect(matches(`${ENTERPRISE}:manager[displayName sw "jane"]`)).toBe(false);
    const catalogue = new UserCatalogue();
    expect(matchesFilter(parseFilter(`${ENTERPRISE}:manager[value eq "26118915-6090-4610-87E4-49D8CA9F808D"]`), BJENSEN, catalogue)).toBe(false);
    expect(catalogue.lookups).toContainEqual({ schema: ENTERPRISE, attribute: 'manager', subAttribute: 'value' });
  });

  it('when a multi-valued attribute holds primitives, then each acts as its value sub-attribute', () => {
    expect(matches(`schemas[value ew "enterprise:2.0:User"]`)).toBe(true);
    expect(matches('schemas[value eq "urn:nothing"]')).toBe(false);
  });

  it('when the attribute of a value path is absent, empty or not complex, then it does not match', () => {
    expect(matches('addresses[type eq "work"]')).toBe(false);
    expect(matches('phoneNumbers[type pr]')).toBe(false);
    expect(matches('title[value pr]')).toBe(true);
    expect(matches('nickName[value pr]')).toBe(false);
  });

  it('when a value path is nested (only possible in a hand-built tree), then it is evaluated without catalogue', () => {
    const r: JsonObject = { a: [{ b: [{ c: 'X' }] }] };
    const node: FilterNode = {
      kind: 'valuePath',
      path: { schema: null, attribute: 'a', subAttribute: null },
      filter: {
        kind: 'valuePath',
        path: { schema: null, attribute: 'b', subAttribute: null },
        filter: { kind: 'compare', path: { schema: null, attribute: 'c', subAttribute: null }, operator: 'eq', value: 'x' },
      },
    };
    expect(matchesFilter(node, r, new UserCatalogue())).toBe(true);
  });
});

describe('matchesFilter: robustness', () => {
  it('when resource keys collide with Object.prototype names, then only own properties count', () => {
    expect(matches('constructor pr', {}, EMPTY_CATALOGUE)).toBe(false);
    expect(matches('toString eq "x"', {}, EMPTY_CATALOGUE)).toBe(false);
    expect(matches('hasOwnProperty ne "x"', {}, EMPTY_CATALOGUE)).toBe(true);
    const proto: FilterNode = { kind: 'present', path: { schema: null, attribute: '__proto__', subAttribute: null } };
    expect(matchesFilter(proto, {}, EMPTY_CATALOGUE)).toBe(false);
    expect(matchesFilter(proto, JSON.parse('{"__proto__": "here"}') as JsonObject, EMPTY_CATALOGUE)).toBe(true);
  });

  it('when a long and-chain is evaluated, then it is walked without deep recursion', () => {
    let node: FilterNode = { kind: 'present', path: { schema: null, attribute: 'title', subAttribute: null } };
    for (let i = 0; i < 100_000; i++) {
      node = { kind: 'and', left: node, right: { kind: 'present', path: { schema: null, attribute: 'title', subAttribute: null } } };
    }
    expect(matchesFilter(node, BJENSEN, new UserCatalogue())).toBe(true);
    let orNode: FilterNode = { kind: 'present', path: { schema: null, attribute: 'nope', subAttribute: null } };
    for (let i = 0; i < 100_000; i++) {
      orNode = { kind: 'or', left: orNode, right: { kind: 'present', path: { schema: null, attribute: 'nope', subAttribute: null } } };
    }
    expect(matchesFilter(orNode, BJENSEN, new UserCatalogue())).toBe(false);
  });

  it('when a value is nested very deeply, then pr answers without a stack overflow', () => {
    let deep: JsonValue = 'x';
    for (let i = 0; i < 100_000; i++) deep = { v: deep };
    expect(matches('deep pr', { deep }, EMPTY_CATALOGUE)).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// Fuzzing

const NAMES = ['userName', 'emails', 'value', 'type', 'name', 'givenName', 'active', 'meta', 'lastModified', 'x', 'constructor'];
const name = fc.constantFrom(...NAMES);
const pathArb: fc.Arbitrary<AttributePath> = fc.record({
  schema: fc.constantFrom(null, USER, ENTERPRISE, 'urn:x:y'),
  attribute: name,
  subAttribute: fc.option(name, { nil: null }),
});
const operatorArb = fc.constantFrom<CompareOperator>('eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le');
const valueArb: fc.Arbitrary<CompareValue> = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.constantFrom('True', 'false', '2011-05-13T04:42:34Z', '17', ''),
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
);
const filterArb: fc.Arbitrary<FilterNode> = fc.letrec<{ node: FilterNode }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ kind: fc.constant('compare' as const), path: pathArb, operator: operatorArb, value: valueArb }),
    fc.record({ kind: fc.constant('present' as const), path: pathArb }),
    fc.record({ kind: fc.constant('and' as const), left: tie('node'), right: tie('node') }),
    fc.record({ kind: fc.constant('or' as const), left: tie('node'), right: tie('node') }),
    fc.record({ kind: fc.constant('not' as const), operand: tie('node') }),
    fc.record({ kind: fc.constant('valuePath' as const), path: pathArb, filter: tie('node') }),
  ),
})).node;

/** JSON resources whose keys are mostly the names the filters use, so paths actually resolve. */
const resourceArb: fc.Arbitrary<JsonObject> = fc.letrec<{ value: JsonValue; object: JsonObject }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.string({ maxLength: 6 }),
    fc.constantFrom('True', 'FALSE', '2011-05-13T04:42:34Z', '17', ''),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 3 }),
    tie('object'),
  ),
  object: fc.dictionary(fc.oneof(name, fc.constantFrom(USER, ENTERPRISE), fc.string({ maxLength: 4 })), tie('value'), {
    maxKeys: 4,
  }),
})).object;

const catalogues: readonly AttributeCatalogue[] = [
  new UserCatalogue(),
  EMPTY_CATALOGUE,
  // A catalogue that lies about everything: types must not be trusted blindly.
  { describe: () => info('dateTime', true, true) },
  { describe: () => info('boolean') },
  { describe: () => info('complex') },
];

describe('matchesFilter under fuzzing', () => {
  it('when random filters meet random resources and catalogues, then it returns a boolean without throwing', () => {
    fc.assert(
      fc.property(filterArb, resourceArb, fc.constantFrom(...catalogues), (node, resource, catalogue) => {
        expect(typeof matchesFilter(node, resource, catalogue)).toBe('boolean');
      }),
      { numRuns: 3000 },
    );
  });

  it('when any filter is wrapped in not, then the result flips', () => {
    fc.assert(
      fc.property(filterArb, resourceArb, (node, resource) => {
        const catalogue = new UserCatalogue();
        expect(matchesFilter({ kind: 'not', operand: node }, resource, catalogue)).toBe(!matchesFilter(node, resource, catalogue));
      }),
      { numRuns: 1000 },
    );
  });

  it('when ne is used, then it equals not (eq)', () => {
    fc.assert(
      fc.property(pathArb, valueArb, resourceArb, (path, value, resource) => {
        const catalogue = new UserCatalogue();
        const ne = matchesFilter({ kind: 'compare', path, operator: 'ne', value }, resource, catalogue);
        const eq = matchesFilter({ kind: 'compare', path, operator: 'eq', value }, resource, catalogue);
        expect(ne).toBe(!eq);
      }),
      { numRuns: 1000 },
    );
  });

  it('when Entra\'s emails[type eq t].value eq v matches, then some single email has both', () => {
    const email = fc.record({ type: fc.constantFrom('work', 'home'), value: fc.constantFrom('a@x', 'b@x') });
    fc.assert(
      fc.property(fc.array(email, { maxLength: 4 }), fc.constantFrom('work', 'home'), fc.constantFrom('a@x', 'b@x'), (emails, t, v) => {
        const expected = emails.some((e) => e.type === t && e.value === v);
        expect(matches(`emails[type eq "${t}"].value eq "${v}"`, { emails })).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });
});
