// Composition root: picks the store engine and the Dynatrace upstream (a real account or the
// in-process sandbox), and builds the core services and everything createApp needs.
import { randomBytes, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import path from 'node:path';
import type { AppDeps } from './app.js';
import { DEFAULT_DT_SCOPES, type Config } from './config.js';
import { createGroupService } from './core/groups.js';
import { createAdminService } from './core/admin.js';
import { createAccessChain } from './core/access/access-chain.js';
import type { Mapping } from './core/mapping/mapping.js';
import { createMappingInForce, type MappingSource } from './core/mapping/mapping-in-force.js';
import { createReconcileRecord } from './core/sync/reconcile-record.js';
import { accountIdentity, claimAppliedAccount, type AccountClaim } from './core/sync/applied-account.js';
import { checkMapping, createBindingResolver } from './core/sync/binding-resolver.js';
import { reconcile } from './core/sync/reconcile.js';
import { createKeyedLock } from './core/sync/keyed-lock.js';
import { createGroupDirectory, type SyncContext } from './core/sync/sync-context.js';
import { createSyncWorker, type SyncWorker } from './core/sync/sync-worker.js';
import { createUserDirectory } from './core/sync/user-directory.js';
import { createUserService } from './core/users.js';
import { drainOf } from './core/drain-rate.js';
import { createUpstreamHealth, type UpstreamHealth } from './core/upstream-health.js';
import {
  createAccountManagementClient,
  createDavisAssistantClient,
  createOAuthTokenProvider,
  createRateBudget,
  type OAuthTokenProvider,
  type RateBudget,
} from './adapters/dynatrace/index.js';
import { createOutboundHttp, type OutboundHttp } from './adapters/outbound-http.js';
import { createPostgresStore, createSqliteStore } from './adapters/store/index.js';
import { createJwtVerifier } from './http/jwt-verifier.js';
import { MappingFileError } from './mapping-file.js';
import type { Logger } from './observability/logger.js';
import type { Metrics } from './observability/metrics.js';
import { registerStateGauges } from './observability/metrics-state.js';
import { createReadiness } from './observability/readiness.js';
import type { AccountApi } from './ports/account-api.js';
import type { DavisAssistantApi } from './ports/davis-assistant-api.js';
import type { RateLedger } from './ports/rate-ledger.js';
import { noopObserver, teeObserver, type UpstreamObserver } from './ports/observer.js';
import type { Store } from './ports/store.js';
import { startSandbox, type SandboxHandle } from './sandbox/index.js';
import { groupSchema, userSchema } from './scim/index.js';

export interface BuildDepsOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly scimTokens: readonly string[];
  readonly upstream: Pick<Upstream, 'accountApi' | 'davisAssistantApi' | 'rateBudget' | 'tokenProvider' | 'accountIdentity' | 'outbound' | 'health'>;
  readonly mapping: Mapping;
  /** Re-reads MAPPING_FILE (POST /admin/mapping/reload); absent = reload keeps the mapping. */
  readonly loadMapping?: () => Mapping;
  /** From openStore (or a test's); absent = the SQLite file under DATA_DIR. */
  readonly store?: Store;
  readonly now?: () => Date;
  /** From createMetrics (its observer also given to startUpstream); absent = no metrics. */
  readonly metrics?: Metrics | null;
  /** Aborted on shutdown (the one given to startUpstream): the worker then releases items whose wait it ended. */
  readonly stopSignal?: AbortSignal;
  /** Operator tokens (ADMIN_TOKENS or the generated one); absent = ADMIN_TOKENS as configured. */
  readonly adminTokens?: readonly string[];
  /** The console's session key (CONSOLE_SESSION_SECRET or the generated one); absent = configured, else one for this process. */
  readonly sessionSecret?: string;
}

/** The store the configuration names: PostgreSQL with DATABASE_URL (several replicas), else the SQLite file under DATA_DIR. */
export async function openStore(config: Config, logger: Logger): Promise<Store> {
  const { database } = config;
  if (database === null) return openSqliteStore(config);
  return createPostgresStore(
    {
      connectionString: database.url,
      poolSize: database.poolSize,
      connectionTimeoutMs: database.connectTimeoutMs,
      statementTimeoutMs: database.statementTimeoutMs,
    },
    {
      // A server that is starting, restarting or not yet routable is waited for (DATABASE_START_TIMEOUT_MS).
      startTimeoutMs: database.startTimeoutMs,
      onUnreachable: (error, retryInMs) => logger.warn({ reason: error.message, retryInMs }, 'PostgreSQL is not reachable yet; trying again'),
    },
  );
}

function openSqliteStore(config: Config): Store {
  return createSqliteStore({ file: path.join(config.dataDir, 'bridge.sqlite') });
}

/** Everything the process runs: the HTTP app's dependencies and the sync worker. */
export interface BridgeDeps extends AppDeps {
  readonly worker: SyncWorker;
  readonly syncContext: SyncContext;
  /**
   * Records the upstream account as the one the applied state describes, before the worker starts;
   * another account's applied state is forgotten and every SCIM resource queued (logged as a warning).
   */
  claimAccount(): Promise<AccountClaim>;
}

