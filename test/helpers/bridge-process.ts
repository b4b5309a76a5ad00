// Starts the bridge the way main.ts does, but on an explicit DATA_DIR and against a Dynatrace sandbox
// that outlives it (DT_* variables point at the sandbox), so a test can stop one "process" and start
// another on the same SQLite file. Time is a manual clock shared by the bridge and the sandbox: the
// worker's retry backoff and the sandbox's per-minute rate limit pass when the test advances it.
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createApp } from '../../src/app.js';
import { createAppServer } from '../../src/http/app-server.js';
import { loadConfig } from '../../src/config.js';
import { DEFAULT_MAPPING, type Mapping } from '../../src/core/mapping/mapping.js';
import { accountIdentity } from '../../src/core/sync/applied-account.js';
import type { SyncWorker } from '../../src/core/sync/sync-worker.js';
import { buildDeps, type BridgeDeps } from '../../src/deps.js';
import { createUpstreamHealth } from '../../src/core/upstream-health.js';
import { noopObserver } from '../../src/ports/observer.js';
import {
  createAccountManagementClient,
  createDavisAssistantClient,
  createOAuthTokenProvider,
  createRateBudget,
  type FetchFn,
  type RateBudget,
  type RetryPolicy,
} from '../../src/adapters/dynatrace/index.js';
import { createOutboundHttp } from '../../src/adapters/outbound-http.js';
import { createSqliteStore } from '../../src/adapters/store/index.js';
import { createLogger } from '../../src/observability/logger.js';
import type { Store } from '../../src/ports/store.js';
import { startSandbox, type SandboxFaults, type SandboxHandle } from '../../src/sandbox/index.js';
import { parseJson, scimRequest } from './scim-client.js';
import { TEST_ADMIN_TOKEN, TEST_TOKEN, type ScimResponse } from './test-bridge.js';
import { captureLogLines } from './log-capture.js';

/** Time that moves only when told to: the bridge's `now` and the sandbox's clock. */
export interface ManualClock {
  now(): number;
  date(): Date;
  advance(ms: number): void;
}

export function createManualClock(start: number = Date.UTC(2026, 0, 5, 9, 0, 0)): ManualClock {
  let t = start;
  return {
    now: () => t,
    date: () => new Date(t),
    advance(ms) {
      if (!(ms >= 0)) throw new TypeError('advance: ms must be >= 0');
      t += ms;
    },
  };
}

/**
 * Client-side retries that cost (almost) no real time: one retry after a few ms, and no waiting for a
 * `Retry-After` (the call then fails `throttled` and the sync worker defers the item, in manual time).
 */
export const FAST_CLIENT_RETRY: Partial<RetryPolicy> = Object.freeze({ maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 5, throttledDelayMs: 5, maxRetryAfterMs: 10 });

/** Longer than the worker's longest backoff (15 min, "slow") and its lease (30 s). */
export const SETTLE_STEP_MS = 16 * 60_000;

/** A long token lifetime, so that advancing the manual clock never expires the bridge's token. */
const TEN_YEARS_S = 10 * 365 * 24 * 3600;

export async function startSharedSandbox(options: {
  readonly clock: ManualClock;
  readonly faults?: Partial<SandboxFaults>;
  /** For the injected 5xx rate; a seeded generator makes the fault pattern repeatable. */
  readonly random?: () => number;
}): Promise<SandboxHandle> {
  return startSandbox({
    host: '127.0.0.1',
    port: 0,
    clock: { now: () => options.clock.now() },
    tokenTtlSeconds: TEN_YEARS_S,
    ...(options.random === undefined ? {} : { random: options.random }),
    faults: { rateLimitPerMinute: null, ...(options.faults ?? {}) },
  });
}

