// A policy binding as the access chain compares it: the policy and, where the mapping and the applied
// state carry them, its boundaries and parameters. Applied state written before bindings carried limits
// records a policy UUID alone; both shapes are read here, and nowhere else.

/** A binding the resolver or the applied state gives: a policy, limited by boundaries, with parameter values. */
export interface BindingView {
  readonly policyUuid: string;
  /** Boundary UUIDs; absent where the source records none. */
  readonly boundaries?: readonly string[];
  readonly parameters?: Readonly<Record<string, string>>;
}

/** The limits a mapping binding rule may carry (boundary names or UUIDs, parameter values). */
export interface RuleLimits {
  readonly boundaryNames?: readonly string[];
  readonly boundaryUuids?: readonly string[];
  readonly parameters?: Readonly<Record<string, string>>;
}

/** An applied binding, recorded as a policy UUID or as a binding with its limits. */
export function bindingOf(recorded: string | BindingView): BindingView {
  return typeof recorded === 'string' ? { policyUuid: recorded } : recorded;
}

/** The same policy with the same limits; a side that records no limits compares on the policy alone. */
export function sameBinding(applied: BindingView, desired: BindingView): boolean {
  if (applied.policyUuid !== desired.policyUuid) return false;
  if (applied.boundaries === undefined || desired.boundaries === undefined) return true;
  const boundaries = new Set(applied.boundaries);
  const a = applied.parameters ?? {};
  const b = desired.parameters ?? {};
  return (
    boundaries.size === new Set(desired.boundaries).size &&
    desired.boundaries.every((uuid) => boundaries.has(uuid)) &&
    Object.keys(a).length === Object.keys(b).length &&
    Object.keys(a).every((key) => a[key] === b[key])
  );
}
