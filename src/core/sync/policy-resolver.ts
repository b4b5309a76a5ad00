// Resolves the mapping's IAM policy names to UUIDs at their level (cached), and checks a mapping
// against the account at start and on reload: environments exist, policy names resolve.
import type { AccountApi, DtPolicyLevel } from '../../ports/account-api.js';
import type { Mapping, PolicyBindingRule } from '../mapping/mapping.js';
import { PermanentSyncError } from './sync-failure.js';

export interface PolicyResolver {
  /** `account` or `environment:<id>`: the key applied bindings are recorded under. */
  levelKey(rule: PolicyBindingRule): string;
  /** The Dynatrace level a key names. */
  levelOfKey(key: string): DtPolicyLevel;
  /** Policy UUIDs of the rule; throws PermanentSyncError naming a policy that does not resolve. */
  resolve(rule: PolicyBindingRule): Promise<string[]>;
  /** Forgets resolved names (mapping reload). */
  clear(): void;
}

export function createPolicyResolver(options: { accountApi: AccountApi }): PolicyResolver {
  const { accountApi } = options;
  const cache = new Map<string, Promise<string | null>>();
  const levelKey = (rule: PolicyBindingRule) => (rule.level === 'account' ? 'account' : `environment:${rule.environmentId ?? ''}`);
  const levelOfKey = (key: string): DtPolicyLevel =>
    key === 'account'
      ? { levelType: 'account', levelId: accountApi.accountUuid }
      : { levelType: 'environment', levelId: key.slice('environment:'.length) };
  return {
    levelKey,
    levelOfKey,
    async resolve(rule) {
      const uuids = [...rule.uuids];
      for (const name of rule.names) {
        const key = `${levelKey(rule)}\u0000${name}`;
        let pending = cache.get(key);
        if (pending === undefined) {
          pending = accountApi.findPolicyByName(levelOfKey(levelKey(rule)), name).then((policy) => policy?.uuid ?? null);
          cache.set(key, pending);
          pending.catch(() => cache.delete(key));
        }
        const uuid = await pending;
        if (uuid === null) {
          cache.delete(key);
          throw new PermanentSyncError(`IAM policy "${name}" does not exist at ${levelKey(rule)}`);
        }
        uuids.push(uuid);
      }
      return [...new Set(uuids)];
    },
    clear: () => cache.clear(),
  };
}

/** Problems of `mapping` against the account: unknown or inactive environments, unresolvable policy names. */
export async function checkMapping(mapping: Mapping, accountApi: AccountApi, resolver: PolicyResolver): Promise<string[]> {
  const problems: string[] = [];
  const environments = new Map((await accountApi.listEnvironments()).map((e) => [e.id, e]));
  const rules = mapping.groups.flatMap((group, g) => group.policies.map((rule, p) => ({ rule, where: `groups[${g}].policies[${p}]` })));
  for (const { rule, where } of rules) {
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
    } catch (error) {
      if (!(error instanceof PermanentSyncError)) throw error;
      problems.push(`${where}: ${error.message}`);
    }
  }
  return problems;
}
