// Unit tests of planIndexLookup: which filters the store answers from its indexes, whether that
// answer is exact, and (fuzzed) that an index answer never loses a resource the filter matches.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { planIndexLookup } from '../../src/core/filter/plan.js';
import type { IndexPlan } from '../../src/core/filter/plan.js';
import { matchesFilter } from '../../src/core/filter/evaluate.js';
import type { AttributeCatalogue, AttributeInfo } from '../../src/core/filter/attribute-catalogue.js';
import type { AttributePath, CompareOperator, CompareValue, FilterNode } from '../../src/core/filter/ast.js';
import type { GroupIndexedAttribute, IndexPredicate, UserIndexedAttribute } from '../../src/ports/store.js';
import type { JsonObject } from '../../src/ports/json.js';
import { parseFilter } from '../../src/scim/filter-parser.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

const USER_INDEXES: ReadonlyMap<string, UserIndexedAttribute> = new Map<string, UserIndexedAttribute>([
  ['id', 'id'],
  ['username', 'userName'],
  ['externalid', 'externalId'],
  ['active', 'active'],
  ['emails.value', 'emails.value'],
]);

const GROUP_INDEXES: ReadonlyMap<string, GroupIndexedAttribute> = new Map<string, GroupIndexedAttribute>([
  ['id', 'id'],
  ['displayname', 'displayName'],
  ['externalid', 'externalId'],
  ['members.value', 'members.value'],
]);

function planUser(filter: string): IndexPlan<UserIndexedAttribute> {
  return planIndexLookup(parseFilter(filter), USER_INDEXES, USER);
}

function planGroup(filter: string): IndexPlan<GroupIndexedAttribute> {
  return planIndexLookup(parseFilter(filter), GROUP_INDEXES, GROUP);
}

function eq<A extends string>(attribute: A, value: string | boolean): IndexPredicate<A> {
  return { kind: 'eq', attribute, value };
}

const NONE = { where: null, exact: false };

describe('planIndexLookup: eq on indexed attributes', () => {
  const exact: ReadonlyArray<readonly [string, IndexPredicate<UserIndexedAttribute>]> = [
    ['userName eq "test.user@okta.local"', eq('userName', 'test.user@okta.local')],
    ['USERNAME EQ "Bjensen"', eq('userName', 'Bjensen')],
    ['externalId eq jyoung', eq('externalId', 'jyoung')],
    ['id eq "2819c223-7f76-453a-919d-413861904646"', eq('id', '2819c223-7f76-453a-919d-413861904646')],
    ['emails.value eq "a@b.com"', eq('emails.value', 'a@b.com')],
    ['emails eq "a@b.com"', eq('emails.value', 'a@b.com')],
    [`${USER}:userName eq "x"`, eq('userName', 'x')],
    [`${USER.toUpperCase()}:userName eq "x"`, eq('userName', 'x')],
    [`${USER}:emails.value eq "x"`, eq('emails.value', 'x')],
    ['active eq true', eq('active', true)],
    ['active eq false', eq('active', false)],
    ['active eq "True"', eq('active', true)],
    ['active eq "FALSE"', eq('active', false)],
  ];
  for (const [filter, where] of exact) {
    it(`when planning ${filter}, then it is an exact index lookup`, () => {
      expect(planUser(filter)).toEqual({ where, exact: true });
    });
  }

  it('when Entra looks a group up by displayName, then it is an exact displayName lookup', () => {
    expect(planGroup('displayName eq "Group One"')).toEqual({ where: eq('displayName', 'Group One'), exact: true });
  });

  it('when a group is looked up by member, then members.value is used', () => {
    expect(planGroup('members.value eq "u1"')).toEqual({ where: eq('members.value', 'u1'), exact: true });
    expect(planGroup('members eq "u1"')).toEqual({ where: eq('members.value', 'u1'), exact: true });
  });

  it('when the value is passed to the store, then it keeps the client\'s case', () => {
    expect(planUser('userName eq "MiXeD@Case"').where).toEqual(eq('userName', 'MiXeD@Case'));
  });

  const none: ReadonlyArray<readonly [string, string]> = [
    ['a non-indexed attribute', 'title eq "x"'],
    ['a non-indexed sub-attribute', 'emails.type eq "work"'],
    ['a number on a string index', 'externalId eq 42'],
    ['a boolean on a string index', 'userName eq true'],
    ['null on a string index', 'userName eq null'],
    ['a non-boolean string on active', 'active eq "yes"'],
    ['a number on active', 'active eq 1'],
    ['null on active', 'active eq null'],
    ['ne', 'userName ne "x"'],
    ['co', 'userName co "x"'],
    ['sw', 'userName sw "x"'],
    ['ew', 'userName ew "x"'],
    ['gt', 'userName gt "x"'],
    ['pr', 'userName pr'],
    ['not', 'not (userName eq "x")'],
    ['an extension URN', `${ENTERPRISE}:employeeNumber eq "1"`],
    ['an extension URN on an indexed name', `${ENTERPRISE}:userName eq "1"`],
    ['another resource type\'s core URN', `${GROUP}:userName eq "x"`],
    ['a sub-attribute of an indexed simple attribute', 'userName.value eq "x"'],
    ['a Group attribute on Users', 'displayName eq "x"'],
  ];
  for (const [what, filter] of none) {
    it(`when planning ${what} (${filter}), then no index helps`, () => {
      expect(planUser(filter)).toEqual(NONE);
    });
  }
});

