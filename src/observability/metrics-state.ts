// Scrape-time gauges: the sync queue (depth, age of the oldest pending item, permanently failed and
// retrying items — one store call per scrape, shared by them — and the drain rate, one more), readiness
// (one check per scrape, shared by its two gauges) and whether each Dynatrace service is reached. Each
// store read is bounded by a timeout; on a failure or timeout the queue gauges keep their last values
// and scim_bridge_readiness{check="store"} shows the store is the problem.
import { Gauge, type Registry } from 'prom-client';
import type { SyncQueueStats } from '../ports/sync-queue.js';
import { READINESS_CHECKS, type Readiness, type ReadinessReport } from './readiness.js';

type QueueCounts = Pick<SyncQueueStats, 'depth' | 'oldestEnqueuedAt' | 'failedCount' | 'retryingCount'>;

export interface StateSources {
  /** The queue's counts (Store.syncQueueStats with failedLimit 0). */
  readonly queueStats: () => Promise<QueueCounts>;
  /** Items drained per minute (core/drain-rate.ts). */
  readonly drainPerMinute: () => Promise<number>;
  /** Whether each Dynatrace service is reached now (null: not tried yet). */
  readonly upstreamReachable: () => Readonly<Record<string, boolean | null>>;
  readonly readiness: Readiness;
  readonly now: () => Date;
  /** Longest wait for the queue's counts. */
  readonly timeoutMs: number;
}

export function registerStateGauges(registry: Registry, sources: StateSources): void {
  const registers = [registry];
  const queue = perScrape(() => withTimeout(sources.queueStats(), sources.timeoutMs));
  const readiness = perScrape(() => sources.readiness.check());

  const counts: ReadonlyArray<readonly [name: string, help: string, count: (stats: QueueCounts) => number]> = [
    ['scim_bridge_sync_queue_depth', 'Sync queue items pending (leased or not; permanently failed ones excluded).', (stats) => stats.depth],
    ['scim_bridge_sync_failed_items', 'Sync queue items failed permanently, kept until the resource changes or an operator retries them.', (stats) => stats.failedCount],
    ['scim_bridge_sync_retrying_items', 'Sync queue items pending after a transient failure (attempts > 0), retried with backoff.', (stats) => stats.retryingCount],
  ];
  for (const [name, help, count] of counts) {
    new Gauge({
      name,
      help,
      registers,
      async collect() {
        const stats = await queue();
        if (stats !== null) this.set(count(stats));
      },
    });
  }
  new Gauge({
    name: 'scim_bridge_sync_queue_oldest_age_seconds',
    help: 'Age of the oldest pending sync queue item (0 when the queue is empty).',
    registers,
    async collect() {
      const stats = await queue();
      if (stats === null) return;
      const oldest = stats.oldestEnqueuedAt === null ? null : Date.parse(stats.oldestEnqueuedAt);
      this.set(oldest === null ? 0 : Math.max(0, (sources.now().getTime() - oldest) / 1000));
    },
  });
  new Gauge({
    name: 'scim_bridge_sync_drained_per_minute',
    help: 'Sync queue items completed or failed per minute over the last 5 minutes, by every replica sharing the store.',
    registers,
    async collect() {
      const perMinute = await withTimeout(sources.drainPerMinute(), sources.timeoutMs).catch(() => null);
      if (perMinute !== null) this.set(perMinute);
    },
  });
  new Gauge({
    name: 'scim_bridge_upstream_reachable',
    help: "1 when this process's latest attempt to the Dynatrace service got a usable answer, 0 when it got none (absent before the first attempt).",
    labelNames: ['service'] as const,
    registers,
    collect() {
      for (const [service, reachable] of Object.entries(sources.upstreamReachable())) if (reachable !== null) this.set({ service }, reachable ? 1 : 0);
    },
  });
  new Gauge({
    name: 'scim_bridge_ready',
    help: '1 when /readyz would answer 200, else 0.',
    registers,
    async collect() {
      this.set((await readiness())?.ready === true ? 1 : 0);
    },
  });
  new Gauge({
    name: 'scim_bridge_readiness',
    help: 'Each readiness check: 1 when ok, else 0 (store, dynatrace, mapping).',
    labelNames: ['check'] as const,
    registers,
    async collect() {
      const report: ReadinessReport | null = await readiness();
      for (const check of READINESS_CHECKS) this.set({ check }, report?.checks[check] === 'ok' ? 1 : 0);
    },
  });
}

/**
 * `load`, called once for all collectors of one scrape (they run together); a concurrent scrape
 * shares it too. A failure reads as null.
 */
function perScrape<T>(load: () => Promise<T>): () => Promise<T | null> {
  let running: Promise<T | null> | null = null;
  return () => {
    running ??= Promise.resolve()
      .then(load)
      .catch(() => null)
      .finally(() => {
        running = null;
      });
    return running;
  };
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
