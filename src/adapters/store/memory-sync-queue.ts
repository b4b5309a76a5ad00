// The in-memory sync queue: one row per resource in a Map, so enqueues (the SCIM hot path) are O(1)
// per target; leasing walks the rows once and keeps only the best `limit` of them.
import type { FailedSyncItem, SyncItem } from '../../ports/sync-queue.js';
import type { EnqueueContext, LeaseOptions, QueueRow, SyncQueueEngine } from './sync-queue-port.js';
import { failedItemOf, retryingItemOf, syncItemOf, targetKey, workStateOf } from './sync-queue-port.js';

type Row = { -readonly [K in keyof QueueRow]: QueueRow[K] };

/** Lease order: earliest dueAt, then earliest firstEnqueuedAt, then the older row. */
function leaseOrder(a: Row, b: Row): number {
  if (a.dueAt !== b.dueAt) return a.dueAt < b.dueAt ? -1 : 1;
  if (a.firstEnqueuedAt !== b.firstEnqueuedAt) return a.firstEnqueuedAt < b.firstEnqueuedAt ? -1 : 1;
  return a.seq - b.seq;
}

/** Retrying-list order: earliest dueAt (next attempt), then the older row. */
function retryingOrder(a: Row, b: Row): number {
  if (a.dueAt !== b.dueAt) return a.dueAt < b.dueAt ? -1 : 1;
  return a.seq - b.seq;
}

/** Failed-list order: latest failedAt, then the newer row. */
function failedOrder(a: Row, b: Row): number {
  const aAt = a.failedAt ?? '';
  const bAt = b.failedAt ?? '';
  if (aAt !== bAt) return aAt > bAt ? -1 : 1;
  return b.seq - a.seq;
}

/** Inserts `row` into `best` (sorted by `order`), keeping at most `limit` rows. */
function keepBest(best: Row[], row: Row, limit: number, order: (a: Row, b: Row) => number): void {
  const last = best[best.length - 1];
  if (best.length === limit && last !== undefined && order(row, last) >= 0) return;
  let low = 0;
  let high = best.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const probe = best[middle];
    if (probe !== undefined && order(probe, row) <= 0) low = middle + 1;
    else high = middle;
  }
  best.splice(low, 0, row);
  if (best.length > limit) best.pop();
}

function releaseLease(row: Row): void {
  row.leaseOwner = null;
  row.leaseUntil = null;
}

