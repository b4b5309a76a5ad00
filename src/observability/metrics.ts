// Prometheus metrics (prom-client) in a registry of the bridge's own — never prom-client's global
// one, so several bridges can run in one process: the HTTP requests served, what the BridgeObserver
// is told (upstream attempts, retries, 429s, rate-budget waits, sync outcomes, reconcile runs), and
// Node's process metrics. Every label value comes from a closed set; anything else is recorded as
// `other`. docs/metrics.md lists every series.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { BridgeObserver, UpstreamAttemptStatus } from '../ports/observer.js';

export interface HttpRequestObservation {
  readonly method: string;
  /** A route template (`/scim/v2/Users/:id`) or `unmatched`; never a raw path. */
  readonly route: string;
  readonly status: number;
  readonly seconds: number;
}

export interface Metrics {
  /** Where every series lives; scrape-time gauges (metrics-state.ts) are added to it. */
  readonly registry: Registry;
  /** Hand to the Dynatrace clients, the sync worker and the admin service. */
  readonly observer: BridgeObserver;
  httpRequest(request: HttpRequestObservation): void;
  /** The text exposition format and its content type. */
  render(): Promise<{ readonly contentType: string; readonly text: string }>;
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/** Adapter operation names are identifiers (`getUser`); anything else is not one. */
const OPERATION = /^[A-Za-z][A-Za-z0-9]{0,63}$/;
/** Reconcile finding kinds are snake_case words (`missing_user`). */
const FINDING_KIND = /^[a-z][a-z_]{0,63}$/;
const ROUTE_TEMPLATE = /^(\/[A-Za-z0-9._~:-]*)+$|^unmatched$/;

/** Distinct (method, status, route) triples whose checked labels are kept; more are checked every time. */
const MAX_HTTP_LABEL_SETS = 1_000;

const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const UPSTREAM_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const BUDGET_WAIT_BUCKETS = [0.001, 0.01, 0.1, 0.5, 1, 5, 15, 30, 60, 120];

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const httpRequests = new Counter({
    name: 'scim_bridge_http_requests_total',
    help: 'HTTP requests answered, by method, route template and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers,
  });
  const httpDuration = new Histogram({
    name: 'scim_bridge_http_request_duration_seconds',
    help: 'Time from receiving an HTTP request to the end of its answer, by method and route template.',
    labelNames: ['method', 'route'] as const,
    buckets: HTTP_BUCKETS,
    registers,
  });
  const upstreamRequests = new Counter({
    name: 'scim_bridge_upstream_requests_total',
    help: 'HTTP attempts to Dynatrace, by service, operation and status (an HTTP status, timeout or network_error).',
    labelNames: ['service', 'operation', 'status'] as const,
    registers,
  });
  const upstreamDuration = new Histogram({
    name: 'scim_bridge_upstream_request_duration_seconds',
    help: 'Duration of one HTTP attempt to Dynatrace (rate-budget wait excluded), by service and operation.',
    labelNames: ['service', 'operation'] as const,
    buckets: UPSTREAM_BUCKETS,
    registers,
  });
  const upstreamRetries = new Counter({
    name: 'scim_bridge_upstream_retries_total',
    help: 'Dynatrace calls tried again, by service, operation and reason.',
    labelNames: ['service', 'operation', 'reason'] as const,
    registers,
  });
  const upstreamThrottled = new Counter({
    name: 'scim_bridge_upstream_throttled_total',
    help: '429 Too Many Requests answers received from Dynatrace, by service and operation.',
    labelNames: ['service', 'operation'] as const,
    registers,
  });
  const upstreamFailures = new Counter({
    name: 'scim_bridge_upstream_failures_total',
    help: 'Attempts to reach Dynatrace that got no usable answer, by service and kind (dns, connection_refused, connection_reset, timeout, tls, network, http for a 5xx, 401 or 403).',
    labelNames: ['service', 'kind'] as const,
    registers,
  });
  const budgetWait = new Histogram({
    name: 'scim_bridge_rate_budget_wait_seconds',
    help: "Time an HTTP attempt waited for the Dynatrace account's client-side rate budget, by service.",
    labelNames: ['service'] as const,
    buckets: BUDGET_WAIT_BUCKETS,
    registers,
  });
  const syncProcessed = new Counter({
    name: 'scim_bridge_sync_items_processed_total',
    help: 'Sync queue items processed by the worker, by resource type and outcome (completed, deferred, failed).',
    labelNames: ['resource_type', 'outcome'] as const,
    registers,
  });
  const reconcileRuns = new Counter({
    name: 'scim_bridge_reconcile_runs_total',
    help: 'Reconcile runs, by outcome (completed, failed).',
    labelNames: ['outcome'] as const,
    registers,
  });
  const reconcileFindings = new Counter({
    name: 'scim_bridge_reconcile_findings_total',
    help: 'Drift found by reconcile runs, by kind.',
    labelNames: ['kind'] as const,
    registers,
  });
  const lastFindings = new Gauge({
    name: 'scim_bridge_reconcile_last_findings',
    help: 'Drift found by the last completed reconcile run of this replica, by kind.',
    labelNames: ['kind'] as const,
    registers,
  });