describe('planIndexLookup: and / or', () => {
  it('when both sides of and are indexable, then it is an exact and', () => {
    expect(planUser('userName eq "a" and active eq true')).toEqual({
      where: { kind: 'and', operands: [eq('userName', 'a'), eq('active', true)] },
      exact: true,
    });
  });

  it('when one side of and is indexable, then that side is a candidate set', () => {
    expect(planUser('userName eq "a" and title pr')).toEqual({ where: eq('userName', 'a'), exact: false });
    expect(planUser('title pr and externalId eq "e"')).toEqual({ where: eq('externalId', 'e'), exact: false });
  });

  it('when no side of and is indexable, then no index helps', () => {
    expect(planUser('title pr and userName co "x"')).toEqual(NONE);
  });

  it('when both sides of or are indexable, then it is an exact or', () => {
    expect(planUser('userName eq "a" or emails eq "a"')).toEqual({
      where: { kind: 'or', operands: [eq('userName', 'a'), eq('emails.value', 'a')] },
      exact: true,
    });
  });

  it('when one side of or is not indexable, then no index helps', () => {
    expect(planUser('userName eq "a" or title pr')).toEqual(NONE);
    expect(planUser('title pr or userName eq "a"')).toEqual(NONE);
  });

  it('when and/or chains nest, then they are flattened into one operand list', () => {
    expect(planUser('userName eq "a" and (externalId eq "b" and (id eq "c" and active eq false))')).toEqual({
      where: {
        kind: 'and',
        operands: [eq('userName', 'a'), eq('externalId', 'b'), eq('id', 'c'), eq('active', false)],
      },
      exact: true,
    });
    expect(planUser('id eq "1" or id eq "2" or (id eq "3" or id eq "4")')).toEqual({
      where: { kind: 'or', operands: [eq('id', '1'), eq('id', '2'), eq('id', '3'), eq('id', '4')] },
      exact: true,
    });
  });

  it('when an and contains a non-indexable operand among several, then the others remain and it is inexact', () => {
    expect(planUser('userName eq "a" and title pr and active eq true')).toEqual({
      where: { kind: 'and', operands: [eq('userName', 'a'), eq('active', true)] },
      exact: false,
    });
  });

  it('when or is inside and, then the structure is kept', () => {
    expect(planUser('active eq true and (userName eq "a" or userName eq "b")')).toEqual({
      where: {
        kind: 'and',
        operands: [eq('active', true), { kind: 'or', operands: [eq('userName', 'a'), eq('userName', 'b')] }],
      },
      exact: true,
    });
  });

  it('when and is inside or and one and is partial, then the or is an inexact superset', () => {
    expect(planUser('(userName eq "a" and title pr) or userName eq "b"')).toEqual({
      where: { kind: 'or', operands: [eq('userName', 'a'), eq('userName', 'b')] },
      exact: false,
    });
  });
});

