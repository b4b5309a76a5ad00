// Unit tests of the SCIM filter / attribute-path / PATCH-path parser (RFC 7644 §3.4.2.2, §3.5.2),
// with the RFC's examples, the Okta and Entra dialects, error reporting and fast-check fuzzing.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  FilterSyntaxError,
  MAX_FILTER_DEPTH,
  MAX_FILTER_LENGTH,
  parseAttributePath,
  parseFilter,
  parsePatchPath,
} from '../../src/scim/filter-parser.js';
import type { AttributePath, CompareOperator, CompareValue, FilterNode } from '../../src/core/filter/ast.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

function path(attribute: string, subAttribute: string | null = null, schema: string | null = null): AttributePath {
  return { schema, attribute, subAttribute };
}

/** `p('name.givenName')` → { schema: null, attribute: 'name', subAttribute: 'givenName' }. */
function p(dotted: string, schema: string | null = null): AttributePath {
  const [attribute = '', sub] = dotted.split('.');
  return path(attribute, sub ?? null, schema);
}

function cmp(target: string | AttributePath, operator: CompareOperator, value: CompareValue): FilterNode {
  return { kind: 'compare', path: typeof target === 'string' ? p(target) : target, operator, value };
}
function pr(target: string | AttributePath): FilterNode {
  return { kind: 'present', path: typeof target === 'string' ? p(target) : target };
}
function and(left: FilterNode, right: FilterNode): FilterNode {
  return { kind: 'and', left, right };
}
function or(left: FilterNode, right: FilterNode): FilterNode {
  return { kind: 'or', left, right };
}
function not(operand: FilterNode): FilterNode {
  return { kind: 'not', operand };
}
function vp(target: string | AttributePath, filter: FilterNode): FilterNode {
  return { kind: 'valuePath', path: typeof target === 'string' ? p(target) : target, filter };
}

