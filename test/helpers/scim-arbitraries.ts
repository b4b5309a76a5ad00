// fast-check generators of hostile SCIM input: valid-looking User/Group bodies and their mutations,
// grammar-aware and mangled filters, PatchOp documents and list query parameters (RFC 7644 §3.4, §3.5.2).
import fc from 'fast-check';
import { ENTERPRISE_URN, GROUP_URN, PATCH_URN, USER_URN } from './scim-builders.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The ids the generators may reference (seeded Users and Groups), resolved when a value is drawn. */
export interface KnownIds {
  readonly users: readonly string[];
  readonly groups: readonly string[];
}

// ---------------------------------------------------------------------------------------------
// Scalars

const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  '\uD800',
  '\uDFFF',
  '\uFEFF',
  'True',
  'False',
  'null',
  'undefined',
  '__proto__',
  'constructor',
  'prototype',
  '${x}',
  '<script>alert(1)</script>',
  "'; DROP TABLE users; --",
  '%00',
  '%FF',
  '\\',
  '"',
  '\n',
  'İ',
  'ß',
  'ǅ',
  '😀',
  'e\u0301',
  '\u202Eevil',
  'a@example.com',
  'A@EXAMPLE.COM',
];

/** Short strings of every flavour: ASCII, graphemes, any code point (control characters included), known troublemakers. */
export const text: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 16 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  { weight: 2, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
);

/** Strings long enough to hurt (some cross the fuzz bridge's body limit). */
export const hugeString: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: 1_000, max: 80_000 }), fc.constantFrom('x', 'é', '😀', '\\"'))
  .map(([n, unit]) => unit.repeat(Math.ceil(n / unit.length)));

/** A name very likely not taken yet, so that a valid create is accepted. */
const freshName: fc.Arbitrary<string> = fc.tuple(fc.uuid(), fc.constantFrom('', '@example.com', ' Ünïcødé')).map(([u, s]) => `f-${u}${s}`);

const stringBoolean = fc.constantFrom('True', 'False', 'true', 'false', 'TRUE', ' false ', 'yes', '0', '1');

// ---------------------------------------------------------------------------------------------
// Resource bodies

function memberId(ids: KnownIds): fc.Arbitrary<Json> {
  return fc.oneof(
    { weight: 5, arbitrary: fc.nat().map((i) => ids.users[i % ids.users.length] ?? 'none') },
    { weight: 1, arbitrary: fc.nat().map((i) => ids.groups[i % ids.groups.length] ?? 'none') },
    { weight: 1, arbitrary: fc.uuid() },
    { weight: 1, arbitrary: text },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) as fc.Arbitrary<Json> },
  );
}

export function memberList(ids: KnownIds): fc.Arbitrary<Json> {
  const member = fc.record(
    { value: memberId(ids), display: text, type: fc.constantFrom('User', 'Group', 'user'), $ref: text },
    { requiredKeys: ['value'] },
  ) as fc.Arbitrary<Json>;
  return fc.array(member, { maxLength: 4 });
}

export function userBody(ids: KnownIds): fc.Arbitrary<Json> {
  const manager = fc.oneof(
    memberId(ids),
    fc.record({ value: memberId(ids), displayName: text }, { requiredKeys: [] }),
    memberId(ids).map((value) => [{ $ref: null, value }]),
  );
  return fc.record(
    {
      schemas: fc.constantFrom([USER_URN], [USER_URN, ENTERPRISE_URN], [USER_URN, 'urn:ietf:params:scim:schemas:extension:enterprise:2.0user']),
      userName: fc.oneof({ weight: 3, arbitrary: freshName }, { weight: 1, arbitrary: text }),
      externalId: text,
      displayName: text,
      nickName: text,
      title: text,
      locale: fc.constantFrom('en-US', 'de_CH', 'xx', ''),
      active: fc.oneof(fc.boolean(), stringBoolean),
      name: fc.record({ givenName: text, familyName: text, formatted: text, middleName: text }, { requiredKeys: [] }),
      emails: fc.array(
        fc.record({ value: text, type: fc.constantFrom('work', 'home', 'other', 'Work', 'x'), primary: fc.oneof(fc.boolean(), stringBoolean) }, { requiredKeys: ['value'] }),
        { maxLength: 3 },
      ),
      phoneNumbers: fc.array(fc.record({ value: text, type: fc.constantFrom('mobile', 'work', 'fax') }, { requiredKeys: [] }), { maxLength: 2 }),
      addresses: fc.array(fc.record({ type: fc.constantFrom('work', 'home'), locality: text, country: text, primary: fc.boolean() }, { requiredKeys: [] }), { maxLength: 2 }),
      roles: fc.array(fc.record({ value: text, primary: fc.oneof(fc.boolean(), stringBoolean) }, { requiredKeys: [] }), { maxLength: 2 }),
      [ENTERPRISE_URN]: fc.record({ employeeNumber: text, department: text, costCenter: text, manager }, { requiredKeys: [] }),
      [`${ENTERPRISE_URN}:department`]: text,
      groups: memberList(ids),
      id: text,
      meta: fc.record({ version: text, resourceType: text }, { requiredKeys: [] }),
      password: text,
    },
    { requiredKeys: ['userName'] },
  ) as unknown as fc.Arbitrary<Json>;
}