  const observer: BridgeObserver = {
    upstreamAttempt({ service, operation, status, seconds }) {
      const op = operationLabel(operation);
      upstreamRequests.inc({ service, operation: op, status: upstreamStatusLabel(status) });
      upstreamDuration.observe({ service, operation: op }, seconds);
      if (status === 429) upstreamThrottled.inc({ service, operation: op });
    },
    upstreamRetry({ service, operation, reason }) {
      upstreamRetries.inc({ service, operation: operationLabel(operation), reason });
    },
    rateBudgetWait({ service, seconds }) {
      budgetWait.observe({ service }, seconds);
    },
    upstreamFailure({ service, failure }) {
      upstreamFailures.inc({ service, kind: failure.kind });
    },
    syncProcessed({ resourceType, outcome }) {
      syncProcessed.inc({ resource_type: resourceType, outcome });
    },
    reconcileRun({ outcome, findings }) {
      reconcileRuns.inc({ outcome });
      if (outcome !== 'completed') return;
      for (const [kind, count] of Object.entries(findings)) {
        if (!FINDING_KIND.test(kind)) continue;
        reconcileFindings.inc({ kind }, count);
        lastFindings.set({ kind }, count);
      }
    },
  };

  // Label sets of the requests seen so far, checked once each: the set of routes, methods and statuses is small.
  const httpLabels = new Map<string, { readonly request: Record<'method' | 'route' | 'status', string>; readonly duration: Record<'method' | 'route', string> }>();
  const httpLabelsOf = (method: string, route: string, status: number) => {
    const key = `${method} ${status} ${route}`;
    let labels = httpLabels.get(key);
    if (labels === undefined) {
      const duration = { method: METHODS.has(method) ? method : 'other', route: ROUTE_TEMPLATE.test(route) ? route : 'unmatched' };
      labels = { request: { ...duration, status: statusLabel(status) }, duration };
      if (httpLabels.size < MAX_HTTP_LABEL_SETS) httpLabels.set(key, labels);
    }
    return labels;
  };

  return {
    registry,
    observer,
    httpRequest({ method, route, status, seconds }) {
      const labels = httpLabelsOf(method, route, status);
      httpRequests.inc(labels.request);
      httpDuration.observe(labels.duration, seconds);
    },
    async render() {
      return { contentType: registry.contentType, text: await registry.metrics() };
    },
  };
}

function operationLabel(operation: string): string {
  return OPERATION.test(operation) ? operation : 'other';
}

function statusLabel(status: number): string {
  return Number.isInteger(status) && status >= 100 && status <= 599 ? String(status) : 'other';
}

function upstreamStatusLabel(status: UpstreamAttemptStatus): string {
  return typeof status === 'number' ? statusLabel(status) : status;
}
