// Composition root: picks the store engine, builds the core services and everything createApp needs.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { AppDeps } from './app.js';
import type { Config } from './config.js';
import { createGroupService } from './core/groups.js';
import { createUserService } from './core/users.js';
import { createSqliteStore } from './adapters/store/index.js';
import type { Logger } from './observability/logger.js';
import type { Store } from './ports/store.js';
import { groupSchema, userSchema } from './scim/scim-schemas.js';

export interface BuildDepsOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly scimTokens: readonly string[];
  /** Tests inject a store; otherwise the SQLite file under DATA_DIR. */
  readonly store?: Store;
  readonly now?: () => Date;
}

export function buildDeps(options: BuildDepsOptions): AppDeps {
  const { config, logger } = options;
  const store = options.store ?? createSqliteStore({ file: path.join(config.dataDir, 'bridge.sqlite') });
  const now = options.now ?? (() => new Date());
  const user = userSchema();
  const group = groupSchema();
  const common = { store, now, newId: randomUUID, filterScanLimit: config.filterScanLimit };
  return {
    logger,
    store,
    users: createUserService({ ...common, catalogue: user.catalogue, coreSchema: user.coreSchema }),
    groups: createGroupService({ ...common, catalogue: group.catalogue, coreSchema: group.coreSchema }),
    scimTokens: options.scimTokens,
    scimBasePath: config.scimBasePath,
    publicBaseUrl: config.publicBaseUrl,
    defaultPageSize: config.defaultPageSize,
    maxPageSize: config.maxPageSize,
    maxBodyBytes: config.maxBodyBytes,
  };
}
