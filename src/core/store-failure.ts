// Translates StoreError codes into the core's ProvisioningError vocabulary (docs/architecture.md, error model).
import { ProvisioningError } from './provisioning-error.js';
import { StoreError } from '../ports/store.js';

/** Rethrows `error` as a ProvisioningError when it is a StoreError; anything else passes unchanged. */
export function translateStoreError(error: unknown, resourceType: 'User' | 'Group', id?: string): never {
  if (!(error instanceof StoreError)) throw error;
  switch (error.code) {
    case 'not_found':
      throw new ProvisioningError('not_found', `${resourceType} ${id ?? ''} not found`.replace('  ', ' '), { cause: error });
    case 'conflict':
      throw new ProvisioningError(
        'conflict',
        `a ${resourceType} with this ${error.attribute ?? 'value'} already exists`,
        { attribute: error.attribute ?? 'value', cause: error },
      );
    case 'version_mismatch':
      throw new ProvisioningError('precondition_failed', `${resourceType} ${id ?? ''} was modified since the version given in If-Match`, {
        cause: error,
      });
    case 'unknown_members':
      throw new ProvisioningError('invalid_value', `members must be existing Users; unknown: ${error.ids.join(', ')}`, {
        cause: error,
      });
    case 'unavailable':
      throw new ProvisioningError('store_unavailable', 'the bridge store is unavailable; retry later', { cause: error });
  }
}
