// The reconciles this process ran: runs one, and keeps the last report for /admin/status and the
// console (each replica keeps its own; the store's locks keep two from running at once).
import type { ReconcileOptions, ReconcileReport } from './reconcile.js';

export interface ReconcileRecord {
  run(options: ReconcileOptions): Promise<ReconcileReport>;
  /** The last report, or null before the first reconcile. */
  last(): ReconcileReport | null;
}

export function createReconcileRecord(reconcile: (options: ReconcileOptions) => Promise<ReconcileReport>): ReconcileRecord {
  let last: ReconcileReport | null = null;
  return {
    async run(options) {
      last = await reconcile(options);
      return last;
    },
    last: () => last,
  };
}
