// Compiles an IndexPredicate to a parameterised PostgreSQL WHERE fragment over `users u` or
// `groups g` ($n placeholders). Values only ever travel as bound parameters; every condition is
// answerable from an index (the same conditions as the SQLite engine's compiler).
import type { GroupIndexedAttribute, IndexPredicate, UserIndexedAttribute } from '../../../ports/store.js';
import { foldCase } from '../../../ports/case-fold.js';

export type SqlParam = string | boolean;

/** A boolean SQL expression and the values of its placeholders `$1` … `$n`, in order. */
export interface SqlFragment {
  readonly sql: string;
  readonly params: readonly SqlParam[];
}

/** Builds the condition for one `eq`; `param` binds a value and returns its placeholder. */
type EqCompiler = (value: string | boolean, param: (value: SqlParam) => string, schema: string) => string;

const alwaysTrue = 'TRUE';
const alwaysFalse = 'FALSE';

/** A string value bound into `sql(placeholder)`; a value of the wrong type matches nothing. */
function text(sql: (placeholder: string, schema: string) => string, fold: (value: string) => string = (value) => value): EqCompiler {
  return (value, param, schema) => (typeof value === 'string' ? sql(param(fold(value)), schema) : alwaysFalse);
}

const userColumns: Readonly<Record<UserIndexedAttribute, EqCompiler>> = {
  'id': text((p) => `u.id = ${p}`),
  'userName': text((p) => `u.user_name_key = ${p}`, foldCase),
  'externalId': text((p) => `u.external_id = ${p}`),
  'active': (value, param) => (typeof value === 'boolean' ? `u.active = ${param(value)}::boolean` : alwaysFalse),
  'emails.value': text((p, s) => `u.seq IN (SELECT e.user_seq FROM ${s}.user_emails e WHERE e.email_key = ${p})`, foldCase),
};

const groupColumns: Readonly<Record<GroupIndexedAttribute, EqCompiler>> = {
  'id': text((p) => `g.id = ${p}`),
  'displayName': text((p) => `g.display_name_key = ${p}`, foldCase),
  'externalId': text((p) => `g.external_id = ${p}`),
  'members.value': text(
    (p, s) => `g.seq IN (SELECT m.group_seq FROM ${s}.group_members m WHERE m.user_seq = (SELECT mu.seq FROM ${s}.users mu WHERE mu.id = ${p}))`,
  ),
};

/** The WHERE fragment for a User query (table alias `u`) in `schema` (quoted); null selects every user. */
export function compileUserPredicate(where: IndexPredicate<UserIndexedAttribute> | null, schema: string): SqlFragment {
  return compileWith(where, userColumns, schema);
}

/** The WHERE fragment for a Group query (table alias `g`) in `schema` (quoted); null selects every group. */
export function compileGroupPredicate(where: IndexPredicate<GroupIndexedAttribute> | null, schema: string): SqlFragment {
  return compileWith(where, groupColumns, schema);
}

function compileWith<A extends string>(
  where: IndexPredicate<A> | null,
  columns: Readonly<Record<A, EqCompiler>>,
  schema: string,
): SqlFragment {
  const params: SqlParam[] = [];
  const param = (value: SqlParam): string => {
    params.push(value);
    return `$${params.length}`;
  };
  const sql = where === null ? alwaysTrue : compile(where, columns, param, schema);
  return { sql, params };
}

function compile<A extends string>(
  where: IndexPredicate<A>,
  columns: Readonly<Record<A, EqCompiler>>,
  param: (value: SqlParam) => string,
  schema: string,
): string {
  switch (where.kind) {
    case 'eq': {
      if (!Object.hasOwn(columns, where.attribute)) throw new TypeError(`"${where.attribute}" is not an indexed attribute`);
      return columns[where.attribute](where.value, param, schema);
    }
    case 'and':
      return combine(where.operands.map((operand) => compile(operand, columns, param, schema)), 'AND', alwaysTrue);
    case 'or':
      return combine(where.operands.map((operand) => compile(operand, columns, param, schema)), 'OR', alwaysFalse);
  }
}

/** Joins the parts with `operator`; no parts gives the operator's identity (and → true, or → false). */
function combine(parts: readonly string[], operator: 'AND' | 'OR', identity: string): string {
  const [only] = parts;
  if (only === undefined) return identity;
  if (parts.length === 1) return only;
  return parts.map((part) => `(${part})`).join(` ${operator} `);
}
