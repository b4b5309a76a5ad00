// Process entry: load config, build deps, listen, and drain on SIGTERM/SIGINT.
import { once } from 'node:events';
import { createApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { buildDeps } from './deps.js';
import { createLogger } from './observability/logger.js';
import { loadOrCreateScimToken } from './scim-token-file.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger({ level: config.logLevel });
  let scimTokens = config.scimTokens;
  if (scimTokens.length === 0) {
    const generated = loadOrCreateScimToken(config.dataDir);
    scimTokens = [generated.token];
    if (generated.created) {
      process.stderr.write(
        `\nNo SCIM_TOKENS configured: generated a SCIM bearer token (kept in ${generated.file}, shown only this once):\n\n  ${generated.token}\n\n`,
      );
    }
    logger.warn({ tokenFile: generated.file }, 'using the generated SCIM token; set SCIM_TOKENS for production');
  }
  const deps = buildDeps({ config, logger, scimTokens });
  const app = createApp(deps);
  const server = app.listen(config.port, config.host);
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  logger.info({ port, scimBasePath: config.scimBasePath, dataDir: config.dataDir }, `SCIM bridge listening on http://${config.host}:${port}${config.scimBasePath}`);

  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'shutting down');
    server.close();
    server.closeIdleConnections();
    await once(server, 'close');
    await deps.store.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.once('SIGTERM', (s) => void shutdown(s));
  process.once('SIGINT', (s) => void shutdown(s));
}

main().catch((error: unknown) => {
  process.stderr.write(`fatal: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
