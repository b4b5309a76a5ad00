// The PostgreSQL sync queue: the SQLite queue's rows and rules (sync-queue-port.ts), each call one
// statement. Leasing takes due rows with `FOR UPDATE SKIP LOCKED`, so replicas leasing at once never
// hand out the same item; an enqueue is one upsert of every target, inside the caller's transaction.
import type { SyncItem, SyncResourceType, SyncTarget } from '../../../ports/sync-queue.js';
import type { EnqueueContext, QueueRow, SyncQueueEngine } from '../sync-queue-port.js';
import { failedItemOf, retryingItemOf, syncItemOf, workStateOf } from '../sync-queue-port.js';
import type { AsyncEngine } from '../engine-steps.js';
import type { Sql } from './postgres-database.js';

/** The async queue engine, plus the enqueue a mutation runs inside its own transaction. */
export interface PostgresSyncQueue extends AsyncEngine<SyncQueueEngine> {
  enqueueIn(sql: Sql, targets: readonly SyncTarget[], context: EnqueueContext): Promise<void>;
}

/** A row as selected: `seq` is a bigint (text from the driver). */
interface Row extends Omit<QueueRow, 'seq'> {
  readonly seq: string;
}

/** Counts, then one listed row's columns (a failed or a retrying one), all NULL (`seq` included) when none is listed. */
type StatsRow = { readonly depth: string; readonly oldest: string | null; readonly failed_count: string; readonly retrying_count: string } & (
  | (Row & { readonly kind: 'failed' | 'retrying' })
  | { readonly seq: null; readonly kind: null }
);

const columns = (q: string): string => `${q}.seq, ${q}.resource_type AS "resourceType", ${q}.resource_id AS "resourceId",
  ${q}.generation, ${q}.attempts, ${q}.first_enqueued_at AS "firstEnqueuedAt", ${q}.due_at AS "dueAt",
  ${q}.request_id AS "requestId", ${q}.last_error AS "lastError", ${q}.failed_reason AS "failedReason",
  ${q}.failed_at AS "failedAt", ${q}.lease_owner AS "leaseOwner", ${q}.lease_until AS "leaseUntil"`;

const whereLeased = 'resource_type = $1 AND resource_id = $2 AND lease_owner = $3';
const freeLease = 'lease_owner = NULL, lease_until = NULL';

