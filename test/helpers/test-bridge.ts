// Starts the bridge app on loopback for component tests: real HTTP, a real SQLite file in a fresh
// temp directory (or a fresh schema on the run's PostgreSQL server, or an injected store), a known
// token, and every log line captured. With
// `metrics`, composed as main.ts does it: the metrics and their observer wired in, and the separate
// metrics listener when METRICS_PORT is set.
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { DEFAULT_MAPPING, type Mapping } from '../../src/core/mapping/mapping.js';
import type { SyncWorker } from '../../src/core/sync/sync-worker.js';
import { buildDeps, startUpstream, type BridgeDeps } from '../../src/deps.js';
import { createAppServer } from '../../src/http/app-server.js';
import { startMetricsServer } from '../../src/http/metrics-server.js';
import type { SandboxHandle } from '../../src/sandbox/index.js';
import { createLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { createPostgresStore, createSqliteStore } from '../../src/adapters/store/index.js';
import type { Store } from '../../src/ports/store.js';
import { scimRequest } from './scim-client.js';
import { captureLogLines } from './log-capture.js';
import { dropSchema, freshSchemaName, postgresUrl } from './postgres-server.js';

export const TEST_TOKEN = 'test-token-0123456789abcdef';
/** The operators' token (ADMIN_TOKENS): /admin and the console. */
export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

export interface TestBridge {
  readonly url: string;
  readonly base: string;
  /** DATA_DIR: the SQLite file (engine sqlite) and the generated secrets live here. */
  readonly dataDir: string;
  readonly deps: BridgeDeps;
  /** The separate metrics listener's URL, when `metrics` is on and METRICS_PORT is set. */
  readonly metricsUrl: string | null;
  readonly store: Store;
  /** The in-process Dynatrace sandbox the bridge provisions into. */
  readonly sandbox: SandboxHandle;
  readonly worker: SyncWorker;
  readonly logLines: string[];
  /** fetch against the SCIM base with the bearer token and a JSON body. */
  scim(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ScimResponse>;
  close(): Promise<void>;
}

export interface ScimResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: any;
  readonly text: string;
}

/** The engines the bridge runs on, for tests that must hold on each. */
export const STORE_ENGINES = ['sqlite', 'postgres'] as const;
export type StoreEngine = (typeof STORE_ENGINES)[number];

export interface TestBridgeOptions {
  readonly engine?: StoreEngine;
  readonly env?: Record<string, string>;
  /** Wraps the engine, e.g. with a recording fake, before the app sees it. */
  readonly wrapStore?: (store: Store) => Store;
  readonly mapping?: Mapping;
  /** The bridge's clock (the sync queue's times, the user directory's); default the system's. */
  readonly now?: () => Date;
  /** Metrics as main.ts wires them (unless METRICS_ENABLED=false); off by default. */
  readonly metrics?: boolean;
}

export async function startTestBridge(options: TestBridgeOptions = {}): Promise<TestBridge> {
  const dir = mkdtempSync(path.join(tmpdir(), 'scim-bridge-'));
  // RATE_LIMIT_PER_MINUTE=0: tests drive far more requests per second than one IdP sends; the per-client limit has its own tests.
  const config = loadConfig({ DATA_DIR: dir, SCIM_TOKENS: TEST_TOKEN, ADMIN_TOKENS: TEST_ADMIN_TOKEN, LOG_LEVEL: 'info', SYNC_COALESCE_MS: '0', RATE_LIMIT_PER_MINUTE: '0', ...options.env });
  const { lines: logLines, destination } = captureLogLines();
  const logger = createLogger({ level: config.logLevel, destination });
  const schema = options.engine === 'postgres' ? freshSchemaName('bridge') : null;
  const engine =
    schema !== null
      ? await createPostgresStore({ connectionString: postgresUrl(), schema, poolSize: 4 })
      : createSqliteStore({ file: path.join(dir, 'bridge.sqlite') });
  const store = options.wrapStore ? options.wrapStore(engine) : engine;
  const metrics = options.metrics === true && config.metrics.enabled ? createMetrics() : null;
  const upstream = await startUpstream({ config, logger, observer: metrics?.observer });
  const deps = buildDeps({ ...(options.now ? { now: options.now } : {}), config, logger, scimTokens: config.scimTokens, store, upstream, mapping: options.mapping ?? DEFAULT_MAPPING, metrics });
  await deps.claimAccount();
  const server: Server = createAppServer(createApp(deps)).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  const url = `http://127.0.0.1:${address.port}`;
  const base = `${url}${config.scimBasePath}`;
  const metricsServer =
    metrics !== null && config.metrics.port !== null
      ? await startMetricsServer({ host: '127.0.0.1', port: config.metrics.port, metrics, token: config.metrics.token, logger })
      : null;
  return {
    url,
    base,
    dataDir: dir,
    deps,
    metricsUrl: metricsServer === null ? null : `http://127.0.0.1:${metricsServer.port}`,
    store,
    sandbox: upstream.sandbox as SandboxHandle,
    worker: deps.worker,
    logLines,
    async scim(method, route, body, headers = {}) {
      return scimRequest(base, TEST_TOKEN, method, route, body, headers);
    },
    async close() {
      await metricsServer?.close();
      server.closeAllConnections();
      server.close();
      await deps.worker.stop();
      await upstream.close();
      await store.close();
      if (schema !== null) await dropSchema(schema);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

