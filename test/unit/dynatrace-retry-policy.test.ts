// Retry-After parsing (both RFC 9110 forms) and the bounded exponential backoff with jitter.
import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from '../../src/adapters/dynatrace/retry-after.js';
import { backoffDelayMs, defaultRetryPolicy, resolveRetryPolicy } from '../../src/adapters/dynatrace/retry-policy.js';

const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);

describe('Retry-After', () => {
  it('when it is delay-seconds, then it is that many seconds in ms', () => {
    expect(parseRetryAfter('120', NOW)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', NOW)).toBe(0);
  });

  it('when it is an HTTP-date, then it is the time until that date', () => {
    expect(parseRetryAfter(new Date(NOW + 45_000).toUTCString(), NOW)).toBe(45_000);
  });

  it('when the HTTP-date has passed, then the wait is zero', () => {
    expect(parseRetryAfter(new Date(NOW - 5_000).toUTCString(), NOW)).toBe(0);
  });

  it('when it is absent or garbage, then it is null', () => {
    for (const value of [null, undefined, '', '-3', '1.5', 'soon', '12 34']) expect(parseRetryAfter(value, NOW)).toBeNull();
  });
});

describe('backoff', () => {
  const policy = resolveRetryPolicy({ baseDelayMs: 1_000, maxDelayMs: 8_000 }, 'test');

  it('when retries go on, then delays grow exponentially and never pass maxDelayMs', () => {
    const high = [1, 2, 3, 4, 5, 6, 10, 20].map((n) => backoffDelayMs(policy, n, () => 1));
    expect(high).toEqual([1_000, 2_000, 4_000, 8_000, 8_000, 8_000, 8_000, 8_000]);
  });

  it('when jitter is drawn, then a delay stays within the upper half of its step', () => {
    for (const r of [0, 0.25, 0.5, 0.999]) {
      const d = backoffDelayMs(policy, 3, () => r);
      expect(d).toBeGreaterThanOrEqual(2_000);
      expect(d).toBeLessThanOrEqual(4_000);
    }
    expect(backoffDelayMs(policy, 3, () => 0)).toBe(2_000);
  });

  it('when a policy is misused, then TypeError', () => {
    expect(() => resolveRetryPolicy({ maxAttempts: 0 }, 'test')).toThrow(TypeError);
    expect(() => resolveRetryPolicy({ maxAttempts: 100 }, 'test')).toThrow(TypeError);
    expect(() => resolveRetryPolicy({ baseDelayMs: 10, maxDelayMs: 5 }, 'test')).toThrow(TypeError);
    expect(() => resolveRetryPolicy({ throttledDelayMs: Number.NaN }, 'test')).toThrow(TypeError);
    expect(resolveRetryPolicy(undefined, 'test')).toBe(defaultRetryPolicy);
  });
});
