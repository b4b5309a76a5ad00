// Composition root: picks the store engine and the Dynatrace upstream (a real account or the
// in-process sandbox), and builds the core services and everything createApp needs.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { AppDeps } from './app.js';
import { DEFAULT_DT_SCOPES, type Config } from './config.js';
import { createGroupService } from './core/groups.js';
import { createUserService } from './core/users.js';
import {
  createAccountManagementClient,
  createDavisAssistantClient,
  createOAuthTokenProvider,
  createRateBudget,
  type OAuthTokenProvider,
} from './adapters/dynatrace/index.js';
import { createSqliteStore } from './adapters/store/index.js';
import type { Logger } from './observability/logger.js';
import type { AccountApi } from './ports/account-api.js';
import type { DavisAssistantApi } from './ports/davis-assistant-api.js';
import type { Store } from './ports/store.js';
import { startSandbox, type SandboxHandle } from './sandbox/index.js';
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

/** The Dynatrace side: the account's clients, and the in-process sandbox when it stands in. */
export interface Upstream {
  readonly accountApi: AccountApi;
  readonly davisAssistantApi: DavisAssistantApi;
  readonly tokenProvider: OAuthTokenProvider;
  /** Set in sandbox mode. */
  readonly sandbox: SandboxHandle | null;
  close(): Promise<void>;
}

/**
 * Builds the Dynatrace clients for the configured account, or — with no credentials configured —
 * starts the sandbox on loopback and points the same clients at it.
 */
export async function startUpstream(options: { config: Config; logger: Logger }): Promise<Upstream> {
  const { config, logger } = options;
  let sandbox: SandboxHandle | null = null;
  let account: { accountUuid: string; clientId: string; clientSecret: string; apiUrl: string; tokenUrl: string; scopes: string };
  if (config.dynatrace.mode === 'account') {
    account = config.dynatrace;
  } else {
    sandbox = await startSandbox({ host: '127.0.0.1' });
    const { accountUuid, clientId, clientSecret, url, tokenUrl } = sandbox;
    account = { accountUuid, clientId, clientSecret, apiUrl: url, tokenUrl, scopes: DEFAULT_DT_SCOPES };
  }
  const tokenProvider = createOAuthTokenProvider({
    clientId: account.clientId,
    clientSecret: account.clientSecret,
    accountUuid: account.accountUuid,
    tokenUrl: account.tokenUrl,
    scopes: account.scopes,
  });
  const rateBudget = createRateBudget({ requestsPerMinute: config.dynatrace.rateLimitPerMinute });
  const accountApi = createAccountManagementClient({
    accountUuid: account.accountUuid,
    baseUrl: account.apiUrl,
    tokenProvider,
    rateBudget,
    onDeprecation: (notice) => logger.warn({ ...notice }, 'Dynatrace marks this endpoint deprecated'),
  });
  const davis = sandbox ? { url: sandbox.url, token: sandbox.davisToken } : config.davisAssistant;
  const davisAssistantApi = createDavisAssistantClient({ baseUrl: davis.url, ...(davis.token ? { token: davis.token } : {}) });
  return {
    accountApi,
    davisAssistantApi,
    tokenProvider,
    sandbox,
    close: async () => {
      await sandbox?.stop();
    },
  };
}
