// Graceful shutdown on SIGTERM/SIGINT, bounded by SHUTDOWN_TIMEOUT_MS: /readyz turns to draining, the
// HTTP server stops accepting and finishes its in-flight requests while the sync worker finishes its
// current items (waits for the Dynatrace rate budget are abandoned, their items released); then the
// store, the upstream and the metrics listener close and the logger is flushed. Past the deadline,
// what was cut short is logged (counts only) and the exit code is 1; a second signal exits at once.
import type { SyncWorker } from './core/sync/sync-worker.js';
import type { ServerDrain } from './http/server-drain.js';
import type { Logger } from './observability/logger.js';
import type { Readiness } from './observability/readiness.js';

export interface ShutdownParts {
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error' | 'flush'>;
  readonly readiness: Pick<Readiness, 'drain'>;
  readonly http: ServerDrain;
  readonly worker: Pick<SyncWorker, 'stop'>;
  /** Aborted as shutdown begins: the Dynatrace clients stop waiting for their rate budget and retries. */
  readonly stopping: AbortController;
  /** Stops what would start new work (the periodic reconcile). */
  readonly stopSchedules: () => void;
  readonly store: { close(): Promise<void> };
  readonly upstream: { close(): Promise<void> };
  /** The separate metrics listener, closed last so scrapes keep working; null when there is none. */
  readonly metricsServer: { close(): Promise<void> } | null;
  /** The SQLite data directory's lock, freed once the store is closed; null on PostgreSQL. */
  readonly dataDirLock?: { release(): void } | null;
  readonly timeoutMs: number;
  /** Monotonic milliseconds; default performance.now. */
  readonly now?: () => number;
}

export interface ShutdownOutcome {
  /** 0 when every step finished in time, 1 when the deadline cut one short or one failed. */
  readonly exitCode: 0 | 1;
  /** The steps that did not finish in time, in order. */
  readonly cutShort: readonly string[];
}

/** Why the Dynatrace clients' waits end: the abort reason, never reported as an upstream failure. */
class ShutdownAbort extends Error {
  override readonly name = 'ShutdownAbort';
}

/**
 * The share of the timeout (at most LEASE_RELEASE_RESERVE_MS) the worker's wait leaves, so that its
 * leases are released and the store closed before the deadline even when an item does not finish.
 */
const LEASE_RELEASE_RESERVE_SHARE = 0.1;
const LEASE_RELEASE_RESERVE_MS = 2_000;

type StepResult = 'done' | 'late' | 'failed';

export async function shutDown(parts: ShutdownParts, signal: string): Promise<ShutdownOutcome> {
  const { logger, http, timeoutMs } = parts;
  const now = parts.now ?? (() => performance.now());
  const deadline = now() + timeoutMs;
  const cutShort: string[] = [];
  let failed = false;

  /** Waits for a step until the deadline; a step past it goes on unwatched. */
  async function step<T>(name: string, work: () => Promise<T>): Promise<{ result: StepResult; value?: T }> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<{ result: StepResult }>((resolve) => {
      timer = setTimeout(() => resolve({ result: 'late' }), Math.max(0, deadline - now()));
    });
    const finished = Promise.resolve()
      .then(work)
      .then(
        (value) => ({ result: 'done' as const, value }),
        (error: unknown) => {
          logger.error({ step: name, error: error instanceof Error ? error.name : 'unknown' }, 'shutdown step failed');
          return { result: 'failed' as const };
        },
      );
    const outcome = await Promise.race([finished, late]);
    clearTimeout(timer);
    if (outcome.result === 'late') cutShort.push(name);
    if (outcome.result === 'failed') failed = true;
    return outcome;
  }

  logger.info({ signal, timeoutMs }, 'shutting down: draining HTTP requests and the sync worker');
  parts.readiness.drain();
  parts.stopSchedules();
  const reserve = Math.min(LEASE_RELEASE_RESERVE_MS, timeoutMs * LEASE_RELEASE_RESERVE_SHARE);
  const [requests, sync] = await Promise.all([
    step('http requests', () => http.drain()),
    step('sync worker', () => {
      const stopped = parts.worker.stop({ timeoutMs: Math.max(0, deadline - now() - reserve) });
      parts.stopping.abort(new ShutdownAbort('the bridge is shutting down'));
      return stopped;
    }),
  ]);
  const requestsInFlight = requests.result === 'late' ? http.inFlight() : 0;
  if (requests.result === 'late') http.closeAll();
  const syncItemsUnfinished = sync.value?.unfinished ?? 0;
  if (syncItemsUnfinished > 0) cutShort.push('sync worker');
  const storeClosed = await step('store close', () => parts.store.close());
  // A store still closing keeps the directory until the process exits (the OS frees it then).
  if (storeClosed.result === 'done') parts.dataDirLock?.release();
  await step('upstream close', () => parts.upstream.close());
  const metricsServer = parts.metricsServer;
  if (metricsServer !== null) await step('metrics listener close', () => metricsServer.close());

  if (cutShort.length > 0) {
    logger.error({ timeoutMs, cutShort, requestsInFlight, syncItemsUnfinished }, 'shutdown deadline passed: exiting with work cut short');
  } else {
    logger.info({ syncItemsReleased: sync.value?.abandoned ?? 0 }, 'stopped');
  }
  await step('log flush', () => new Promise<void>((resolve, reject) => logger.flush((error) => (error ? reject(error) : resolve()))));
  return { exitCode: cutShort.length > 0 || failed ? 1 : 0, cutShort };
}

/**
 * The first SIGTERM or SIGINT starts `shutdown` and exits with its code; a second one exits at once
 * with 1 (an operator who does not want to wait).
 */
export function exitOnStopSignals(options: {
  readonly logger: Pick<Logger, 'warn'>;
  readonly shutdown: (signal: string) => Promise<ShutdownOutcome>;
  readonly exit: (code: number) => void;
  /** Where the signals come from; default the process. */
  readonly signals?: { on(signal: 'SIGTERM' | 'SIGINT', listener: (signal: string) => void): unknown };
}): void {
  const signals = options.signals ?? process;
  let started = false;
  const onSignal = (signal: string): void => {
    if (started) {
      options.logger.warn({ signal }, 'second stop signal: exiting at once');
      options.exit(1);
      return;
    }
    started = true;
    void options.shutdown(signal).then(
      (outcome) => options.exit(outcome.exitCode),
      () => options.exit(1),
    );
  };
  signals.on('SIGTERM', onSignal);
  signals.on('SIGINT', onSignal);
}
