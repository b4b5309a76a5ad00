// The mapping file (MAPPING_FILE, YAML, docs/mapping.md): parsed and validated at start into a `Mapping`,
// every problem reported at once, each naming its location (`groups[2].policies[0].id`) and line.
import { readFileSync } from 'node:fs';
import { LineCounter, isAlias, isMap, isNode, isScalar, isSeq, parseDocument } from 'yaml';
import type { Document } from 'yaml';
import { DEFAULT_MAPPING } from './core/mapping/mapping.js';
import type { GroupRule, Mapping, PolicyBindingRule, PolicyLevelKind } from './core/mapping/mapping.js';
import { isJsonObject } from './ports/json.js';

/** Longest `scimPattern` accepted (characters of RegExp source). */
export const MAX_PATTERN_LENGTH = 500;
/**
 * Longest Dynatrace group name accepted. Dynatrace documents no limit for group names (only 255
 * for descriptions); 200 is our own conservative bound, so a name is refused here, not upstream.
 */
export const MAX_GROUP_NAME_LENGTH = 200;

export class MappingFileError extends Error {
  override readonly name = 'MappingFileError';
  /** Each names its location (`groups[2].policies[0].id (line 14)` or `line 3, column 5`) and what is expected. */
  readonly problems: readonly string[];
  constructor(source: string | undefined, problems: readonly string[], options?: ErrorOptions) {
    super(`invalid mapping file${source ? ` ${source}` : ''}:\n- ${problems.join('\n- ')}`, options);
    this.problems = problems;
  }
}

/** Reads and validates the mapping file; null (MAPPING_FILE unset) gives DEFAULT_MAPPING. */
export function loadMappingFile(file: string | null, readFile: (f: string) => string = (f) => readFileSync(f, 'utf8')): Mapping {
  if (file === null) return DEFAULT_MAPPING;
  let text: string;
  try {
    text = readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException | null)?.code;
    throw new MappingFileError(file, [`cannot read "${file}"${code ? ` (${code})` : ''}`], { cause: error });
  }
  return parseMapping(text, file);
}

/** Parses YAML text into a Mapping; throws MappingFileError listing every problem. */
export function parseMapping(text: string, source?: string): Mapping {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number): string => {
    const { line, col } = lineCounter.linePos(offset);
    return `line ${line}, column ${col}`;
  };
  if (doc.errors.length > 0) {
    throw new MappingFileError(source, doc.errors.map((e) => `${at(e.pos[0])}: YAML syntax: ${e.message}`));
  }
  const found: { readonly line: number; readonly text: string }[] = doc.warnings.map((w) => ({
    line: lineCounter.linePos(w.pos[0]).line,
    text: `${at(w.pos[0])}: YAML: ${w.message}`,
  }));
  const report: Report = (path, message) => {
    const line = lineOf(doc, lineCounter, path);
    found.push({ line: line ?? 0, text: `${formatPath(path)}${line === null ? '' : ` (line ${line})`}: ${message}` });
  };

  let root: unknown;
  try {
    root = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    report([], `cannot resolve YAML aliases: ${(error as Error).message}`);
  }
  let mapping: Mapping = DEFAULT_MAPPING;
  if (doc.contents === null) {
    report([], 'the file is empty; expected a mapping such as "groups: [...]" (leave MAPPING_FILE unset for the default mapping)');
  } else if (root !== undefined) {
    mapping = readMapping(root, report);
  }
  // In file order (the sort is stable), so that the list reads like the file.
  if (found.length > 0) throw new MappingFileError(source, found.sort((a, b) => a.line - b.line).map((p) => p.text));
  return mapping;
}

type Path = readonly (string | number)[];
type Report = (path: Path, message: string) => void;