export function groupBody(ids: KnownIds): fc.Arbitrary<Json> {
  return fc.record(
    {
      schemas: fc.constantFrom([GROUP_URN], [GROUP_URN.toUpperCase()], [USER_URN]),
      displayName: fc.oneof({ weight: 3, arbitrary: freshName }, { weight: 1, arbitrary: text }),
      externalId: text,
      members: memberList(ids),
      id: text,
      meta: fc.record({ resourceType: text }, { requiredKeys: [] }),
    },
    { requiredKeys: ['displayName'] },
  ) as unknown as fc.Arbitrary<Json>;
}

// ---------------------------------------------------------------------------------------------
// Structural mutations of a JSON value

/**
 * Marker for a deeply nested value; spliced in as text after serialisation, so the test process
 * never builds (or recursively stringifies) a structure tens of thousands of levels deep.
 */
const NEST_MARKER = '\u0000nest';

export type Mutation =
  | { readonly kind: 'delete'; readonly at: number }
  | { readonly kind: 'null'; readonly at: number }
  | { readonly kind: 'retype'; readonly at: number; readonly value: Json }
  | { readonly kind: 'stringify'; readonly at: number }
  | { readonly kind: 'recase-key'; readonly at: number; readonly upper: boolean }
  | { readonly kind: 'wrap-array'; readonly at: number }
  | { readonly kind: 'unwrap'; readonly at: number }
  | { readonly kind: 'nest'; readonly at: number; readonly depth: number; readonly shape: 'array' | 'object' }
  | { readonly kind: 'huge'; readonly at: number; readonly value: string }
  | { readonly kind: 'add-key'; readonly at: number; readonly key: string; readonly value: Json };

