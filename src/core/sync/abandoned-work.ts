// What the one process that owns a store starts with (SQLite: the holder of the data directory's lock):
// it frees what an earlier process died holding — its sync leases and its group locks — so that the
// work resumes at once instead of when they expire.
import type { Store } from '../../ports/store.js';
import { GROUP_LOCK_PREFIX } from './group-lock.js';

export interface ReleasedWork {
  /** Sync items whose leases were released. */
  readonly leases: number;
  /** Group locks freed. */
  readonly groupLocks: number;
}

/** Only for a process that knows no other one works on `store` (never with several replicas). */
export async function releaseAbandonedWork(store: Pick<Store, 'releaseAllSyncLeases' | 'releaseLocksByPrefix'>): Promise<ReleasedWork> {
  const leases = await store.releaseAllSyncLeases();
  const groupLocks = await store.releaseLocksByPrefix(GROUP_LOCK_PREFIX);
  return { leases, groupLocks };
}