const TOP_KEYS = ['groups', 'unmatchedGroups', 'deactivation', 'emailChange', 'protectedUsers'] as const;
const RULE_KEYS = ['scim', 'scimPattern', 'dynatraceGroup', 'policies', 'davisAdmin'] as const;
const POLICY_KEYS = ['level', 'id', 'names', 'uuids', 'boundaries', 'boundaryUuids', 'parameters'] as const;
/** A `${bindParam:name}` placeholder name of a templated policy. */
const PARAMETER_NAME = /^[A-Za-z0-9_.-]{1,100}$/;
const ENVIRONMENT_ID = /^[a-z0-9-]{3,64}$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;
/** As expanded by `groupTarget()`: `$` and one digit. */
const TEMPLATE_REF = /\$(\d)/g;

function readMapping(root: unknown, report: Report): Mapping {
  if (!isJsonObject(root)) {
    report([], `must be a mapping with the keys ${TOP_KEYS.join(', ')}; got ${describe(root)}`);
    return DEFAULT_MAPPING;
  }
  checkKeys(root, [], TOP_KEYS, report);
  const groups = Object.hasOwn(root, 'groups') ? readList(root.groups, ['groups'], 'group rules', report) : [];
  const rules = groups.map((item, index) => readRule(item, ['groups', index], report));
  checkDeadRules(rules, report);
  return {
    groups: rules.filter((rule): rule is GroupRule => rule !== null),
    unmatchedGroups: readChoice(root, 'unmatchedGroups', ['mirror', 'ignore'], DEFAULT_MAPPING.unmatchedGroups, report),
    deactivation: readChoice(root, 'deactivation', ['remove-groups', 'delete'], DEFAULT_MAPPING.deactivation, report),
    emailChange: readChoice(root, 'emailChange', ['migrate', 'reject'], DEFAULT_MAPPING.emailChange, report),
    protectedUsers: readProtectedUsers(root, report),
  };
}

function readRule(item: unknown, path: Path, report: Report): GroupRule | null {
  if (!isJsonObject(item)) {
    report(path, `must be a mapping with scim or scimPattern; got ${describe(item)}`);
    return null;
  }
  checkKeys(item, path, RULE_KEYS, report);
  const hasScim = Object.hasOwn(item, 'scim');
  const hasPattern = Object.hasOwn(item, 'scimPattern');
  if (hasScim && hasPattern) report(path, 'has both scim and scimPattern; use one of them');
  if (!hasScim && !hasPattern) report(path, 'needs scim (an exact SCIM group displayName) or scimPattern (a regular expression)');

  const scim = hasScim ? readName(item.scim, [...path, 'scim'], 'the exact SCIM group displayName', null, report) : null;
  const compiled = hasPattern ? readPattern(item.scimPattern, [...path, 'scimPattern'], report) : null;
  const dynatraceGroup = Object.hasOwn(item, 'dynatraceGroup')
    ? readName(item.dynatraceGroup, [...path, 'dynatraceGroup'], 'the Dynatrace group name', MAX_GROUP_NAME_LENGTH, report)
    : null;
  if (dynatraceGroup !== null) checkTemplate(dynatraceGroup, hasPattern, compiled, [...path, 'dynatraceGroup'], report);
  if (scim !== null && !Object.hasOwn(item, 'dynatraceGroup') && scim.length > MAX_GROUP_NAME_LENGTH) {
    report([...path, 'scim'], `is longer than ${MAX_GROUP_NAME_LENGTH} characters and, without dynatraceGroup, would also be the Dynatrace group name; set dynatraceGroup`);
  }
  const policyItems = Object.hasOwn(item, 'policies') ? readList(item.policies, [...path, 'policies'], 'policy bindings', report) : [];
  const policies = policyItems.map((policy, index) => readPolicy(policy, [...path, 'policies', index], report));
  checkRepeatedPolicies(policies, [...path, 'policies'], report);
  let davisAdmin = false;
  if (Object.hasOwn(item, 'davisAdmin')) {
    if (typeof item.davisAdmin === 'boolean') davisAdmin = item.davisAdmin;
    else report([...path, 'davisAdmin'], `must be true or false; got ${describe(item.davisAdmin)}`);
  }
  return {
    scim: hasPattern ? null : scim,
    pattern: compiled?.pattern ?? null,
    dynatraceGroup,
    policies: policies.filter((policy): policy is PolicyBindingRule => policy !== null),
    davisAdmin,
  };
}