/** The FilterSyntaxError `fn` throws (fails the test when it throws nothing or something else). */
function syntaxError(fn: () => unknown): FilterSyntaxError {
  try {
    fn();
  } catch (error) {
    if (error instanceof FilterSyntaxError) return error;
    throw new Error(`expected a FilterSyntaxError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected a FilterSyntaxError, but nothing was thrown');
}

describe('parseFilter: the RFC 7644 §3.4.2.2 examples', () => {
  const examples: ReadonlyArray<readonly [string, FilterNode]> = [
    ['userName eq "bjensen"', cmp('userName', 'eq', 'bjensen')],
    ['userName Eq "john"', cmp('userName', 'eq', 'john')],
    ['Username eq "john"', cmp('Username', 'eq', 'john')],
    ['name.familyName co "O\'Malley"', cmp('name.familyName', 'co', "O'Malley")],
    ['userName sw "J"', cmp('userName', 'sw', 'J')],
    [`${USER}:userName sw "J"`, cmp(p('userName', USER), 'sw', 'J')],
    [`${USER}:name.familyName co "O'Malley"`, cmp(p('name.familyName', USER), 'co', "O'Malley")],
    ['title pr', pr('title')],
    ['meta.lastModified gt "2011-05-13T04:42:34Z"', cmp('meta.lastModified', 'gt', '2011-05-13T04:42:34Z')],
    ['meta.lastModified ge "2011-05-13T04:42:34Z"', cmp('meta.lastModified', 'ge', '2011-05-13T04:42:34Z')],
    ['meta.lastModified lt "2011-05-13T04:42:34Z"', cmp('meta.lastModified', 'lt', '2011-05-13T04:42:34Z')],
    ['meta.lastModified le "2011-05-13T04:42:34Z"', cmp('meta.lastModified', 'le', '2011-05-13T04:42:34Z')],
    ['title pr and userType eq "Employee"', and(pr('title'), cmp('userType', 'eq', 'Employee'))],
    ['title pr or userType eq "Intern"', or(pr('title'), cmp('userType', 'eq', 'Intern'))],
    [`schemas eq "${ENTERPRISE}"`, cmp('schemas', 'eq', ENTERPRISE)],
    [
      'userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")',
      and(cmp('userType', 'eq', 'Employee'), or(cmp('emails', 'co', 'example.com'), cmp('emails.value', 'co', 'example.org'))),
    ],
    [
      'userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")',
      and(
        cmp('userType', 'ne', 'Employee'),
        not(or(cmp('emails', 'co', 'example.com'), cmp('emails.value', 'co', 'example.org'))),
      ),
    ],
    [
      'userType eq "Employee" and (emails.type eq "work")',
      and(cmp('userType', 'eq', 'Employee'), cmp('emails.type', 'eq', 'work')),
    ],
    [
      'userType eq "Employee" and emails[type eq "work" and value co "@example.com"]',
      and(
        cmp('userType', 'eq', 'Employee'),
        vp('emails', and(cmp('type', 'eq', 'work'), cmp('value', 'co', '@example.com'))),
      ),
    ],
    [
      'emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]',
      or(
        vp('emails', and(cmp('type', 'eq', 'work'), cmp('value', 'co', '@example.com'))),
        vp('ims', and(cmp('type', 'eq', 'xmpp'), cmp('value', 'co', '@foo.com'))),
      ),
    ],
  ];

  for (const [text, expected] of examples) {
    it(`when parsing ${text}, then it yields the expected tree`, () => {
      expect(parseFilter(text)).toEqual(expected);
    });
  }
});

describe('parseFilter: Okta and Entra ID filters', () => {
  it('when Okta checks for an existing user, then it is a plain userName eq', () => {
    expect(parseFilter('userName eq "test.user@okta.local"')).toEqual(cmp('userName', 'eq', 'test.user@okta.local'));
  });

  it('when Entra sends an unquoted value (externalId eq jyoung), then it is taken as a string', () => {
    expect(parseFilter('externalId eq jyoung')).toEqual(cmp('externalId', 'eq', 'jyoung'));
  });

  it('when an unquoted value looks like an email, then the whole word is the string', () => {
    expect(parseFilter('userName eq a@b.c and active eq true')).toEqual(
      and(cmp('userName', 'eq', 'a@b.c'), cmp('active', 'eq', true)),
    );
  });

  it('when an unquoted value is in parentheses or brackets, then it stops at the closer', () => {
    expect(parseFilter('(externalId eq jyoung)')).toEqual(cmp('externalId', 'eq', 'jyoung'));
    expect(parseFilter('members[value eq abc]')).toEqual(vp('members', cmp('value', 'eq', 'abc')));
  });

  it('when Entra looks a group up by displayName, then the value keeps its spaces', () => {
    expect(parseFilter('displayName eq "Group One"')).toEqual(cmp('displayName', 'eq', 'Group One'));
  });

  it('when Entra filters on emails[type eq "work"].value, then it becomes one value filter with both conditions', () => {
    expect(parseFilter('emails[type eq "work"].value eq "a@b.com"')).toEqual(
      vp('emails', and(cmp('type', 'eq', 'work'), cmp('value', 'eq', 'a@b.com'))),
    );
  });

  it('when the Entra form has an "or" inside the brackets, then the bracket filter stays grouped', () => {
    expect(parseFilter('emails[type eq "work" or type eq "home"].value pr')).toEqual(
      vp('emails', and(or(cmp('type', 'eq', 'work'), cmp('type', 'eq', 'home')), pr('value'))),
    );
  });

  it('when the Entra form is combined with and, then precedence still applies', () => {
    expect(parseFilter('userName eq "x" or emails[type eq "work"].value eq "y" and active eq true')).toEqual(
      or(
        cmp('userName', 'eq', 'x'),
        and(vp('emails', and(cmp('type', 'eq', 'work'), cmp('value', 'eq', 'y'))), cmp('active', 'eq', true)),
      ),
    );
  });

  it('when Entra sends a quoted boolean (active eq "True"), then the value stays the string', () => {
    expect(parseFilter('active eq "True"')).toEqual(cmp('active', 'eq', 'True'));
  });

  it('when a bare True is sent, then it is a string (only lower-case true/false/null are JSON literals)', () => {
    expect(parseFilter('active eq True')).toEqual(cmp('active', 'eq', 'True'));
  });
});

describe('parseFilter: paths', () => {
  it('when a path is URN-qualified with the enterprise extension, then the schema is the URN up to the last colon', () => {
    expect(parseFilter(`${ENTERPRISE}:employeeNumber eq "701984"`)).toEqual(
      cmp(path('employeeNumber', null, ENTERPRISE), 'eq', '701984'),
    );
  });

  it('when an extension path has a sub-attribute, then the dot in the URN version is not a separator', () => {
    expect(parseFilter(`${ENTERPRISE}:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d"`)).toEqual(
      cmp(path('manager', 'value', ENTERPRISE), 'eq', '26118915-6090-4610-87e4-49d8ca9f808d'),
    );
  });

  it('when a core URN path has a sub-attribute, then schema, attribute and sub-attribute are split', () => {
    expect(parseFilter(`${USER}:name.givenName pr`)).toEqual(pr(path('name', 'givenName', USER)));
  });

  it('when a URN-qualified attribute has a value filter, then the value path keeps the schema', () => {
    expect(parseFilter(`${USER}:emails[type eq "work"]`)).toEqual(vp(path('emails', null, USER), cmp('type', 'eq', 'work')));
  });

  it('when attribute names use digits, "-", "_" and "$ref", then they are accepted verbatim', () => {
    expect(parseFilter('members.$ref pr and x-Attr_2 eq 1')).toEqual(and(pr(p('members.$ref')), cmp('x-Attr_2', 'eq', 1)));
    expect(parseFilter('members[$ref co "/Users/"]')).toEqual(vp('members', cmp('$ref', 'co', '/Users/')));
  });

  it('when attribute names are mixed case, then their case is kept', () => {
    expect(parseFilter('NAME.GivenName eq "x"')).toEqual(cmp('NAME.GivenName', 'eq', 'x'));
  });
});

