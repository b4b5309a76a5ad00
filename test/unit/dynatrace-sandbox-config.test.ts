// parseSandboxEnv: documented defaults, and every invalid variable reported at once.
import { describe, expect, it } from 'vitest';
import { parseSandboxEnv } from '../../src/sandbox/index.js';

describe('parseSandboxEnv', () => {
  it('when nothing is set, then the documented defaults apply', () => {
    const result = parseSandboxEnv({});
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.options).toMatchObject({
      host: '127.0.0.1',
      port: 8090,
      accountUuid: '00000000-0000-4000-a000-000000000001',
      clientId: 'dt0s02.SANDBOXCLIENT00000000000',
      davisToken: 'sandbox-davis-token',
      tokenTtlSeconds: 300,
      responseStyle: 'observed',
      faults: {
        rateLimitPerMinute: 200,
        errorRate: 0,
        errorStatuses: [502, 503, 504],
        latencyMs: 0,
        refusedEmails: [],
        retryAfter: 'seconds',
        duplicateUserAnswer: 409,
        environmentsV3: true,
        davisDeleteAnswer: 204,
        davisUpdateIgnored: false,
      },
    });
    expect(result.options.seed).toBeUndefined();
  });

  it('when variables are set, then they are used', () => {
    const result = parseSandboxEnv({
      SANDBOX_PORT: '0',
      SANDBOX_HOST: '0.0.0.0',
      SANDBOX_RATE_LIMIT_PER_MINUTE: 'off',
      SANDBOX_ERROR_RATE: '0.25',
      SANDBOX_LATENCY_MS: '150',
      SANDBOX_REFUSED_EMAILS: 'Bad@Example.com, evil@example.org',
      SANDBOX_RETRY_AFTER: 'http-date',
      SANDBOX_SEED: 'empty',
      SANDBOX_DUPLICATE_USER_ANSWER: '201',
      SANDBOX_ENVIRONMENTS_V3: 'off',
      SANDBOX_DAVIS_DELETE_ANSWER: '405',
      SANDBOX_DAVIS_UPDATE_IGNORED: 'on',
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.options).toMatchObject({ port: 0, host: '0.0.0.0', seed: {} });
    expect(result.options.faults).toMatchObject({ rateLimitPerMinute: null, errorRate: 0.25, latencyMs: 150, refusedEmails: ['bad@example.com', 'evil@example.org'], retryAfter: 'http-date' });
    expect(result.options.faults).toMatchObject({ duplicateUserAnswer: 201, environmentsV3: false, davisDeleteAnswer: 405, davisUpdateIgnored: true });
  });

  it('when several variables are invalid, then every one is reported', () => {
    const result = parseSandboxEnv({
      SANDBOX_PORT: '70000',
      SANDBOX_ACCOUNT_UUID: 'not-a-uuid',
      SANDBOX_ERROR_RATE: '2',
      SANDBOX_ERROR_STATUSES: '404',
      SANDBOX_LATENCY_MS: '-1',
      SANDBOX_RETRY_AFTER: 'minutes',
      SANDBOX_CLIENT_SECRET: 'has space',
      SANDBOX_REFUSED_EMAILS: 'nobody',
      SANDBOX_DUPLICATE_USER_ANSWER: '200',
      SANDBOX_DAVIS_DELETE_ANSWER: '500',
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const named = ['SANDBOX_PORT', 'SANDBOX_ACCOUNT_UUID', 'SANDBOX_ERROR_RATE', 'SANDBOX_ERROR_STATUSES', 'SANDBOX_LATENCY_MS', 'SANDBOX_RETRY_AFTER', 'SANDBOX_CLIENT_SECRET', 'SANDBOX_REFUSED_EMAILS', 'SANDBOX_DUPLICATE_USER_ANSWER', 'SANDBOX_DAVIS_DELETE_ANSWER'];
    for (const name of named) expect(result.errors.some((e) => e.startsWith(name))).toBe(true);
    expect(result.errors).toHaveLength(named.length);
  });
});
