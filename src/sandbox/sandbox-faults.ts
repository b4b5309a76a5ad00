// Fault injection for the sandbox: a per-minute rate limit answered with 429 + Retry-After, a
// random 5xx rate, added latency, emails it refuses, and the plausible answers where Dynatrace
// documents none (a duplicate invitation, a missing environments v3, Davis Assistant writes that do
// nothing). Settable by options, env and at run time.

export interface SandboxFaults {
  /** Requests per sliding minute per account (and separately for Davis Assistant); null = unlimited. Default 200 (Dynatrace's documented limit). */
  readonly rateLimitPerMinute: number | null;
  /** Share of requests answered with a random status of `errorStatuses`, from 0 to 1. Default 0. */
  readonly errorRate: number;
  /** Default [502, 503, 504]. */
  readonly errorStatuses: readonly number[];
  /** Wall-clock delay added before every answer. Default 0. */
  readonly latencyMs: number;
  /** Emails (lower-case) whose invitation is refused with 400. */
  readonly refusedEmails: readonly string[];
  /** Form of `Retry-After` on 429: delay-seconds (default) or an HTTP-date. */
  readonly retryAfter: 'seconds' | 'http-date';
  /** The answer to inviting an existing user (undocumented): 409 (default), 400 "already exists", or 201 as if new. */
  readonly duplicateUserAnswer: 409 | 400 | 201;
  /** Whether `GET /env/v3/…/environments` is served (default true); false answers 404, as before v3 existed. */
  readonly environmentsV3: boolean;
  /** The answer to a Davis Assistant delete: 204 deletes (default); 404 or 405 answer so and keep the user. */
  readonly davisDeleteAnswer: 204 | 404 | 405;
  /** Davis Assistant updates answer 200 without changing anything. Default false. */
  readonly davisUpdateIgnored: boolean;
}

export const defaultSandboxFaults: SandboxFaults = Object.freeze({
  rateLimitPerMinute: 200,
  errorRate: 0,
  errorStatuses: Object.freeze([502, 503, 504]),
  latencyMs: 0,
  refusedEmails: Object.freeze([]),
  retryAfter: 'seconds',
  duplicateUserAnswer: 409,
  environmentsV3: true,
  davisDeleteAnswer: 204,
  davisUpdateIgnored: false,
});

/** TypeError unless every field is in range. */
export function validateFaults(f: SandboxFaults, where: string): SandboxFaults {
  if (f.rateLimitPerMinute !== null && (!Number.isInteger(f.rateLimitPerMinute) || f.rateLimitPerMinute < 1)) {
    throw new TypeError(`${where}: faults.rateLimitPerMinute must be a positive integer or null`);
  }
  if (typeof f.errorRate !== 'number' || !(f.errorRate >= 0 && f.errorRate <= 1)) throw new TypeError(`${where}: faults.errorRate must be from 0 to 1`);
  if (!Array.isArray(f.errorStatuses) || f.errorStatuses.length === 0 || f.errorStatuses.some((s) => !Number.isInteger(s) || s < 500 || s > 599)) {
    throw new TypeError(`${where}: faults.errorStatuses must be a non-empty list of 5xx statuses`);
  }
  if (typeof f.latencyMs !== 'number' || !Number.isFinite(f.latencyMs) || f.latencyMs < 0) throw new TypeError(`${where}: faults.latencyMs must be >= 0`);
  if (!Array.isArray(f.refusedEmails) || f.refusedEmails.some((e) => typeof e !== 'string')) throw new TypeError(`${where}: faults.refusedEmails must be strings`);
  if (f.retryAfter !== 'seconds' && f.retryAfter !== 'http-date') throw new TypeError(`${where}: faults.retryAfter must be seconds or http-date`);
  if (![409, 400, 201].includes(f.duplicateUserAnswer)) throw new TypeError(`${where}: faults.duplicateUserAnswer must be 409, 400 or 201`);
  if (typeof f.environmentsV3 !== 'boolean') throw new TypeError(`${where}: faults.environmentsV3 must be a boolean`);
  if (![204, 404, 405].includes(f.davisDeleteAnswer)) throw new TypeError(`${where}: faults.davisDeleteAnswer must be 204, 404 or 405`);
  if (typeof f.davisUpdateIgnored !== 'boolean') throw new TypeError(`${where}: faults.davisUpdateIgnored must be a boolean`);
  return { ...f, refusedEmails: f.refusedEmails.map((e) => e.toLowerCase()) };
}

/**
 * Sliding-window limiter: a request is admitted when fewer than `limit` admitted requests fall in the
 * last 60 s (half-open window (now − 60 s, now]); refused ones do not count. Returns the wait until
 * the oldest admitted request leaves the window.
 */
export class SlidingWindowLimiter {
  private readonly windows = new Map<string, number[]>();

  constructor(private readonly windowMs = 60_000) {}

  admit(key: string, limit: number, now: number): { readonly admitted: true } | { readonly admitted: false; readonly retryAfterMs: number } {
    const times = this.windows.get(key) ?? [];
    let drop = 0;
    while (drop < times.length && (times[drop] ?? 0) <= now - this.windowMs) drop += 1;
    if (drop > 0) times.splice(0, drop);
    if (times.length >= limit) {
      const oldest = times[times.length - limit] ?? now;
      return { admitted: false, retryAfterMs: Math.max(1, oldest + this.windowMs - now) };
    }
    times.push(now);
    this.windows.set(key, times);
    return { admitted: true };
  }
}