describe('parseFilter: values', () => {
  const values: ReadonlyArray<readonly [string, CompareValue]> = [
    ['"plain"', 'plain'],
    ['""', ''],
    ['"say \\"hi\\""', 'say "hi"'],
    ['"back\\\\slash"', 'back\\slash'],
    ['"a\\/b\\b\\f\\n\\r\\t"', 'a/b\b\f\n\r\t'],
    ['"caf\\u00e9 \\u00E9"', 'café é'],
    ['"a)b]c(d[e and f"', 'a)b]c(d[e and f'],
    ['"日本語 ✓"', '日本語 ✓'],
    ['42', 42],
    ['-1.5', -1.5],
    ['0', 0],
    ['1e3', 1000],
    ['2.5E-1', 0.25],
    ['true', true],
    ['false', false],
    ['null', null],
    ['TRUE', 'TRUE'],
    ['Null', 'Null'],
    ['007', '007'],
    ['2011-05-13T04:42:34Z', '2011-05-13T04:42:34Z'],
    ['jyoung', 'jyoung'],
  ];
  for (const [text, expected] of values) {
    it(`when the value is ${text}, then it parses as ${JSON.stringify(expected)}`, () => {
      expect(parseFilter(`x eq ${text}`)).toEqual(cmp('x', 'eq', expected));
    });
  }

  it('when there is no space around a quoted value, then it still parses', () => {
    expect(parseFilter('userName eq"a"and title pr')).toEqual(and(cmp('userName', 'eq', 'a'), pr('title')));
  });

  it('when tabs and newlines separate tokens, then they count as spaces', () => {
    expect(parseFilter('\tuserName\neq\r\n"a"  ')).toEqual(cmp('userName', 'eq', 'a'));
  });
});

