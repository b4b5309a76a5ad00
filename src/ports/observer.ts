// What the bridge tells about its own work, for metrics: each upstream HTTP attempt, its retries
// and its waits for the rate budget (the Dynatrace adapters), and each sync outcome and reconcile
// run (the core). Every value is a number or from a closed set — never an email, id, name or token.
// Implementations are cheap and never throw; noopObserver stands in where nothing is wired.
import type { SyncResourceType } from './sync-queue.js';
import type { UpstreamFailure, UpstreamService } from './upstream-error.js';

/** The HTTP status upstream answered, or why there was no answer. */
export type UpstreamAttemptStatus = number | 'timeout' | 'network_error';

/** Why an upstream call is tried again. */
export type UpstreamRetryReason = 'throttled' | 'server_error' | 'timeout' | 'network_error' | 'token_refresh';

export interface UpstreamObserver {
  /** One HTTP attempt ended; `operation` is the adapter's fixed name for the call (e.g. `getUser`). */
  upstreamAttempt(attempt: { readonly service: UpstreamService; readonly operation: string; readonly status: UpstreamAttemptStatus; readonly seconds: number }): void;
  /** The call is tried again after a failed attempt. */
  upstreamRetry(retry: { readonly service: UpstreamService; readonly operation: string; readonly reason: UpstreamRetryReason }): void;
  /** How long one attempt waited for the account's rate budget (0 when a slot was free). */
  rateBudgetWait(wait: { readonly service: UpstreamService; readonly seconds: number }): void;
  /**
   * An attempt reached no one or was refused as a whole: no HTTP answer, a 5xx, a 401 or a 403 — why,
   * and where (the URL may name an email: metrics keep only `failure.kind`).
   */
  upstreamFailure(failure: { readonly service: UpstreamService; readonly operation: string; readonly failure: UpstreamFailure }): void;
}

/** What became of a leased sync item: applied, deferred after a transient failure, or failed permanently. */
export type SyncOutcome = 'completed' | 'deferred' | 'failed';

export interface SyncObserver {
  syncProcessed(item: { readonly resourceType: SyncResourceType; readonly outcome: SyncOutcome }): void;
  /** A reconcile ran; `findings` counts them by kind (the core's closed set), empty when it failed. */
  reconcileRun(run: { readonly outcome: 'completed' | 'failed'; readonly findings: Readonly<Record<string, number>> }): void;
}

export interface BridgeObserver extends UpstreamObserver, SyncObserver {}

export const noopObserver: BridgeObserver = Object.freeze({
  upstreamAttempt: () => undefined,
  upstreamRetry: () => undefined,
  rateBudgetWait: () => undefined,
  upstreamFailure: () => undefined,
  syncProcessed: () => undefined,
  reconcileRun: () => undefined,
});

/** One upstream observer that tells each of `observers` everything, in order (metrics and the health report). */
export function teeObserver(...observers: readonly UpstreamObserver[]): UpstreamObserver {
  const tell = <K extends keyof UpstreamObserver>(method: K) =>
    ((event: never) => {
      for (const observer of observers) (observer[method] as (event: never) => void)(event);
    }) as UpstreamObserver[K];
  return {
    upstreamAttempt: tell('upstreamAttempt'),
    upstreamRetry: tell('upstreamRetry'),
    rateBudgetWait: tell('rateBudgetWait'),
    upstreamFailure: tell('upstreamFailure'),
  };
}
