// /healthz and /readyz over real HTTP: ready only when the store answers, a Dynatrace token is
// obtainable and the mapping has been checked against Dynatrace; otherwise 503 naming each check's
// state — never an error text — within a bounded time, however the store or the token endpoint fails.
// Then the readiness rules themselves (createReadiness) with fakes: bounded checks, one at a time,
// and how often a failed mapping check is started again. With READINESS_REQUIRES_DYNATRACE=false the
// Dynatrace checks are still reported (body and gauges) but only the store decides.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { registerStateGauges } from '../../src/observability/metrics-state.js';
import { createReadiness } from '../../src/observability/readiness.js';
import { StoreError, type Store } from '../../src/ports/store.js';
import { UpstreamError } from '../../src/ports/upstream-error.js';
import { startSandbox, type SandboxHandle } from '../../src/sandbox/index.js';
import { startTestBridge, type TestBridge } from '../helpers/test-bridge.js';
import { cleanupsAfterEach } from '../helpers/cleanups.js';

const ALL_OK = { store: 'ok', dynatrace: 'ok', mapping: 'ok' };

async function probe(url: string): Promise<{ status: number; body: unknown; text: string; ms: number }> {
  const started = Date.now();
  const response = await fetch(`${url}/readyz`);
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as unknown, text, ms: Date.now() - started };
}

/** Probes until /readyz answers 200 (at most `rounds` times, 100 ms apart). */
async function readyWithin(url: string, rounds: number): Promise<{ status: number; body: unknown }> {
  let answer = await probe(url);
  for (let round = 1; answer.status !== 200 && round < rounds; round++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    answer = await probe(url);
  }
  return { status: answer.status, body: answer.body };
}

const cleanups = cleanupsAfterEach();

async function bridgeWith(options: Parameters<typeof startTestBridge>[0] = {}): Promise<TestBridge> {
  const bridge = await startTestBridge(options);
  cleanups.push(() => bridge.close());
  return bridge;
}

