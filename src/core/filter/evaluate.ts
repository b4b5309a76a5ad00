// Evaluates a SCIM filter (RFC 7644 §3.4.2.2) against one full SCIM JSON resource, for what the
// store's indexes cannot answer. Pure, allocation-light, and never throws for any resource.
import { foldCase } from '../../ports/case-fold.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../../ports/json.js';
import type { AttributeCatalogue, AttributeInfo } from './attribute-catalogue.js';
import type { AttributePath, CompareOperator, CompareValue, FilterNode } from './ast.js';

/** Paths qualified with a core schema URN (`…:core:2.0:User:userName`) name top-level attributes. */
const CORE_SCHEMA_PREFIX = 'urn:ietf:params:scim:schemas:core:2.0:';
/** `pr` looks this deep into complex values; anything deeper counts as present. */
const MAX_PRESENCE_DEPTH = 32;
const JSON_NUMBER = /^\s*-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?\s*$/;
const NO_VALUES: readonly JsonValue[] = [];

type Describe = (path: AttributePath) => AttributeInfo | undefined;

/** Where paths are resolved: the resource itself, or one value of a complex attribute inside `[…]`. */
interface Scope {
  readonly root: JsonObject;
  readonly describe: Describe;
  readonly insideValuePath: boolean;
}

/**
 * True when `resource` matches `node` (RFC 7644 §3.4.2.2). Decisions beyond the RFC's text:
 * - Attribute names match case-insensitively (RFC 7643 §2.1); a path qualified with a core schema
 *   URN is a top-level attribute, one with any other URN is looked up under that URN's key.
 * - A multi-valued attribute matches when any of its values matches; a complex value compared
 *   without sub-attribute (`emails co "x"`, `manager eq "id"`) compares its `value` sub-attribute.
 * - `ne` is exactly `not (… eq …)`: it matches when the attribute is absent, and for a multi-valued
 *   attribute when no value is equal (as scimmy and most servers do).
 * - `eq null` means "not present" and `ne null` "present" (`pr`); other operators never match null.
 * - Strings compare case-insensitively and under Unicode canonical equivalence (foldCase) unless the
 *   catalogue says caseExact (unknown attributes are case-insensitive); `co`/`sw`/`ew` apply to strings only; `gt`/`ge`/`lt`/`le` order dateTime by
 *   instant (when both sides parse), numbers numerically, strings by UTF-16 code units after case
 *   folding; booleans only support `eq`/`ne`, and also accept "true"/"false" in any case (Entra sends
 *   `active eq "True"`). A number or boolean literal compared with a string attribute is compared as
 *   its JSON text (`employeeNumber eq 701984` matches "701984").
 * - `pr`: not null, not "", not [], and a complex value with at least one present sub-attribute.
 */
export function matchesFilter(node: FilterNode, resource: JsonObject, catalogue: AttributeCatalogue): boolean {
  return evaluate(node, { root: resource, describe: (path) => catalogue.describe(path), insideValuePath: false });
}

function evaluate(node: FilterNode, scope: Scope): boolean {
  switch (node.kind) {
    case 'and': {
      // Walk the left spine iteratively: `a and b and c …` nests to the left.
      let n: FilterNode = node;
      while (n.kind === 'and') {
        if (!evaluate(n.right, scope)) return false;
        n = n.left;
      }
      return evaluate(n, scope);
    }
    case 'or': {
      let n: FilterNode = node;
      while (n.kind === 'or') {
        if (evaluate(n.right, scope)) return true;
        n = n.left;
      }
      return evaluate(n, scope);
    }
    case 'not':
      return !evaluate(node.operand, scope);
    case 'present':
      return anyPresent(resolve(scope.root, node.path));
    case 'compare':
      return evaluateCompare(node.path, node.operator, node.value, scope);
    case 'valuePath':
      return evaluateValuePath(node.path, node.filter, scope);
    default:
      return false;
  }
}