/** A mapping file read again: a broken one is its problems (the mapping in force stays). */
function readMappingSource(load: () => Mapping): MappingSource {
  try {
    return { mapping: load() };
  } catch (error) {
    if (error instanceof MappingFileError) return { problems: error.problems };
    throw error;
  }
}

export function buildDeps(options: BuildDepsOptions): BridgeDeps {
  const { config, logger, upstream } = options;
  const store = options.store ?? openSqliteStore(config);
  const now = options.now ?? (() => new Date());
  const metrics = options.metrics ?? null;
  const observer = metrics?.observer ?? noopObserver;
  const bindings = createBindingResolver({ accountApi: upstream.accountApi });
  const { loadMapping } = options;
  const mapping = createMappingInForce({
    initial: options.mapping,
    ...(loadMapping ? { load: () => readMappingSource(loadMapping) } : {}),
    check: (candidate) => checkMapping(candidate, upstream.accountApi, bindings),
    onReload: () => bindings.clear(),
  });
  const user = userSchema();
  const group = groupSchema();
  const common = { store, now, newId: randomUUID, filterScanLimit: config.filterScanLimit, syncDelayMs: config.sync.coalesceMs };
  const syncContext: SyncContext = {
    store,
    accountApi: upstream.accountApi,
    davisApi: upstream.davisAssistantApi,
    mapping: () => mapping.current(),
    bindings,
    groupLocks: createKeyedLock(),
    groupDirectory: createGroupDirectory({ accountApi: upstream.accountApi }),
    userDirectory: createUserDirectory({ accountApi: upstream.accountApi, now }),
    dryRun: config.sync.dryRun,
    defaultTimezone: config.sync.defaultTimezone,
    now,
    stopSignal: options.stopSignal,
  };
  const worker = createSyncWorker({
    context: syncContext,
    owner: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
    concurrency: config.sync.concurrency,
    leaseMs: config.sync.leaseMs,
    pollMs: config.sync.pollMs,
    stopTimeoutMs: config.shutdownTimeoutMs,
    stopSignal: options.stopSignal,
    random: Math.random,
    log: logger.child({ component: 'sync' }),
    observer,
  });
  const reconciles = createReconcileRecord((reconcileOptions) => reconcile(syncContext, reconcileOptions));
  const readiness = createReadiness({
    pingStore: () => store.ping(),
    dynatraceToken: () => upstream.tokenProvider.getToken(),
    mapping: { checked: () => mapping.checked(), check: () => mapping.check() },
    requiresDynatrace: config.readinessRequiresDynatrace,
  });
  if (metrics !== null) {
    registerStateGauges(metrics.registry, {
      queueStats: () => store.syncQueueStats({ failedLimit: 0 }),
      drainPerMinute: async () => (await drainOf(store, 0, now())).perMinute,
      upstreamReachable: () => Object.fromEntries(Object.entries(upstream.health.report()).map(([service, health]) => [service, health.reachable])),
      readiness,
      now,
      timeoutMs: 2_000,
    });
  }
  const access = createAccessChain({
    store,
    mapping: () => mapping.current(),
    resolve: (rule) => bindings.resolve(rule),
    levelKey: (rule) => bindings.levelKey(rule),
  });
  return {
    logger,
    store,
    access,
    adminTokens: options.adminTokens ?? config.operators.tokens,
    scimTokenOpensAdmin: config.operators.scimTokenOpensAdmin,
    console: {
      store,
      access,
      readiness,
      mapping: () => mapping.current(),
      mappingProblems: () => mapping.problems(),
      mappingFile: config.sync.mappingFile,
      dryRun: config.sync.dryRun,
      sessionSecret: options.sessionSecret ?? config.operators.sessionSecret ?? randomBytes(32).toString('base64url'),
      sessionTtlSeconds: config.operators.sessionTtlSeconds,
      oidc: config.operators.oidc,
      publicBaseUrl: config.publicBaseUrl,
    },
    users: createUserService({ ...common, catalogue: user.catalogue, coreSchema: user.coreSchema, emailChange: () => mapping.current().emailChange }),
    admin: createAdminService({
      store,
      dryRun: config.sync.dryRun,
      now,
      budgetUsage: () => upstream.rateBudget.usage(),
      upstreamHealth: () => upstream.health.report(),
      mappingProblems: () => mapping.problems(),
      lastReconcile: () => reconciles.last(),
      observer,
      reloadMapping: () => mapping.reload(),
      reconcile: (reconcileOptions) => reconciles.run(reconcileOptions),
    }),
    groups: createGroupService({ ...common, catalogue: group.catalogue, coreSchema: group.coreSchema }),
    scimTokens: options.scimTokens,
    scimBasePath: config.scimBasePath,
    publicBaseUrl: config.publicBaseUrl,
    defaultPageSize: config.defaultPageSize,
    maxPageSize: config.maxPageSize,
    maxBodyBytes: config.maxBodyBytes,
    jwtVerifier: config.jwt === null ? null : createJwtVerifier(config.jwt, upstream.outbound.fetch),
    clientRateLimit: config.clientRateLimit,
    clientRateLimitClock: () => performance.now(),
    trustProxy: config.trustProxy,
    readiness,
    metrics,
    metricsConfig: config.metrics,
    worker,
    syncContext,
    async claimAccount() {
      const claim = await claimAppliedAccount(store, upstream.accountIdentity, now);
      if (claim.switched) {
        logger.warn(
          { previousAccount: claim.previous, account: upstream.accountIdentity, queued: claim.queued },
          'the store described another Dynatrace account: its applied state is forgotten and every SCIM user and group is queued for this one',
        );
      }
      return claim;
    },
  };
}