describe('/healthz and /readyz', () => {
  it('when the store, the token endpoint and the mapping check are fine, then /readyz answers 200 naming every check ok, and /healthz 200', async () => {
    const bridge = await bridgeWith();
    const health = await fetch(`${bridge.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await probe(bridge.url);
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready', checks: ALL_OK });
  });

  it('when the bridge is ready, then further probes send nothing to Dynatrace (the token is cached, the mapping checked)', async () => {
    const bridge = await bridgeWith();
    expect((await probe(bridge.url)).status).toBe(200);
    const sent = bridge.sandbox.state.requestLog.length;
    for (let i = 0; i < 5; i++) expect((await probe(bridge.url)).status).toBe(200);
    expect(bridge.sandbox.state.requestLog.length).toBe(sent);
  });

  it('when probes come while the start-up check of the mapping runs, then they share it: Dynatrace is asked once', async () => {
    const bridge = await bridgeWith();
    const environments = () => bridge.sandbox.state.requestLog.filter((r) => r.operation?.includes('environments') === true).length;
    const before = environments();
    const [startUp, ...probes] = await Promise.all([bridge.deps.admin.reloadMapping(), probe(bridge.url), probe(bridge.url)]);
    expect(startUp.problems).toEqual([]);
    expect(environments() - before).toBe(1);
    expect((await readyWithin(bridge.url, 20)).status).toBe(200);
    expect(probes).toHaveLength(2);
  });

  it('when the store is unavailable, then /readyz answers 503 naming the store without its error, and /healthz still answers 200', async () => {
    let down = false;
    const bridge = await bridgeWith({
      wrapStore: (store): Store => ({
        ...store,
        ping: () => (down ? Promise.reject(new StoreError('unavailable', 'connect ECONNREFUSED 127.0.0.1:5432')) : store.ping()),
      }),
    });
    expect((await probe(bridge.url)).status).toBe(200);
    down = true;
    const ready = await probe(bridge.url);
    expect(ready.status).toBe(503);
    expect(ready.body).toEqual({ status: 'not ready', checks: { ...ALL_OK, store: 'unavailable' } });
    expect(ready.text).not.toMatch(/ECONNREFUSED|5432/);
    expect((await fetch(`${bridge.url}/healthz`)).status).toBe(200);
    down = false;
    expect((await probe(bridge.url)).status).toBe(200);
  });

  it('when the store hangs, then /readyz still answers 503 within a second naming the store timeout, concurrent probes share one ping, and the hung ping does not hold back recovery', async () => {
    let pings = 0;
    let hang = false;
    const bridge = await bridgeWith({
      wrapStore: (store): Store => ({
        ...store,
        ping: () => {
          if (!hang) return store.ping();
          pings += 1;
          return new Promise<void>(() => undefined);
        },
      }),
    });
    expect((await probe(bridge.url)).status).toBe(200);
    hang = true;
    const answers = await Promise.all(Array.from({ length: 3 }, () => probe(bridge.url)));
    for (const answer of answers) {
      expect(answer.status).toBe(503);
      expect(answer.body).toEqual({ status: 'not ready', checks: { ...ALL_OK, store: 'timeout' } });
      expect(answer.ms).toBeLessThan(1_000);
    }
    expect(pings).toBe(1);
    hang = false;
    expect((await probe(bridge.url)).status).toBe(200);
  });

  it('when the token endpoint fails, then /readyz answers 503 naming dynatrace without the upstream error, and 200 once it recovers', async () => {
    const bridge = await bridgeWith();
    bridge.sandbox.state.setFaults({ errorRate: 1, errorStatuses: [503] });
    const ready = await probe(bridge.url);
    expect(ready.status).toBe(503);
    const { checks } = ready.body as { checks: Record<string, string> };
    expect(checks.store).toBe('ok');
    expect(['timeout', 'unavailable']).toContain(checks.dynatrace);
    expect(checks.mapping).not.toBe('ok');
    expect(ready.text).not.toMatch(/Injected|503|token/i);
    expect(ready.ms).toBeLessThan(1_000);
    bridge.sandbox.state.setFaults({ errorRate: 0 });
    // The token provider's own retry (about a second later) succeeds, and the mapping check with it.
    expect(await readyWithin(bridge.url, 50)).toEqual({ status: 200, body: { status: 'ready', checks: ALL_OK } });
  });

  it('when the mapping check is still running (Dynatrace is slow), then /readyz answers 503 with mapping pending, and 200 once it has completed', async () => {
    const bridge = await bridgeWith();
    bridge.sandbox.state.setFaults({ latencyMs: 1_200 });
    const ready = await probe(bridge.url);
    expect(ready.status).toBe(503);
    expect(ready.body).toEqual({ status: 'not ready', checks: { store: 'ok', dynatrace: 'timeout', mapping: 'pending' } });
    bridge.sandbox.state.setFaults({ latencyMs: 0 });
    expect(await readyWithin(bridge.url, 50)).toEqual({ status: 200, body: { status: 'ready', checks: ALL_OK } });
  });

  it('when the token endpoint refuses the client credentials, then /readyz names dynatrace misconfigured', async () => {
    const sandbox: SandboxHandle = await startSandbox({ host: '127.0.0.1', port: 0 });
    cleanups.push(() => sandbox.stop());
    const bridge = await bridgeWith({
      env: {
        DT_ACCOUNT_UUID: sandbox.accountUuid,
        DT_CLIENT_ID: sandbox.clientId,
        DT_CLIENT_SECRET: 'not-the-client-secret',
        DT_API_URL: sandbox.url,
        DT_TOKEN_URL: sandbox.tokenUrl,
      },
    });
    const ready = await probe(bridge.url);
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ status: 'not ready', checks: { store: 'ok', dynatrace: 'misconfigured' } });
    expect(ready.text).not.toContain('not-the-client-secret');
  });
});

describe('/readyz with READINESS_REQUIRES_DYNATRACE=false', () => {
  it('when the token endpoint fails, then /readyz still answers 200 naming dynatrace and mapping not ok, and 503 once the store fails', async () => {
    let down = false;
    const bridge = await bridgeWith({
      env: { READINESS_REQUIRES_DYNATRACE: 'false' },
      wrapStore: (store): Store => ({
        ...store,
        ping: () => (down ? Promise.reject(new StoreError('unavailable', 'connect ECONNREFUSED 127.0.0.1:5432')) : store.ping()),
      }),
    });
    bridge.sandbox.state.setFaults({ errorRate: 1, errorStatuses: [503] });
    const ready = await probe(bridge.url);
    expect(ready.status).toBe(200);
    const { status, checks } = ready.body as { status: string; checks: Record<string, string> };
    expect(status).toBe('ready');
    expect(checks.store).toBe('ok');
    expect(['timeout', 'unavailable']).toContain(checks.dynatrace);
    expect(checks.mapping).not.toBe('ok');
    expect(ready.text).not.toMatch(/Injected|503|token/i);
    down = true;
    const storeDown = await probe(bridge.url);
    expect(storeDown.status).toBe(503);
    expect(storeDown.body).toMatchObject({ status: 'not ready', checks: { store: 'unavailable' } });
  });
});

describe('createReadiness', () => {
  const fine = { pingStore: () => Promise.resolve(), dynatraceToken: () => Promise.resolve('token') };

  it('when the mapping check fails, then mapping is unavailable and no probe starts another check before the retry interval', async () => {
    let t = 0;
    let checks = 0;
    let failing = true;
    let checked = false;
    const readiness = createReadiness({
      ...fine,
      mapping: {
        checked: () => checked,
        check: async () => {
          checks += 1;
          if (failing) throw new UpstreamError({ service: 'account-management', operation: 'listEnvironments', code: 'unavailable', status: 503 });
          checked = true;
        },
      },
      mappingRetryMs: 15_000,
      now: () => t,
    });
    expect((await readiness.check()).checks.mapping).toBe('unavailable');
    t = 14_999;
    expect((await readiness.check()).checks.mapping).toBe('unavailable');
    expect(checks).toBe(1);
    failing = false;
    t = 15_000;
    expect(await readiness.check()).toEqual({ ready: true, checks: ALL_OK });
    expect(checks).toBe(2);
    await readiness.check();
    expect(checks).toBe(2);
  });

  it('when the store rejects or the token endpoint refuses the credentials, then their states say so', async () => {
    const readiness = createReadiness({
      pingStore: () => Promise.reject(new StoreError('unavailable', 'connection refused')),
      dynatraceToken: () => Promise.reject(new UpstreamError({ service: 'oauth', operation: 'token', code: 'misconfigured', status: 401 })),
      mapping: { checked: () => true, check: () => Promise.resolve() },
    });
    expect(await readiness.check()).toEqual({ ready: false, checks: { store: 'unavailable', dynatrace: 'misconfigured', mapping: 'ok' } });
  });

  it('when Dynatrace is not required and its checks fail, then the report is ready with their states, and the gauges show ready 1 and dynatrace and mapping 0', async () => {
    const readiness = createReadiness({
      pingStore: () => Promise.resolve(),
      dynatraceToken: () => Promise.reject(new UpstreamError({ service: 'oauth', operation: 'token', code: 'unavailable', status: 503 })),
      mapping: { checked: () => false, check: () => Promise.reject(new UpstreamError({ service: 'account-management', operation: 'listEnvironments', code: 'unavailable', status: 503 })) },
      requiresDynatrace: false,
    });
    expect(await readiness.check()).toEqual({ ready: true, checks: { store: 'ok', dynatrace: 'unavailable', mapping: 'unavailable' } });
    const registry = new Registry();
    registerStateGauges(registry, {
      queueStats: () => Promise.resolve({ depth: 0, oldestEnqueuedAt: null, failedCount: 0, retryingCount: 0 }),
      drainPerMinute: () => Promise.resolve(0),
      upstreamReachable: () => ({}),
      readiness,
      now: () => new Date(),
      timeoutMs: 1_000,
    });
    const text = await registry.metrics();
    expect(text).toMatch(/^scim_bridge_ready 1$/m);
    expect(text).toMatch(/^scim_bridge_readiness\{check="store"\} 1$/m);
    expect(text).toMatch(/^scim_bridge_readiness\{check="dynatrace"\} 0$/m);
    expect(text).toMatch(/^scim_bridge_readiness\{check="mapping"\} 0$/m);
  });

  it('when Dynatrace is not required and the store fails, then the report is not ready', async () => {
    const readiness = createReadiness({
      pingStore: () => Promise.reject(new StoreError('unavailable', 'connection refused')),
      dynatraceToken: () => Promise.resolve('token'),
      mapping: { checked: () => true, check: () => Promise.resolve() },
      requiresDynatrace: false,
    });
    expect(await readiness.check()).toEqual({ ready: false, checks: { ...ALL_OK, store: 'unavailable' } });
  });

  it('when a check never settles, then the report comes after the timeout with that check timed out', async () => {
    const readiness = createReadiness({ ...fine, dynatraceToken: () => new Promise(() => undefined), mapping: { checked: () => true, check: () => Promise.resolve() }, timeoutMs: 50 });
    const started = Date.now();
    expect(await readiness.check()).toEqual({ ready: false, checks: { ...ALL_OK, dynatrace: 'timeout' } });
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