/** mulberry32: a small seeded PRNG for repeatable fault patterns. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function makeDataDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'scim-bridge-proc-'));
}

export function removeDataDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export interface BridgeProcessOptions {
  readonly sandbox: SandboxHandle;
  readonly dataDir: string;
  readonly clock: ManualClock;
  readonly mapping?: Mapping;
  /** More environment variables (e.g. DRY_RUN, SYNC_CONCURRENCY, DT_RATE_LIMIT_PER_MINUTE). */
  readonly env?: Record<string, string>;
  /** Davis Assistant user management on (the sandbox's token) or off. Default on. */
  readonly davis?: boolean;
  readonly retry?: Partial<RetryPolicy>;
  /** Per-request timeout of the Dynatrace clients. */
  readonly timeoutMs?: number;
  /** Wraps the Dynatrace clients' fetch (e.g. to lose a response after upstream processed it). */
  readonly wrapFetch?: (fetchFn: FetchFn) => FetchFn;
  /**
   * An already opened store (e.g. PostgreSQL on a test schema, see postgres-bridge.ts); the bridge
   * owns it from then on and closes it. Default: the SQLite file under dataDir.
   */
  readonly store?: Store;
  /** Aborted on shutdown, as main.ts wires it: the rate budget's waits end and the worker releases their items. */
  readonly stopSignal?: AbortSignal;
}

export interface AdminResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: any;
}

export interface BridgeProcess {
  readonly url: string;
  /** The listening HTTP server (e.g. for trackForDrain). */
  readonly server: Server;
  /** The account's rate budget (DT_RATE_LIMIT_PER_MINUTE, real time). */
  readonly rateBudget: RateBudget;
  readonly store: Store;
  readonly worker: SyncWorker;
  readonly deps: BridgeDeps;
  readonly sandbox: SandboxHandle;
  readonly logLines: string[];
  scim(method: string, route: string, body?: unknown, headers?: Record<string, string>): Promise<ScimResponse>;
  /** fetch against /admin with the bearer token (or the given `authorization`, or none with null). */
  admin(method: string, route: string, authorization?: string | null): Promise<AdminResponse>;
  /**
   * Drains due work, then advances the manual clock past any backoff, until the queue is empty.
   * Bounded in rounds and in wall time; throws with the queue's state when it does not settle.
   */
  settle(options?: { readonly maxRounds?: number; readonly maxWallMs?: number }): Promise<{ rounds: number; processed: number }>;
  /** Stops serving and the worker (its leases released) and closes the store; the data dir stays. */
  close(): Promise<void>;
  /**
   * Dies as a crashed process would: connections dropped, the store closed first, so the worker's
   * leases are not released (they stay until they expire). A started worker's lanes end with it.
   */
  kill(): Promise<void>;
}