describe('planIndexLookup: value paths', () => {
  it('when Entra filters emails[type eq "work"].value eq "x", then emails.value is a candidate set', () => {
    expect(planUser('emails[type eq "work"].value eq "a@b.com"')).toEqual({
      where: eq('emails.value', 'a@b.com'),
      exact: false,
    });
  });

  it('when a value path has only indexable conditions, then it is still never exact', () => {
    expect(planUser('emails[value eq "a@b.com"]')).toEqual({ where: eq('emails.value', 'a@b.com'), exact: false });
    expect(planGroup('members[value eq "u1"]')).toEqual({ where: eq('members.value', 'u1'), exact: false });
  });

  it('when a value path has or, then both re-rooted sides are used', () => {
    expect(planUser('emails[value eq "a" or value eq "b"]')).toEqual({
      where: { kind: 'or', operands: [eq('emails.value', 'a'), eq('emails.value', 'b')] },
      exact: false,
    });
  });

  it('when a value path combines with an exact and, then the and is inexact', () => {
    expect(planUser('userName eq "u" and emails[type eq "work" and value eq "a"]')).toEqual({
      where: { kind: 'and', operands: [eq('userName', 'u'), eq('emails.value', 'a')] },
      exact: false,
    });
  });

  it('when a value path has nothing indexable, then no index helps', () => {
    expect(planUser('emails[type eq "work"]')).toEqual(NONE);
    expect(planUser('emails[value co "@x"]')).toEqual(NONE);
    expect(planUser('emails[not (value eq "a")]')).toEqual(NONE);
  });

  it('when the value path is on an extension attribute, then no index helps', () => {
    expect(planUser(`${ENTERPRISE}:emails[value eq "a"]`)).toEqual(NONE);
  });

  it('when a value path is URN-qualified with the core schema, then it is re-rooted as unqualified', () => {
    expect(planUser(`${USER}:emails[value eq "a"]`)).toEqual({ where: eq('emails.value', 'a'), exact: false });
  });

  it('when a value path names the parent attribute itself, then it does not re-root to emails.emails', () => {
    expect(planUser('emails[emails eq "a"]')).toEqual(NONE);
  });
});

// ---------------------------------------------------------------------------------------------
// The plan's contract, fuzzed: the store's answer for `where` contains every resource the filter
// matches, and is exactly that set when `exact` is true.

interface TestUser {
  readonly id: string;
  readonly userName: string;
  readonly externalId: string | null;
  readonly active: boolean;
  readonly emails: readonly { readonly type: string; readonly value: string }[];
  readonly title: string | null;
}

/** How the store port documents its engines: userName and emails case-insensitive, id/externalId exact. */
function storeMatches(where: IndexPredicate<UserIndexedAttribute>, user: TestUser): boolean {
  switch (where.kind) {
    case 'and':
      return where.operands.every((o) => storeMatches(o, user));
    case 'or':
      return where.operands.some((o) => storeMatches(o, user));
    case 'eq': {
      const v = where.value;
      switch (where.attribute) {
        case 'id':
          return user.id === v;
        case 'externalId':
          return user.externalId === v;
        case 'active':
          return user.active === v;
        case 'userName':
          return typeof v === 'string' && user.userName.toLowerCase() === v.toLowerCase();
        case 'emails.value':
          return typeof v === 'string' && user.emails.some((e) => e.value.toLowerCase() === v.toLowerCase());
      }
    }
  }
}

function toResource(user: TestUser): JsonObject {
  const resource: JsonObject = {
    schemas: [USER],
    id: user.id,
    userName: user.userName,
    active: user.active,
    emails: user.emails.map((e) => ({ type: e.type, value: e.value })),
  };
  if (user.externalId !== null) resource['externalId'] = user.externalId;
  if (user.title !== null) resource['title'] = user.title;
  return resource;
}

const CATALOGUE: AttributeCatalogue = {
  describe(path: AttributePath): AttributeInfo | undefined {
    const key = `${path.attribute}${path.subAttribute === null ? '' : `.${path.subAttribute}`}`.toLowerCase();
    switch (key) {
      case 'id':
      case 'externalid':
        return { type: 'string', caseExact: true, multiValued: false };
      case 'username':
      case 'title':
        return { type: 'string', caseExact: false, multiValued: false };
      case 'active':
        return { type: 'boolean', caseExact: false, multiValued: false };
      case 'emails':
        return { type: 'complex', caseExact: false, multiValued: true };
      case 'emails.value':
      case 'emails.type':
        return { type: 'string', caseExact: false, multiValued: true };
      default:
        return undefined;
    }
  },
};

const STRINGS = ['a@x', 'A@X', 'b@x', 'e1', 'E1', 'u1', 'work', 'home', 'True', 'false'];
const userArb: fc.Arbitrary<TestUser> = fc.record({
  id: fc.constantFrom('u1', 'U1', 'u2'),
  userName: fc.constantFrom('a@x', 'A@x', 'b@x'),
  externalId: fc.constantFrom(null, 'e1', 'E1'),
  active: fc.boolean(),
  emails: fc.array(fc.record({ type: fc.constantFrom('work', 'home'), value: fc.constantFrom('a@x', 'b@X', 'c@x') }), {
    maxLength: 3,
  }),
  title: fc.constantFrom(null, 'Boss', ''),
});

