// Resolves the mapping's policy bindings to what Dynatrace keys them by — policy names to UUIDs at
// their level (one listing per level), boundary names to UUIDs in the account (one listing), both
// cached until a reload — and checks a mapping against the account at start and on reload:
// environments exist, names resolve.
import { nearestPolicy, type AccountApi, type DtPolicy, type DtPolicyLevel } from '../../ports/account-api.js';
import type { Mapping, PolicyBindingRule } from '../mapping/mapping.js';
import { PermanentSyncError } from './sync-failure.js';

/** One binding the mapping wants: a policy, limited by boundaries (sorted UUIDs), with parameter values. */
export interface DesiredBinding {
  readonly policyUuid: string;
  readonly boundaries: readonly string[];
  readonly parameters: Readonly<Record<string, string>>;
}

export interface BindingResolver {
  /** `account` or `environment:<id>`: the key applied bindings are recorded under. */
  levelKey(rule: PolicyBindingRule): string;
  /** The Dynatrace level a key names. */
  levelOfKey(key: string): DtPolicyLevel;
  /** The rule's bindings, one per policy; throws PermanentSyncError naming a policy or boundary that does not resolve. */
  resolve(rule: PolicyBindingRule): Promise<DesiredBinding[]>;
  /** Forgets resolved names (mapping reload). */
  clear(): void;
}

export function createBindingResolver(options: { accountApi: AccountApi }): BindingResolver {
  const { accountApi } = options;
  /** The policies available at each level key, listed once (`…/policies/aggregate`) for every name there. */
  const policyListings = new Map<string, Promise<readonly DtPolicy[]>>();
  let boundaryListing: Promise<Map<string, string>> | null = null;
  const levelKey = (rule: PolicyBindingRule) => (rule.level === 'account' ? 'account' : `environment:${rule.environmentId ?? ''}`);
  const levelOfKey = (key: string): DtPolicyLevel =>
    key === 'account'
      ? { levelType: 'account', levelId: accountApi.accountUuid }
      : { levelType: 'environment', levelId: key.slice('environment:'.length) };

  async function policyUuid(rule: PolicyBindingRule, name: string): Promise<string> {
    const key = levelKey(rule);
    let listing = policyListings.get(key);
    if (listing === undefined) {
      const pending = accountApi.listAvailablePolicies(levelOfKey(key));
      listing = pending;
      policyListings.set(key, pending);
      pending.catch(() => {
        if (policyListings.get(key) === pending) policyListings.delete(key);
      });
    }
    const policy = nearestPolicy(await listing, name);
    if (policy === null) {
      // Made since the listing, perhaps: the next resolution at this level lists again.
      if (policyListings.get(key) === listing) policyListings.delete(key);
      throw new PermanentSyncError(`IAM policy "${name}" does not exist at ${key}`);
    }
    return policy.uuid;
  }

  async function boundaryUuid(name: string): Promise<string> {
    if (boundaryListing === null) {
      const listing = accountApi.listBoundaries().then((boundaries) => new Map(boundaries.map((b) => [b.name, b.uuid])));
      boundaryListing = listing;
      listing.catch(() => {
        if (boundaryListing === listing) boundaryListing = null;
      });
    }
    const uuid = (await boundaryListing).get(name);
    if (uuid === undefined) {
      // Made since the listing, perhaps: the next resolution lists again.
      boundaryListing = null;
      throw new PermanentSyncError(`policy boundary "${name}" does not exist in the account`);
    }
    return uuid;
  }

  return {
    levelKey,
    levelOfKey,
    async resolve(rule) {
      const policies = [...rule.uuids];
      for (const name of rule.names) policies.push(await policyUuid(rule, name));
      const boundaries = [...rule.boundaryUuids];
      for (const name of rule.boundaryNames) boundaries.push(await boundaryUuid(name));
      const limits = { boundaries: [...new Set(boundaries)].sort(), parameters: { ...rule.parameters } };
      return [...new Set(policies)].map((uuid) => ({ policyUuid: uuid, ...limits }));
    },
    clear: () => {
      policyListings.clear();
      boundaryListing = null;
    },
  };
}

/** The bindings of a group rule's policies, per level key and policy UUID, and what kept others from resolving. */
export interface ResolvedBindings {
  readonly byLevel: ReadonlyMap<string, ReadonlyMap<string, DesiredBinding>>;
  /** Each names the policy or boundary, or a policy bound twice at a level with different limits. */
  readonly problems: readonly string[];
}

export async function resolveBindings(resolver: BindingResolver, rules: readonly PolicyBindingRule[]): Promise<ResolvedBindings> {
  const byLevel = new Map<string, Map<string, DesiredBinding>>();
  const problems: string[] = [];
  for (const rule of rules) {
    const key = resolver.levelKey(rule);
    let resolved: DesiredBinding[];
    try {
      resolved = await resolver.resolve(rule);
    } catch (error) {
      if (!(error instanceof PermanentSyncError)) throw error;
      problems.push(error.message);
      continue;
    }
    const level = byLevel.get(key) ?? new Map<string, DesiredBinding>();
    for (const binding of resolved) {
      const earlier = level.get(binding.policyUuid);
      // The same policy named once by name and once by UUID: one binding, so one set of limits.
      if (earlier !== undefined && !sameLimits(earlier, binding)) problems.push(`IAM policy ${binding.policyUuid} is bound twice at ${key} with different boundaries or parameters`);
      else level.set(binding.policyUuid, binding);
    }
    byLevel.set(key, level);
  }
  return { byLevel, problems };
}

/** Same boundaries (as sets) and the same parameters. */
export function sameLimits(a: Pick<DesiredBinding, 'boundaries' | 'parameters'>, b: Pick<DesiredBinding, 'boundaries' | 'parameters'>): boolean {
  const boundariesA = new Set(a.boundaries);
  const keysA = Object.keys(a.parameters);
  return (
    boundariesA.size === new Set(b.boundaries).size &&
    b.boundaries.every((uuid) => boundariesA.has(uuid)) &&
    keysA.length === Object.keys(b.parameters).length &&
    keysA.every((k) => a.parameters[k] === b.parameters[k])
  );
}

/** Problems of `mapping` against the account: unknown or inactive environments, unresolvable policy or boundary names. */
export async function checkMapping(mapping: Mapping, accountApi: AccountApi, resolver: BindingResolver): Promise<string[]> {
  const problems: string[] = [];
  const environments = new Map((await accountApi.listEnvironments()).map((e) => [e.id, e]));
  for (const [g, group] of mapping.groups.entries()) {
    const resolvable: PolicyBindingRule[] = [];
    for (const [p, rule] of group.policies.entries()) {
      const where = `groups[${g}].policies[${p}]`;
      if (rule.level === 'environment') {
        const environment = environments.get(rule.environmentId ?? '');
        if (environment === undefined) {
          problems.push(`${where}: environment ${rule.environmentId ?? ''} does not exist in the account`);
          continue;
        }
        if (!environment.active) problems.push(`${where}: environment ${environment.id} is inactive (Dynatrace refuses binding changes there)`);
      }
      try {
        await resolver.resolve(rule);
        resolvable.push(rule);
      } catch (error) {
        if (!(error instanceof PermanentSyncError)) throw error;
        problems.push(`${where}: ${error.message}`);
      }
    }
    // Names are cached now: this only finds a policy bound twice at a level with different limits.
    const { problems: conflicts } = await resolveBindings(resolver, resolvable);
    problems.push(...conflicts.map((problem) => `groups[${g}].policies: ${problem}`));
  }
  return problems;
}
