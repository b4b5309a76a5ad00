// What a sandbox starts with: environments, policies, policy boundaries, groups, users, service
// users and Davis Assistant users. The default seed is small and realistic so that a person can try the bridge.
import type { DavisUser } from '../ports/davis-assistant-api.js';

export interface SandboxEnvironmentSeed {
  /** Environment (tenant) id, e.g. `abc12345`. */
  readonly id: string;
  readonly name: string;
  /** Default true. Inactive environments refuse policy-binding changes with 403. */
  readonly active?: boolean;
  readonly url?: string;
}

export interface SandboxPolicySeed {
  readonly name: string;
  readonly description?: string;
  readonly levelType: 'global' | 'account' | 'environment';
  /** `global` for global, defaults to the sandbox account for account level; an environment id otherwise. */
  readonly levelId?: string;
  readonly uuid?: string;
}

export interface SandboxBoundarySeed {
  readonly name: string;
  /** e.g. `environment:management-zone IN ("Production");` */
  readonly boundaryQuery: string;
  readonly uuid?: string;
}

export interface SandboxGroupSeed {
  readonly name: string;
  readonly description?: string;
  /** Default LOCAL (SAML when federatedAttributeValues are given). ALL_USERS is always created by the sandbox. */
  readonly owner?: 'LOCAL' | 'SCIM' | 'SAML' | 'DCS';
  readonly federatedAttributeValues?: readonly string[];
  readonly uuid?: string;
}

export interface SandboxUserSeed {
  readonly email: string;
  readonly name?: string;
  readonly surname?: string;
  /** Default ACTIVE for seeded users (they have signed in), unlike API-created ones (PENDING). */
  readonly userStatus?: 'ACTIVE' | 'INACTIVE' | 'PENDING';
  /** Group names or UUIDs (ALL_USERS is implicit). */
  readonly groups?: readonly string[];
  readonly uid?: string;
}

export interface SandboxServiceUserSeed {
  readonly name: string;
  readonly description?: string;
  readonly uid?: string;
}

export interface SandboxSeed {
  readonly environments?: readonly SandboxEnvironmentSeed[];
  readonly policies?: readonly SandboxPolicySeed[];
  readonly boundaries?: readonly SandboxBoundarySeed[];
  readonly groups?: readonly SandboxGroupSeed[];
  readonly users?: readonly SandboxUserSeed[];
  readonly serviceUsers?: readonly SandboxServiceUserSeed[];
  readonly davisUsers?: readonly DavisUser[];
}

/**
 * Two active environments and an inactive one; Dynatrace's built-in policies at global level (so they are
 * available, through `/policies/aggregate`, at the account and at every environment level), one custom
 * account-level and one environment-level policy; two policy boundaries; a native-SCIM group (read-only)
 * and the OAuth client's service user.
 */
export const defaultSandboxSeed: SandboxSeed = Object.freeze({
  environments: [
    { id: 'abc12345', name: 'Production', active: true },
    { id: 'def67890', name: 'Staging', active: true },
    { id: 'old00000', name: 'Decommissioned', active: false },
  ],
  policies: [
    { levelType: 'global', name: 'Admin User', description: 'Grants all permissions of an environment, including settings and user data.' },
    { levelType: 'global', name: 'Pro User', description: 'Grants read and write access to most data and settings of an environment.' },
    { levelType: 'global', name: 'Standard User', description: 'Grants read access to most data of an environment.' },
    { levelType: 'global', name: 'Settings Reader', description: 'Settings Reader Policy' },
    { levelType: 'global', name: 'Settings Writer', description: 'Settings Writer Policy' },
    { levelType: 'account', name: 'Account Auditors', description: 'Custom account policy (sandbox seed).' },
    { levelType: 'environment', levelId: 'abc12345', name: 'Production Read Only', description: 'Custom environment policy (sandbox seed).' },
  ],
  boundaries: [
    { name: 'Production zone', boundaryQuery: 'environment:management-zone IN ("Production");' },
    { name: 'EU hosts', boundaryQuery: 'storage:dt.security_context IN ("eu-hosts");' },
  ],
  groups: [{ name: 'Operations (native SCIM)', owner: 'SCIM', description: 'Provisioned by Dynatrace native SCIM: read-only here.' }],
  serviceUsers: [{ name: 'scim-bridge', description: 'Subject of the sandbox OAuth client' }],
} satisfies SandboxSeed);