const OUTER_PATHS: readonly AttributePath[] = [
  'id',
  'userName',
  'externalId',
  'active',
  'emails',
  'emails.value',
  'emails.type',
  'title',
].map((dotted) => {
  const [attribute = '', sub] = dotted.split('.');
  return { schema: null, attribute, subAttribute: sub ?? null };
});
const outerPath = fc.oneof(
  fc.constantFrom(...OUTER_PATHS),
  fc.constantFrom<AttributePath>(
    { schema: USER, attribute: 'userName', subAttribute: null },
    { schema: ENTERPRISE, attribute: 'userName', subAttribute: null },
  ),
);
const innerPath = fc.constantFrom<AttributePath>(
  { schema: null, attribute: 'value', subAttribute: null },
  { schema: null, attribute: 'type', subAttribute: null },
);
const valueArb: fc.Arbitrary<CompareValue> = fc.oneof(fc.constantFrom(...STRINGS), fc.boolean(), fc.constant(null), fc.constant(1));
const opArb = fc.constantFrom<CompareOperator>('eq', 'eq', 'eq', 'ne', 'co');

function treeArb(leafPath: fc.Arbitrary<AttributePath>, withValuePath: boolean): fc.Arbitrary<FilterNode> {
  return fc.letrec<{ node: FilterNode }>((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.record({ kind: fc.constant('compare' as const), path: leafPath, operator: opArb, value: valueArb }),
      fc.record({ kind: fc.constant('present' as const), path: leafPath }),
      fc.record({ kind: fc.constant('and' as const), left: tie('node'), right: tie('node') }),
      fc.record({ kind: fc.constant('or' as const), left: tie('node'), right: tie('node') }),
      fc.record({ kind: fc.constant('not' as const), operand: tie('node') }),
      ...(withValuePath
        ? [
            fc.record({
              kind: fc.constant('valuePath' as const),
              path: fc.constant<AttributePath>({ schema: null, attribute: 'emails', subAttribute: null }),
              filter: treeArb(innerPath, false),
            }),
          ]
        : []),
    ),
  })).node;
}

describe('planIndexLookup under fuzzing', () => {
  it('when a plan has a where, then its answer contains every match, and equals them when exact', () => {
    fc.assert(
      fc.property(treeArb(outerPath, true), fc.array(userArb, { maxLength: 6 }), (node, users) => {
        const plan = planIndexLookup(node, USER_INDEXES, USER);
        const matched = users.map((u) => matchesFilter(node, toResource(u), CATALOGUE));
        if (plan.where === null) {
          expect(plan.exact).toBe(false);
          return;
        }
        const where = plan.where;
        const answered = users.map((u) => storeMatches(where, u));
        matched.forEach((m, i) => {
          if (m) expect(answered[i], 'a match is missing from the index answer').toBe(true);
        });
        if (plan.exact) expect(answered).toEqual(matched);
      }),
      { numRuns: 3000 },
    );
  });

  it('when a plan has and/or predicates, then no operand list is empty or nests its own kind', () => {
    const check = (p: IndexPredicate<UserIndexedAttribute>): void => {
      if (p.kind === 'eq') return;
      expect(p.operands.length).toBeGreaterThanOrEqual(2);
      for (const o of p.operands) {
        expect(o.kind).not.toBe(p.kind);
        check(o);
      }
    };
    fc.assert(
      fc.property(treeArb(outerPath, true), (node) => {
        const { where } = planIndexLookup(node, USER_INDEXES, USER);
        if (where !== null) check(where);
      }),
      { numRuns: 2000 },
    );
  });

  it('when a 250-operand and-chain is planned, then it flattens without recursion trouble', () => {
    const text = Array.from({ length: 250 }, (_, i) => `id eq "${i}"`).join(' and ');
    const plan = planUser(text);
    expect(plan.exact).toBe(true);
    expect(plan.where?.kind).toBe('and');
    if (plan.where?.kind === 'and') {
      expect(plan.where.operands).toHaveLength(250);
      expect(plan.where.operands[0]).toEqual(eq('id', '0'));
      expect(plan.where.operands[249]).toEqual(eq('id', '249'));
    }
  });
});