describe('parseFilter: operators, keywords and precedence', () => {
  const ops: readonly CompareOperator[] = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'];
  for (const op of ops) {
    it(`when the operator is ${op.toUpperCase()} in upper case, then it parses as ${op}`, () => {
      expect(parseFilter(`a ${op.toUpperCase()} "v"`)).toEqual(cmp('a', op, 'v'));
    });
  }

  it('when pr, and, or, not are in any case, then they are keywords', () => {
    expect(parseFilter('a PR And b Pr OR NoT (c pR)')).toEqual(or(and(pr('a'), pr('b')), not(pr('c'))));
  });

  it('when and and or are mixed, then and binds tighter', () => {
    expect(parseFilter('a pr or b pr and c pr')).toEqual(or(pr('a'), and(pr('b'), pr('c'))));
    expect(parseFilter('a pr and b pr or c pr')).toEqual(or(and(pr('a'), pr('b')), pr('c')));
  });

  it('when not precedes a group, then it binds tighter than and', () => {
    expect(parseFilter('not (a pr) and b pr')).toEqual(and(not(pr('a')), pr('b')));
    expect(parseFilter('not(a pr or b pr)')).toEqual(not(or(pr('a'), pr('b'))));
  });

  it('when parentheses group an or, then they override precedence', () => {
    expect(parseFilter('(a pr or b pr) and c pr')).toEqual(and(or(pr('a'), pr('b')), pr('c')));
  });

  it('when and/or chain, then they associate to the left', () => {
    expect(parseFilter('a pr and b pr and c pr')).toEqual(and(and(pr('a'), pr('b')), pr('c')));
    expect(parseFilter('a pr or b pr or c pr')).toEqual(or(or(pr('a'), pr('b')), pr('c')));
  });

  it('when a value filter contains not and or, then they apply inside the brackets', () => {
    expect(parseFilter('emails[not (type eq "work") or primary eq true]')).toEqual(
      vp('emails', or(not(cmp('type', 'eq', 'work')), cmp('primary', 'eq', true))),
    );
  });

  it('when "not" is not followed by "(" but by an operator, then it is an attribute name', () => {
    expect(parseFilter('not pr')).toEqual(pr('not'));
    expect(parseFilter('not eq "x"')).toEqual(cmp('not', 'eq', 'x'));
    expect(parseFilter('not[x pr]')).toEqual(vp('not', pr('x')));
  });

  it('when a word only starts with a keyword (andrew, order), then it is not a keyword', () => {
    expect(parseFilter('a eq andrew or order pr')).toEqual(or(cmp('a', 'eq', 'andrew'), pr('order')));
  });

  it(`when nesting is exactly ${MAX_FILTER_DEPTH} levels deep, then it parses`, () => {
    const text = `${'('.repeat(MAX_FILTER_DEPTH)}a pr${')'.repeat(MAX_FILTER_DEPTH)}`;
    expect(parseFilter(text)).toEqual(pr('a'));
  });

  it(`when the filter is exactly ${MAX_FILTER_LENGTH} characters long, then it parses`, () => {
    const text = `a eq "${'x'.repeat(MAX_FILTER_LENGTH - 7)}"`;
    expect(text).toHaveLength(MAX_FILTER_LENGTH);
    expect(parseFilter(text)).toEqual(cmp('a', 'eq', 'x'.repeat(MAX_FILTER_LENGTH - 7)));
  });

  it('when a long and-chain is parsed, then it builds a left-deep tree without recursion trouble', () => {
    const text = Array.from({ length: 350 }, (_, i) => `a${i} pr`).join(' and ');
    let node = parseFilter(text);
    let depth = 0;
    while (node.kind === 'and') {
      expect(node.right).toEqual(pr(`a${349 - depth}`));
      node = node.left;
      depth++;
    }
    expect(depth).toBe(349);
    expect(node).toEqual(pr('a0'));
  });
});

