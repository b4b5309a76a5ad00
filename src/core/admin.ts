// What an operator can ask of the bridge: sync status (queue depth and age, failed and retrying items,
// drain rate and time to an empty queue, rate-budget use, whether Dynatrace is reached and why not,
// mapping problems, last reconcile), the audit log, retrying failed work, reloading the mapping,
// and reconciling with Dynatrace — one reconcile at a time across every replica on the store (its
// locks), and the periodic one once per period across them.
import { randomUUID } from 'node:crypto';
import type { AuditLog, StoredAuditEntry } from '../ports/audit-log.js';
import type { SyncObserver } from '../ports/observer.js';
import { noopObserver } from '../ports/observer.js';
import type { LockStore } from '../ports/store.js';
import type { FailedSyncItem, RetryingSyncItem, SyncQueue } from '../ports/sync-queue.js';
import { drainOf, type Drain } from './drain-rate.js';
import { ProvisioningError } from './provisioning-error.js';
import { renewWhile } from './renewal.js';
import type { UpstreamHealthReport } from './upstream-health.js';
import type { ReconcileOptions, ReconcileReport } from './sync/reconcile.js';

export interface BudgetUsage {
  readonly limit: number;
  readonly windowMs: number;
  readonly used: number;
  readonly waiting: number;
  readonly pausedUntil: number | null;
}

export interface SyncStatus {
  readonly dryRun: boolean;
  readonly queue: {
    readonly depth: number;
    readonly oldestEnqueuedAt: string | null;
    readonly oldestAgeSeconds: number | null;
    readonly failedCount: number;
    readonly failed: readonly FailedSyncItem[];
    /** Pending items that failed transiently and are retried, and the first of them by next attempt. */
    readonly retryingCount: number;
    readonly retrying: readonly RetryingSyncItem[];
    /** Items drained per minute (every replica) and when the queue will be empty at that rate. */
    readonly drain: Drain;
  };
  readonly rateBudget: BudgetUsage;
  /** Whether this process reaches each Dynatrace service, and the last failure's URL and cause. */
  readonly upstream: UpstreamHealthReport;
  readonly mapping: { readonly problems: readonly string[] };
  readonly lastReconcile: ReconcileReport | null;
}

export interface AdminService {
  status(): Promise<SyncStatus>;
  audit(page: { offset: number; limit: number }): Promise<{ total: number; entries: StoredAuditEntry[] }>;
  retryFailed(): Promise<number>;
  reloadMapping(): Promise<{ problems: readonly string[] }>;
  /**
   * An on-demand reconcile. Rejects with ProvisioningError 'busy' (POST /admin/reconcile: 409)
   * while another reconcile runs, on this replica or on another one sharing the store.
   */
  reconcile(options: ReconcileOptions): Promise<ReconcileReport>;
  /**
   * The periodic reconcile (every `periodMs` on every replica): runs only when no replica has run
   * one within this period and none is running; resolves null when skipped.
   */
  reconcileOnSchedule(periodMs: number): Promise<ReconcileReport | null>;
}

/** The store locks (ports/store.ts LockStore) the reconcile takes. */
export const RECONCILE_LOCK = 'reconcile';
/** Held, never released, for 90 % of a period by the replica that runs that period's reconcile. */
export const RECONCILE_PERIOD_LOCK = 'reconcile-period';
/** A running reconcile's lock lasts this long (admin clock) and is renewed while it runs; a replica that dies frees it after this. */
export const RECONCILE_LOCK_MS = 10 * 60_000;

export interface AdminServiceOptions {
  /** The roles the operator's requests use: the queue's status and retries, the audit log, the reconcile locks. */
  readonly store: SyncQueue & AuditLog & LockStore;
  readonly dryRun: boolean;
  readonly now: () => Date;
  readonly budgetUsage: () => Promise<BudgetUsage>;
  readonly upstreamHealth: () => UpstreamHealthReport;
  /** Problems of the mapping in force, as last checked against Dynatrace. */
  readonly mappingProblems: () => readonly string[];
  readonly reloadMapping: () => Promise<{ problems: readonly string[] }>;
  readonly reconcile: (options: ReconcileOptions) => Promise<ReconcileReport>;
  readonly lastReconcile: () => ReconcileReport | null;
  /** This replica's name in the reconcile locks (default: a random id); each run adds its own suffix. */
  readonly replicaId?: string;
  /** How often (real time) a running reconcile renews its lock (default 60 s). */
  readonly lockRenewMs?: number;
  /** Told of every reconcile run and its findings (metrics); default: nobody. */
  readonly observer?: SyncObserver;
}

