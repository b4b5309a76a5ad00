// How often and how long the Dynatrace clients retry: bounded attempts, exponential backoff with
// jitter, `Retry-After` honoured up to a ceiling. Defaults follow Terraform/Monaco practice.

export interface RetryPolicy {
  /** Total HTTP attempts per call, the first included (1 = never retry). */
  readonly maxAttempts: number;
  /** First backoff delay; doubles per retry. */
  readonly baseDelayMs: number;
  /** Ceiling of one backoff delay. */
  readonly maxDelayMs: number;
  /** Wait after a 429 without `Retry-After` (Dynatrace's limit is per minute; Monaco waits 30 s). */
  readonly throttledDelayMs: number;
  /** A `Retry-After` longer than this is not waited for: the call fails `throttled`/`unavailable` with `retryAfterMs`. */
  readonly maxRetryAfterMs: number;
}

export const defaultRetryPolicy: RetryPolicy = Object.freeze({
  maxAttempts: 5,
  baseDelayMs: 1_000,
  maxDelayMs: 30_000,
  throttledDelayMs: 30_000,
  maxRetryAfterMs: 120_000,
});

/** Statuses retried for every call (the request was not processed, or may be repeated). */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);
/** Statuses retried for calls that are not idempotent (upstream said it did not process the request). */
export const RETRYABLE_STATUSES_UNSAFE: ReadonlySet<number> = new Set([429, 503]);

/**
 * Delay before retry number `retry` (1 = first retry): `min(max, base·2^(retry-1))`, then "equal jitter"
 * (uniform in its upper half), so the delay is never above `maxDelayMs` and never below half the step.
 */
export function backoffDelayMs(policy: RetryPolicy, retry: number, random: () => number): number {
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  const r = Math.min(1, Math.max(0, random()));
  return Math.round(step / 2 + (step / 2) * r);
}

/** Validates a partial policy over the defaults; TypeError on misuse. */
export function resolveRetryPolicy(input: Partial<RetryPolicy> | undefined, where: string): RetryPolicy {
  if (input === undefined) return defaultRetryPolicy;
  if (typeof input !== 'object' || input === null) throw new TypeError(`${where}: retry must be an object`);
  const policy: RetryPolicy = { ...defaultRetryPolicy, ...input };
  if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1 || policy.maxAttempts > 20) {
    throw new TypeError(`${where}: retry.maxAttempts must be an integer from 1 to 20`);
  }
  for (const key of ['baseDelayMs', 'maxDelayMs', 'throttledDelayMs', 'maxRetryAfterMs'] as const) {
    const v = policy[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new TypeError(`${where}: retry.${key} must be a finite number >= 0`);
  }
  if (policy.maxDelayMs < policy.baseDelayMs) throw new TypeError(`${where}: retry.maxDelayMs must be >= retry.baseDelayMs`);
  return Object.freeze(policy);
}