describe('parseFilter: errors', () => {
  const invalid: ReadonlyArray<readonly [string, string, number]> = [
    ['an empty filter', '', 0],
    ['a blank filter', '   ', 3],
    ['an unterminated string', 'userName eq "abc', 12],
    ['an unterminated string ending in a backslash', 'userName eq "abc\\', 12],
    ['an invalid escape', 'userName eq "a\\qb"', 14],
    ['a short \\u escape', 'userName eq "\\u12"', 13],
    ['a missing value', 'userName eq', 11],
    ['a missing value before and', 'userName eq and title pr', 12],
    ['a missing operator', 'userName', 8],
    ['a missing operand after and', 'title pr and', 12],
    ['a missing operand after or', 'title pr or ', 12],
    ['a missing operand before and', 'and title pr', 4],
    ['an unknown operator', 'userName xx "a"', 9],
    ['an operator spelled as a word', 'userName equals "a"', 9],
    ['trailing garbage', 'userName eq "a" garbage', 16],
    ['two expressions without a logical operator', 'title pr userType eq "x"', 9],
    ['pr with a quoted value', 'title pr "x"', 9],
    ['pr with a bare value', 'title pr x', 9],
    ['an unclosed parenthesis', '(title pr', 9],
    ['an unclosed parenthesis with content', '(title pr title pr)', 10],
    ['an extra closing parenthesis', 'title pr)', 8],
    ['empty parentheses', '()', 1],
    ['not without parentheses', 'not title pr', 4],
    ['an unclosed bracket', 'emails[type eq "work"', 21],
    ['a nested bracket', 'emails[x[y pr]]', 8],
    ['a dotted path inside brackets', 'emails[a.b pr]', 7],
    ['a URN inside brackets', `emails[${USER}:x pr]`, 7],
    ['a bracket after a sub-attribute', 'name.givenName[x pr]', 14],
    ['a dangling dot after brackets', 'emails[type pr]. eq "x"', 16],
    ['two levels of sub-attribute', 'a.b.c pr', 2],
    ['an attribute starting with a digit', '1abc pr', 0],
    ['an attribute with an invalid character', 'a#b pr', 0],
    ['a colon outside a URN', 'foo:bar pr', 0],
    ['a URN without an attribute', 'urn:ietf:params:scim:schemas:core:2.0:User: pr', 43],
    ['a bare quote in the path position', '"userName" eq "x"', 0],
    ['a bracket with a space before it', 'emails [type pr]', 7],
  ];

  for (const [what, text, position] of invalid) {
    it(`when the filter has ${what}, then FilterSyntaxError invalid_filter names position ${position}`, () => {
      const error = syntaxError(() => parseFilter(text));
      expect(error.code).toBe('invalid_filter');
      expect(error.name).toBe('FilterSyntaxError');
      expect(error.position).toBe(position);
      expect(error.message).toContain(`position ${position}`);
      expect(error).toBeInstanceOf(Error);
    });
  }

  it('when an operator is unknown, then the message names it and lists the operators', () => {
    expect(syntaxError(() => parseFilter('userName xx "a"')).message).toMatch(/unknown operator "xx".*eq, ne, co/);
  });

  it('when a string is unterminated, then the message says so', () => {
    expect(syntaxError(() => parseFilter('userName eq "abc')).message).toMatch(/unterminated string/);
  });

  it('when pr has a value, then the message says pr takes no value', () => {
    expect(syntaxError(() => parseFilter('title pr "x"')).message).toMatch(/"pr" takes no value/);
  });

  it('when the filter ends early, then the message says end of input', () => {
    expect(syntaxError(() => parseFilter('userName eq')).message).toMatch(/expected a value after "eq", found end of input/);
  });

  it(`when nesting is ${MAX_FILTER_DEPTH + 1} levels deep, then it is rejected`, () => {
    const text = `${'('.repeat(MAX_FILTER_DEPTH + 1)}a pr${')'.repeat(MAX_FILTER_DEPTH + 1)}`;
    const error = syntaxError(() => parseFilter(text));
    expect(error.code).toBe('invalid_filter');
    expect(error.message).toMatch(/nested more than 50 levels/);
  });

  it('when not( nests deeply, then it is rejected without a stack overflow', () => {
    const error = syntaxError(() => parseFilter(`${'not ('.repeat(600)}a pr${')'.repeat(600)}`));
    expect(error.message).toMatch(/nested more than/);
  });

  it('when 4000 opening parentheses arrive, then it is rejected without a stack overflow', () => {
    expect(syntaxError(() => parseFilter('('.repeat(4000))).code).toBe('invalid_filter');
  });

  it(`when the filter is longer than ${MAX_FILTER_LENGTH} characters, then it is rejected`, () => {
    const error = syntaxError(() => parseFilter(`a eq "${'x'.repeat(MAX_FILTER_LENGTH)}"`));
    expect(error.position).toBe(MAX_FILTER_LENGTH);
    expect(error.message).toMatch(/longer than 4096/);
  });

  it('when the input is not a string, then it is misuse (TypeError)', () => {
    expect(() => parseFilter(42 as unknown as string)).toThrow(TypeError);
  });
});

