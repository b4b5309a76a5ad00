// The one error type the core throws. Its closed `code` is mapped to SCIM statuses only at the
// edge (scim/scim-error.ts); `detail` is safe to show an IdP: no tokens, no upstream bodies.

export type ProvisioningErrorCode =
  | 'not_found'
  | 'conflict'
  | 'invalid_value'
  | 'invalid_filter'
  | 'too_many'
  | 'mutability'
  | 'precondition_failed'
  | 'busy'
  | 'upstream_rejected'
  | 'upstream_throttled'
  | 'upstream_unavailable'
  | 'store_unavailable'
  | 'misconfigured';

export class ProvisioningError extends Error {
  override readonly name = 'ProvisioningError';
  readonly code: ProvisioningErrorCode;
  /** For 'conflict': the attribute whose uniqueness was violated. */
  readonly attribute: string | undefined;

  constructor(code: ProvisioningErrorCode, detail: string, options: { attribute?: string; cause?: unknown } = {}) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.attribute = options.attribute;
  }
}