export async function startBridgeProcess(options: BridgeProcessOptions): Promise<BridgeProcess> {
  const { sandbox, clock } = options;
  const davis = options.davis ?? true;
  const config = loadConfig({
    DATA_DIR: options.dataDir,
    SCIM_TOKENS: TEST_TOKEN,
    ADMIN_TOKENS: TEST_ADMIN_TOKEN,
    LOG_LEVEL: 'info',
    SYNC_COALESCE_MS: '0',
    DT_ACCOUNT_UUID: sandbox.accountUuid,
    DT_CLIENT_ID: sandbox.clientId,
    DT_CLIENT_SECRET: sandbox.clientSecret,
    DT_API_URL: sandbox.url,
    DT_TOKEN_URL: sandbox.tokenUrl,
    // The client-side budget runs on real time; keep it out of the way unless a test sets it.
    DT_RATE_LIMIT_PER_MINUTE: '100000',
    // Tests drive far more requests per second than one IdP sends; the per-client limit has its own tests.
    RATE_LIMIT_PER_MINUTE: '0',
    DAVIS_ASSISTANT_URL: sandbox.url,
    ...(davis ? { DAVIS_ASSISTANT_TOKEN: sandbox.davisToken } : {}),
    ...options.env,
  });
  if (config.dynatrace.mode !== 'account') throw new Error('bridge-process: expected DT_* credentials to select account mode');
  const { lines: logLines, destination } = captureLogLines();
  const logger = createLogger({ level: config.logLevel, destination });
  const retry = options.retry ?? FAST_CLIENT_RETRY;
  const baseFetch: FetchFn = (input, init) => fetch(input, init);
  const fetchFn = options.wrapFetch ? options.wrapFetch(baseFetch) : baseFetch;
  const timeouts = options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs };
  // What the bridge learns about reaching Dynatrace, as startUpstream wires it.
  const health = createUpstreamHealth({ now: () => clock.date() });
  const observer = { ...noopObserver, ...health };
  const tokenProvider = createOAuthTokenProvider({
    clientId: config.dynatrace.clientId,
    clientSecret: config.dynatrace.clientSecret,
    accountUuid: config.dynatrace.accountUuid,
    tokenUrl: config.dynatrace.tokenUrl,
    scopes: config.dynatrace.scopes,
    retry,
    fetch: fetchFn,
    observer,
  });
  const store = options.store ?? createSqliteStore({ file: path.join(config.dataDir, 'bridge.sqlite') });
  // The budget's window in the store, as main.ts keeps it (real time, like the budget).
  const rateBudget = createRateBudget({ requestsPerMinute: config.dynatrace.rateLimitPerMinute, signal: options.stopSignal, ledger: store, name: 'account' });
  const accountApi = createAccountManagementClient({
    accountUuid: config.dynatrace.accountUuid,
    baseUrl: config.dynatrace.apiUrl,
    tokenProvider,
    rateBudget,
    retry,
    fetch: fetchFn,
    observer,
    ...timeouts,
  });
  const davisAssistantApi = createDavisAssistantClient({
    baseUrl: config.davisAssistant.url,
    ...(config.davisAssistant.token === null ? {} : { token: config.davisAssistant.token }),
    retry,
    fetch: fetchFn,
    observer,
    ...timeouts,
  });
  const deps = buildDeps({
    config,
    logger,
    scimTokens: config.scimTokens,
    store,
    upstream: {
      accountApi,
      davisAssistantApi,
      rateBudget,
      tokenProvider,
      health,
      accountIdentity: accountIdentity(config.dynatrace.apiUrl, config.dynatrace.accountUuid),
      outbound: createOutboundHttp(config.outboundProxy),
    },
    mapping: options.mapping ?? DEFAULT_MAPPING,
    now: () => clock.date(),
    stopSignal: options.stopSignal,
  });
  await deps.claimAccount();
  const server: Server = createAppServer(createApp(deps)).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  const url = `http://127.0.0.1:${address.port}`;
  const base = `${url}${config.scimBasePath}`;
  let closed = false;

  return {
    url,
    server,
    rateBudget,
    store,
    worker: deps.worker,
    deps,
    sandbox,
    logLines,
    async scim(method, route, body, headers = {}) {
      return scimRequest(base, TEST_TOKEN, method, route, body, headers);
    },
    async admin(method, route, authorization = `Bearer ${TEST_ADMIN_TOKEN}`) {
      const response = await fetch(`${url}/admin${route}`, { method, headers: authorization === null ? {} : { authorization } });
      const text = await response.text();
      return { status: response.status, headers: response.headers, body: parseJson(text) };
    },
    async settle(settleOptions = {}) {
      const maxRounds = settleOptions.maxRounds ?? 100;
      const deadline = Date.now() + (settleOptions.maxWallMs ?? 20_000);
      let processed = 0;
      for (let round = 1; round <= maxRounds && Date.now() < deadline; round++) {
        processed += await deps.worker.drain();
        const stats = await store.syncQueueStats({ failedLimit: 1 });
        if (stats.depth === 0) return { rounds: round, processed };
        clock.advance(SETTLE_STEP_MS);
      }
      const stats = await store.syncQueueStats({ failedLimit: 10 });
      throw new Error(`sync queue did not settle: ${JSON.stringify(stats)}`);
    },
    async close() {
      if (closed) return;
      closed = true;
      server.closeAllConnections();
      server.close();
      await deps.worker.stop();
      await store.close();
    },
    async kill() {
      if (closed) return;
      closed = true;
      server.closeAllConnections();
      server.close();
      await store.close().catch(() => undefined);
      // Ends the lanes; the lease release that follows fails on the closed store.
      await deps.worker.stop().catch(() => undefined);
    },
  };
}