function evaluateCompare(path: AttributePath, operator: CompareOperator, value: CompareValue, scope: Scope): boolean {
  const values = resolve(scope.root, path);
  if (value === null) {
    if (operator === 'eq') return !anyPresent(values);
    if (operator === 'ne') return anyPresent(values);
    return false;
  }
  if (values.length === 0) return operator === 'ne';
  if (operator === 'ne') return !anyEqual(values, 'eq', value, path, scope);
  return anyEqual(values, operator, value, path, scope);
}

function anyEqual(
  values: readonly JsonValue[],
  operator: CompareOperator,
  value: string | number | boolean,
  path: AttributePath,
  scope: Scope,
): boolean {
  const info = scope.describe(path);
  let valueInfo: AttributeInfo | undefined | null = null;
  for (const v of values) {
    if (isJsonObject(v)) {
      // A complex value compared as a whole: compare its `value` sub-attribute (RFC 7644 §3.4.2.2).
      if (path.subAttribute !== null) continue;
      const inner = get(v, 'value');
      if (inner === undefined) continue;
      if (valueInfo === null) valueInfo = scope.describe({ ...path, subAttribute: 'value' });
      if (compareValue(inner, operator, value, valueInfo)) return true;
    } else if (compareValue(v, operator, value, info)) {
      return true;
    }
  }
  return false;
}

function compareValue(
  actual: JsonValue,
  operator: CompareOperator,
  expected: string | number | boolean,
  info: AttributeInfo | undefined,
): boolean {
  if (typeof actual === 'boolean') return compareBoolean(actual, operator, expected);
  if (typeof actual === 'number') return compareNumber(actual, operator, expected);
  if (typeof actual !== 'string') return false;
  if (info?.type === 'boolean') {
    const b = parseBoolean(actual);
    return b !== undefined && compareBoolean(b, operator, expected);
  }
  if (info?.type === 'dateTime' && typeof expected === 'string' && isOrdering(operator)) {
    const a = Date.parse(actual);
    const e = Date.parse(expected);
    if (Number.isFinite(a) && Number.isFinite(e)) return compareOrdered(a, operator, e);
  }
  const text = typeof expected === 'string' ? expected : String(expected);
  return info?.caseExact === true
    ? compareString(actual, operator, text)
    : compareString(foldCase(actual), operator, foldCase(text));
}

function isOrdering(operator: CompareOperator): boolean {
  return operator === 'eq' || operator === 'gt' || operator === 'ge' || operator === 'lt' || operator === 'le';
}

function compareBoolean(actual: boolean, operator: CompareOperator, expected: string | number | boolean): boolean {
  if (operator !== 'eq') return false;
  const e = typeof expected === 'string' ? parseBoolean(expected) : expected;
  return actual === e;
}

function compareNumber(actual: number, operator: CompareOperator, expected: string | number | boolean): boolean {
  let e: number;
  if (typeof expected === 'number') e = expected;
  else if (typeof expected === 'string' && JSON_NUMBER.test(expected)) e = Number(expected);
  else return false;
  return compareOrdered(actual, operator, e);
}

function compareOrdered(a: number, operator: CompareOperator, e: number): boolean {
  switch (operator) {
    case 'eq':
      return a === e;
    case 'gt':
      return a > e;
    case 'ge':
      return a >= e;
    case 'lt':
      return a < e;
    case 'le':
      return a <= e;
    default:
      return false;
  }
}

function compareString(a: string, operator: CompareOperator, e: string): boolean {
  switch (operator) {
    case 'eq':
      return a === e;
    case 'co':
      return a.includes(e);
    case 'sw':
      return a.startsWith(e);
    case 'ew':
      return a.endsWith(e);
    case 'gt':
      return a > e;
    case 'ge':
      return a >= e;
    case 'lt':
      return a < e;
    case 'le':
      return a <= e;
    default:
      return false;
  }
}

function parseBoolean(s: string): boolean | undefined {
  if (s.length === 4 && s.toLowerCase() === 'true') return true;
  if (s.length === 5 && s.toLowerCase() === 'false') return false;
  return undefined;
}

