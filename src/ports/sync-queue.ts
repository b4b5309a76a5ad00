// The durable sync queue: which SCIM resources have Dynatrace work pending. It records *that* a
// resource is dirty, not what changed: the worker compares desired with applied state when it runs,
// so changes that arrive close together coalesce and re-applying is idempotent.

export type SyncResourceType = 'User' | 'Group';

/** How many minutes of drained counts the queue keeps. */
export const DRAIN_HISTORY_MINUTES = 15;

export interface SyncTarget {
  readonly resourceType: SyncResourceType;
  /** The SCIM id; the resource may no longer exist (its deletion is the work). */
  readonly resourceId: string;
}

export interface SyncItem extends SyncTarget {
  /** Incremented by every enqueue of this resource; completion only removes the generation it saw. */
  readonly generation: number;
  /** Failed attempts so far (transient failures). */
  readonly attempts: number;
  /** ISO time of the oldest enqueue not yet applied. */
  readonly firstEnqueuedAt: string;
  /** Request id of the latest enqueue, for the audit log. */
  readonly requestId: string | null;
  /** The last transient error, if any. */
  readonly lastError: string | null;
}

export interface FailedSyncItem extends SyncItem {
  /** Why the work cannot succeed without a change (a permanent failure). */
  readonly reason: string;
  readonly failedAt: string;
}

/** What the queue holds for one resource: pending work (with its last transient error) or a failure. */
export interface SyncWorkState extends SyncItem {
  /** ISO time from which it may be applied (for a pending item). */
  readonly dueAt: string;
  /** Set when the work failed permanently. */
  readonly failedReason: string | null;
  readonly failedAt: string | null;
}

/** A pending item that failed transiently at least once: when it is tried next. */
export interface RetryingSyncItem extends SyncItem {
  /** ISO time from which it may be leased again. */
  readonly nextAttemptAt: string;
}

export interface SyncQueueStats {
  /** Pending items (leased or not), failed ones excluded. */
  readonly depth: number;
  /** ISO time of the oldest pending enqueue, or null when empty. */
  readonly oldestEnqueuedAt: string | null;
  readonly failedCount: number;
  /** The most recent failed items, newest first (at most the limit asked for). */
  readonly failed: readonly FailedSyncItem[];
  /** Pending items with attempts > 0 (they failed transiently and are retried). */
  readonly retryingCount: number;
  /** Those next tried first, earliest next attempt first (at most `retryingLimit`). */
  readonly retrying: readonly RetryingSyncItem[];
}

export interface SyncQueue {
  /**
   * Marks resources dirty outside a SCIM mutation (reconcile, admin retry), due at `dueAt`. An item
   * that is pending gets a new generation and the later of its due times; a failed one becomes pending.
   */
  enqueueSync(targets: readonly SyncTarget[], context: { readonly at: string; readonly requestId: string | null; readonly dueAt: string }): Promise<void>;
  /**
   * Leases up to `limit` items that are due (`dueAt` ≤ `now`), not failed, and not leased by anyone
   * (or whose lease has expired), oldest first; each is then leased to `owner` until `leaseUntil`.
   */
  leaseSyncWork(options: { readonly now: string; readonly limit: number; readonly leaseUntil: string; readonly owner: string }): Promise<SyncItem[]>;
  /**
   * The work for `item` is done: removes it when its generation is unchanged; otherwise (a newer
   * change arrived meanwhile) releases the lease and leaves it pending at its due time.
   */
  completeSyncWork(item: SyncItem, owner: string): Promise<void>;
  /** A transient failure: attempts + 1, lease released, due again at `dueAt`. */
  deferSyncWork(item: SyncItem, owner: string, outcome: { readonly dueAt: string; readonly error: string }): Promise<void>;
  /** A permanent failure: kept with its reason, never leased again until re-enqueued or retried. */
  failSyncWork(item: SyncItem, owner: string, outcome: { readonly at: string; readonly reason: string }): Promise<void>;
  /** Makes every failed item pending again, due at `dueAt`; returns how many. */
  retryFailedSyncWork(dueAt: string): Promise<number>;
  /**
   * Extends the lease of `item` to `leaseUntil` while `owner` still holds it (a worker renews the lease
   * of the item it works on, so that a short lease outlives a long sync but not a dead worker); resolves
   * false when the lease is no longer `owner`'s (released, or expired and taken by another).
   */
  renewSyncLease(item: SyncItem, owner: string, leaseUntil: string): Promise<boolean>;
  /** Releases every lease `owner` holds (graceful shutdown). */
  releaseSyncLeases(owner: string): Promise<void>;
  /**
   * Releases every lease, whoever holds it; returns how many. Only for a process that knows nobody else
   * works on the queue — on SQLite, the one process that owns the data directory, at its start — so that
   * the items an earlier process died holding resume at once instead of when their leases expire.
   */
  releaseAllSyncLeases(): Promise<number>;
  /** Counts, and the failed and retrying items up to their limits (`retryingLimit` default 0). */
  syncQueueStats(options: { readonly failedLimit: number; readonly retryingLimit?: number }): Promise<SyncQueueStats>;
  /**
   * Counts one item that left the queue — completed or failed — at `at` (ISO), in the minute it falls
   * in, shared by every replica; minutes older than DRAIN_HISTORY_MINUTES are forgotten.
   */
  recordSyncDrained(at: string): Promise<void>;
  /** Items counted since the minute `since` falls in, and the earliest counted minute then (ISO), or null. */
  syncDrainedSince(since: string): Promise<{ readonly items: number; readonly from: string | null }>;
  /** The queue's rows for these resources, pending or failed; a resource with nothing queued is absent. */
  syncWorkOf(targets: readonly SyncTarget[]): Promise<SyncWorkState[]>;
}
