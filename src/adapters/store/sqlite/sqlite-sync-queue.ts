// The SQLite sync queue: one row per resource (UNIQUE (resource_type, resource_id)), enqueued by an
// upsert inside the caller's transaction. The SQL stays portable to PostgreSQL: the lease query
// becomes `… FOR UPDATE SKIP LOCKED` there, and `max()` is spelled as CASE.
import type Database from 'better-sqlite3';
import type { SyncResourceType } from '../../../ports/sync-queue.js';
import type { QueueRow, SyncQueueEngine } from '../sync-queue-port.js';
import { failedItemOf, retryingItemOf, syncItemOf, workStateOf } from '../sync-queue-port.js';

const rowColumns = `seq, resource_type AS resourceType, resource_id AS resourceId, generation, attempts,
  first_enqueued_at AS firstEnqueuedAt, due_at AS dueAt, request_id AS requestId, last_error AS lastError,
  failed_reason AS failedReason, failed_at AS failedAt, lease_owner AS leaseOwner, lease_until AS leaseUntil`;

/**
 * Due, not failed, lease free or expired; oldest first. Parameters: now, now, limit. Walks the
 * sync_queue_lease index in order (no sort) and checks the lease from the index.
 */
export const leaseCandidatesSql = `SELECT ${rowColumns} FROM sync_queue
  WHERE failed_at IS NULL AND due_at <= ? AND (lease_until IS NULL OR lease_until <= ?)
  ORDER BY due_at, first_enqueued_at, seq
  LIMIT ?`;

/** New row: generation 1. Pending row: generation + 1, later due time, newest request. Failed row: pending afresh. */
const enqueueSql = `INSERT INTO sync_queue (resource_type, resource_id, generation, attempts, first_enqueued_at, due_at, request_id)
  VALUES (?, ?, 1, 0, ?, ?, ?)
  ON CONFLICT (resource_type, resource_id) DO UPDATE SET
    generation = sync_queue.generation + 1,
    request_id = excluded.request_id,
    due_at = CASE WHEN sync_queue.failed_at IS NOT NULL OR excluded.due_at > sync_queue.due_at
      THEN excluded.due_at ELSE sync_queue.due_at END,
    attempts = CASE WHEN sync_queue.failed_at IS NULL THEN sync_queue.attempts ELSE 0 END,
    first_enqueued_at = CASE WHEN sync_queue.failed_at IS NULL
      THEN sync_queue.first_enqueued_at ELSE excluded.first_enqueued_at END,
    last_error = CASE WHEN sync_queue.failed_at IS NULL THEN sync_queue.last_error ELSE NULL END,
    failed_reason = NULL,
    failed_at = NULL`;

const whereLeased = 'resource_type = ? AND resource_id = ? AND lease_owner = ?';
const freeLease = 'lease_owner = NULL, lease_until = NULL';

type Key = [SyncResourceType, string, string];