describe('parseAttributePath', () => {
  it('when given a simple name, then schema and sub-attribute are null', () => {
    expect(parseAttributePath('userName')).toEqual(path('userName'));
  });

  it('when given a dotted name with spaces around, then it splits and trims', () => {
    expect(parseAttributePath(' name.givenName ')).toEqual(path('name', 'givenName'));
  });

  it('when given an extension path, then the schema is the URN', () => {
    expect(parseAttributePath(`${ENTERPRISE}:manager.value`)).toEqual(path('manager', 'value', ENTERPRISE));
  });

  const invalid = ['', ' ', 'a b', 'a.b.c', '1a', 'emails[type eq "work"]', 'a,b', 'foo:bar', 'name.'];
  for (const text of invalid) {
    it(`when given ${JSON.stringify(text)}, then it throws FilterSyntaxError invalid_path`, () => {
      expect(syntaxError(() => parseAttributePath(text)).code).toBe('invalid_path');
    });
  }
});

describe('parsePatchPath', () => {
  const cases: ReadonlyArray<
    readonly [string, { path: AttributePath; filter: FilterNode | null; subAttribute: string | null }]
  > = [
    ['members', { path: path('members'), filter: null, subAttribute: null }],
    ['name.givenName', { path: path('name', 'givenName'), filter: null, subAttribute: null }],
    ['members[value eq "abc"]', { path: path('members'), filter: cmp('value', 'eq', 'abc'), subAttribute: null }],
    ['emails[type eq "work"].value', { path: path('emails'), filter: cmp('type', 'eq', 'work'), subAttribute: 'value' }],
    [
      'addresses[type eq "work"].postalCode',
      { path: path('addresses'), filter: cmp('type', 'eq', 'work'), subAttribute: 'postalCode' },
    ],
    ['addresses[type eq "other"].Formatted', { path: path('addresses'), filter: cmp('type', 'eq', 'other'), subAttribute: 'Formatted' }],
    [`${ENTERPRISE}:manager`, { path: path('manager', null, ENTERPRISE), filter: null, subAttribute: null }],
    [`${ENTERPRISE}:manager.value`, { path: path('manager', 'value', ENTERPRISE), filter: null, subAttribute: null }],
    [
      'members[value eq "a" or value eq "b"]',
      { path: path('members'), filter: or(cmp('value', 'eq', 'a'), cmp('value', 'eq', 'b')), subAttribute: null },
    ],
    [
      `${USER}:emails[type eq "work" and primary eq true].value`,
      {
        path: path('emails', null, USER),
        filter: and(cmp('type', 'eq', 'work'), cmp('primary', 'eq', true)),
        subAttribute: 'value',
      },
    ],
  ];
  for (const [text, expected] of cases) {
    it(`when given ${text}, then it splits into path, filter and sub-attribute`, () => {
      expect(parsePatchPath(text)).toEqual(expected);
    });
  }

  const invalid: ReadonlyArray<readonly [string, string]> = [
    ['an empty path', ''],
    ['an unclosed bracket', 'members[value eq "abc"'],
    ['a bad filter inside', 'members[value xx "abc"]'],
    ['trailing text', 'members extra'],
    ['a dangling dot', 'emails[type eq "work"].'],
    ['a value path with an operator after it', 'emails[type eq "work"].value eq "x"'],
    ['a bracket after a sub-attribute', 'name.givenName[x pr]'],
    ['two levels of sub-attribute', 'a.b.c'],
    ['a filter expression as a path', 'userName eq "x"'],
  ];
  for (const [what, text] of invalid) {
    it(`when given ${what}, then it throws FilterSyntaxError invalid_path`, () => {
      const error = syntaxError(() => parsePatchPath(text));
      expect(error.code).toBe('invalid_path');
      expect(error.message).toMatch(/^Invalid path at position \d+: /);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Fuzzing: random and mutated inputs never throw anything but FilterSyntaxError; printed random
// trees parse back to themselves.

const VALID_FILTERS = [
  'userName eq "bjensen"',
  'title pr and userType eq "Employee"',
  'userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")',
  'userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")',
  'emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]',
  'meta.lastModified gt "2011-05-13T04:42:34Z"',
  `${USER}:name.familyName co "O'Malley"`,
  `${ENTERPRISE}:manager.value eq "x\\"y\\u00e9"`,
  'emails[type eq "work"].value eq "a@b.com"',
  'externalId eq jyoung',
  'active eq "True" and x ge -1.5e3 or y le null',
];

const FILTER_ALPHABET = fc.constantFrom(
  ...'aeqnotrpsuwdcglm.:$-_"\\()[] \t019eE+'.split(''),
  ' and ',
  ' or ',
  'not (',
  ' eq ',
  ' pr',
  '"',
  '\\u',
  'urn:',
  ':User:',
);

function expectOnlySyntaxErrors(fn: () => unknown, code: 'invalid_filter' | 'invalid_path'): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(FilterSyntaxError);
    expect((error as FilterSyntaxError).code).toBe(code);
    expect((error as FilterSyntaxError).position).toBeGreaterThanOrEqual(0);
  }
}

describe('parsers under fuzzing', () => {
  it('when given random strings, then they return a tree or throw FilterSyntaxError', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        expectOnlySyntaxErrors(() => parseFilter(text), 'invalid_filter');
        expectOnlySyntaxErrors(() => parseAttributePath(text), 'invalid_path');
        expectOnlySyntaxErrors(() => parsePatchPath(text), 'invalid_path');
      }),
      { numRuns: 2000 },
    );
  });

  it('when given strings of filter tokens, then they return a tree or throw FilterSyntaxError', () => {
    fc.assert(
      fc.property(fc.array(FILTER_ALPHABET, { maxLength: 60 }), (parts) => {
        const text = parts.join('');
        expectOnlySyntaxErrors(() => parseFilter(text), 'invalid_filter');
        expectOnlySyntaxErrors(() => parsePatchPath(text), 'invalid_path');
      }),
      { numRuns: 3000 },
    );
  });

  it('when valid filters are mutated, then they return a tree or throw FilterSyntaxError', () => {
    const mutation = fc.record({
      at: fc.nat(),
      remove: fc.nat({ max: 4 }),
      insert: fc.oneof(fc.string({ maxLength: 3 }), FILTER_ALPHABET),
    });
    fc.assert(
      fc.property(fc.constantFrom(...VALID_FILTERS), fc.array(mutation, { minLength: 1, maxLength: 4 }), (base, mutations) => {
        let text = base;
        for (const m of mutations) {
          const at = m.at % (text.length + 1);
          text = text.slice(0, at) + m.insert + text.slice(at + m.remove);
        }
        expectOnlySyntaxErrors(() => parseFilter(text), 'invalid_filter');
      }),
      { numRuns: 3000 },
    );
  });

  it('when the unmutated corpus is parsed, then every entry is valid', () => {
    for (const text of VALID_FILTERS) expect(parseFilter(text).kind).toMatch(/^(compare|present|and|or|not|valuePath)$/);
  });

  it('when a random tree is printed and parsed, then the same tree comes back', () => {
    const name = fc.stringMatching(/^[A-Za-z$][A-Za-z0-9_$-]{0,6}$/);
    const schema = fc.constantFrom(null, USER, ENTERPRISE, 'urn:example:custom:1.0:Thing');
    const value: fc.Arbitrary<CompareValue> = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 12 }),
      fc.integer({ min: -1e9, max: 1e9 }).filter((n) => !Object.is(n, -0)),
      fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Object.is(n, -0)),
      fc.boolean(),
      fc.constant(null),
    );
    const operator = fc.constantFrom<CompareOperator>('eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le');
    const outerPath = fc.record({ schema, attribute: name, subAttribute: fc.option(name, { nil: null }) });
    const innerPath = fc.record({ schema: fc.constant(null), attribute: name, subAttribute: fc.constant(null) });

    const tree = (leafPath: fc.Arbitrary<AttributePath>, withValuePath: boolean): fc.Arbitrary<FilterNode> =>
      fc.letrec<{ node: FilterNode }>((tie) => ({
        node: fc.oneof(
          { depthSize: 'small', withCrossShrink: true },
          fc.record({ kind: fc.constant('compare' as const), path: leafPath, operator, value }),
          fc.record({ kind: fc.constant('present' as const), path: leafPath }),
          fc.record({ kind: fc.constant('and' as const), left: tie('node'), right: tie('node') }),
          fc.record({ kind: fc.constant('or' as const), left: tie('node'), right: tie('node') }),
          fc.record({ kind: fc.constant('not' as const), operand: tie('node') }),
          ...(withValuePath
            ? [
                fc.record({
                  kind: fc.constant('valuePath' as const),
                  path: fc.record({ schema, attribute: name, subAttribute: fc.constant(null) }),
                  filter: tree(innerPath, false),
                }),
              ]
            : []),
        ),
      })).node;

    fc.assert(
      fc.property(tree(outerPath, true), (node) => {
        const text = print(node);
        fc.pre(text.length <= MAX_FILTER_LENGTH && nesting(node) <= MAX_FILTER_DEPTH);
        expect(parseFilter(text)).toEqual(node);
      }),
      { numRuns: 1000 },
    );
  });
});

