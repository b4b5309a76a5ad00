// Resilience shared by the Dynatrace clients, against the sandbox's fault injection: bounded retries
// with backoff and jitter, Retry-After in both forms, timeouts, network errors, and a rate budget
// that keeps the sandbox's 429s away. Time is virtual (no real sleeps) except for the timeout test.
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createAccountManagementClient, createRateBudget } from '../../src/adapters/dynatrace/index.js';
import { UpstreamError } from '../../src/ports/upstream-error.js';
import type { SandboxOptions } from '../../src/sandbox/index.js';
import { scriptedRandom } from '../helpers/sandbox-clock.js';
import type { TestSandbox } from '../helpers/sandbox-harness.js';
import { startTestSandbox, testRetry } from '../helpers/sandbox-harness.js';

async function upstreamFailure(promise: Promise<unknown>): Promise<UpstreamError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof UpstreamError) return error;
    throw error;
  }
  throw new Error('expected an UpstreamError');
}

describe('resilience against the sandbox', () => {
  let t: TestSandbox | null = null;
  const start = async (options: SandboxOptions = {}): Promise<TestSandbox> => {
    t = await startTestSandbox({ seed: {}, ...options });
    return t;
  };
  afterEach(async () => {
    await t?.stop();
    t = null;
  });

  it('when the API fails twice with 503, then the call is retried with growing backoff and succeeds', async () => {
    // With an error rate, the sandbox draws per request (below the rate: fail) and per failure (which status).
    const s = await start({ faults: { errorStatuses: [503] }, random: scriptedRandom([0.1, 0, 0.1, 0, 0.9], 0.9) });
    const provider = s.tokenProvider();
    await provider.getToken(); // no error rate yet: the token request draws nothing
    const api = s.accountClient({ tokenProvider: provider, random: () => 1 });
    s.sandbox.state.setFaults({ errorRate: 0.5 });
    await expect(api.listGroups()).resolves.toHaveLength(1);
    expect(s.requests('account-management').map((r) => r.status)).toEqual([503, 503, 200]);
    expect(s.clock.sleeps).toEqual([500, 1_000]);
  });

  it('when 502 and 504 persist, then attempts stop at maxAttempts with bounded delays and the call fails unavailable', async () => {
    const s = await start({ faults: { errorRate: 1, errorStatuses: [502, 504] } });
    const provider = s.tokenProvider();
    s.sandbox.state.setFaults({ errorRate: 0 });
    await provider.getToken();
    s.sandbox.state.setFaults({ errorRate: 1 });
    const api = s.accountClient({ tokenProvider: provider, retry: { ...testRetry, maxAttempts: 6, baseDelayMs: 1_000, maxDelayMs: 4_000 } });
    const error = await upstreamFailure(api.listUsers());
    expect(error.code).toBe('unavailable');
    expect([502, 504]).toContain(error.status);
    expect(error.attempts).toBe(6);
    expect(s.requests('account-management')).toHaveLength(6);
    expect(s.clock.sleeps).toHaveLength(5);
    s.clock.sleeps.forEach((ms, i) => {
      const step = Math.min(4_000, 1_000 * 2 ** i);
      expect(ms).toBeGreaterThanOrEqual(step / 2);
      expect(ms).toBeLessThanOrEqual(step);
    });
  });

  it('when the API answers 500, then it is not retried', async () => {
    const s = await start();
    const api = s.accountClient();
    await api.listGroups();
    s.sandbox.state.setFaults({ errorRate: 1, errorStatuses: [500] });
    expect(await upstreamFailure(api.listGroups())).toMatchObject({ code: 'unavailable', status: 500, attempts: 1 });
  });

  it('when a create meets 502, then it is not repeated (it may have been applied); when it meets 503, then it is', async () => {
    const s = await start();
    const api = s.accountClient();
    await api.listGroups();
    s.sandbox.state.setFaults({ errorRate: 1, errorStatuses: [502] });
    expect(await upstreamFailure(api.createGroup({ name: 'Maybe' }))).toMatchObject({ code: 'unavailable', status: 502, attempts: 1 });
    s.sandbox.state.setFaults({ errorStatuses: [503] });
    expect(await upstreamFailure(api.createUser('later@example.com'))).toMatchObject({ code: 'unavailable', status: 503, attempts: 4 });
  });

  it('when the sandbox throttles with Retry-After in seconds, then the client waits exactly that long and succeeds', async () => {
    const s = await start({ faults: { rateLimitPerMinute: 2, retryAfter: 'seconds' } });
    const api = s.accountClient({ requestsPerMinute: 1_000 });
    await api.listGroups();
    s.clock.advance(15_000);
    await api.listGroups();
    await api.listGroups(); // third in the minute: 429, Retry-After 45
    expect(s.requests('account-management').map((r) => r.status)).toEqual([200, 200, 429, 200]);
    expect(s.clock.sleeps).toEqual([45_000]);
  });

  it('when the sandbox throttles with Retry-After as an HTTP-date, then the client waits until that date and succeeds', async () => {
    const s = await start({ faults: { rateLimitPerMinute: 1, retryAfter: 'http-date' } });
    const api = s.accountClient({ requestsPerMinute: 1_000 });
    s.clock.advance(250);
    await api.listGroups(); // at 0.25 s: the window frees at 60.25 s
    s.clock.advance(20_000);
    await api.listGroups();
    expect(s.requests('account-management').map((r) => r.status)).toEqual([200, 429, 200]);
    // An HTTP-date names whole seconds: the sandbox rounds up to 61 s, so from 20.25 s the wait is 40.75 s.
    expect(s.clock.sleeps).toEqual([40_750]);
  });

  it('when Retry-After is longer than the client will wait, then it fails throttled at once and reports the wait', async () => {
    const s = await start({ faults: { rateLimitPerMinute: 1 } });
    const api = s.accountClient({ requestsPerMinute: 1_000, retry: { ...testRetry, maxRetryAfterMs: 10_000 } });
    await api.listGroups();
    const error = await upstreamFailure(api.listGroups());
    expect(error).toMatchObject({ code: 'throttled', status: 429, retryAfterMs: 60_000, attempts: 1 });
    expect(error.retryable).toBe(true);
    expect(s.clock.sleeps).toEqual([]);
  });

  it('when 429s persist, then attempts are bounded and the call fails throttled', async () => {
    const s = await start({ faults: { rateLimitPerMinute: 1 } });
    // A proxy that drops Retry-After: the client falls back to throttledDelayMs.
    const api = s.accountClient({
      requestsPerMinute: 1_000,
      retry: { ...testRetry, maxAttempts: 3 },
      fetch: async (input, init) => {
        const r = await s.fetch(input, init);
        return r.status === 429 ? new Response(await r.text(), { status: 429 }) : r;
      },
    });
    await api.listGroups();
    const error = await upstreamFailure(Promise.all([api.listGroups(), api.listGroups()]));
    expect(error).toMatchObject({ code: 'throttled', status: 429, retryAfterMs: null });
    expect(s.clock.sleeps.every((ms) => ms === testRetry.throttledDelayMs)).toBe(true);
  });

  it('when the budget equals the sandbox limit, then N calls never exceed it in any window and no 429 is provoked', async () => {
    const s = await start({ faults: { rateLimitPerMinute: 5 } });
    const provider = s.tokenProvider();
    const api = s.accountClient({ tokenProvider: provider, rateBudget: createRateBudget({ requestsPerMinute: 5, clock: s.clock }) });
    await Promise.all(Array.from({ length: 23 }, (_, i) => (i % 2 === 0 ? api.listGroups() : api.listUsers())));
    const calls = s.requests('account-management');
    expect(calls).toHaveLength(23);
    expect(calls.filter((r) => r.status === 429)).toEqual([]);
    for (let i = 0; i + 5 < calls.length; i += 1) {
      expect((calls[i + 5]?.at ?? 0) - (calls[i]?.at ?? 0)).toBeGreaterThanOrEqual(60_000);
    }
    expect((calls.at(-1)?.at ?? 0) - (calls[0]?.at ?? 0)).toBe(4 * 60_000);
  });

  it('when the budget is larger than the limit, then the sandbox does throttle (the check above can fail)', async () => {
    const s = await start({ faults: { rateLimitPerMinute: 5 } });
    const api = s.accountClient({ rateBudget: createRateBudget({ requestsPerMinute: 50, clock: s.clock }) });
    await Promise.all(Array.from({ length: 8 }, () => api.listGroups()));
    expect(s.requests('account-management').some((r) => r.status === 429)).toBe(true);
  });

  it('when a response takes longer than the timeout, then each attempt is aborted and the call fails unavailable with no status', async () => {
    const s = await start();
    const api = s.accountClient({ timeoutMs: 60, retry: { ...testRetry, maxAttempts: 2 } });
    await api.listGroups();
    s.sandbox.state.setFaults({ latencyMs: 250 });
    const error = await upstreamFailure(api.listGroups());
    expect(error).toMatchObject({ code: 'unavailable', status: null, attempts: 2 });
    expect((error.cause as Error).name).toBe('TimeoutError');
  });

  it('when nothing listens at the base URL, then the network error is retried and surfaces as unavailable', async () => {
    const s = await start();
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const address = probe.address();
        probe.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
      });
    });
    const api = createAccountManagementClient({
      accountUuid: s.sandbox.accountUuid,
      baseUrl: `http://127.0.0.1:${port}`,
      tokenProvider: s.tokenProvider(),
      fetch: s.fetch,
      clock: s.clock,
      retry: testRetry,
    });
    const error = await upstreamFailure(api.createUser('nobody@example.com'));
    expect(error).toMatchObject({ service: 'account-management', code: 'unavailable', status: null, attempts: 4 });
  });
});