export function createMemorySyncQueue(): SyncQueueEngine {
  let nextSeq = 1;
  const rows = new Map<string, Row>();
  /** Drained items per ISO minute. */
  const drainedByMinute = new Map<string, number>();

  /** The row `item` names while `owner` holds its lease, else undefined. */
  function leasedRow(item: SyncItem, owner: string): Row | undefined {
    const row = rows.get(targetKey(item));
    return row !== undefined && row.leaseOwner === owner ? row : undefined;
  }

  return {
    enqueue(targets, context: EnqueueContext) {
      for (const target of targets) {
        const key = targetKey(target);
        const row = rows.get(key);
        if (row === undefined) {
          rows.set(key, {
            seq: nextSeq++, resourceType: target.resourceType, resourceId: target.resourceId, generation: 1, attempts: 0,
            firstEnqueuedAt: context.at, dueAt: context.dueAt, requestId: context.requestId, lastError: null,
            failedReason: null, failedAt: null, leaseOwner: null, leaseUntil: null,
          });
        } else if (row.failedAt !== null) {
          row.generation += 1;
          row.attempts = 0;
          row.firstEnqueuedAt = context.at;
          row.dueAt = context.dueAt;
          row.requestId = context.requestId;
          row.lastError = null;
          row.failedReason = null;
          row.failedAt = null;
        } else {
          row.generation += 1;
          if (context.dueAt > row.dueAt) row.dueAt = context.dueAt;
          row.requestId = context.requestId;
        }
      }
    },

    lease(options: LeaseOptions) {
      const best: Row[] = [];
      if (options.limit === 0) return [];
      for (const row of rows.values()) {
        if (row.failedAt !== null || row.dueAt > options.now) continue;
        if (row.leaseUntil !== null && row.leaseUntil > options.now) continue;
        keepBest(best, row, options.limit, leaseOrder);
      }
      return best.map((row) => {
        row.leaseOwner = options.owner;
        row.leaseUntil = options.leaseUntil;
        return syncItemOf(row);
      });
    },

    complete(item, owner) {
      const row = leasedRow(item, owner);
      if (row === undefined) return;
      if (row.generation === item.generation) rows.delete(targetKey(row));
      else releaseLease(row);
    },

    defer(item, owner, outcome) {
      const row = leasedRow(item, owner);
      if (row === undefined) return;
      row.attempts += 1;
      row.lastError = outcome.error;
      row.dueAt = outcome.dueAt;
      releaseLease(row);
    },

    fail(item, owner, outcome) {
      const row = leasedRow(item, owner);
      if (row === undefined) return;
      if (row.generation === item.generation) {
        row.failedReason = outcome.reason;
        row.failedAt = outcome.at;
      } else {
        row.lastError = outcome.reason;
      }
      releaseLease(row);
    },

    retryFailed(dueAt) {
      let retried = 0;
      for (const row of rows.values()) {
        if (row.failedAt === null) continue;
        row.failedReason = null;
        row.failedAt = null;
        row.attempts = 0;
        row.lastError = null;
        row.dueAt = dueAt;
        retried += 1;
      }
      return retried;
    },

    renew(item, owner, leaseUntil) {
      const row = leasedRow(item, owner);
      if (row === undefined) return false;
      row.leaseUntil = leaseUntil;
      return true;
    },

    releaseLeases(owner) {
      for (const row of rows.values()) if (row.leaseOwner === owner) releaseLease(row);
    },

    workOf(targets) {
      return targets.flatMap((target) => {
        const row = rows.get(targetKey(target));
        return row === undefined ? [] : [workStateOf(row)];
      });
    },

    releaseAll() {
      let released = 0;
      for (const row of rows.values()) {
        if (row.leaseOwner === null) continue;
        releaseLease(row);
        released += 1;
      }
      return released;
    },

    stats(failedLimit, retryingLimit) {
      let depth = 0;
      let oldestEnqueuedAt: string | null = null;
      let failedCount = 0;
      let retryingCount = 0;
      const newest: Row[] = [];
      const next: Row[] = [];
      for (const row of rows.values()) {
        if (row.failedAt === null) {
          depth += 1;
          if (oldestEnqueuedAt === null || row.firstEnqueuedAt < oldestEnqueuedAt) oldestEnqueuedAt = row.firstEnqueuedAt;
          if (row.attempts > 0) {
            retryingCount += 1;
            if (retryingLimit > 0) keepBest(next, row, retryingLimit, retryingOrder);
          }
        } else {
          failedCount += 1;
          if (failedLimit > 0) keepBest(newest, row, failedLimit, failedOrder);
        }
      }
      const failed: FailedSyncItem[] = newest.map(failedItemOf);
      return { depth, oldestEnqueuedAt, failedCount, failed, retryingCount, retrying: next.map(retryingItemOf) };
    },

    drained(minute, forgetBefore) {
      drainedByMinute.set(minute, (drainedByMinute.get(minute) ?? 0) + 1);
      for (const key of [...drainedByMinute.keys()]) if (key < forgetBefore) drainedByMinute.delete(key);
    },

    drainedSince(fromMinute) {
      let items = 0;
      let from: string | null = null;
      for (const [minute, count] of drainedByMinute) {
        if (minute < fromMinute) continue;
        items += count;
        if (from === null || minute < from) from = minute;
      }
      return { items, from };
    },
  };
}
