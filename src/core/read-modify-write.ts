// Optimistic read-modify-write over versioned resources (RFC 7644 §3.14): read, check If-Match,
// write with the read version as precondition, and retry when another writer got there first —
// unless the client pinned a version with If-Match, when a conflict is a 412.
import type { IfMatch } from './precondition.js';
import { ProvisioningError } from './provisioning-error.js';
import { translateStoreError } from './store-failure.js';
import { StoreError, type StoredResource } from '../ports/store.js';

/** How many times a read-modify-write is tried before a persistent race is reported. */
const OPTIMISTIC_ATTEMPTS = 5;

export interface Target {
  readonly resourceType: 'User' | 'Group';
  readonly id: string;
  readonly ifMatch: IfMatch;
}

/** `write` must pass `current.record.version` as the store precondition. */
export async function readModifyWrite<C extends { readonly record: StoredResource }, R>(
  target: Target,
  read: () => Promise<C>,
  write: (current: C) => Promise<R>,
): Promise<R> {
  for (let attempt = 1; ; attempt++) {
    const current = await read();
    if (typeof target.ifMatch === 'number' && current.record.version !== target.ifMatch) {
      throw new ProvisioningError('precondition_failed', `${target.resourceType} ${target.id} is at another version than If-Match names`);
    }
    try {
      return await write(current);
    } catch (error) {
      const raced = error instanceof StoreError && error.code === 'version_mismatch';
      if (!raced || typeof target.ifMatch === 'number' || attempt >= OPTIMISTIC_ATTEMPTS) {
        translateStoreError(error, target.resourceType, target.id);
      }
    }
  }
}