function printPath(path: AttributePath): string {
  const name = path.subAttribute === null ? path.attribute : `${path.attribute}.${path.subAttribute}`;
  return path.schema === null ? name : `${path.schema}:${name}`;
}

/** Prints a tree with every and/or/not fully parenthesised, so it must parse back unchanged. */
function print(node: FilterNode): string {
  switch (node.kind) {
    case 'compare':
      return `${printPath(node.path)} ${node.operator} ${JSON.stringify(node.value)}`;
    case 'present':
      return `${printPath(node.path)} pr`;
    case 'and':
      return `(${print(node.left)}) and (${print(node.right)})`;
    case 'or':
      return `(${print(node.left)}) or (${print(node.right)})`;
    case 'not':
      return `not (${print(node.operand)})`;
    case 'valuePath':
      return `${printPath(node.path)}[${print(node.filter)}]`;
  }
}

/** How many "(", "not (" and "[" levels print() wraps around the deepest leaf. */
function nesting(node: FilterNode): number {
  switch (node.kind) {
    case 'compare':
    case 'present':
      return 0;
    case 'and':
    case 'or':
      return 1 + Math.max(nesting(node.left), nesting(node.right));
    case 'not':
      return 1 + nesting(node.operand);
    case 'valuePath':
      return 1 + nesting(node.filter);
  }
}
