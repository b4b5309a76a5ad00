// Prometheus metrics end to end: a bridge wired as main.ts wires it (its own registry, the observer
// handed to the Dynatrace clients, the sync worker and the admin service) serves SCIM requests, syncs
// into the sandbox and reconciles; a scrape then shows the series by route template, upstream
// operation and outcome, the queue gauges and the reconcile findings — and no userName, email, id,
// group name or token anywhere; failed and deferred items too. Upstream retries, 429s, 401s,
// timeouts and refused connections are counted against the sandbox's faults in virtual time. Then
// the three ways /metrics is exposed: a separate port, behind METRICS_TOKEN, and not at all.
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/observability/metrics.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox-harness.js';
import { scriptedRandom } from '../helpers/sandbox-clock.js';
import { ERROR_URN, groupBody, userBody } from '../helpers/scim-builders.js';
import { startTestBridge, TEST_ADMIN_TOKEN, TEST_TOKEN, type TestBridge } from '../helpers/test-bridge.js';
import { until } from '../helpers/until.js';

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';

/** The bridge as main.ts composes it (metrics before the upstream clients), on loopback and a fresh SQLite file. */
function startMeteredBridge(env: Record<string, string> = {}): Promise<TestBridge> {
  return startTestBridge({ metrics: true, env: { LOG_LEVEL: 'silent', RECONCILE_INTERVAL_MS: '0', ...env } });
}

interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** The samples of a text exposition (comments skipped). */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1] as string] = pair[2] as string;
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the one sample named `name` whose labels are exactly `labels`; undefined when there is none. */
function valueOf(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter((s) => s.name === name && Object.keys(s.labels).length === Object.keys(labels).length && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} matches ${found.length} samples`);
  return found[0]?.value;
}

/** The sum over every sample named `name` whose labels include `labels`. */
function sumOf(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((sum, s) => sum + s.value, 0);
}

async function scrape(url: string, authorization?: string): Promise<{ status: number; contentType: string | null; headers: Headers; text: string }> {
  const response = await fetch(`${url}/metrics`, { headers: authorization === undefined ? {} : { authorization } });
  return { status: response.status, contentType: response.headers.get('content-type'), headers: response.headers, text: await response.text() };
}

let bridge: TestBridge | undefined;
afterEach(async () => {
  await bridge?.close();
  bridge = undefined;
});

describe('/metrics on the main port', () => {
  it('when SCIM requests, a sync and a reconcile have run, then the scrape counts them by route template, upstream operation and outcome, and shows the queue', async () => {
    bridge = await startMeteredBridge();
    const email = 'ann.secret@example.com';
    const created = await bridge.scim('POST', '/Users', userBody(email));
    expect(created.status).toBe(201);
    const id = (created.body as { id: string }).id;
    expect((await bridge.scim('GET', `/Users/${id}`)).status).toBe(200);
    expect((await bridge.scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${email}"`)}`)).status).toBe(200);
    expect((await bridge.scim('GET', '/Users/00000000-0000-4000-8000-00000000dead')).status).toBe(404);
    const group = await bridge.scim('POST', '/Groups', groupBody('Hidden Team Name', [id]));
    expect(group.status).toBe(201);
    const groupId = (group.body as { id: string }).id;
    expect((await fetch(`${bridge.url}/no/such/${id}`)).status).toBe(404);

    const before = parseExposition((await scrape(bridge.url)).text);
    expect(valueOf(before, 'scim_bridge_sync_queue_depth')).toBe(2);
    expect(valueOf(before, 'scim_bridge_sync_queue_oldest_age_seconds')).toBeGreaterThanOrEqual(0);
    expect(valueOf(before, 'scim_bridge_sync_failed_items')).toBe(0);

    const processed = await bridge.deps.worker.drain();
    expect(processed).toBeGreaterThanOrEqual(2);
    expect(bridge.sandbox.state.findUser(email)).not.toBeNull();
    bridge.sandbox.state.users.remove(email);
    const reconciled = await fetch(`${bridge.url}/admin/reconcile?dryRun=true`, { method: 'POST', headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
    expect(reconciled.status).toBe(200);

    const response = await scrape(bridge.url);
    expect(response.status).toBe(200);
    expect(response.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const after = parseExposition(response.text);
    const http = (method: string, route: string, status: string) => valueOf(after, 'scim_bridge_http_requests_total', { method, route, status });
    expect(http('POST', '/scim/v2/Users', '201')).toBe(1);
    expect(http('GET', '/scim/v2/Users/:id', '200')).toBe(1);
    expect(http('GET', '/scim/v2/Users/:id', '404')).toBe(1);
    expect(http('GET', '/scim/v2/Users', '200')).toBe(1);
    expect(http('POST', '/scim/v2/Groups', '201')).toBe(1);
    expect(http('GET', 'unmatched', '404')).toBe(1);
    expect(http('POST', '/admin/reconcile', '200')).toBe(1);
    expect(http('GET', '/metrics', '200')).toBe(1);
    expect(valueOf(after, 'scim_bridge_http_request_duration_seconds_count', { method: 'GET', route: '/scim/v2/Users/:id' })).toBe(2);

    const upstream = (service: string, operation: string) => sumOf(after, 'scim_bridge_upstream_requests_total', { service, operation });
    expect(valueOf(after, 'scim_bridge_upstream_requests_total', { service: 'oauth', operation: 'token', status: '200' })).toBe(1);
    expect(valueOf(after, 'scim_bridge_upstream_requests_total', { service: 'account-management', operation: 'createUser', status: '200' })).toBe(1);
    expect(upstream('account-management', 'createGroups')).toBe(1);
    // Once to look the new user up before inviting it, once by the reconcile.
    expect(upstream('account-management', 'listUsers')).toBe(2);
    expect(sumOf(after, 'scim_bridge_upstream_requests_total', { status: '429' })).toBe(0);
    expect(sumOf(after, 'scim_bridge_upstream_retries_total')).toBe(0);
    expect(valueOf(after, 'scim_bridge_upstream_request_duration_seconds_count', { service: 'account-management', operation: 'createUser' })).toBe(1);
    // Every attempt to the account waits for the budget (the token endpoint has none).
    expect(valueOf(after, 'scim_bridge_rate_budget_wait_seconds_count', { service: 'account-management' })).toBe(sumOf(after, 'scim_bridge_upstream_requests_total', { service: 'account-management' }));
    expect(valueOf(after, 'scim_bridge_rate_budget_wait_seconds_count', { service: 'oauth' })).toBeUndefined();

    expect(sumOf(after, 'scim_bridge_sync_items_processed_total', { outcome: 'completed' })).toBe(processed);
    expect(sumOf(after, 'scim_bridge_sync_items_processed_total', { resource_type: 'User', outcome: 'completed' })).toBeGreaterThanOrEqual(1);
    expect(valueOf(after, 'scim_bridge_sync_items_processed_total', { resource_type: 'Group', outcome: 'completed' })).toBe(1);
    expect(valueOf(after, 'scim_bridge_sync_queue_depth')).toBe(0);
    expect(valueOf(after, 'scim_bridge_sync_queue_oldest_age_seconds')).toBe(0);
    expect(valueOf(after, 'scim_bridge_reconcile_runs_total', { outcome: 'completed' })).toBe(1);
    expect(valueOf(after, 'scim_bridge_reconcile_findings_total', { kind: 'missing_user' })).toBe(1);
    expect(valueOf(after, 'scim_bridge_reconcile_last_findings', { kind: 'missing_user' })).toBe(1);
    expect(valueOf(after, 'scim_bridge_reconcile_findings_total', { kind: 'missing_group' })).toBe(0);

    expect(valueOf(after, 'scim_bridge_ready')).toBe(1);
    for (const check of ['store', 'dynatrace', 'mapping']) expect(valueOf(after, 'scim_bridge_readiness', { check })).toBe(1);
    expect(valueOf(after, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(valueOf(after, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);

    const secrets = [email, 'ann.secret', id, groupId, 'Hidden Team Name', TEST_TOKEN, TEST_ADMIN_TOKEN, bridge.sandbox.clientSecret, bridge.sandbox.clientId, bridge.sandbox.davisToken, bridge.sandbox.accountUuid];
    for (const secret of secrets) expect(response.text).not.toContain(secret);
    // Label values come from closed sets only: no raw path, query or email shape anywhere.
    for (const sample of after) for (const value of Object.values(sample.labels)) expect(value).not.toMatch(/[@?=]|[0-9a-f]{8}-[0-9a-f]{4}/i);
  });
});

describe('sync outcomes on /metrics', () => {
  it('when Dynatrace refuses one user and fails for another, then the items are counted failed and deferred, and the gauges show them', async () => {
    bridge = await startMeteredBridge();
    bridge.sandbox.state.setFaults({ refusedEmails: ['refused@example.com'] });
    expect((await bridge.scim('POST', '/Users', userBody('refused@example.com'))).status).toBe(201);
    expect(await bridge.deps.worker.drain()).toBe(1);
    bridge.sandbox.state.setFaults({ errorRate: 1, errorStatuses: [500] });
    expect((await bridge.scim('POST', '/Users', userBody('later@example.com'))).status).toBe(201);
    expect(await bridge.deps.worker.drain()).toBe(1);
    bridge.sandbox.state.setFaults({ errorRate: 0 });

    const samples = parseExposition((await scrape(bridge.url)).text);
    expect(valueOf(samples, 'scim_bridge_sync_items_processed_total', { resource_type: 'User', outcome: 'failed' })).toBe(1);
    expect(valueOf(samples, 'scim_bridge_sync_items_processed_total', { resource_type: 'User', outcome: 'deferred' })).toBe(1);
    expect(valueOf(samples, 'scim_bridge_sync_items_processed_total', { resource_type: 'User', outcome: 'completed' })).toBeUndefined();
    expect(valueOf(samples, 'scim_bridge_sync_failed_items')).toBe(1);
    expect(valueOf(samples, 'scim_bridge_sync_queue_depth')).toBe(1);
    expect(valueOf(samples, 'scim_bridge_upstream_requests_total', { service: 'account-management', operation: 'createUser', status: '400' })).toBe(1);
    expect(valueOf(samples, 'scim_bridge_upstream_requests_total', { service: 'account-management', operation: 'createUser', status: '500' })).toBe(1);
  });
});

describe('stuck work and an unreachable Dynatrace', () => {
  it('when Dynatrace fails every call, then failures are counted by kind, the service shows unreachable and the item retrying; once it answers, reachable again and the item drained', async () => {
    const started = await startMeteredBridge();
    bridge = started;
    // The token first (the sandbox's faults hit its token endpoint too), then 500s: not retried within
    // the call, so the item is deferred at once.
    await bridge.deps.admin.reloadMapping();
    bridge.sandbox.state.setFaults({ errorRate: 1, errorStatuses: [500] });
    expect((await bridge.scim('POST', '/Users', userBody('stuck@example.com'))).status).toBe(201);
    expect(await bridge.deps.worker.drain()).toBe(1);
    let samples = parseExposition((await scrape(bridge.url)).text);
    expect(valueOf(samples, 'scim_bridge_upstream_failures_total', { service: 'account-management', kind: 'http' })).toBeGreaterThanOrEqual(1);
    expect(valueOf(samples, 'scim_bridge_upstream_reachable', { service: 'account-management' })).toBe(0);
    expect(valueOf(samples, 'scim_bridge_upstream_reachable', { service: 'oauth' })).toBe(1);
    expect(valueOf(samples, 'scim_bridge_sync_retrying_items')).toBe(1);
    expect(valueOf(samples, 'scim_bridge_sync_drained_per_minute')).toBe(0);

    const [retrying] = (await bridge.store.syncQueueStats({ failedLimit: 0, retryingLimit: 1 })).retrying;
    expect(retrying?.lastError).toMatch(/^account-management listUsers: unavailable — HTTP 500 — code 500: Injected upstream failure at http:\/\/127\.0\.0\.1:\d+\/iam\/v1\/accounts\/[0-9a-f-]+\/users$/);
    bridge.sandbox.state.setFaults({ errorRate: 0 });
    // Its first retry is due within a second (backoff from 1 s, jittered).
    await until(async () => (await started.deps.worker.drain()) === 1, 5_000, 'the item retried');
    samples = parseExposition((await scrape(bridge.url)).text);
    expect(valueOf(samples, 'scim_bridge_upstream_reachable', { service: 'account-management' })).toBe(1);
    expect(valueOf(samples, 'scim_bridge_sync_retrying_items')).toBe(0);
    expect(valueOf(samples, 'scim_bridge_sync_drained_per_minute')).toBe(1);
  });
});

describe('how /metrics is exposed', () => {
  it('when METRICS_PORT is set, then /metrics is served on that port only, which serves nothing else', async () => {
    bridge = await startMeteredBridge({ METRICS_PORT: '0' });
    expect(bridge.metricsUrl).not.toBeNull();
    const metricsUrl = bridge.metricsUrl as string;
    expect((await bridge.scim('GET', '/Users')).status).toBe(200);

    const main = await scrape(bridge.url);
    expect(main.status).toBe(404);
    const separate = await scrape(metricsUrl);
    expect(separate.status).toBe(200);
    // The listener has the main port's front door: security headers and a request id on every answer.
    expect(separate.headers.get('x-content-type-options')).toBe('nosniff');
    expect(separate.headers.get('cache-control')).toBe('no-store');
    expect(separate.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(valueOf(parseExposition(separate.text), 'scim_bridge_http_requests_total', { method: 'GET', route: '/scim/v2/Users', status: '200' })).toBe(1);
    for (const route of ['/healthz', '/readyz', '/scim/v2/Users', '/metrics/x']) {
      const other = await fetch(`${metricsUrl}${route}`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
      expect(other.status).toBe(404);
      expect(other.headers.get('content-type')).toMatch(/^application\/scim\+json/);
      expect(await other.json()).toMatchObject({ schemas: [ERROR_URN], status: '404' });
    }
  });

  it('when METRICS_TOKEN is set, then /metrics answers 401 without it or with another token, and 200 with it', async () => {
    bridge = await startMeteredBridge({ METRICS_TOKEN });
    for (const authorization of [undefined, `Bearer ${TEST_TOKEN}`, `Bearer ${METRICS_TOKEN}x`, `Basic ${METRICS_TOKEN}`]) {
      const refused = await scrape(bridge.url, authorization);
      expect(refused.status).toBe(401);
      expect(JSON.parse(refused.text)).toMatchObject({ schemas: [ERROR_URN], status: '401' });
      expect(refused.text).not.toContain(METRICS_TOKEN);
    }
    const accepted = await scrape(bridge.url, `Bearer ${METRICS_TOKEN}`);
    expect(accepted.status).toBe(200);
    expect(accepted.text).toContain('scim_bridge_http_requests_total');
    expect(accepted.text).not.toContain(METRICS_TOKEN);
  });

  it('when the separate port receives bytes that are not HTTP, then it answers 400 with a SCIM JSON body and closes, as the main port does', async () => {
    bridge = await startMeteredBridge({ METRICS_PORT: '0' });
    const port = Number(new URL(bridge.metricsUrl as string).port);
    const text = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      const chunks: Buffer[] = [];
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error('no close within 5 s'));
      }, 5_000);
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearTimeout(timer);
        resolve(Buffer.concat(chunks).toString('utf8'));
      });
      socket.write('THIS IS NOT HTTP\r\n\r\n');
    });
    expect(text).toMatch(/^HTTP\/1\.1 400 /);
    expect(text).toMatch(/\r\nContent-Type: application\/scim\+json/);
    expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4))).toEqual({ schemas: [ERROR_URN], status: '400', detail: expect.any(String) });
  });

  it('when METRICS_TOKEN and METRICS_PORT are set, then the separate port requires the token too', async () => {
    bridge = await startMeteredBridge({ METRICS_TOKEN, METRICS_PORT: '0' });
    const metricsUrl = bridge.metricsUrl as string;
    expect((await scrape(metricsUrl)).status).toBe(401);
    expect((await scrape(metricsUrl, `Bearer ${METRICS_TOKEN}`)).status).toBe(200);
  });

  it('when METRICS_ENABLED is false, then there is no /metrics, and SCIM and /readyz work as before', async () => {
    bridge = await startMeteredBridge({ METRICS_ENABLED: 'false' });
    expect(bridge.deps.metrics).toBeNull();
    const response = await scrape(bridge.url);
    expect(response.status).toBe(404);
    expect(JSON.parse(response.text)).toMatchObject({ schemas: [ERROR_URN], status: '404' });
    expect((await bridge.scim('POST', '/Users', userBody('off@example.com'))).status).toBe(201);
    expect((await fetch(`${bridge.url}/readyz`)).status).toBe(200);
  });
});

describe('upstream metrics against the sandbox faults (virtual time)', () => {
  let sandbox: TestSandbox | null = null;
  afterEach(async () => {
    await sandbox?.stop();
    sandbox = null;
  });

  async function meteredClients(options: Parameters<typeof startTestSandbox>[0] = {}) {
    sandbox = await startTestSandbox({ seed: {}, ...options });
    const metrics = createMetrics();
    const tokenProvider = sandbox.tokenProvider({ observer: metrics.observer });
    const api = sandbox.accountClient({ tokenProvider, observer: metrics.observer, requestsPerMinute: 1_000 });
    const samples = async () => parseExposition((await metrics.render()).text);
    return { sandbox, metrics, tokenProvider, api, samples };
  }

  it('when Dynatrace answers 429 with Retry-After, then the 429, the retry and every budget wait are counted', async () => {
    const { sandbox: s, api, samples } = await meteredClients({ faults: { rateLimitPerMinute: 2 } });
    await api.listGroups();
    await api.listGroups();
    await api.listGroups(); // third in the minute: 429, then the retry after Retry-After
    expect(s.requests('account-management').map((r) => r.status)).toEqual([200, 200, 429, 200]);
    const after = await samples();
    const labels = { service: 'account-management', operation: 'listGroups' };
    expect(valueOf(after, 'scim_bridge_upstream_requests_total', { ...labels, status: '200' })).toBe(3);
    expect(valueOf(after, 'scim_bridge_upstream_requests_total', { ...labels, status: '429' })).toBe(1);
    expect(valueOf(after, 'scim_bridge_upstream_throttled_total', labels)).toBe(1);
    expect(valueOf(after, 'scim_bridge_upstream_retries_total', { ...labels, reason: 'throttled' })).toBe(1);
    expect(valueOf(after, 'scim_bridge_rate_budget_wait_seconds_count', { service: 'account-management' })).toBe(4);
    expect(valueOf(after, 'scim_bridge_upstream_requests_total', { service: 'oauth', operation: 'token', status: '200' })).toBe(1);
  });

  it('when Dynatrace answers 503 twice, then both attempts and their retries are counted by status and reason', async () => {
    const { sandbox: s, tokenProvider, api, samples } = await meteredClients({ faults: { errorStatuses: [503] }, random: scriptedRandom([0.1, 0, 0.1, 0, 0.9], 0.9) });
    await tokenProvider.getToken();
    s.sandbox.state.setFaults({ errorRate: 0.5 });
    await api.listUsers();
    const after = await samples();
    const labels = { service: 'account-management', operation: 'listUsers' };
    expect(valueOf(after, 'scim_bridge_upstream_requests_total', { ...labels, status: '503' })).toBe(2);
    expect(valueOf(after, 'scim_bridge_upstream_requests_total', { ...labels, status: '200' })).toBe(1);
    expect(valueOf(after, 'scim_bridge_upstream_retries_total', { ...labels, reason: 'server_error' })).toBe(2);
  });

  it('when the access token is revoked, then the 401 and the retry with a fresh token are counted', async () => {
    const { sandbox: s, api, samples } = await meteredClients();
    await api.listUsers();
    s.sandbox.state.revokeTokens();
    await api.listUsers();
    const after = await samples();
    expect(valueOf(after, 'scim_bridge_upstream_requests_total', { service: 'account-management', operation: 'listUsers', status: '401' })).toBe(1);
    expect(valueOf(after, 'scim_bridge_upstream_retries_total', { service: 'account-management', operation: 'listUsers', reason: 'token_refresh' })).toBe(1);
    expect(valueOf(after, 'scim_bridge_upstream_requests_total', { service: 'oauth', operation: 'token', status: '200' })).toBe(2);
  });

  it('when the API refuses connections or does not answer in time, then the attempts are counted as network_error and timeout', async () => {
    const { sandbox: s, metrics, tokenProvider, samples } = await meteredClients();
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const { port } = closed.address() as { port: number };
    closed.close();
    await once(closed, 'close');
    const refused = s.accountClient({ tokenProvider, observer: metrics.observer, baseUrl: `http://127.0.0.1:${port}` });
    await expect(refused.listGroups()).rejects.toMatchObject({ code: 'unavailable', status: null, attempts: 4 });
    s.sandbox.state.setFaults({ latencyMs: 300 });
    await tokenProvider.getToken();
    const slow = s.accountClient({ tokenProvider, observer: metrics.observer, timeoutMs: 50, retry: { maxAttempts: 1 } });
    await expect(slow.listUsers()).rejects.toMatchObject({ code: 'unavailable', status: null });
    const after = await samples();
    expect(valueOf(after, 'scim_bridge_upstream_requests_total', { service: 'account-management', operation: 'listGroups', status: 'network_error' })).toBe(4);
    expect(valueOf(after, 'scim_bridge_upstream_retries_total', { service: 'account-management', operation: 'listGroups', reason: 'network_error' })).toBe(3);
    expect(valueOf(after, 'scim_bridge_upstream_requests_total', { service: 'account-management', operation: 'listUsers', status: 'timeout' })).toBe(1);
  });
});

describe('label values', () => {
  it('when an observation carries a value outside the closed sets, then it is recorded as other or unmatched, never as given', async () => {
    const metrics = createMetrics();
    metrics.observer.upstreamAttempt({ service: 'account-management', operation: 'getUser ann@example.com', status: 1234, seconds: 0.1 });
    metrics.observer.reconcileRun({ outcome: 'completed', findings: { 'ann@example.com': 1, missing_user: 2 } });
    metrics.httpRequest({ method: 'BREW', route: '/scim/v2/Users/ann@example.com?filter=x', status: 200, seconds: 0.01 });
    const { text } = await metrics.render();
    const samples = parseExposition(text);
    expect(valueOf(samples, 'scim_bridge_upstream_requests_total', { service: 'account-management', operation: 'other', status: 'other' })).toBe(1);
    expect(valueOf(samples, 'scim_bridge_reconcile_findings_total', { kind: 'missing_user' })).toBe(2);
    expect(valueOf(samples, 'scim_bridge_http_requests_total', { method: 'other', route: 'unmatched', status: '200' })).toBe(1);
    expect(text).not.toContain('ann@example.com');
  });
});
