// Decides what a failed sync attempt means: transient (retry with capped backoff, for as long as it
// takes) or permanent (stop, record the reason, stay visible until the resource changes or an
// operator retries); the reason names the Dynatrace call's cause and URL when one failed.
import { StoreError } from '../../ports/store.js';
import { UpstreamError, type UpstreamFailure } from '../../ports/upstream-error.js';

/** A failure that retrying cannot fix: a guard rail, a refused email, an unresolvable policy. */
export class PermanentSyncError extends Error {
  override readonly name = 'PermanentSyncError';
}

/** A failure that goes away by itself, reported by the sync's own steps (e.g. another replica holds a group's lock). */
export class TransientSyncError extends Error {
  override readonly name = 'TransientSyncError';
}

export type SyncFailure = (
  | { readonly kind: 'transient'; readonly reason: string; readonly retryAfterMs: number | null; readonly slow: boolean }
  | { readonly kind: 'permanent'; readonly reason: string }
) & {
  /** Where the failing Dynatrace call went and why it failed, when one did. */
  readonly upstream?: UpstreamFailure;
};

export function classifySyncFailure(error: unknown): SyncFailure {
  if (error instanceof PermanentSyncError) return { kind: 'permanent', reason: error.message };
  if (error instanceof TransientSyncError) return { kind: 'transient', reason: error.message, retryAfterMs: null, slow: false };
  if (error instanceof UpstreamError) {
    // The cause and the URL when the adapter named them, e.g. "… unavailable — connection refused (ECONNREFUSED) at https://…".
    const { failure } = error;
    const reason = failure === null
      ? `${error.service} ${error.operation}: ${error.code}${error.status === null ? '' : ` (HTTP ${error.status})`}${error.upstreamMessage ? ` — ${error.upstreamMessage}` : ''}`
      : `${error.service} ${error.operation}: ${error.code} — ${failure.description} at ${failure.url}`;
    const upstream = failure === null ? {} : { upstream: failure };
    switch (error.code) {
      case 'throttled':
      case 'unavailable':
        return { kind: 'transient', reason, retryAfterMs: error.retryAfterMs, slow: false, ...upstream };
      case 'misconfigured':
        // An operator has to fix credentials or permissions; keep the work and retry slowly.
        return { kind: 'transient', reason, retryAfterMs: null, slow: true, ...upstream };
      default:
        return { kind: 'permanent', reason, ...upstream };
    }
  }
  if (error instanceof StoreError) return { kind: 'transient', reason: `store: ${error.code}`, retryAfterMs: null, slow: false };
  return { kind: 'permanent', reason: `internal error: ${error instanceof Error ? error.name : 'unknown'}` };
}

/** Exponential backoff from 1 s, doubling per attempt, capped (5 min; 15 min when slow), with jitter. */
export function backoffMs(attempts: number, failure: Extract<SyncFailure, { kind: 'transient' }>, random: () => number): number {
  const cap = failure.slow ? 900_000 : 300_000;
  const base = Math.min(cap, 1_000 * 2 ** Math.min(attempts, 20));
  const jittered = base / 2 + (base / 2) * random();
  return Math.max(jittered, failure.retryAfterMs ?? 0);
}
