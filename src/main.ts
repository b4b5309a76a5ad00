// Process entry: load config and mapping (on SQLite, take the data directory first: one process owns
// it, and frees at once what an earlier one died holding), build deps, listen, run the sync worker,
// and on SIGTERM/SIGINT shut down within SHUTDOWN_TIMEOUT_MS (shutdown.ts).
import { once } from 'node:events';
import { createApp } from './app.js';
import { buildDeps, openStore, startUpstream, type BridgeDeps, type Upstream } from './deps.js';
import { releaseAbandonedWork } from './core/sync/abandoned-work.js';
import { DataDirBusyError, lockDataDir, type DataDirLock } from './data-dir-lock.js';
import { createAppServer } from './http/app-server.js';
import { startMetricsServer, type MetricsServer } from './http/metrics-server.js';
import { trackForDrain } from './http/server-drain.js';
import { hardenServer } from './http/server-hardening.js';
import { loadMappingFile } from './mapping-file.js';
import type { Logger } from './observability/logger.js';
import { createLogger } from './observability/logger.js';
import { createMetrics } from './observability/metrics.js';
import type { Config } from './config.js';
import { loadOrCreateAdminToken, loadOrCreateScimToken, loadOrCreateSecretFile, type GeneratedToken } from './scim-token-file.js';
import { isUpstreamError } from './ports/upstream-error.js';
import { readSettings } from './settings.js';
import { exitOnStopSignals, shutDown } from './shutdown.js';

async function main(): Promise<void> {
  const settings = readSettings(process.env);
  if (settings === null) process.exit(2);
  const { config, mapping } = settings;
  const dataDirLock = config.database === null ? claimDataDir(config.dataDir) : null;
  const logger = createLogger({ level: config.logLevel });
  let scimTokens = config.scimTokens;
  // With JWT verification configured, no static token is needed: none is generated.
  if (scimTokens.length === 0 && config.jwt === null) {
    const generated = loadOrCreateScimToken(config.dataDir);
    scimTokens = [generated.token];
    if (generated.created) {
      process.stderr.write(
        `\nNo SCIM_TOKENS configured: generated a SCIM bearer token (kept in ${generated.file}, shown only this once):\n\n  ${generated.token}\n\n`,
      );
    }
    logger.warn({ tokenFile: generated.file }, 'using the generated SCIM token; set SCIM_TOKENS for production');
  }
  const operators = operatorSecrets(config);
  if (operators.generatedToken !== null) {
    process.stderr.write(
      `\nNo ADMIN_TOKENS configured: generated an admin token for the console (http://localhost:${config.port}/console) and /admin (kept in ${operators.generatedToken.file}, shown only this once):\n\n  ${operators.generatedToken.token}\n\n`,
    );
  }
  const metrics = config.metrics.enabled ? createMetrics() : null;
  const stopping = new AbortController();
  const store = await openStore(config, logger);
  if (dataDirLock !== null) {
    const released = await releaseAbandonedWork(store);
    if (released.leases + released.groupLocks > 0) logger.info({ ...released }, 'released what an earlier process held at its end: its work resumes now');
  }
  const upstream = await startUpstream({ config, logger, observer: metrics?.observer, stopSignal: stopping.signal, ledger: store });
  const mappingFile = config.sync.mappingFile;
  const deps = buildDeps({
    config,
    logger,
    store,
    scimTokens,
    adminTokens: operators.adminTokens,
    sessionSecret: operators.sessionSecret,
    upstream,
    mapping,
    loadMapping: () => loadMappingFile(mappingFile),
    metrics,
    stopSignal: stopping.signal,
  });
  await deps.claimAccount();
  announceUpstream(upstream, deps, logger);
  if (config.sync.dryRun) logger.warn('DRY_RUN: changes are computed and audited, nothing is written to Dynatrace');
  deps.worker.start();
  const reconcileTimer = scheduleReconcile(deps, config.sync.reconcileIntervalMs, logger);
  const app = createApp(deps);
  const server = createAppServer(app).listen(config.port, config.host);
  hardenServer(server, { logger });
  const http = trackForDrain(server);
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  logger.info({ port, scimBasePath: config.scimBasePath, dataDir: config.dataDir }, `SCIM bridge listening on http://${config.host}:${port}${config.scimBasePath}`);
  let metricsServer: MetricsServer | null = null;
  if (metrics !== null && config.metrics.port !== null) {
    // Closed last on shutdown: scrapes keep working while the bridge drains.
    metricsServer = await startMetricsServer({ host: config.host, port: config.metrics.port, metrics, token: config.metrics.token, logger });
    logger.info({ metricsPort: metricsServer.port }, `metrics on http://${config.host}:${metricsServer.port}/metrics`);
  }

  const parts = {
    logger,
    readiness: deps.readiness,
    http,
    worker: deps.worker,
    stopping,
    stopSchedules: () => {
      if (reconcileTimer) clearInterval(reconcileTimer);
    },
    store: deps.store,
    upstream,
    metricsServer,
    dataDirLock,
    timeoutMs: config.shutdownTimeoutMs,
  };
  exitOnStopSignals({ logger, shutdown: (signal) => shutDown(parts, signal), exit: (code) => process.exit(code) });
}

