// The mapping from SCIM to Dynatrace (MAPPING_FILE): which Dynatrace group each SCIM group becomes,
// the IAM policies bound to it, Davis Assistant admins, and the joiner/mover/leaver choices.

export type PolicyLevelKind = 'account' | 'environment';

export interface PolicyBindingRule {
  readonly level: PolicyLevelKind;
  /** Environment id for `environment`; null for `account`. */
  readonly environmentId: string | null;
  /** IAM policy names, resolved to UUIDs against Dynatrace. */
  readonly names: readonly string[];
  /** IAM policy UUIDs given directly. */
  readonly uuids: readonly string[];
  /** Policy boundary names, resolved to UUIDs against Dynatrace: each binding of the rule is limited by them. */
  readonly boundaryNames: readonly string[];
  /** Policy boundary UUIDs given directly. */
  readonly boundaryUuids: readonly string[];
  /** Values for the `${bindParam:…}` placeholders of templated policies, the same for each policy of the rule. */
  readonly parameters: Readonly<Record<string, string>>;
}

export interface GroupRule {
  /** Exact SCIM displayName, or null when `pattern` is used. */
  readonly scim: string | null;
  /** Regular expression on the SCIM displayName; `$1`… may be used in `dynatraceGroup`. */
  readonly pattern: RegExp | null;
  /** Dynatrace group name (template for `pattern`); null = the SCIM name. */
  readonly dynatraceGroup: string | null;
  readonly policies: readonly PolicyBindingRule[];
  readonly davisAdmin: boolean;
}

export interface Mapping {
  readonly groups: readonly GroupRule[];
  /** SCIM groups no rule matches: `mirror` (a Dynatrace group of the same name) or `ignore`. */
  readonly unmatchedGroups: 'mirror' | 'ignore';
  /** `active=false`: `remove-groups` (keep the account, strip managed groups) or `delete` (remove the account). */
  readonly deactivation: 'remove-groups' | 'delete';
  /** userName change: `migrate` (new Dynatrace user with the same groups, old one removed) or `reject` (400). */
  readonly emailChange: 'migrate' | 'reject';
  /** Lower-cased emails the bridge never modifies or deletes. */
  readonly protectedUsers: ReadonlySet<string>;
}

/** Applies when no MAPPING_FILE is configured: mirror every SCIM group, keep deactivated accounts. */
export const DEFAULT_MAPPING: Mapping = {
  groups: [],
  unmatchedGroups: 'mirror',
  deactivation: 'remove-groups',
  emailChange: 'migrate',
  protectedUsers: new Set(),
};

/** What one SCIM group becomes in Dynatrace. */
export interface GroupTarget {
  readonly dynatraceGroup: string;
  readonly policies: readonly PolicyBindingRule[];
  readonly davisAdmin: boolean;
}

/** The rule that decides a SCIM group: the first whose `scim` or `scimPattern` matches its displayName. */
export interface RuleMatch {
  /** Its position in `groups` (groups[index] of the mapping file). */
  readonly index: number;
  readonly rule: GroupRule;
  readonly match: RegExpExecArray | null;
}

export function ruleFor(mapping: Mapping, displayName: string): RuleMatch | null {
  for (const [index, rule] of mapping.groups.entries()) {
    if (rule.scim !== null && rule.scim === displayName) return { index, rule, match: null };
    const match = rule.pattern?.exec(displayName) ?? null;
    if (match !== null) return { index, rule, match };
  }
  return null;
}

/** The first rule that matches the SCIM displayName decides; null = the group is not provisioned. */
export function groupTarget(mapping: Mapping, displayName: string): GroupTarget | null {
  const found = ruleFor(mapping, displayName);
  if (found === null) return mapping.unmatchedGroups === 'mirror' ? { dynatraceGroup: displayName, policies: [], davisAdmin: false } : null;
  const { rule, match } = found;
  const name = rule.dynatraceGroup === null ? displayName : match === null ? rule.dynatraceGroup : expandTemplate(rule.dynatraceGroup, match);
  return { dynatraceGroup: name, policies: rule.policies, davisAdmin: rule.davisAdmin };
}

function expandTemplate(template: string, match: RegExpExecArray): string {
  return template.replace(/\$(\d)/g, (_, digit: string) => match[Number(digit)] ?? '');
}
