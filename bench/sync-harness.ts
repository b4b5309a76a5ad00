// One "bridge + Dynatrace" pair for the sync-efficiency bench, in this process: the sandbox on
// 127.0.0.1 with its rate limit set to the bridge's budget, and the bridge wired as src/main.ts
// wires it (loadConfig → the store → startUpstream with its rate ledger → buildDeps → worker.start() →
// createApp().listen()), with
// DT_* pointing at the sandbox (account mode: the production clients, retry policy and rate budget),
// the real clock, a SQLite file in a new temp directory and the given mapping file.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createApp } from '../src/app.js';
import { createAppServer } from '../src/http/app-server.js';
import { loadConfig, type Config } from '../src/config.js';
import { buildDeps, startUpstream, type BridgeDeps, type Upstream } from '../src/deps.js';
import { loadMappingFile } from '../src/mapping-file.js';
import { createLogger } from '../src/observability/logger.js';
import { createSqliteStore } from '../src/adapters/store/index.js';
import { startSandbox, type SandboxHandle } from '../src/sandbox/index.js';
import { createBridgeClient, type BridgeClient } from './sync-idp.js';

export interface PairOptions {
  readonly name: string;
  /** DT_RATE_LIMIT_PER_MINUTE, and the sandbox's per-minute limit. */
  readonly budgetPerMinute: number;
  readonly coalesceMs: number;
  /** SYNC_CONCURRENCY; null = the bridge's default. */
  readonly concurrency: number | null;
  readonly mappingYaml: string;
  readonly logLevel: string;
  readonly keepData: boolean;
  /** Record the sync's own enqueues and every lease (wrappers that call straight through). */
  readonly trace: boolean;
}

/** What the worker leased, and what the sync itself put back on the queue (`enqueueSync`). */
export interface SyncTrace {
  readonly leases: Array<{ readonly at: number; readonly resourceType: string; readonly generation: number }>;
  readonly enqueues: Array<{ readonly at: number; readonly targets: number; readonly dueInMs: number }>;
}

export interface Pair {
  readonly name: string;
  readonly sandbox: SandboxHandle;
  readonly deps: BridgeDeps;
  readonly upstream: Upstream;
  readonly config: Config;
  readonly client: BridgeClient;
  readonly dataDir: string;
  /** Problems the start-up mapping check reported (should be none). */
  readonly mappingProblems: readonly string[];
  readonly trace: SyncTrace | null;
  /** Waits until the sync queue is empty (GET /admin/status), polling every `pollMs`; throws past the deadline. */
  waitForEmptyQueue(options: { readonly timeoutMs: number; readonly pollMs?: number }): Promise<QueueDrained>;
  close(): Promise<void>;
}

export interface QueueDrained {
  /** Date.now() of the first poll that saw depth 0. */
  readonly emptyAt: number;
  readonly polls: number;
  readonly failedCount: number;
  readonly failed: unknown[];
}

