// The LockStore port over an engine's synchronous lock table: inputs checked (misuse throws
// TypeError), then one engine call in one transaction. Every engine keeps one row per held name.
import { assertNonEmptyString } from '../../ports/misuse.js';
import type { LockStore } from '../../ports/store.js';
import type { StoreRunner } from './sync-queue-port.js';
import { assertInstant } from './sync-queue-port.js';

/**
 * Rows (name → owner, until). `acquire` inserts the row, or overwrites it when its owner is `owner`
 * or its until ≤ `now`, and returns whether it did; `release` deletes the row only when `owner` holds it.
 * A prefix compares code unit by code unit (no pattern characters).
 */
export interface LockEngine {
  acquire(name: string, owner: string, now: string, until: string): boolean;
  release(name: string, owner: string): void;
  /** Deletes every row whose name starts with `prefix`; how many. */
  releaseByPrefix(prefix: string): number;
}


/** The LockStore port over `engine`, every call checked and then run through `run`. */
export function lockPort(engine: LockEngine, run: StoreRunner): LockStore {
  return {
    async tryAcquireLock(name, owner, lease) {
      assertNonEmptyString(name, 'name');
      assertNonEmptyString(owner, 'owner');
      if (typeof lease !== 'object' || lease === null) throw new TypeError('tryAcquireLock needs { now, until }');
      assertInstant(lease.now, 'now');
      assertInstant(lease.until, 'until');
      if (lease.until <= lease.now) throw new TypeError(`until (${lease.until}) must be later than now (${lease.now})`);
      return run(() => engine.acquire(name, owner, lease.now, lease.until));
    },

    async releaseLock(name, owner) {
      assertNonEmptyString(name, 'name');
      assertNonEmptyString(owner, 'owner');
      run(() => engine.release(name, owner));
    },

    async releaseLocksByPrefix(prefix) {
      assertNonEmptyString(prefix, 'prefix');
      return run(() => engine.releaseByPrefix(prefix));
    },
  };
}
