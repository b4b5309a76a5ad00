// How the bridge tells its own policy bindings from everyone else's: every binding it makes carries
// the metadata `managed-by: dynatrace-scim-bridge`, and every write it makes selects by that metadata
// (Dynatrace's `metadata[…]` query), so a write never reaches a binding the bridge did not make.
import type { AppliedBinding } from '../../ports/applied-state.js';
import type { DtBindingSelector, DtPolicyBinding } from '../../ports/account-api.js';
import { limitsText } from '../mapping/binding-limits.js';
import type { DesiredBinding } from './binding-resolver.js';

export const BRIDGE_BINDING_METADATA: Readonly<Record<string, string>> = Object.freeze({ 'managed-by': 'dynatrace-scim-bridge' });

/** Selects the bridge's binding of a policy and group; an unmarked one (an earlier release's) is the group's only binding of it. */
export function bridgeSelector(applied: Pick<AppliedBinding, 'unmarked'> | null): DtBindingSelector {
  return applied?.unmarked === true ? {} : { metadata: BRIDGE_BINDING_METADATA };
}

export function isBridgeBinding(binding: DtPolicyBinding): boolean {
  return Object.entries(BRIDGE_BINDING_METADATA).every(([k, v]) => binding.metadata[k] === v);
}

/** The binding as the bridge writes it. */
export function bridgeBinding(desired: DesiredBinding): DtPolicyBinding {
  return { policyUuid: desired.policyUuid, boundaries: desired.boundaries, parameters: desired.parameters, metadata: BRIDGE_BINDING_METADATA };
}

/** What the applied state records of a binding the bridge wrote. */
export function appliedBinding(desired: DesiredBinding): AppliedBinding {
  return { policyUuid: desired.policyUuid, boundaries: [...desired.boundaries].sort(), parameters: { ...desired.parameters } };
}

/** `policy P (boundaries: a, b; parameters: k=v)`, for audit details and findings. */
export function describeBinding(binding: Pick<DtPolicyBinding, 'policyUuid' | 'boundaries' | 'parameters'>): string {
  return `policy ${binding.policyUuid}${limitsText(binding.boundaries, binding.parameters)}`;
}
