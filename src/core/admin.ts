// What an operator can ask of the bridge: sync status (queue depth and age, failed items, rate-budget
// use, mapping problems, last reconcile), the audit log, retrying failed work, reloading the mapping,
// and reconciling with Dynatrace.
import type { StoredAuditEntry } from '../ports/audit-log.js';
import type { Store } from '../ports/store.js';
import type { FailedSyncItem } from '../ports/sync-queue.js';
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
  };
  readonly rateBudget: BudgetUsage;
  readonly mapping: { readonly problems: readonly string[] };
  readonly lastReconcile: ReconcileReport | null;
}

export interface AdminService {
  status(): Promise<SyncStatus>;
  audit(page: { offset: number; limit: number }): Promise<{ total: number; entries: StoredAuditEntry[] }>;
  retryFailed(): Promise<number>;
  reloadMapping(): Promise<{ problems: readonly string[] }>;
  reconcile(options: ReconcileOptions): Promise<ReconcileReport>;
}

export interface AdminServiceOptions {
  readonly store: Store;
  readonly dryRun: boolean;
  readonly now: () => Date;
  readonly budgetUsage: () => BudgetUsage;
  /** Problems of the mapping in force, as last checked against Dynatrace. */
  readonly mappingProblems: () => readonly string[];
  readonly reloadMapping: () => Promise<{ problems: readonly string[] }>;
  readonly reconcile: (options: ReconcileOptions) => Promise<ReconcileReport>;
  readonly lastReconcile: () => ReconcileReport | null;
}

const FAILED_SHOWN = 100;

export function createAdminService(options: AdminServiceOptions): AdminService {
  const { store, now } = options;
  return {
    async status() {
      const stats = await store.syncQueueStats({ failedLimit: FAILED_SHOWN });
      const oldest = stats.oldestEnqueuedAt === null ? null : Math.max(0, (now().getTime() - Date.parse(stats.oldestEnqueuedAt)) / 1000);
      return {
        dryRun: options.dryRun,
        queue: {
          depth: stats.depth,
          oldestEnqueuedAt: stats.oldestEnqueuedAt,
          oldestAgeSeconds: oldest === null ? null : Math.round(oldest),
          failedCount: stats.failedCount,
          failed: stats.failed,
        },
        rateBudget: options.budgetUsage(),
        mapping: { problems: options.mappingProblems() },
        lastReconcile: options.lastReconcile(),
      };
    },
    audit: (page) => store.listAudit(page),
    retryFailed: () => store.retryFailedSyncWork(now().toISOString()),
    reloadMapping: () => options.reloadMapping(),
    reconcile: (reconcileOptions) => options.reconcile(reconcileOptions),
  };
}