/** The queue's statements, prepared once; every method runs inside a transaction the caller opened. */
export function createSqliteSyncQueue(db: Database.Database): SyncQueueEngine {
  const s = {
    enqueue: db.prepare<[SyncResourceType, string, string, string, string | null]>(enqueueSql),
    leaseCandidates: db.prepare<[string, string, number], QueueRow>(leaseCandidatesSql),
    setLease: db.prepare<[string, string, number]>('UPDATE sync_queue SET lease_owner = ?, lease_until = ? WHERE seq = ?'),
    completeSame: db.prepare<[...Key, number]>(`DELETE FROM sync_queue WHERE ${whereLeased} AND generation = ?`),
    release: db.prepare<Key>(`UPDATE sync_queue SET ${freeLease} WHERE ${whereLeased}`),
    defer: db.prepare<[string, string, ...Key]>(
      `UPDATE sync_queue SET attempts = attempts + 1, last_error = ?, due_at = ?, ${freeLease} WHERE ${whereLeased}`,
    ),
    failSame: db.prepare<[string, string, ...Key, number]>(
      `UPDATE sync_queue SET failed_reason = ?, failed_at = ?, ${freeLease} WHERE ${whereLeased} AND generation = ?`,
    ),
    failStale: db.prepare<[string, ...Key]>(`UPDATE sync_queue SET last_error = ?, ${freeLease} WHERE ${whereLeased}`),
    retryFailed: db.prepare<[string]>(
      `UPDATE sync_queue SET failed_reason = NULL, failed_at = NULL, attempts = 0, last_error = NULL, due_at = ?
       WHERE failed_at IS NOT NULL`,
    ),
    renew: db.prepare<[string, ...Key]>(`UPDATE sync_queue SET lease_until = ? WHERE ${whereLeased}`),
    releaseOwner: db.prepare<[string]>(`UPDATE sync_queue SET ${freeLease} WHERE lease_owner = ?`),
    releaseAll: db.prepare<[]>(`UPDATE sync_queue SET ${freeLease} WHERE lease_owner IS NOT NULL`),
    pending: db.prepare<[], { depth: number; oldest: string | null }>(
      'SELECT COUNT(*) AS depth, MIN(first_enqueued_at) AS oldest FROM sync_queue WHERE failed_at IS NULL',
    ),
    failedCount: db.prepare<[], number>('SELECT COUNT(*) FROM sync_queue WHERE failed_at IS NOT NULL').pluck(),
    workOf: db.prepare<[SyncResourceType, string], QueueRow>(`SELECT ${rowColumns} FROM sync_queue WHERE resource_type = ? AND resource_id = ?`),
    failedNewest: db.prepare<[number], QueueRow>(
      `SELECT ${rowColumns} FROM sync_queue WHERE failed_at IS NOT NULL ORDER BY failed_at DESC, seq DESC LIMIT ?`,
    ),
    retryingCount: db.prepare<[], number>('SELECT COUNT(*) FROM sync_queue WHERE failed_at IS NULL AND attempts > 0').pluck(),
    /** Walks the sync_queue_lease index in due order, skipping rows never retried. */
    retryingNext: db.prepare<[number], QueueRow>(
      `SELECT ${rowColumns} FROM sync_queue WHERE failed_at IS NULL AND attempts > 0 ORDER BY due_at, seq LIMIT ?`,
    ),
    drained: db.prepare<[string]>('INSERT INTO sync_drained (minute, items) VALUES (?, 1) ON CONFLICT (minute) DO UPDATE SET items = items + 1'),
    forgetDrained: db.prepare<[string]>('DELETE FROM sync_drained WHERE minute < ?'),
    drainedSince: db.prepare<[string], { items: number | null; first: string | null }>('SELECT SUM(items) AS items, MIN(minute) AS first FROM sync_drained WHERE minute >= ?'),
  };

  return {
    enqueue(targets, context) {
      for (const target of targets) {
        s.enqueue.run(target.resourceType, target.resourceId, context.at, context.dueAt, context.requestId);
      }
    },

    lease(options) {
      const rows = s.leaseCandidates.all(options.now, options.now, options.limit);
      for (const row of rows) s.setLease.run(options.owner, options.leaseUntil, row.seq);
      return rows.map(syncItemOf);
    },

    complete(item, owner) {
      const key: Key = [item.resourceType, item.resourceId, owner];
      if (s.completeSame.run(...key, item.generation).changes === 0) s.release.run(...key);
    },

    defer(item, owner, outcome) {
      s.defer.run(outcome.error, outcome.dueAt, item.resourceType, item.resourceId, owner);
    },

    fail(item, owner, outcome) {
      const key: Key = [item.resourceType, item.resourceId, owner];
      if (s.failSame.run(outcome.reason, outcome.at, ...key, item.generation).changes === 0) s.failStale.run(outcome.reason, ...key);
    },

    retryFailed(dueAt) {
      return s.retryFailed.run(dueAt).changes;
    },

    renew(item, owner, leaseUntil) {
      return s.renew.run(leaseUntil, item.resourceType, item.resourceId, owner).changes === 1;
    },

    releaseLeases(owner) {
      s.releaseOwner.run(owner);
    },

    releaseAll() {
      return s.releaseAll.run().changes;
    },

    stats(failedLimit, retryingLimit) {
      const pending = s.pending.get();
      return {
        depth: pending?.depth ?? 0,
        oldestEnqueuedAt: pending?.oldest ?? null,
        failedCount: s.failedCount.get() ?? 0,
        failed: failedLimit === 0 ? [] : s.failedNewest.all(failedLimit).map(failedItemOf),
        retryingCount: s.retryingCount.get() ?? 0,
        retrying: retryingLimit === 0 ? [] : s.retryingNext.all(retryingLimit).map(retryingItemOf),
      };
    },

    workOf(targets) {
      return targets.flatMap((target) => s.workOf.all(target.resourceType, target.resourceId)).map(workStateOf);
    },

    drained(minute, forgetBefore) {
      s.drained.run(minute);
      s.forgetDrained.run(forgetBefore);
    },

    drainedSince(fromMinute) {
      const row = s.drainedSince.get(fromMinute);
      return { items: row?.items ?? 0, from: row?.first ?? null };
    },
  };
}
