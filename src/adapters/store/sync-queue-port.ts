// The SyncQueue port over an engine's synchronous queue: input checks (misuse throws TypeError) and
// the queue rules every engine shares, so SQLite and PostgreSQL enqueue, lease and order identically.
import { assertCount, assertNonEmptyString } from '../../ports/misuse.js';
import type { ChangeContext } from '../../ports/store.js';
import type { FailedSyncItem, RetryingSyncItem, SyncItem, SyncQueue, SyncQueueStats, SyncResourceType, SyncTarget, SyncWorkState } from '../../ports/sync-queue.js';
import { DRAIN_HISTORY_MINUTES } from '../../ports/sync-queue.js';

/** Runs one port call against the engine: the engine's open check, transaction and error translation. */
export type StoreRunner = <T>(work: () => T) => T;

/** The time, request and due time an enqueue carries (a ChangeContext or an `enqueueSync` context). */
export interface EnqueueContext {
  readonly at: string;
  readonly requestId: string | null;
  readonly dueAt: string;
}

export interface LeaseOptions {
  readonly now: string;
  readonly limit: number;
  readonly leaseUntil: string;
  readonly owner: string;
}

/**
 * The queue as an engine implements it, synchronously and without checks. `enqueue` runs inside
 * the caller's transaction (a SCIM mutation's, or the port's); every other call is one transaction.
 *
 * Rules (the port's doc comments, made precise):
 * - one row per (resourceType, resourceId); `enqueue` gets distinct targets, in order;
 * - enqueue on no row: generation 1, attempts 0, firstEnqueuedAt = at, dueAt, requestId;
 *   on a pending row (leased or not): generation + 1, dueAt = the later one, requestId = the new one,
 *   everything else kept (a lease stays with its holder); on a failed row: pending again with
 *   generation + 1, attempts 0, lastError and reason cleared, firstEnqueuedAt = at, dueAt as given;
 * - lease: not failed, dueAt ≤ now, no lease or `leaseUntil` ≤ now; ordered by dueAt, then
 *   firstEnqueuedAt, then row creation order; at most `limit`;
 * - complete, defer, fail act only while `owner` is still the row's lease owner (else no-op); a
 *   complete or fail whose generation is no longer the row's releases the lease and leaves the row
 *   pending at its dueAt (fail also records the reason as lastError): the newer change is not lost;
 * - failed rows list newest `failedAt` first, then newest row first; retrying rows (pending, attempts > 0)
 *   earliest `dueAt` first, then oldest row first.
 */
export interface SyncQueueEngine {
  enqueue(targets: readonly SyncTarget[], context: EnqueueContext): void;
  lease(options: LeaseOptions): SyncItem[];
  complete(item: SyncItem, owner: string): void;
  defer(item: SyncItem, owner: string, outcome: { readonly dueAt: string; readonly error: string }): void;
  fail(item: SyncItem, owner: string, outcome: { readonly at: string; readonly reason: string }): void;
  retryFailed(dueAt: string): number;
  /** Sets `leaseUntil` when `owner` holds the row's lease (expired or not); whether it did. */
  renew(item: SyncItem, owner: string, leaseUntil: string): boolean;
  releaseLeases(owner: string): void;
  /** Frees every lease; how many rows were leased. */
  releaseAll(): number;
  stats(failedLimit: number, retryingLimit: number): SyncQueueStats;
  /** Adds one to `minute`'s count (ISO minute start) and forgets the minutes before `forgetBefore`. */
  drained(minute: string, forgetBefore: string): void;
  /** The sum of the counts of minutes ≥ `fromMinute`, and the earliest of them. */
  drainedSince(fromMinute: string): { items: number; from: string | null };
  /** The rows of these (distinct) targets that exist (as workStateOf gives them). */
  workOf(targets: readonly SyncTarget[]): SyncWorkState[];
}

const resourceTypes: ReadonlySet<string> = new Set<SyncResourceType>(['User', 'Group']);

/**
 * Queue times are compared as text in every engine (and PostgreSQL later), so they must be in the
 * one canonical form `Date.prototype.toISOString` produces: `YYYY-MM-DDTHH:mm:ss.sssZ`.
 */
const canonicalInstant = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export function assertInstant(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string' || !canonicalInstant.test(value) || Number.isNaN(Date.parse(value))) {
    throw new TypeError(`${name} must be an ISO 8601 UTC time as toISOString() writes it, got ${JSON.stringify(value)}`);
  }
}


function assertRequestId(value: unknown): asserts value is string | null {
  if (value !== null && typeof value !== 'string') throw new TypeError('requestId must be a string or null');
}


function assertResourceType(value: unknown): asserts value is SyncResourceType {
  if (typeof value !== 'string' || !resourceTypes.has(value)) {
    throw new TypeError(`resourceType must be "User" or "Group", got ${JSON.stringify(value)}`);
  }
}

/** A mutation's ChangeContext, checked, as the context of the sync work it enqueues. */
export function enqueueContextOf(change: ChangeContext): EnqueueContext {
  if (typeof change !== 'object' || change === null) throw new TypeError('a mutation needs a ChangeContext { at, requestId, syncDueAt }');
  assertInstant(change.at, 'at');
  assertRequestId(change.requestId);
  assertInstant(change.syncDueAt, 'syncDueAt');
  return { at: change.at, requestId: change.requestId, dueAt: change.syncDueAt };
}

export function userTarget(resourceId: string): SyncTarget {
  return { resourceType: 'User', resourceId };
}

export function groupTarget(resourceId: string): SyncTarget {
  return { resourceType: 'Group', resourceId };
}