/** The SQLite data directory's lock (data-dir-lock.ts); a start while another process holds it stops with status 2. */
function claimDataDir(dataDir: string): DataDirLock {
  try {
    return lockDataDir(dataDir);
  } catch (error) {
    if (!(error instanceof DataDirBusyError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
}

/**
 * The operator credentials: ADMIN_TOKENS, else a token generated once under DATA_DIR (returned when this
 * start created it, to be shown); CONSOLE_SESSION_SECRET, else a key generated once under DATA_DIR.
 */
function operatorSecrets(config: Config): { adminTokens: readonly string[]; sessionSecret: string; generatedToken: GeneratedToken | null } {
  const { operators, dataDir } = config;
  const sessionSecret = operators.sessionSecret ?? loadOrCreateSecretFile(dataDir, 'console-session-secret').token;
  if (operators.tokens.length > 0) return { adminTokens: operators.tokens, sessionSecret, generatedToken: null };
  const generated = loadOrCreateAdminToken(dataDir);
  return { adminTokens: [generated.token], sessionSecret, generatedToken: generated.created ? generated : null };
}

/**
 * Periodic reconcile (RECONCILE_INTERVAL_MS; 0 = only on demand); one at a time, never overlapping, and
 * with several replicas on one database once per interval across all of them (the store's locks).
 */
function scheduleReconcile(deps: BridgeDeps, intervalMs: number, logger: Logger): NodeJS.Timeout | null {
  if (intervalMs === 0) return null;
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    deps.admin
      .reconcileOnSchedule(intervalMs)
      .then((report) => {
        if (report === null) logger.debug('periodic reconcile skipped: another replica ran it this interval or is running one');
        else logger.info({ counts: report.counts, dryRun: report.dryRun }, 'reconcile finished');
      })
      .catch((error: unknown) => logger.error({ err: error }, 'reconcile failed'))
      .finally(() => {
        running = false;
      });
  }, intervalMs);
  timer.unref();
  return timer;
}

/** Says where provisioning goes, and checks in the background that the account answers and the mapping resolves. */
function announceUpstream(upstream: Upstream, deps: BridgeDeps, logger: Logger): void {
  const { sandbox } = upstream;
  if (sandbox) {
    process.stderr.write(
      [
        '',
        'No Dynatrace credentials configured: SANDBOX MODE. An in-process Dynatrace simulator stands in; nothing reaches Dynatrace.',
        `  sandbox URL:      ${sandbox.url}`,
        `  account UUID:     ${sandbox.accountUuid}`,
        `  OAuth client id:  ${sandbox.clientId}`,
        `  OAuth secret:     ${sandbox.clientSecret}   (the sandbox's own fake credential)`,
        `  token endpoint:   ${sandbox.tokenUrl}`,
        `  look into it:     curl -s ${sandbox.url}/sandbox/state   (and ${sandbox.url}/sandbox/requests)`,
        '  Set DT_ACCOUNT_UUID, DT_CLIENT_ID and DT_CLIENT_SECRET for a real account (docs/dynatrace.md).',
        '',
      ].join('\n'),
    );
    logger.warn({ sandboxUrl: sandbox.url, accountUuid: sandbox.accountUuid }, 'sandbox mode: no Dynatrace credentials configured');
  }
  deps.admin
    .reloadMapping()
    .then(({ problems }) => {
      logger.info('Dynatrace account reachable');
      for (const problem of problems) logger.error({ problem }, 'mapping problem: it blocks only the groups it names');
    })
    .catch((error: unknown) => {
      const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : 'unknown';
      // Where it went and why (DNS, refused, timeout, TLS, or the HTTP status with Dynatrace's code): never a secret.
      const failure = isUpstreamError(error) ? error.failure : null;
      const where = failure === null ? {} : { url: failure.url, cause: failure.kind, detail: failure.description };
      logger.error({ code, ...where }, 'Dynatrace account not reachable; SCIM requests are still accepted and stored');
    });
}

main().catch((error: unknown) => {
  process.stderr.write(`fatal: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
