// The sync worker: drains the durable queue in `concurrency` lanes, each leasing one resource at a
// time (so one user's work never runs twice at once) for a short lease it renews while it works (so a
// dead worker's items are free again soon), syncing it, and completing, deferring with
// capped backoff (transient failures, for as long as it takes) or failing it (permanent ones). On
// shutdown it takes no new items, lets the current ones finish, and gives up on those whose wait the
// stop signal abandoned (a rate-budget wait): their leases are released, not deferred or failed —
// syncs are level-triggered, so such an item is simply applied again later.
import type { SyncObserver } from '../../ports/observer.js';
import { noopObserver } from '../../ports/observer.js';
import type { SyncItem } from '../../ports/sync-queue.js';
import { renewWhile } from '../renewal.js';
import type { SyncContext } from './sync-context.js';
import { backoffMs, classifySyncFailure } from './sync-failure.js';
import { syncGroup } from './group-sync.js';
import { syncUser } from './user-sync.js';

/** What the worker logs through; pino's Logger fits. */
export interface SyncLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface SyncWorkerOptions {
  readonly context: SyncContext;
  /** This process's name in leases (a replica id). */
  readonly owner: string;
  readonly concurrency: number;
  /** How long a lease lasts, renewed every third of it while the item is worked: a worker that dies mid-item loses it after this. */
  readonly leaseMs: number;
  /** How long an idle lane waits before looking again. */
  readonly pollMs: number;
  readonly random: () => number;
  readonly log: SyncLogger;
  /** How long stop() waits by default for the lanes' current items before releasing their leases anyway. */
  readonly stopTimeoutMs: number;
  /**
   * Aborted when the process shuts down; the Dynatrace clients' waits (rate budget, retry pauses) then
   * reject with its reason, and an item failing with that reason is released instead of deferred.
   */
  readonly stopSignal?: AbortSignal;
  /** Told what became of each item (metrics); default: nobody. */
  readonly observer?: SyncObserver;
}

/** What stop() left undone (counts only). */
export interface SyncWorkerStopReport {
  /** Items still being processed when the timeout passed (their leases were released anyway). */
  readonly unfinished: number;
  /** Items given up because the stop signal abandoned their wait; released, to be applied later. */
  readonly abandoned: number;
}

export interface SyncWorker {
  start(): void;
  /**
   * Takes no new items, lets each lane finish its current one (at most `timeoutMs`, default
   * stopTimeoutMs), then releases this owner's leases.
   */
  stop(options?: { readonly timeoutMs?: number }): Promise<SyncWorkerStopReport>;
  /** Processes due items until none is left (or `maxItems`); returns how many were processed. */
  drain(options?: { readonly maxItems?: number }): Promise<number>;
}

