// What deploying a changed mapping would change, before it is deployed: the settings, and for each SCIM
// group its Dynatrace group, its policy bindings per level (with boundaries and parameters) and whether
// it makes Davis Assistant admins. Compared by what the mapping says, without asking Dynatrace.
import { limitsText } from './binding-limits.js';
import { groupTarget, type GroupTarget, type Mapping, type PolicyBindingRule } from './mapping.js';

export interface GroupChange {
  readonly group: { readonly id: string; readonly displayName: string };
  /** The Dynatrace group before and after; null when the group is (or becomes) not provisioned. */
  readonly before: string | null;
  readonly after: string | null;
  /** One line per change, e.g. `environment:abc12345: + "Read logs"`. */
  readonly changes: readonly string[];
}

export interface MappingDiff {
  /** Changed top-level choices (unmatchedGroups, deactivation, emailChange, protectedUsers). */
  readonly settings: readonly string[];
  readonly groups: readonly GroupChange[];
}

/** The changes between two mappings for these SCIM groups (only groups whose outcome changes are listed). */
export function diffMappings(before: Mapping, after: Mapping, groups: ReadonlyArray<{ readonly id: string; readonly displayName: string }>): MappingDiff {
  const settings: string[] = [];
  for (const key of ['unmatchedGroups', 'deactivation', 'emailChange'] as const) {
    if (before[key] !== after[key]) settings.push(`${key}: ${before[key]} → ${after[key]}`);
  }
  for (const email of after.protectedUsers) if (!before.protectedUsers.has(email)) settings.push(`protectedUsers: + ${email}`);
  for (const email of before.protectedUsers) if (!after.protectedUsers.has(email)) settings.push(`protectedUsers: − ${email}`);
  const changed: GroupChange[] = [];
  for (const group of groups) {
    const was = groupTarget(before, group.displayName);
    const will = groupTarget(after, group.displayName);
    const changes = targetChanges(was, will);
    if (changes.length > 0) changed.push({ group, before: was?.dynatraceGroup ?? null, after: will?.dynatraceGroup ?? null, changes });
  }
  return { settings, groups: changed };
}

function targetChanges(was: GroupTarget | null, will: GroupTarget | null): string[] {
  if (was === null && will === null) return [];
  if (was === null) return [`becomes provisioned as Dynatrace group "${will?.dynatraceGroup ?? ''}"`, ...bindingChanges([], will?.policies ?? [])];
  if (will === null) return [`no longer provisioned (was Dynatrace group "${was.dynatraceGroup}"): its members lose what it granted`];
  const changes: string[] = [];
  if (was.dynatraceGroup !== will.dynatraceGroup) changes.push(`Dynatrace group "${was.dynatraceGroup}" → "${will.dynatraceGroup}"`);
  changes.push(...bindingChanges(was.policies, will.policies));
  if (was.davisAdmin !== will.davisAdmin) changes.push(`Davis Assistant admin: ${was.davisAdmin} → ${will.davisAdmin}`);
  return changes;
}

/** `+`/`−` per binding, per level, each binding described with its limits. */
function bindingChanges(before: readonly PolicyBindingRule[], after: readonly PolicyBindingRule[]): string[] {
  const old = bindingsByLevel(before);
  const next = bindingsByLevel(after);
  const lines: string[] = [];
  for (const level of new Set([...old.keys(), ...next.keys()])) {
    const had = old.get(level) ?? new Set<string>();
    const has = next.get(level) ?? new Set<string>();
    for (const binding of has) if (!had.has(binding)) lines.push(`${level}: + ${binding}`);
    for (const binding of had) if (!has.has(binding)) lines.push(`${level}: − ${binding}`);
  }
  return lines;
}

function bindingsByLevel(rules: readonly PolicyBindingRule[]): Map<string, Set<string>> {
  const levels = new Map<string, Set<string>>();
  for (const rule of rules) {
    const level = rule.level === 'account' ? 'account' : `environment:${rule.environmentId ?? ''}`;
    const entry = levels.get(level) ?? new Set<string>();
    for (const policy of [...rule.names.map((n) => `"${n}"`), ...rule.uuids]) entry.add(`${policy}${limitsText([...rule.boundaryNames, ...rule.boundaryUuids], rule.parameters)}`);
    levels.set(level, entry);
  }
  return levels;
}
