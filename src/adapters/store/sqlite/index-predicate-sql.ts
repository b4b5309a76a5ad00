// Compiles an IndexPredicate to a parameterised SQL WHERE fragment over `users u` or `groups g`.
// Values only ever travel as bound parameters; every condition is answerable from an index.
import type { GroupIndexedAttribute, IndexPredicate, UserIndexedAttribute } from '../../../ports/store.js';
import { foldCase } from '../../../ports/case-fold.js';

export type SqlParam = string | number;

/** A boolean SQL expression and the values for its `?` placeholders, in order. */
export interface SqlFragment {
  readonly sql: string;
  readonly params: readonly SqlParam[];
}

type EqCompiler = (value: string | boolean) => SqlFragment;

const alwaysTrue: SqlFragment = { sql: '1 = 1', params: [] };
const alwaysFalse: SqlFragment = { sql: '1 = 0', params: [] };

/** A string value bound to `sql`; a value of the wrong type matches nothing. */
function text(sql: string, fold: (value: string) => string = (value) => value): EqCompiler {
  return (value) => (typeof value === 'string' ? { sql, params: [fold(value)] } : alwaysFalse);
}

const userColumns: Readonly<Record<UserIndexedAttribute, EqCompiler>> = {
  'id': text('u.id = ?'),
  'userName': text('u.user_name_key = ?', foldCase),
  'externalId': text('u.external_id = ?'),
  'active': (value) => (typeof value === 'boolean' ? { sql: 'u.active = ?', params: [value ? 1 : 0] } : alwaysFalse),
  'emails.value': text('u.seq IN (SELECT e.user_seq FROM user_emails e WHERE e.email_key = ?)', foldCase),
};

const groupColumns: Readonly<Record<GroupIndexedAttribute, EqCompiler>> = {
  'id': text('g.id = ?'),
  'displayName': text('g.display_name_key = ?', foldCase),
  'externalId': text('g.external_id = ?'),
  'members.value': text(
    'g.seq IN (SELECT m.group_seq FROM group_members m WHERE m.user_seq = (SELECT mu.seq FROM users mu WHERE mu.id = ?))',
  ),
};

/** The WHERE fragment for a User query (table alias `u`); null selects every user. */
export function compileUserPredicate(where: IndexPredicate<UserIndexedAttribute> | null): SqlFragment {
  return where === null ? alwaysTrue : compile(where, userColumns);
}

/** The WHERE fragment for a Group query (table alias `g`); null selects every group. */
export function compileGroupPredicate(where: IndexPredicate<GroupIndexedAttribute> | null): SqlFragment {
  return where === null ? alwaysTrue : compile(where, groupColumns);
}

function compile<A extends string>(where: IndexPredicate<A>, columns: Readonly<Record<A, EqCompiler>>): SqlFragment {
  switch (where.kind) {
    case 'eq': {
      if (!Object.hasOwn(columns, where.attribute)) throw new TypeError(`"${where.attribute}" is not an indexed attribute`);
      return columns[where.attribute](where.value);
    }
    case 'and':
      return combine(where.operands.map((operand) => compile(operand, columns)), 'AND', alwaysTrue);
    case 'or':
      return combine(where.operands.map((operand) => compile(operand, columns)), 'OR', alwaysFalse);
  }
}

/** Joins the parts with `operator`; no parts gives the operator's identity (and → true, or → false). */
function combine(parts: readonly SqlFragment[], operator: 'AND' | 'OR', identity: SqlFragment): SqlFragment {
  const [only] = parts;
  if (only === undefined) return identity;
  if (parts.length === 1) return only;
  return {
    sql: parts.map((part) => `(${part.sql})`).join(` ${operator} `),
    params: parts.flatMap((part) => part.params),
  };
}
