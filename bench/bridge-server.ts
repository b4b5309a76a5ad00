// The bridge as the bench runs it, wired as src/main.ts wires it: config from the environment
// (no Dynatrace credentials, so the in-process sandbox stands in upstream), the default mapping,
// the SQLite file under BENCH_DATA_DIR or, with BENCH_DATABASE_URL, PostgreSQL (as DATABASE_URL
// selects it in production, through openStore), the sync worker running (unless BENCH_SYNC_WORKER=0), on
// 127.0.0.1 and an ephemeral port, in its own process so that its RSS is measured alone.
import type { Server } from 'node:http';
import { once } from 'node:events';
import { createApp } from '../src/app.js';
import { createAppServer } from '../src/http/app-server.js';
import { loadConfig } from '../src/config.js';
import { buildDeps, openStore, startUpstream } from '../src/deps.js';
import { loadMappingFile } from '../src/mapping-file.js';
import { hardenServer } from '../src/http/server-hardening.js';
import { trackForDrain } from '../src/http/server-drain.js';
import { createLogger } from '../src/observability/logger.js';
import { createMetrics } from '../src/observability/metrics.js';
import { startProbe } from './process-probe.js';

async function main(): Promise<void> {
  const dataDir = process.env.BENCH_DATA_DIR;
  const token = process.env.BENCH_TOKEN;
  if (!dataDir || !token) throw new TypeError('bridge-server needs BENCH_DATA_DIR and BENCH_TOKEN');
  // The production defaults, except where the bench must decide: loopback, an ephemeral port, its own data
  // dir, and a per-client rate limit that is checked on every request but never reached (one client sends all).
  const config = loadConfig({
    DATA_DIR: dataDir,
    SCIM_TOKENS: token,
    HOST: '127.0.0.1',
    PORT: '0',
    RATE_LIMIT_PER_MINUTE: '6000000',
    RATE_LIMIT_BURST: '1000000',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
    ...(process.env.BENCH_DATABASE_URL ? { DATABASE_URL: process.env.BENCH_DATABASE_URL } : {}),
  });
  const logger = createLogger({ level: config.logLevel });
  const mapping = loadMappingFile(config.sync.mappingFile);
  // As in main.ts: metrics on (the request observer costs every request), stopping abandons waits for
  // the Dynatrace rate budget, and the server is hardened and tracked for draining.
  const metrics = config.metrics.enabled ? createMetrics() : null;
  const stopping = new AbortController();
  const upstream = await startUpstream({ config, logger, observer: metrics?.observer, stopSignal: stopping.signal });
  // Without DATABASE_URL openStore opens the same SQLite file buildDeps would.
  const store = await openStore(config, logger);
  const deps = buildDeps({ config, logger, scimTokens: config.scimTokens, upstream, mapping, store, metrics, stopSignal: stopping.signal });
  await deps.claimAccount();
  const runWorker = process.env.BENCH_SYNC_WORKER !== '0';
  if (runWorker) deps.worker.start();
  const server: Server = createAppServer(createApp(deps)).listen(0, '127.0.0.1');
  hardenServer(server, { logger });
  trackForDrain(server);
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the server has no TCP address');
  const probe = startProbe({
    async stop() {
      stopping.abort();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (runWorker) await deps.worker.stop();
      await deps.store.close();
      await upstream.close();
    },
  });
  probe.send({ type: 'listening', port: address.port });
}

main().catch((error: unknown) => {
  process.send?.({ type: 'failed', message: error instanceof Error ? error.stack ?? error.message : String(error) });
  process.exitCode = 1;
  process.disconnect?.();
});