/** Each target once, first occurrence first. */
function distinctTargets(targets: readonly SyncTarget[]): SyncTarget[] {
  const seen = new Map<string, SyncTarget>();
  for (const target of targets) {
    assertResourceType(target.resourceType);
    assertNonEmptyString(target.resourceId, 'resourceId');
    const key = `${target.resourceType}:${target.resourceId}`;
    if (!seen.has(key)) seen.set(key, { resourceType: target.resourceType, resourceId: target.resourceId });
  }
  return [...seen.values()];
}

function assertItem(item: SyncItem, owner: string): void {
  if (typeof item !== 'object' || item === null) throw new TypeError('a sync item is required');
  assertResourceType(item.resourceType);
  assertNonEmptyString(item.resourceId, 'resourceId');
  if (!Number.isSafeInteger(item.generation) || item.generation < 1) throw new TypeError('generation must be a positive integer');
  assertNonEmptyString(owner, 'owner');
}

/** The SyncQueue port over `engine`, every call checked and then run through `run`. */
export function syncQueuePort(engine: SyncQueueEngine, run: StoreRunner): SyncQueue {
  return {
    async enqueueSync(targets, context) {
      if (!Array.isArray(targets)) throw new TypeError('targets must be an array');
      const distinct = distinctTargets(targets);
      assertInstant(context.at, 'at');
      assertRequestId(context.requestId);
      assertInstant(context.dueAt, 'dueAt');
      const enqueue: EnqueueContext = { at: context.at, requestId: context.requestId, dueAt: context.dueAt };
      run(() => {
        if (distinct.length > 0) engine.enqueue(distinct, enqueue);
      });
    },

    async leaseSyncWork(options) {
      assertInstant(options.now, 'now');
      assertInstant(options.leaseUntil, 'leaseUntil');
      assertCount(options.limit, 'limit');
      assertNonEmptyString(options.owner, 'owner');
      return run(() => engine.lease(options));
    },

    async completeSyncWork(item, owner) {
      assertItem(item, owner);
      run(() => engine.complete(item, owner));
    },

    async deferSyncWork(item, owner, outcome) {
      assertItem(item, owner);
      assertInstant(outcome.dueAt, 'dueAt');
      if (typeof outcome.error !== 'string') throw new TypeError('error must be a string');
      run(() => engine.defer(item, owner, outcome));
    },

    async failSyncWork(item, owner, outcome) {
      assertItem(item, owner);
      assertInstant(outcome.at, 'at');
      if (typeof outcome.reason !== 'string') throw new TypeError('reason must be a string');
      run(() => engine.fail(item, owner, outcome));
    },

    async retryFailedSyncWork(dueAt) {
      assertInstant(dueAt, 'dueAt');
      return run(() => engine.retryFailed(dueAt));
    },

    async renewSyncLease(item, owner, leaseUntil) {
      assertItem(item, owner);
      assertInstant(leaseUntil, 'leaseUntil');
      return run(() => engine.renew(item, owner, leaseUntil));
    },

    async releaseSyncLeases(owner) {
      assertNonEmptyString(owner, 'owner');
      run(() => engine.releaseLeases(owner));
    },

    async releaseAllSyncLeases() {
      return run(() => engine.releaseAll());
    },

    async syncQueueStats(options) {
      assertCount(options.failedLimit, 'failedLimit');
      const retryingLimit = options.retryingLimit ?? 0;
      assertCount(retryingLimit, 'retryingLimit');
      return run(() => engine.stats(options.failedLimit, retryingLimit));
    },

    async recordSyncDrained(at) {
      assertInstant(at, 'at');
      const minute = minuteOf(at);
      run(() => engine.drained(minute, minuteOf(new Date(Date.parse(minute) - DRAIN_HISTORY_MINUTES * 60_000).toISOString())));
    },

    async syncDrainedSince(since) {
      assertInstant(since, 'since');
      return run(() => engine.drainedSince(minuteOf(since)));
    },

    async syncWorkOf(targets) {
      if (!Array.isArray(targets)) throw new TypeError('targets must be an array');
      const distinct = distinctTargets(targets);
      if (distinct.length === 0) return [];
      return run(() => engine.workOf(distinct));
    },
  };
}

/** A row as both engines hold it (SQLite maps its columns onto this). */
export interface QueueRow {
  /** Row creation order: the last tie-breaker of leasing and of the failed list. */
  readonly seq: number;
  readonly resourceType: SyncResourceType;
  readonly resourceId: string;
  readonly generation: number;
  readonly attempts: number;
  readonly firstEnqueuedAt: string;
  readonly dueAt: string;
  readonly requestId: string | null;
  readonly lastError: string | null;
  readonly failedReason: string | null;
  readonly failedAt: string | null;
  readonly leaseOwner: string | null;
  readonly leaseUntil: string | null;
}

export function syncItemOf(row: QueueRow): SyncItem {
  return {
    resourceType: row.resourceType,
    resourceId: row.resourceId,
    generation: row.generation,
    attempts: row.attempts,
    firstEnqueuedAt: row.firstEnqueuedAt,
    requestId: row.requestId,
    lastError: row.lastError,
  };
}

export function workStateOf(row: QueueRow): SyncWorkState {
  return { ...syncItemOf(row), dueAt: row.dueAt, failedReason: row.failedReason, failedAt: row.failedAt };
}

export function failedItemOf(row: QueueRow): FailedSyncItem {
  return { ...syncItemOf(row), reason: row.failedReason ?? '', failedAt: row.failedAt ?? '' };
}

export function retryingItemOf(row: QueueRow): RetryingSyncItem {
  return { ...syncItemOf(row), nextAttemptAt: row.dueAt };
}

/** The start of the minute an ISO time falls in, in the same form (`…T12:34:00.000Z`). */
function minuteOf(at: string): string {
  return `${at.slice(0, 16)}:00.000Z`;
}
