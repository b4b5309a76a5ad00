// The composition of the Dynatrace side: sandbox mode without credentials, and a configured account
// reached through nothing but the DT_* variables (here pointed at a separately started sandbox).
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startUpstream } from '../../src/deps.js';
import { createLogger } from '../../src/observability/logger.js';
import { startSandbox } from '../../src/sandbox/index.js';

const logger = createLogger({ level: 'silent' });

describe('startUpstream', () => {
  it('when no Dynatrace credentials are configured, then the sandbox runs on loopback and the clients reach it', async () => {
    const upstream = await startUpstream({ config: loadConfig({}), logger });
    try {
      expect(upstream.sandbox?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const environments = await upstream.accountApi.listEnvironments();
      expect(environments.length).toBeGreaterThan(0);
      expect(upstream.davisAssistantApi.enabled).toBe(true);
    } finally {
      await upstream.close();
    }
  });

  it('when DT_* variables name an account, then the clients use exactly those URLs and credentials', async () => {
    const sandbox = await startSandbox({});
    try {
      const config = loadConfig({
        DT_ACCOUNT_UUID: sandbox.accountUuid,
        DT_CLIENT_ID: sandbox.clientId,
        DT_CLIENT_SECRET: sandbox.clientSecret,
        DT_API_URL: sandbox.url,
        DT_TOKEN_URL: sandbox.tokenUrl,
      });
      const upstream = await startUpstream({ config, logger });
      expect(upstream.sandbox).toBeNull();
      expect(upstream.davisAssistantApi.enabled).toBe(false);
      await upstream.accountApi.createUser('joiner@example.com');
      expect(sandbox.state.findUser('joiner@example.com')?.userStatus).toBe('PENDING');
      await upstream.close();
    } finally {
      await sandbox.stop();
    }
  });
});