interface CompiledPattern {
  readonly pattern: RegExp;
  readonly captureGroups: number;
}

function readPattern(value: unknown, path: Path, report: Report): CompiledPattern | null {
  if (typeof value !== 'string' || value === '') {
    report(path, `must be a non-empty regular expression (JavaScript RegExp source, e.g. "^DT-(.+)$"); got ${describe(value)}`);
    return null;
  }
  if (value.length > MAX_PATTERN_LENGTH) {
    report(path, `is ${value.length} characters long; at most ${MAX_PATTERN_LENGTH} are allowed`);
    return null;
  }
  if (/^\/.*\/[a-z]*$/s.test(value)) {
    report(path, 'looks like a /…/flags literal; write only the source, e.g. "^DT-(.+)$" (flags are not supported)');
    return null;
  }
  let pattern: RegExp;
  try {
    pattern = new RegExp(value);
  } catch (error) {
    report(path, `is not a valid regular expression: ${(error as Error).message}`);
    return null;
  }
  // An alternative that matches the empty string makes every group of the pattern take part in the match.
  const captureGroups = (new RegExp(`${value}|`).exec('')?.length ?? 1) - 1;
  return { pattern, captureGroups };
}

/** `$n` in dynatraceGroup must name a capture group of scimPattern (`$0` is the whole match). */
function checkTemplate(template: string, hasPattern: boolean, compiled: CompiledPattern | null, path: Path, report: Report): void {
  const refs = [...new Set([...template.matchAll(TEMPLATE_REF)].map((m) => Number(m[1])))];
  if (refs.length === 0) return;
  if (!hasPattern) {
    report(path, `uses ${refs.map((n) => `$${n}`).join(', ')}, but only a rule with scimPattern has capture groups to refer to`);
    return;
  }
  if (compiled === null) return;
  for (const n of refs) {
    if (n > compiled.captureGroups) {
      report(path, `uses $${n}, but scimPattern has ${compiled.captureGroups} capture group${compiled.captureGroups === 1 ? '' : 's'}`);
    }
  }
}

function readPolicy(item: unknown, path: Path, report: Report): PolicyBindingRule | null {
  if (!isJsonObject(item)) {
    report(path, `must be a mapping with level, id and names or uuids; got ${describe(item)}`);
    return null;
  }
  checkKeys(item, path, POLICY_KEYS, report);
  let level: PolicyLevelKind | null = null;
  if (!Object.hasOwn(item, 'level')) report([...path, 'level'], 'is required: account or environment');
  else if (item.level === 'account' || item.level === 'environment') level = item.level;
  else report([...path, 'level'], `must be account or environment; got ${describe(item.level)}`);

  let environmentId: string | null = null;
  const idPath = [...path, 'id'];
  if (Object.hasOwn(item, 'id')) {
    if (level === 'account') {
      report(idPath, 'must be omitted for level account (the binding applies to the whole account)');
    } else if (typeof item.id !== 'string' || !ENVIRONMENT_ID.test(item.id)) {
      report(idPath, `must be a Dynatrace environment id such as abc12345 (3 to 64 letters, digits or dashes; quote it if it is all digits); got ${describe(item.id)}`);
    } else {
      environmentId = item.id;
    }
  } else if (level === 'environment') {
    report(idPath, 'is required for level environment: the environment id, such as abc12345');
  }

  const strings = (key: string, what: string, example: string, check: ItemCheck): string[] | null =>
    Object.hasOwn(item, key) ? readStrings(item[key], [...path, key], what, example, check, report) : [];
  const names = strings('names', 'IAM policy names', '["Standard User"]', nameOf('IAM policy'));
  const uuids = strings('uuids', 'IAM policy UUIDs', '["<policy uuid>"]', uuidOf('policy'));
  const boundaryNames = strings('boundaries', 'policy boundary names', '["Production zone"]', nameOf('policy boundary'));
  const boundaryUuids = strings('boundaryUuids', 'policy boundary UUIDs', '["<boundary uuid>"]', uuidOf('policy boundary'));
  const parameters = Object.hasOwn(item, 'parameters') ? readParameters(item.parameters, [...path, 'parameters'], report) : {};
  if (names !== null && uuids !== null && names.length === 0 && uuids.length === 0) {
    report(path, 'needs at least one policy: a non-empty names or uuids list');
  }
  if (level === null || names === null || uuids === null || boundaryNames === null || boundaryUuids === null || parameters === null) return null;
  return { level, environmentId, names, uuids, boundaryNames, boundaryUuids, parameters };
}