/** The Dynatrace side: the account's clients, and the in-process sandbox when it stands in. */
export interface Upstream {
  /** Names the account the clients reach, for the store's record of it (core/sync/applied-account.ts). */
  readonly accountIdentity: string;
  readonly accountApi: AccountApi;
  readonly davisAssistantApi: DavisAssistantApi;
  readonly tokenProvider: OAuthTokenProvider;
  /** The account's request budget, shared by every client of it. */
  readonly rateBudget: RateBudget;
  /** Whether the clients reach Dynatrace, as their attempts found (told through their observer). */
  readonly health: UpstreamHealth;
  /** Set in sandbox mode. */
  readonly sandbox: SandboxHandle | null;
  /** Every outbound call to the outside (the account's clients, a JWT issuer's JWKS) goes through its proxy settings. */
  readonly outbound: OutboundHttp;
  close(): Promise<void>;
}

/**
 * Builds the Dynatrace clients for the configured account, through the outbound proxy settings, or —
 * with no credentials configured — starts the sandbox on loopback and points the same clients at it
 * directly (it runs in this process: no call leaves the machine).
 */
export async function startUpstream(options: {
  config: Config;
  logger: Logger;
  observer?: UpstreamObserver;
  /** Aborted on shutdown: the clients stop waiting for their rate budgets and retries. */
  stopSignal?: AbortSignal;
  /** Where the rate budgets keep their windows: the store, shared across restarts and replicas; absent = this process only. */
  ledger?: RateLedger;
}): Promise<Upstream> {
  const { config, logger } = options;
  const health = createUpstreamHealth({ now: () => new Date() });
  const observer = teeObserver(options.observer ?? noopObserver, { ...noopObserver, ...health });
  const outbound = createOutboundHttp(config.outboundProxy);
  let sandbox: SandboxHandle | null = null;
  let account: { accountUuid: string; clientId: string; clientSecret: string; apiUrl: string; tokenUrl: string; scopes: string };
  if (config.dynatrace.mode === 'account') {
    account = config.dynatrace;
  } else {
    sandbox = await startSandbox({ host: '127.0.0.1' });
    const { accountUuid, clientId, clientSecret, url, tokenUrl } = sandbox;
    account = { accountUuid, clientId, clientSecret, apiUrl: url, tokenUrl, scopes: DEFAULT_DT_SCOPES };
  }
  const seams = { observer, ...(sandbox ? {} : { fetch: outbound.fetch }) };
  const tokenProvider = createOAuthTokenProvider({
    clientId: account.clientId,
    clientSecret: account.clientSecret,
    accountUuid: account.accountUuid,
    tokenUrl: account.tokenUrl,
    scopes: account.scopes,
    ...seams,
  });
  // The in-process sandbox is new and empty at every start, under a new account UUID.
  const identity = sandbox === null ? accountIdentity(account.apiUrl, account.accountUuid) : `sandbox account ${account.accountUuid}`;
  const budget = (name: string, requestsPerMinute: number) =>
    createRateBudget({ name, requestsPerMinute, signal: options.stopSignal, ...(options.ledger === undefined ? {} : { ledger: options.ledger }) });
  const rateBudget = budget(`account-management ${identity}`, config.dynatrace.rateLimitPerMinute);
  const accountApi = createAccountManagementClient({
    accountUuid: account.accountUuid,
    baseUrl: account.apiUrl,
    tokenProvider,
    rateBudget,
    onDeprecation: (notice) => logger.warn({ ...notice }, 'Dynatrace marks this endpoint deprecated'),
    ...seams,
  });
  const davis = sandbox ? { url: sandbox.url, token: sandbox.davisToken } : config.davisAssistant;
  // Davis Assistant's own budget (DAVIS_RATE_LIMIT_PER_MINUTE), kept and abandoned on shutdown like the account's.
  const davisBudget = budget(`davis-assistant ${davis.url}`, config.davisAssistant.rateLimitPerMinute);
  const davisAssistantApi = createDavisAssistantClient({ baseUrl: davis.url, ...(davis.token ? { token: davis.token } : {}), rateBudget: davisBudget, ...seams });
  return {
    accountIdentity: identity,
    accountApi,
    davisAssistantApi,
    tokenProvider,
    rateBudget,
    health,
    sandbox,
    outbound,
    close: async () => {
      await sandbox?.stop();
      await outbound.close();
    },
  };
}