/** The queue's statements over `schema` (quoted), run on `db` or on the transaction a mutation passes. */
export function createPostgresSyncQueue(db: Sql, schema: string): PostgresSyncQueue {
  const table = `${schema}.sync_queue`;
  const s = {
    /**
     * New row: generation 1. Pending row: generation + 1, later due time, newest request. Failed row:
     * pending afresh. Targets are distinct; new rows get their seq in the order given.
     */
    enqueue: {
      name: 'queue_enqueue',
      text: `INSERT INTO ${table} AS q (resource_type, resource_id, generation, attempts, first_enqueued_at, due_at, request_id)
        SELECT t.resource_type, t.resource_id, 1, 0, $3::text, $4::text, $5::text
        FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t (resource_type, resource_id, ord)
        ORDER BY t.ord
        ON CONFLICT (resource_type, resource_id) DO UPDATE SET
          generation = q.generation + 1,
          request_id = excluded.request_id,
          due_at = CASE WHEN q.failed_at IS NOT NULL OR excluded.due_at > q.due_at THEN excluded.due_at ELSE q.due_at END,
          attempts = CASE WHEN q.failed_at IS NULL THEN q.attempts ELSE 0 END,
          first_enqueued_at = CASE WHEN q.failed_at IS NULL THEN q.first_enqueued_at ELSE excluded.first_enqueued_at END,
          last_error = CASE WHEN q.failed_at IS NULL THEN q.last_error ELSE NULL END,
          failed_reason = NULL,
          failed_at = NULL`,
    },
    /** Due, not failed, lease free or expired, oldest first (the sync_queue_lease index, in order); rows another replica is leasing right now are skipped. */
    lease: {
      name: 'queue_lease',
      text: `WITH candidates AS (
          SELECT seq FROM ${table}
          WHERE failed_at IS NULL AND due_at <= $1::text AND (lease_until IS NULL OR lease_until <= $1::text)
          ORDER BY due_at, first_enqueued_at, seq
          LIMIT $2
          FOR UPDATE SKIP LOCKED
        )
        UPDATE ${table} AS q SET lease_owner = $3, lease_until = $4
        FROM candidates c WHERE q.seq = c.seq
        RETURNING ${columns('q')}`,
    },
    /**
     * Removes the row when its generation is unchanged, else only releases the lease. The row is locked
     * first (`target`) and the decision taken on the generation that lock returns: a concurrent enqueue
     * (a SCIM change in another transaction) is waited for and seen, where a decision on the statement's
     * snapshot would neither delete the newer generation nor release it, leaving it leased until expiry.
     */
    complete: {
      name: 'queue_complete',
      text: `WITH target AS (SELECT seq, generation = $4 AS unchanged FROM ${table} WHERE ${whereLeased} FOR UPDATE),
        done AS (DELETE FROM ${table} q USING target WHERE q.seq = target.seq AND target.unchanged RETURNING q.seq)
        UPDATE ${table} q SET ${freeLease} FROM target WHERE q.seq = target.seq AND NOT target.unchanged`,
    },
    defer: {
      name: 'queue_defer',
      text: `UPDATE ${table} SET attempts = attempts + 1, last_error = $4, due_at = $5, ${freeLease} WHERE ${whereLeased}`,
    },
    /** Fails the row when its generation is unchanged, else keeps it pending with the reason as lastError (row locked first, as complete). */
    fail: {
      name: 'queue_fail',
      text: `WITH target AS (SELECT seq, generation = $4 AS unchanged FROM ${table} WHERE ${whereLeased} FOR UPDATE),
        failed AS (
          UPDATE ${table} q SET failed_reason = $5, failed_at = $6, ${freeLease} FROM target WHERE q.seq = target.seq AND target.unchanged RETURNING q.seq
        )
        UPDATE ${table} q SET last_error = $5, ${freeLease} FROM target WHERE q.seq = target.seq AND NOT target.unchanged`,
    },
    retryFailed: {
      name: 'queue_retry_failed',
      text: `UPDATE ${table} SET failed_reason = NULL, failed_at = NULL, attempts = 0, last_error = NULL, due_at = $1
        WHERE failed_at IS NOT NULL`,
    },
    renew: { name: 'queue_renew', text: `UPDATE ${table} SET lease_until = $4 WHERE ${whereLeased}` },
    releaseOwner: { name: 'queue_release_owner', text: `UPDATE ${table} SET ${freeLease} WHERE lease_owner = $1` },
    workOf: {
      name: 'queue_work_of',
      text: `SELECT ${columns('q')} FROM ${table} q JOIN unnest($1::text[], $2::text[]) AS t (resource_type, resource_id)
        ON q.resource_type = t.resource_type AND q.resource_id = t.resource_id ORDER BY q.seq`,
    },
    releaseAll: { name: 'queue_release_all', text: `UPDATE ${table} SET ${freeLease} WHERE lease_owner IS NOT NULL` },
    /**
     * Counts, the newest failures and the retrying items next tried, in one statement (one snapshot);
     * with nothing to list one row with NULL columns.
     */
    stats: {
      name: 'queue_stats',
      text: `SELECT c.depth, c.oldest, c.failed_count, c.retrying_count, f.kind, ${columns('f')}
        FROM (
          SELECT count(*) FILTER (WHERE failed_at IS NULL) AS depth,
            min(first_enqueued_at) FILTER (WHERE failed_at IS NULL) AS oldest,
            count(*) FILTER (WHERE failed_at IS NOT NULL) AS failed_count,
            count(*) FILTER (WHERE failed_at IS NULL AND attempts > 0) AS retrying_count
          FROM ${table}
        ) c
        LEFT JOIN LATERAL (
          (SELECT 'failed' AS kind, * FROM ${table} WHERE failed_at IS NOT NULL ORDER BY failed_at DESC, seq DESC LIMIT $1)
          UNION ALL
          (SELECT 'retrying' AS kind, * FROM ${table} WHERE failed_at IS NULL AND attempts > 0 ORDER BY due_at, seq LIMIT $2)
        ) f ON true`,
    },
    drained: {
      name: 'queue_drained',
      text: `WITH forget AS (DELETE FROM ${schema}.sync_drained WHERE minute < $2)
        INSERT INTO ${schema}.sync_drained AS d (minute, items) VALUES ($1, 1)
        ON CONFLICT (minute) DO UPDATE SET items = d.items + 1`,
    },
    drainedSince: { name: 'queue_drained_since', text: `SELECT sum(items) AS items, min(minute) AS first FROM ${schema}.sync_drained WHERE minute >= $1` },
  };

  async function enqueueIn(sql: Sql, targets: readonly SyncTarget[], context: EnqueueContext): Promise<void> {
    if (targets.length === 0) return;
    await sql.run(s.enqueue, [
      targets.map((target) => target.resourceType), targets.map((target) => target.resourceId),
      context.at, context.dueAt, context.requestId,
    ]);
  }

  function key(item: SyncItem, owner: string): [SyncResourceType, string, string] {
    return [item.resourceType, item.resourceId, owner];
  }

  return {
    enqueueIn,

    enqueue: (targets, context) => enqueueIn(db, targets, context),

    async lease(options) {
      if (options.limit === 0) return [];
      const rows = await db.rows<Row>(s.lease, [options.now, options.limit, options.owner, options.leaseUntil]);
      return rows.map(queueRowOf).sort(leaseOrder).map(syncItemOf);
    },

    async complete(item, owner) {
      await db.run(s.complete, [...key(item, owner), item.generation]);
    },

    async defer(item, owner, outcome) {
      await db.run(s.defer, [...key(item, owner), outcome.error, outcome.dueAt]);
    },

    async fail(item, owner, outcome) {
      await db.run(s.fail, [...key(item, owner), item.generation, outcome.reason, outcome.at]);
    },

    retryFailed: (dueAt) => db.run(s.retryFailed, [dueAt]),

    async renew(item, owner, leaseUntil) {
      return (await db.run(s.renew, [...key(item, owner), leaseUntil])) === 1;
    },

    async releaseLeases(owner) {
      await db.run(s.releaseOwner, [owner]);
    },

    async workOf(targets) {
      const rows = await db.rows<Row>(s.workOf, [targets.map((t) => t.resourceType), targets.map((t) => t.resourceId)]);
      return rows.map((row) => workStateOf(queueRowOf(row)));
    },

    releaseAll: () => db.run(s.releaseAll),

    async stats(failedLimit, retryingLimit) {
      const rows = await db.rows<StatsRow>(s.stats, [failedLimit, retryingLimit]);
      const [first] = rows;
      const listed = (kind: 'failed' | 'retrying') => rows.flatMap((row) => (row.seq !== null && row.kind === kind ? [queueRowOf(row)] : []));
      return {
        depth: Number(first?.depth ?? 0),
        oldestEnqueuedAt: first?.oldest ?? null,
        failedCount: Number(first?.failed_count ?? 0),
        failed: listed('failed').map(failedItemOf),
        retryingCount: Number(first?.retrying_count ?? 0),
        retrying: listed('retrying').map(retryingItemOf),
      };
    },

    async drained(minute, forgetBefore) {
      await db.run(s.drained, [minute, forgetBefore]);
    },

    async drainedSince(fromMinute) {
      const [row] = await db.rows<{ items: string | null; first: string | null }>(s.drainedSince, [fromMinute]);
      return { items: Number(row?.items ?? 0), from: row?.first ?? null };
    },
  };
}

function queueRowOf(row: Row): QueueRow {
  return { ...row, seq: Number(row.seq) };
}

/** Lease order: earliest dueAt, then earliest firstEnqueuedAt, then the older row (ISO text compares as time). */
function leaseOrder(a: QueueRow, b: QueueRow): number {
  if (a.dueAt !== b.dueAt) return a.dueAt < b.dueAt ? -1 : 1;
  if (a.firstEnqueuedAt !== b.firstEnqueuedAt) return a.firstEnqueuedAt < b.firstEnqueuedAt ? -1 : 1;
  return a.seq - b.seq;
}