const pollutingKey = fc.constantFrom('__proto__', 'constructor', 'prototype', '__defineGetter__', 'hasOwnProperty', 'toString');
const strayKey = fc.oneof(
  pollutingKey,
  fc.constantFrom('favouriteColour', 'USERNAME', 'DisplayName', 'Members', 'urn:example:unknown:2.0:Ext', `${ENTERPRISE_URN}:manager`, 'name.givenName', ''),
  fc.string({ maxLength: 8 }),
);

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('null' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('retype' as const), at: fc.nat(), value: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json> }),
  fc.record({ kind: fc.constant('stringify' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('recase-key' as const), at: fc.nat(), upper: fc.boolean() }),
  fc.record({ kind: fc.constant('wrap-array' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('unwrap' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('nest' as const),
    at: fc.nat(),
    depth: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.constantFrom(100, 1_000, 5_000, 20_000)),
    shape: fc.constantFrom('array' as const, 'object' as const),
  }),
  fc.record({ kind: fc.constant('huge' as const), at: fc.nat(), value: hugeString }),
  fc.record({ kind: fc.constant('add-key' as const), at: fc.nat(), key: strayKey, value: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json> }),
);

type Slot = { readonly parent: Json[] | { [key: string]: Json }; readonly key: string | number };

function isObject(value: unknown): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Sets an own property, even `__proto__`, without touching any prototype. */
function setOwn(target: { [key: string]: Json } | Json[], key: string | number, value: Json): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function slotsOf(root: { value: Json }): Slot[] {
  const slots: Slot[] = [{ parent: root as unknown as { [key: string]: Json }, key: 'value' }];
  const walk = (value: Json): void => {
    if (Array.isArray(value)) {
      value.forEach((item, i) => {
        slots.push({ parent: value, key: i });
        walk(item);
      });
    } else if (isObject(value)) {
      for (const key of Object.keys(value)) {
        slots.push({ parent: value, key });
        walk(value[key] as Json);
      }
    }
  };
  walk(root.value);
  return slots;
}

function read(slot: Slot): Json {
  return (slot.parent as Record<string | number, Json>)[slot.key] as Json;
}

/** Applies mutations in order to a deep copy of `value`; the result may hold nest markers (see {@link serialise}). */
export function mutate(value: Json, mutations: readonly Mutation[]): Json {
  const root = { value: JSON.parse(JSON.stringify(value)) as Json };
  for (const m of mutations) {
    const slots = slotsOf(root);
    const slot = slots[m.at % slots.length] as Slot;
    const current = read(slot);
    switch (m.kind) {
      case 'delete':
        if (Array.isArray(slot.parent)) slot.parent.splice(slot.key as number, 1);
        else if (slot.parent !== (root as unknown)) delete slot.parent[slot.key as string];
        break;
      case 'null':
        setOwn(slot.parent, slot.key, null);
        break;
      case 'retype':
        setOwn(slot.parent, slot.key, m.value);
        break;
      case 'stringify':
        setOwn(slot.parent, slot.key, typeof current === 'string' ? current : JSON.stringify(current));
        break;
      case 'recase-key':
        if (isObject(slot.parent) && slot.parent !== (root as unknown) && typeof slot.key === 'string') {
          const key = m.upper ? slot.key.toUpperCase() : slot.key.toLowerCase();
          setOwn(slot.parent, key === slot.key ? `${key}_` : key, current);
        }
        break;
      case 'wrap-array':
        setOwn(slot.parent, slot.key, [current]);
        break;
      case 'unwrap':
        if (Array.isArray(current)) setOwn(slot.parent, slot.key, current[0] ?? null);
        else if (isObject(current)) setOwn(slot.parent, slot.key, Object.values(current)[0] ?? null);
        break;
      case 'nest':
        setOwn(slot.parent, slot.key, `${NEST_MARKER}:${m.shape}:${m.depth}`);
        break;
      case 'huge':
        setOwn(slot.parent, slot.key, m.value);
        break;
      case 'add-key': {
        const target = isObject(current) ? current : isObject(slot.parent) && slot.parent !== (root as unknown) ? slot.parent : null;
        if (target !== null) setOwn(target, m.key, m.value);
        else if (isObject(root.value)) setOwn(root.value, m.key, m.value);
        break;
      }
    }
  }
  return root.value;
}

/** JSON text of a (mutated) value, with nest markers replaced by arrays/objects nested that deep. */
export function serialise(value: Json): string {
  return JSON.stringify(value).replace(/"\\u0000nest:(array|object):(\d+)"/g, (_all, shape: string, depth: string) => {
    const n = Number(depth);
    return shape === 'array' ? `${'['.repeat(n)}${']'.repeat(n)}` : `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;
  });
}

// ---------------------------------------------------------------------------------------------
// Text mutations (bodies, filters, paths)

export type TextMutation =
  | { readonly kind: 'delete'; readonly at: number; readonly length: number }
  | { readonly kind: 'insert'; readonly at: number; readonly text: string }
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'duplicate'; readonly at: number; readonly length: number }
  | { readonly kind: 'swap-case'; readonly at: number; readonly length: number };

const INSERTIONS = ['(', ')', '[', ']', '{', '}', '"', "'", '\\', ' ', '.', ',', ':', 'and', 'or', 'not', 'pr', 'eq', '\\u', '\\uD800', '\u0000', '\uFFFF', '😀', '\t', '\n', '/*', '//', 'NaN', '-', '+', '\uFEFF'];

export const textMutation: fc.Arbitrary<TextMutation> = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 6 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(fc.constantFrom(...INSERTIONS), fc.string({ maxLength: 3 })) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 20 }) }),
  fc.record({ kind: fc.constant('swap-case' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 10 }) }),
);

export function mutateText(source: string, mutations: readonly TextMutation[]): string {
  let s = source;
  for (const m of mutations) {
    const at = m.at % (s.length + 1);
    switch (m.kind) {
      case 'delete':
        s = s.slice(0, at) + s.slice(at + m.length);
        break;
      case 'insert':
        s = s.slice(0, at) + m.text + s.slice(at);
        break;
      case 'truncate':
        s = s.slice(0, at);
        break;
      case 'duplicate':
        s = s.slice(0, at + m.length) + s.slice(at, at + m.length) + s.slice(at + m.length);
        break;
      case 'swap-case': {
        const part = s.slice(at, at + m.length);
        const swapped = [...part].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join('');
        s = s.slice(0, at) + swapped + s.slice(at + m.length);
        break;
      }
    }
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// Filters (RFC 7644 §3.4.2.2)

const KNOWN_ATTRIBUTES = [
  'userName',
  'USERNAME',
  'name.givenName',
  'name.familyName',
  'name',
  'emails',
  'emails.value',
  'emails.type',
  'emails.primary',
  'active',
  'displayName',
  'externalId',
  'id',
  'meta.created',
  'meta.lastModified',
  'meta.resourceType',
  'meta.version',
  'title',
  'groups',
  'groups.value',
  'groups.display',
  'members',
  'members.value',
  'members.display',
  'phoneNumbers.value',
  'addresses.country',
  'x509Certificates.value',
  `${ENTERPRISE_URN}:employeeNumber`,
  `${ENTERPRISE_URN}:manager.value`,
  `${ENTERPRISE_URN}:manager`,
  `${USER_URN}:userName`,
  `${USER_URN}:name.givenName`,
  `${GROUP_URN}:displayName`,
  'urn:unknown:x',
  'nickName',
  '$ref',
  'not',
  'and',
  'pr',
  'eq',
];

export const attributeName: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...KNOWN_ATTRIBUTES) },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z$][A-Za-z0-9_$-]{0,8}(\.[A-Za-z][A-Za-z0-9_-]{0,6})?$/) },
);

const subAttributeName = fc.constantFrom('value', 'type', 'primary', 'display', '$ref', 'country', 'givenName', 'Value', 'x');

const operator = fc.constantFrom('eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le', 'EQ', 'Eq', 'sW', 'Gt');

const compareValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: text.map((s) => JSON.stringify(s)) },
  { weight: 1, arbitrary: fc.constantFrom('true', 'false', 'null', 'True', 'NULL', '"True"') },
  { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })).map((n) => String(n)) },
  { weight: 1, arbitrary: fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }).map((d) => JSON.stringify(d.toISOString())) },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9@._-]{1,12}$/) },
);

/** A filter inside `attr[…]`: bare sub-attribute names joined by and/or/not. */
const valueFilter: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      fc.tuple(subAttributeName, operator, compareValue).map(([a, o, v]) => `${a} ${o} ${v}`),
      subAttributeName.map((a) => `${a} pr`),
    ),
    { minLength: 1, maxLength: 3 },
  )
  .chain((atoms) =>
    fc.array(fc.constantFrom(' and ', ' or ', ' AND ', ' Or '), { minLength: atoms.length - 1, maxLength: atoms.length - 1 }).map((joins) =>
      atoms.reduce((acc, atom, i) => (i === 0 ? atom : `${acc}${joins[i - 1] ?? ' and '}${atom}`), ''),
    ),
  )
  .chain((f) => fc.constantFrom(f, `not (${f})`, `(${f})`));

const multiValued = fc.constantFrom('emails', 'members', 'phoneNumbers', 'addresses', 'groups', 'roles', 'name', 'userName', `${ENTERPRISE_URN}:manager`);

/** Filters from the RFC grammar: comparisons, presence, and/or/not, grouping, value paths. */
export const grammarFilter: fc.Arbitrary<string> = fc.letrec<{ expr: string }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.tuple(attributeName, operator, compareValue).map(([a, o, v]) => `${a} ${o} ${v}`),
    attributeName.map((a) => `${a} pr`),
    fc.tuple(multiValued, valueFilter).map(([a, f]) => `${a}[${f}]`),
    fc.tuple(multiValued, valueFilter, subAttributeName, operator, compareValue).map(([a, f, s, o, v]) => `${a}[${f}].${s} ${o} ${v}`),
    fc.tuple(tie('expr'), fc.constantFrom('and', 'or', 'AND', 'Or'), tie('expr')).map(([l, k, r]) => `${l} ${k} ${r}`),
    tie('expr').map((e) => `not (${e})`),
    tie('expr').map((e) => `(${e})`),
  ),
})).expr;

/** Filters from the grammar, mutated ones, random strings, and pathological lengths and depths. */
export const anyFilter: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: grammarFilter },
  { weight: 4, arbitrary: fc.tuple(grammarFilter, fc.array(textMutation, { minLength: 1, maxLength: 3 })).map(([f, ms]) => mutateText(f, ms)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.integer({ min: 4_000, max: 4_200 }).map((n) => `userName eq "${'x'.repeat(n)}"`) },
  { weight: 1, arbitrary: fc.integer({ min: 40, max: 200 }).map((n) => `${'('.repeat(n)}userName pr${')'.repeat(n)}`) },
  { weight: 1, arbitrary: fc.integer({ min: 40, max: 200 }).map((n) => `${'not ('.repeat(n)}active eq true${')'.repeat(n)}`) },
);

// ---------------------------------------------------------------------------------------------
// PatchOp documents (RFC 7644 §3.5.2)

const USER_PATHS = [
  'userName',
  'active',
  'displayName',
  'externalId',
  'title',
  'nickName',
  'name',
  'name.givenName',
  'name.familyName',
  'name.middleName',
  'emails',
  'emails[type eq "work"]',
  'emails[type eq "work"].value',
  'emails[type eq "home"].value',
  'emails[primary eq true].type',
  'emails[type eq "work" and primary eq true].value',
  'emails[value co "@"]',
  'phoneNumbers',
  'phoneNumbers[type eq "mobile"].value',
  'addresses[type eq "work"].locality',
  'roles[primary eq true]',
  'x509Certificates',
  'groups',
  `${ENTERPRISE_URN}:manager`,
  `${ENTERPRISE_URN}:manager.value`,
  `${ENTERPRISE_URN}:employeeNumber`,
  `${ENTERPRISE_URN}:department`,
  'manager',
  'employeeNumber',
  `${USER_URN}:userName`,
  `${USER_URN}:name.givenName`,
];

const GROUP_PATHS = ['displayName', 'externalId', 'members', 'members[display co "a"]', 'members[value eq "nobody"]', 'members.value', 'members[value eq "x"].display', `${GROUP_URN}:displayName`, `${GROUP_URN}:members`, 'DISPLAYNAME'];

const EITHER_PATHS = ['id', 'meta', 'meta.version', 'password', 'schemas', 'nickname', 'urn:unknown:x'];

function knownPaths(ids: KnownIds, resourceType: 'Users' | 'Groups'): fc.Arbitrary<string> {
  const anyUser = fc.nat().map((i) => ids.users[i % ids.users.length] ?? 'none');
  const own = resourceType === 'Users' ? USER_PATHS : GROUP_PATHS;
  const other = resourceType === 'Users' ? GROUP_PATHS : USER_PATHS;
  return fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...own) },
    { weight: 1, arbitrary: fc.constantFrom(...other, ...EITHER_PATHS) },
    { weight: resourceType === 'Groups' ? 3 : 1, arbitrary: anyUser.map((id) => `members[value eq "${id}"]`) },
    { weight: 1, arbitrary: fc.tuple(anyUser, anyUser).map(([a, b]) => `members[value eq "${a}" or value eq "${b}"]`) },
  );
}

function patchPath(ids: KnownIds, resourceType: 'Users' | 'Groups'): fc.Arbitrary<Json | undefined> {
  return fc.oneof(
    { weight: 12, arbitrary: knownPaths(ids, resourceType) },
    { weight: 2, arbitrary: fc.tuple(multiValued, valueFilter, fc.option(subAttributeName, { nil: null })).map(([a, f, s]) => `${a}[${f}]${s === null ? '' : `.${s}`}`) },
    { weight: 2, arbitrary: fc.tuple(knownPaths(ids, resourceType), fc.array(textMutation, { minLength: 1, maxLength: 3 })).map(([p, ms]) => mutateText(p, ms)) },
    { weight: 1, arbitrary: text },
    { weight: 1, arbitrary: fc.constantFrom<Json | undefined>(undefined, null, '', '  ', 5, true, [], {}) },
  );
}

function patchValue(ids: KnownIds): fc.Arbitrary<Json | undefined> {
  const pathless = fc.dictionary(
    fc.oneof(
      fc.constantFrom('displayName', 'active', 'userName', 'externalId', 'name.givenName', 'emails[type eq "work"].value', 'members', 'id', 'meta', 'schemas', ENTERPRISE_URN, `${ENTERPRISE_URN}:manager`, 'password'),
      fc.string({ maxLength: 6 }),
      pollutingKey,
    ),
    fc.oneof(text, fc.boolean(), stringBoolean, fc.constant(null), memberList(ids), fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>),
    { maxKeys: 4 },
  ) as fc.Arbitrary<Json>;
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 2, arbitrary: text },
    { weight: 1, arbitrary: fc.oneof(fc.boolean(), stringBoolean, fc.constant(null), fc.constant('')) },
    { weight: 2, arbitrary: memberList(ids) },
    { weight: 2, arbitrary: pathless },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json> },
    { weight: 1, arbitrary: fc.tuple(userBody(ids), fc.array(mutation, { maxLength: 2 })).map(([b, ms]) => mutate(b, ms)) },
  );
}

function recaseKeys(operation: Record<string, Json | undefined>, style: 'lower' | 'title' | 'upper'): { [key: string]: Json } {
  const result: { [key: string]: Json } = {};
  for (const [key, value] of Object.entries(operation)) {
    if (value === undefined) continue;
    const name = style === 'lower' ? key : style === 'upper' ? key.toUpperCase() : key.charAt(0).toUpperCase() + key.slice(1);
    setOwn(result, name, value);
  }
  return result;
}

export function patchDocument(ids: KnownIds, resourceType: 'Users' | 'Groups'): fc.Arbitrary<Json> {
  const op = fc.oneof(
    { weight: 30, arbitrary: fc.constantFrom('add', 'remove', 'replace', 'Add', 'Remove', 'Replace', 'ADD', 'REPLACE') },
    { weight: 1, arbitrary: fc.constantFrom('move', 'copy', 'test', '', ' add ', 'delete') },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) as fc.Arbitrary<Json> },
  );
  const operation = fc
    .tuple(
      fc.record({ op, path: patchPath(ids, resourceType), value: patchValue(ids) }, { requiredKeys: ['op'] }),
      fc.constantFrom('lower' as const, 'title' as const, 'upper' as const),
    )
    .map(([o, style]) => recaseKeys(o, style));
  const operations = fc.oneof(
    { weight: 12, arbitrary: fc.array(operation, { minLength: 1, maxLength: 3 }) },
    { weight: 1, arbitrary: fc.constantFrom<Json>([], {}, null, 'add') },
  );
  const schemas = fc.oneof(
    { weight: 16, arbitrary: fc.constant<Json>([PATCH_URN]) },
    { weight: 1, arbitrary: fc.constantFrom<Json>([], ['urn:x'], PATCH_URN, [PATCH_URN.toUpperCase()], null) },
  );
  return fc
    .tuple(fc.option(schemas, { nil: undefined }), operations, fc.constantFrom('Operations', 'operations', 'OPERATIONS'))
    .map(([s, ops, key]) => {
      const document: { [key: string]: Json } = {};
      if (s !== undefined) document.schemas = s;
      setOwn(document, key, ops);
      return document;
    });
}

// ---------------------------------------------------------------------------------------------
// List query parameters (RFC 7644 §3.4.2.4, §3.4.2.5)

const integerLike = fc.oneof(
  fc.integer().map(String),
  fc.integer({ min: -5, max: 20 }).map(String),
  fc.constantFrom('', ' ', '1e3', '0x10', '1.5', '-0', '+5', 'NaN', 'Infinity', '99999999999999999999', ' 7 ', '٣', '1,2', 'abc', '%'),
);

const attributeList = fc
  .array(fc.oneof(attributeName, text, fc.constantFrom('members', 'groups', 'emails.value', `${ENTERPRISE_URN}:manager`, 'id', 'schemas', 'meta')), { maxLength: 4 })
  .chain((names) => fc.constantFrom(names.join(','), names.join(' , '), names.join(',,')));

export type QueryParameter = readonly [name: string, value: string];

export const queryParameters: fc.Arbitrary<QueryParameter[]> = fc.array(
  fc.oneof(
    fc.tuple(fc.constantFrom('startIndex', 'StartIndex', 'startindex'), integerLike),
    fc.tuple(fc.constantFrom('count', 'COUNT'), integerLike),
    fc.tuple(fc.constantFrom('attributes', 'Attributes'), attributeList),
    fc.tuple(fc.constantFrom('excludedAttributes', 'excludedattributes'), attributeList),
    fc.tuple(fc.constant('filter'), anyFilter),
    fc.tuple(fc.constantFrom('sortBy', 'sortOrder', '__proto__', 'constructor', 'count[]', 'x'), text),
  ),
  { maxLength: 5 },
);

/** Percent-encodes text for a URL; lone surrogates (which encodeURIComponent refuses) become U+FFFD. */
export function encodeQueryValue(value: string): string {
  return encodeURIComponent(value.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD'));
}

export function queryString(parameters: readonly QueryParameter[]): string {
  return parameters.map(([name, value]) => `${encodeQueryValue(name)}=${encodeQueryValue(value)}`).join('&');
}