/** `emails[type eq "work" and value co "@x"]`: one value of the attribute satisfies the whole inner filter. */
function evaluateValuePath(path: AttributePath, filter: FilterNode, scope: Scope): boolean {
  const values = resolve(scope.root, path);
  if (values.length === 0) return false;
  const describe = valuePathDescribe(path, scope);
  for (const v of values) {
    if (oneValueMatches(v, filter, describe)) return true;
  }
  return false;
}

/**
 * True when `value`, one value of the multi-valued attribute at `path`, satisfies `filter` (the
 * inside of `path[…]`): which values a PATCH path such as `emails[type eq "work"].value` targets.
 */
export function valueMatchesFilter(path: AttributePath, filter: FilterNode, value: JsonValue, catalogue: AttributeCatalogue): boolean {
  const scope: Scope = { root: {}, describe: (p) => catalogue.describe(p), insideValuePath: false };
  return oneValueMatches(value, filter, valuePathDescribe(path, scope));
}

/** Inside `path[…]`, names are sub-attributes of `path`'s attribute. */
function valuePathDescribe(path: AttributePath, outer: Scope): Describe {
  return (inner) =>
    outer.insideValuePath || path.subAttribute !== null || inner.schema !== null || inner.subAttribute !== null
      ? undefined
      : outer.describe({ schema: path.schema, attribute: path.attribute, subAttribute: inner.attribute });
}

function oneValueMatches(v: JsonValue, filter: FilterNode, describe: Describe): boolean {
  // A primitive value of a multi-valued attribute acts as its `value` sub-attribute.
  const root: JsonObject | undefined = isJsonObject(v) ? v : v === null || Array.isArray(v) ? undefined : { value: v };
  return root !== undefined && evaluate(filter, { root, describe, insideValuePath: true });
}

/** The values a path denotes in `root`: arrays are spread (any value may match), absence gives []. */
function resolve(root: JsonObject, path: AttributePath): readonly JsonValue[] {
  let container: JsonObject = root;
  if (path.schema !== null && !isCoreSchema(path.schema)) {
    const extension = get(root, path.schema);
    if (!isJsonObject(extension)) return NO_VALUES;
    container = extension;
  }
  const value = get(container, path.attribute);
  if (value === undefined) return NO_VALUES;
  const sub = path.subAttribute;
  if (sub === null) return Array.isArray(value) ? value : [value];
  if (!Array.isArray(value)) {
    if (!isJsonObject(value)) return NO_VALUES;
    const s = get(value, sub);
    return s === undefined ? NO_VALUES : Array.isArray(s) ? s : [s];
  }
  const out: JsonValue[] = [];
  for (const element of value) {
    if (!isJsonObject(element)) continue;
    const s = get(element, sub);
    if (s === undefined) continue;
    if (Array.isArray(s)) out.push(...s);
    else out.push(s);
  }
  return out;
}

function isCoreSchema(schema: string): boolean {
  return schema.length > CORE_SCHEMA_PREFIX.length && schema.toLowerCase().startsWith(CORE_SCHEMA_PREFIX);
}

/** Own property `name` of `obj`, matched case-insensitively (RFC 7643 §2.1); exact spelling first. */
function get(obj: JsonObject, name: string): JsonValue | undefined {
  if (Object.hasOwn(obj, name)) return obj[name];
  const lower = name.toLowerCase();
  for (const key of Object.keys(obj)) {
    if (key.length === name.length && key.toLowerCase() === lower) return obj[key];
  }
  return undefined;
}


function anyPresent(values: readonly JsonValue[]): boolean {
  for (const v of values) if (isPresent(v, 0)) return true;
  return false;
}

function isPresent(v: JsonValue, depth: number): boolean {
  if (v === null) return false;
  if (typeof v === 'string') return v.length > 0;
  if (typeof v !== 'object') return true;
  if (depth >= MAX_PRESENCE_DEPTH) return true;
  if (Array.isArray(v)) return v.some((e) => isPresent(e, depth + 1));
  for (const key of Object.keys(v)) {
    const child = v[key];
    if (child !== undefined && isPresent(child, depth + 1)) return true;
  }
  return false;
}