/** At most this many failed and retrying items are listed. */
const FAILED_SHOWN = 100;
const RETRYING_SHOWN = 100;

export function createAdminService(options: AdminServiceOptions): AdminService {
  const { store, now } = options;
  const replicaId = options.replicaId ?? `replica-${randomUUID().slice(0, 8)}`;
  const renewMs = options.lockRenewMs ?? 60_000;
  const observer = options.observer ?? noopObserver;

  /** One reconcile run, told to the observer whether it completes or fails. */
  async function runReconcile(reconcileOptions: ReconcileOptions): Promise<ReconcileReport> {
    try {
      const report = await options.reconcile(reconcileOptions);
      observer.reconcileRun({ outcome: 'completed', findings: report.counts });
      return report;
    } catch (error) {
      observer.reconcileRun({ outcome: 'failed', findings: {} });
      throw error;
    }
  }

  /** `work` holding the reconcile lock; null (nothing run) when another reconcile holds it. */
  async function exclusively<T>(work: () => Promise<T>): Promise<{ result: T } | null> {
    // Each run is its own owner: two reconciles of one replica exclude each other too.
    const owner = `${replicaId}:${randomUUID()}`;
    const lease = () => {
      const at = now();
      return { now: at.toISOString(), until: new Date(at.getTime() + RECONCILE_LOCK_MS).toISOString() };
    };
    if (!(await store.tryAcquireLock(RECONCILE_LOCK, owner, lease()))) return null;
    try {
      return { result: await renewWhile(renewMs, () => store.tryAcquireLock(RECONCILE_LOCK, owner, lease()), work) };
    } finally {
      // Not freed (the store is down): it expires after RECONCILE_LOCK_MS.
      await store.releaseLock(RECONCILE_LOCK, owner).catch(() => undefined);
    }
  }

  return {
    async status() {
      const at = now();
      const stats = await store.syncQueueStats({ failedLimit: FAILED_SHOWN, retryingLimit: RETRYING_SHOWN });
      const oldest = stats.oldestEnqueuedAt === null ? null : Math.max(0, (at.getTime() - Date.parse(stats.oldestEnqueuedAt)) / 1000);
      return {
        dryRun: options.dryRun,
        queue: {
          depth: stats.depth,
          oldestEnqueuedAt: stats.oldestEnqueuedAt,
          oldestAgeSeconds: oldest === null ? null : Math.round(oldest),
          failedCount: stats.failedCount,
          failed: stats.failed,
          retryingCount: stats.retryingCount,
          retrying: stats.retrying,
          drain: await drainOf(store, stats.depth, at),
        },
        rateBudget: await options.budgetUsage(),
        upstream: options.upstreamHealth(),
        mapping: { problems: options.mappingProblems() },
        lastReconcile: options.lastReconcile(),
      };
    },
    audit: (page) => store.listAudit(page),
    retryFailed: () => store.retryFailedSyncWork(now().toISOString()),
    reloadMapping: () => options.reloadMapping(),
    async reconcile(reconcileOptions) {
      const ran = await exclusively(() => runReconcile(reconcileOptions));
      if (ran === null) {
        throw new ProvisioningError('busy', 'another reconcile is running (on this or another replica); try again when it has finished');
      }
      return ran.result;
    },
    async reconcileOnSchedule(periodMs) {
      if (!Number.isSafeInteger(periodMs) || periodMs < 1) throw new TypeError('reconcileOnSchedule: periodMs must be a positive integer');
      const at = now();
      // Claimed for 90 % of the period, so this replica's next tick finds it free again while another
      // replica's tick within the period finds it taken.
      const claim = { now: at.toISOString(), until: new Date(at.getTime() + Math.max(1, Math.floor(periodMs * 0.9))).toISOString() };
      if (!(await store.tryAcquireLock(RECONCILE_PERIOD_LOCK, `${replicaId}:${randomUUID()}`, claim))) return null;
      const ran = await exclusively(() => runReconcile({ dryRun: false }));
      return ran === null ? null : ran.result;
    },
  };
}