/** `parameters`: a mapping of placeholder names to string values. null when anything was wrong. */
function readParameters(value: unknown, path: Path, report: Report): Record<string, string> | null {
  if (!isJsonObject(value)) {
    report(path, `must be a mapping of policy parameter names to values, e.g. { team: "payments" }; got ${describe(value)}`);
    return null;
  }
  let ok = true;
  for (const [name, v] of Object.entries(value)) {
    if (!PARAMETER_NAME.test(name)) {
      report([...path, name], 'is not a policy parameter name (1 to 100 letters, digits, "_", "." or "-")');
      ok = false;
    } else if (typeof v !== 'string') {
      const hint = typeof v === 'number' || typeof v === 'boolean' ? ' (quote it to keep it as text)' : '';
      report([...path, name], `must be a string; got ${describe(v)}${hint}`);
      ok = false;
    }
  }
  return ok ? { ...(value as Record<string, string>) } : null;
}

/**
 * A policy is bound once per level (and environment) per rule: its one binding carries one set of
 * boundaries and parameters. Several entries may share a level to bind different policies differently.
 */
function checkRepeatedPolicies(policies: readonly (PolicyBindingRule | null)[], path: Path, report: Report): void {
  const first = new Map<string, number>();
  policies.forEach((policy, index) => {
    if (policy === null || (policy.level === 'environment' && policy.environmentId === null)) return;
    const level = policy.level === 'account' ? 'account' : `environment ${policy.environmentId}`;
    for (const ref of [...policy.names.map((n) => `policy "${n}"`), ...policy.uuids.map((u) => `policy ${u}`)]) {
      const key = `${level}\u0000${ref}`;
      const earlier = first.get(key);
      if (earlier === undefined) first.set(key, index);
      else if (earlier !== index) report([...path, index], `binds ${ref} at ${level} again (see ${formatPath([...path, earlier])}); a policy is bound once per level, with one set of boundaries and parameters`);
    }
  });
}

/** Rules that can never apply, since the first matching rule wins. */
function checkDeadRules(rules: readonly (GroupRule | null)[], report: Report): void {
  rules.forEach((rule, index) => {
    if (rule === null) return;
    for (let earlier = 0; earlier < index; earlier++) {
      const before = rules[earlier];
      if (!before) continue;
      let clash: string | null = null;
      if (rule.scim !== null && before.scim === rule.scim) clash = `"${rule.scim}" is already the scim of groups[${earlier}]`;
      else if (rule.scim !== null && before.pattern?.test(rule.scim)) clash = `"${rule.scim}" is already matched by the scimPattern of groups[${earlier}]`;
      else if (rule.pattern !== null && before.pattern?.source === rule.pattern.source) clash = `repeats the scimPattern of groups[${earlier}]`;
      if (clash !== null) {
        report(['groups', index, rule.scim !== null ? 'scim' : 'scimPattern'], `${clash}; the first matching rule wins, so this rule would never apply`);
        return;
      }
    }
  });
}

function readProtectedUsers(root: Record<string, unknown>, report: Report): ReadonlySet<string> {
  if (!Object.hasOwn(root, 'protectedUsers')) return new Set();
  const emails = readStrings(root.protectedUsers, ['protectedUsers'], 'email addresses', '["breakglass@example.com"]', (value) => {
    if (!EMAIL.test(value)) return { problem: `must be an email address such as breakglass@example.com; got ${describe(value)}` };
    return { value: value.toLowerCase() };
  }, report);
  return new Set(emails ?? []);
}