export async function startPair(options: PairOptions): Promise<Pair> {
  const dataDir = mkdtempSync(path.join(tmpdir(), `scim-sync-bench-${options.name}-`));
  const mappingFile = path.join(dataDir, 'mapping.yaml');
  writeFileSync(mappingFile, options.mappingYaml);
  const sandbox = await startSandbox({ host: '127.0.0.1', port: 0, faults: { rateLimitPerMinute: options.budgetPerMinute } });
  let upstream: Upstream | null = null;
  let server: Server | null = null;
  let deps: BridgeDeps | null = null;
  const logStream = createWriteStream(path.join(dataDir, 'bridge.log'));
  const token = randomBytes(24).toString('hex');
  try {
    const config = loadConfig({
      DATA_DIR: dataDir,
      SCIM_TOKENS: token,
      // The bench's one client polls /admin/status with the same token.
      ADMIN_ACCEPTS_SCIM_TOKEN: 'true',
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: options.logLevel,
      MAPPING_FILE: mappingFile,
      SYNC_COALESCE_MS: String(options.coalesceMs),
      ...(options.concurrency === null ? {} : { SYNC_CONCURRENCY: String(options.concurrency) }),
      RECONCILE_INTERVAL_MS: '0',
      // One simulated IdP pushes everything: the per-client limit is not what this bench measures.
      RATE_LIMIT_PER_MINUTE: '0',
      DT_ACCOUNT_UUID: sandbox.accountUuid,
      DT_CLIENT_ID: sandbox.clientId,
      DT_CLIENT_SECRET: sandbox.clientSecret,
      DT_API_URL: sandbox.url,
      DT_TOKEN_URL: sandbox.tokenUrl,
      DT_RATE_LIMIT_PER_MINUTE: String(options.budgetPerMinute),
      // Davis Assistant stays disabled (no token); its URL points at the sandbox all the same.
      DAVIS_ASSISTANT_URL: sandbox.url,
    });
    if (config.dynatrace.mode !== 'account') throw new Error('sync bench: expected DT_* to select account mode');
    const logger = createLogger({ level: config.logLevel, destination: logStream });
    const mapping = loadMappingFile(config.sync.mappingFile);
    const store = createSqliteStore({ file: path.join(dataDir, 'bridge.sqlite') });
    upstream = await startUpstream({ config, logger, ledger: store });
    const built = buildDeps({ config, logger, scimTokens: config.scimTokens, store, upstream, mapping, loadMapping: () => loadMappingFile(mappingFile) });
    deps = built;
    const trace = options.trace ? traceStore(built) : null;
    await built.claimAccount();
    built.worker.start();
    server = createAppServer(createApp(built)).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('the bridge has no TCP address');
    const client = createBridgeClient(`http://127.0.0.1:${address.port}`, config.scimBasePath, token);
    // main.ts checks the mapping against the account at start (listEnvironments, policy names → UUIDs,
    // cached); it does so in the background, here it is awaited so that its calls precede the scenarios.
    const { problems } = await built.admin.reloadMapping();
    const listening = server;
    const ownUpstream = upstream;
    let closed = false;
    return {
      name: options.name,
      sandbox,
      deps: built,
      upstream: ownUpstream,
      config,
      client,
      dataDir,
      mappingProblems: problems,
      trace,
      async waitForEmptyQueue({ timeoutMs, pollMs = 50 }) {
        const deadline = Date.now() + timeoutMs;
        let polls = 0;
        let last: any = null;
        while (Date.now() < deadline) {
          polls++;
          const answer = await client.admin('GET', '/status');
          if (answer.status !== 200) throw new Error(`GET /admin/status answered ${answer.status}`);
          last = answer.body;
          if (last.queue.depth === 0) {
            return { emptyAt: answer.doneAt, polls, failedCount: last.queue.failedCount as number, failed: last.queue.failed as unknown[] };
          }
          await new Promise((resolve) => setTimeout(resolve, pollMs));
        }
        throw new Error(`${options.name}: the sync queue did not empty within ${timeoutMs} ms: ${JSON.stringify(last?.queue ?? null).slice(0, 2000)}`);
      },
      async close() {
        if (closed) return;
        closed = true;
        listening.closeAllConnections();
        await new Promise<void>((resolve) => listening.close(() => resolve()));
        await built.worker.stop();
        await built.store.close();
        await ownUpstream.close();
        await sandbox.stop();
        await new Promise<void>((resolve) => logStream.end(() => resolve()));
        if (!options.keepData) rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    server?.closeAllConnections();
    server?.close();
    await deps?.worker.stop().catch(() => undefined);
    await deps?.store.close().catch(() => undefined);
    await upstream?.close().catch(() => undefined);
    await sandbox.stop();
    logStream.end();
    if (!options.keepData) rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Wraps the store's `leaseSyncWork` and `enqueueSync` (SCIM mutations enqueue inside their own
 * transactions, not through `enqueueSync`: what is recorded is the sync's own re-enqueueing).
 */
function traceStore(deps: BridgeDeps): SyncTrace {
  const trace: SyncTrace = { leases: [], enqueues: [] };
  const store = deps.store;
  const lease = store.leaseSyncWork.bind(store);
  const enqueue = store.enqueueSync.bind(store);
  store.leaseSyncWork = async (options) => {
    const items = await lease(options);
    const at = Date.now();
    for (const item of items) trace.leases.push({ at, resourceType: item.resourceType, generation: item.generation });
    return items;
  };
  store.enqueueSync = async (targets, context) => {
    const at = Date.now();
    trace.enqueues.push({ at, targets: targets.length, dueInMs: Date.parse(context.dueAt) - at });
    return enqueue(targets, context);
  };
  return trace;
}
