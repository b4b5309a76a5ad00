// Work on one Dynatrace group — linking (creating or adopting), renaming, binding, unlinking — runs
// on one replica at a time, and once at a time within it. Within a process the keyed lock queues it;
// across replicas sharing a database the store's lock `group:<SCIM id>` does. The queue alone does not
// suffice: the group's own item is leased to one replica, but any member's sync on another replica
// may need the group and create it inline (ensureGroup).
import { randomUUID } from 'node:crypto';
import { renewWhile } from '../renewal.js';
import type { LockStore } from '../../ports/store.js';
import type { SyncContext } from './sync-context.js';
import { TransientSyncError } from './sync-failure.js';

/**
 * How long the store lock lasts (sync clock), renewed every third of it while the work runs (real
 * time): a replica that dies holding it blocks the group's work for this long at most.
 */
export const GROUP_LOCK_MS = 30_000;
/** How long (real time) to wait for another replica's hold before giving up transiently (retried with backoff). */
export const GROUP_LOCK_WAIT_MS = 15_000;
/** Every group lock's name starts so (`group:<SCIM id>`). */
export const GROUP_LOCK_PREFIX = 'group:';
const FIRST_POLL_MS = 10;
const MAX_POLL_MS = 200;

/**
 * Runs `work` holding the group's lock. While another replica holds it, polls (bounded) and calls
 * `ready` between tries: a caller that only needs the group to exist (a member's sync) returns as soon
 * as the other replica has linked it, without taking the lock at all.
 */
export async function withGroupLock<T>(
  context: Pick<SyncContext, 'groupLocks' | 'now'> & { readonly store: LockStore },
  groupId: string,
  work: () => Promise<T>,
  ready?: () => Promise<T | undefined>,
): Promise<T> {
  return context.groupLocks.run(groupId, async () => {
    const name = `${GROUP_LOCK_PREFIX}${groupId}`;
    const owner = `group-sync:${randomUUID()}`;
    const lease = () => {
      const now = context.now();
      return { now: now.toISOString(), until: new Date(now.getTime() + GROUP_LOCK_MS).toISOString() };
    };
    let waited = 0;
    for (let poll = FIRST_POLL_MS; ; poll = Math.min(MAX_POLL_MS, poll * 2)) {
      if (await context.store.tryAcquireLock(name, owner, lease())) break;
      const done = await ready?.();
      if (done !== undefined) return done;
      if (waited >= GROUP_LOCK_WAIT_MS) throw new TransientSyncError(`Dynatrace group of SCIM group ${groupId} is being changed by another replica`);
      await sleep(poll);
      waited += poll;
    }
    try {
      return await renewWhile(GROUP_LOCK_MS / 3, () => context.store.tryAcquireLock(name, owner, lease()), work);
    } finally {
      // Not freed (the store is down): it expires after GROUP_LOCK_MS.
      await context.store.releaseLock(name, owner).catch(() => undefined);
    }
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