function readChoice<T extends string>(root: Record<string, unknown>, key: string, choices: readonly T[], fallback: T, report: Report): T {
  if (!Object.hasOwn(root, key)) return fallback;
  const value = root[key];
  if (typeof value === 'string' && (choices as readonly string[]).includes(value)) return value as T;
  report([key], `must be ${choices.join(' or ')} (default ${fallback}); got ${describe(value)}`);
  return fallback;
}

function readList(value: unknown, path: Path, what: string, report: Report): readonly unknown[] {
  if (Array.isArray(value)) return value;
  report(path, `must be a list of ${what} (use [] for none); got ${describe(value)}`);
  return [];
}

type ItemCheck = (value: string) => { value: string } | { problem: string };

/** A list of strings, each checked and normalised; duplicates dropped. null when anything was wrong. */
function readStrings(value: unknown, path: Path, what: string, example: string, check: ItemCheck, report: Report): string[] | null {
  if (!Array.isArray(value)) {
    report(path, `must be a list of ${what}, e.g. ${example}; got ${describe(value)}`);
    return null;
  }
  const result = new Set<string>();
  let ok = true;
  value.forEach((item: unknown, index) => {
    const checked = typeof item === 'string' ? check(item) : { problem: `must be a string; got ${describe(item)}` };
    if ('problem' in checked) {
      report([...path, index], checked.problem);
      ok = false;
    } else {
      result.add(checked.value);
    }
  });
  return ok ? [...result] : null;
}

const nameOf =
  (what: string): ItemCheck =>
  (value) =>
    value.trim() === '' ? { problem: `must be a non-empty ${what} name` } : { value: value.trim() };
const uuidOf =
  (what: string): ItemCheck =>
  (value) =>
    UUID.test(value) ? { value: value.toLowerCase() } : { problem: `must be a ${what} UUID such as 6f0b1e2c-0c55-4a59-9f2d-1b2c3d4e5f60; got ${describe(value)}` };

function readName(value: unknown, path: Path, what: string, maxLength: number | null, report: Report): string | null {
  if (typeof value !== 'string' || value.trim() === '') {
    const hint = typeof value === 'number' || typeof value === 'boolean' ? ' (quote it to keep it as text)' : '';
    report(path, `must be a non-empty string (${what}); got ${describe(value)}${hint}`);
    return null;
  }
  if (maxLength !== null && value.length > maxLength) {
    report(path, `is ${value.length} characters long; at most ${maxLength} are allowed`);
    return null;
  }
  return value;
}

function checkKeys(object: Record<string, unknown>, path: Path, allowed: readonly string[], report: Report): void {
  for (const key of Object.keys(object)) {
    if (allowed.includes(key)) continue;
    const near = allowed.find((candidate) => candidate.toLowerCase() === key.toLowerCase() || editDistance(candidate, key) <= 2);
    report([...path, key], `unknown key${near === undefined ? '' : ` (did you mean ${near}?)`}; expected one of ${allowed.join(', ')}`);
  }
}


function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  return String(value);
}

/** `groups[2].policies[0].id`; the document itself is `(top level)`. */
function formatPath(path: Path): string {
  if (path.length === 0) return '(top level)';
  return path
    .map((segment, index) => {
      if (typeof segment === 'number') return `[${segment}]`;
      const name = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(segment) ? segment : JSON.stringify(segment);
      return index === 0 ? name : `.${name}`;
    })
    .join('');
}

/** The line of the deepest node on `path` (a map entry's key, a list item), for the messages. */
function lineOf(doc: Document, lineCounter: LineCounter, path: Path): number | null {
  let node: unknown = doc.contents;
  let line = lineOfNode(node, lineCounter);
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) break;
      line = lineOfNode(pair.key, lineCounter) ?? line;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
      line = lineOfNode(node, lineCounter) ?? line;
    } else {
      break;
    }
    if (isAlias(node)) break;
  }
  return line;
}

function lineOfNode(node: unknown, lineCounter: LineCounter): number | null {
  return isNode(node) && node.range ? lineCounter.linePos(node.range[0]).line : null;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