export function createSyncWorker(options: SyncWorkerOptions): SyncWorker {
  const { context, owner, log } = options;
  const observer = options.observer ?? noopObserver;
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1) throw new TypeError('createSyncWorker: concurrency must be a positive integer');
  if (!(options.leaseMs > 0) || !(options.pollMs > 0)) throw new TypeError('createSyncWorker: leaseMs and pollMs must be positive');
  const { store } = context;
  const { stopSignal } = options;
  let stopping = false;
  let lanes: Promise<void>[] = [];
  /** Items being processed now, and items given up since the last start. */
  let busy = 0;
  let abandoned = 0;
  const sleepers = new Set<() => void>();

  const leaseEnd = (): string => new Date(context.now().getTime() + options.leaseMs).toISOString();

  async function leaseOne(): Promise<SyncItem | undefined> {
    const [item] = await store.leaseSyncWork({ now: context.now().toISOString(), limit: 1, leaseUntil: leaseEnd(), owner });
    return item;
  }

  /** Counts an item that left the queue, for the drain rate (a count the store cannot take is skipped). */
  async function drained(): Promise<void> {
    await store.recordSyncDrained(context.now().toISOString()).catch(() => undefined);
  }

  /** Renews the item's lease; one lost (this worker stalled past it and another took the item) is logged, the work goes on. */
  async function renew(item: SyncItem): Promise<void> {
    if (await store.renewSyncLease(item, owner, leaseEnd())) return;
    log.warn({ resourceType: item.resourceType, resourceId: item.resourceId }, 'sync lease lost while working: another worker may apply this item too');
  }

  async function process(item: SyncItem): Promise<void> {
    busy += 1;
    try {
      await renewWhile(options.leaseMs / 3, () => renew(item), () => (item.resourceType === 'User' ? syncUser(context, item) : syncGroup(context, item)));
      await store.completeSyncWork(item, owner);
      await drained();
      observer.syncProcessed({ resourceType: item.resourceType, outcome: 'completed' });
    } catch (error) {
      if (stopSignal?.aborted === true && error === stopSignal.reason) {
        // Left leased until stop() releases this owner's leases: another lane may still be busy.
        abandoned += 1;
        return;
      }
      const failure = classifySyncFailure(error);
      const where = failure.upstream === undefined ? {} : { url: failure.upstream.url, cause: failure.upstream.kind };
      const fields = { resourceType: item.resourceType, resourceId: item.resourceId, attempts: item.attempts + 1, reason: failure.reason, ...where };
      if (failure.kind === 'transient') {
        const delay = backoffMs(item.attempts, failure, options.random);
        log.warn({ ...fields, retryInMs: Math.round(delay) }, 'sync failed; will retry');
        await store.deferSyncWork(item, owner, { dueAt: new Date(context.now().getTime() + delay).toISOString(), error: failure.reason });
        observer.syncProcessed({ resourceType: item.resourceType, outcome: 'deferred' });
      } else {
        log.error(fields, 'sync failed permanently; kept for an operator');
        await store.failSyncWork(item, owner, { at: context.now().toISOString(), reason: failure.reason });
        await drained();
        observer.syncProcessed({ resourceType: item.resourceType, outcome: 'failed' });
      }
    } finally {
      busy -= 1;
    }
  }

  /** Waits `pollMs`, or less when stop() is called. */
  function idle(): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, options.pollMs);
      sleepers.add(done);
    });
  }

  async function lane(): Promise<void> {
    while (!stopping && stopSignal?.aborted !== true) {
      try {
        const item = await leaseOne();
        if (item === undefined) await idle();
        else await process(item);
      } catch (error) {
        log.error({ err: error }, 'sync lane error; pausing');
        await idle();
      }
    }
  }

  return {
    start() {
      if (lanes.length > 0) return;
      stopping = false;
      abandoned = 0;
      lanes = Array.from({ length: options.concurrency }, () => lane());
    },
    async stop(stopOptions = {}) {
      stopping = true;
      for (const wake of [...sleepers]) wake();
      // A lane may be waiting for the rate budget (up to a minute) with no stop signal to end the
      // wait, or on a slow answer: wait a bounded time, then release the leases anyway. Its item is
      // simply applied again later — syncs are idempotent.
      let timer: NodeJS.Timeout | undefined;
      const bounded = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, stopOptions.timeoutMs ?? options.stopTimeoutMs);
      });
      await Promise.race([Promise.all(lanes), bounded]);
      clearTimeout(timer);
      const report: SyncWorkerStopReport = { unfinished: busy, abandoned };
      lanes = [];
      await store.releaseSyncLeases(owner);
      return report;
    },
    async drain(drainOptions = {}) {
      const maxItems = drainOptions.maxItems ?? 100_000;
      let processed = 0;
      while (processed < maxItems) {
        const batch: SyncItem[] = [];
        for (let i = 0; i < options.concurrency && processed + batch.length < maxItems; i++) {
          const item = await leaseOne();
          if (item === undefined) break;
          batch.push(item);
        }
        if (batch.length === 0) break;
        await Promise.all(batch.map(process));
        processed += batch.length;
      }
      return processed;
    },
  };
}
