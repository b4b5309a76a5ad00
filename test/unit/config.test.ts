// loadConfig: defaults, validation of every variable, all problems reported at once, secrets from files.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

function problemsOf(env: Record<string, string>, readFile?: (f: string) => string): readonly string[] {
  try {
    loadConfig(env, readFile);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('loadConfig', () => {
  it('when nothing is set, then the documented defaults apply', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      scimBasePath: '/scim/v2',
      scimTokens: [],
      dataDir: path.resolve('./data'),
      logLevel: 'info',
      publicBaseUrl: null,
      defaultPageSize: 100,
      maxPageSize: 1000,
      maxBodyBytes: 1_048_576,
      filterScanLimit: 10_000,
    });
  });

  it('when SCIM_TOKENS lists several tokens, then each is kept, trimmed', () => {
    const config = loadConfig({ SCIM_TOKENS: ' aaaaaaaaaaaaaaaa , bbbbbbbbbbbbbbbb ' });
    expect(config.scimTokens).toEqual(['aaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbb']);
  });

  it('when SCIM_TOKENS_FILE is set, then the tokens are read from the file', () => {
    const config = loadConfig({ SCIM_TOKENS_FILE: '/run/secrets/scim' }, (file) => (file === '/run/secrets/scim' ? 'cccccccccccccccc\n' : ''));
    expect(config.scimTokens).toEqual(['cccccccccccccccc']);
  });

  it('when several variables are wrong, then every problem is reported at once and no secret is echoed', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      SCIM_BASE_PATH: 'scim/v2/',
      SCIM_TOKENS: 'short-secret',
      LOG_LEVEL: 'loud',
      PUBLIC_BASE_URL: 'ftp://x',
      SCIM_DEFAULT_PAGE_SIZE: '500',
      SCIM_MAX_PAGE_SIZE: '100',
    });
    expect(problems).toHaveLength(6);
    expect(problems.some((p) => p.includes('SCIM_DEFAULT_PAGE_SIZE must not exceed'))).toBe(true);
    expect(problems.join('\n')).not.toContain('short-secret');
    expect(problems.some((p) => p.startsWith('PORT'))).toBe(true);
    expect(problems.some((p) => p.startsWith('SCIM_BASE_PATH'))).toBe(true);
    expect(problems.some((p) => p.startsWith('LOG_LEVEL'))).toBe(true);
  });

  it('when both SCIM_TOKENS and SCIM_TOKENS_FILE are set, or the file is unreadable, then it is a problem', () => {
    expect(problemsOf({ SCIM_TOKENS: 'aaaaaaaaaaaaaaaa', SCIM_TOKENS_FILE: '/x' })).toHaveLength(1);
    expect(
      problemsOf({ SCIM_TOKENS_FILE: '/missing' }, () => {
        throw new Error('ENOENT');
      }),
    ).toHaveLength(1);
  });

  it('when no Dynatrace credentials are set, then the sandbox stands in with the default rate budget', () => {
    expect(loadConfig({}).dynatrace).toEqual({ mode: 'sandbox', rateLimitPerMinute: 200 });
    expect(loadConfig({}).davisAssistant).toEqual({ url: 'https://assistant.dynatrace.com', token: null });
  });

  it('when the account credentials are set, then the account mode carries them with the documented defaults', () => {
    const config = loadConfig(
      { DT_ACCOUNT_UUID: 'urn:dtaccount:9610A717-1111-2222-3333-444455556666', DT_CLIENT_ID: 'dt0s02.ABC', DT_CLIENT_SECRET_FILE: '/s' },
      () => 'dt0s02.ABC.SECRET\n',
    );
    expect(config.dynatrace).toEqual({
      mode: 'account',
      accountUuid: '9610a717-1111-2222-3333-444455556666',
      clientId: 'dt0s02.ABC',
      clientSecret: 'dt0s02.ABC.SECRET',
      apiUrl: 'https://api.dynatrace.com',
      tokenUrl: 'https://sso.dynatrace.com/sso/oauth2/token',
      scopes: 'account-idm-read account-idm-write account-env-read iam-policies-management',
      rateLimitPerMinute: 200,
    });
  });

  it('when only some Dynatrace credentials are set or values are malformed, then each problem is reported', () => {
    const problems = problemsOf({ DT_CLIENT_ID: 'dt0s02.ABC', DT_ACCOUNT_UUID: 'not-a-uuid', DT_API_URL: 'api.dynatrace.com', DT_RATE_LIMIT_PER_MINUTE: '0' });
    expect(problems).toHaveLength(4);
    expect(problems.some((p) => p.includes('DT_CLIENT_SECRET'))).toBe(true);
    expect(problems.some((p) => p.startsWith('DT_ACCOUNT_UUID'))).toBe(true);
    expect(problems.some((p) => p.startsWith('DT_API_URL'))).toBe(true);
    expect(problems.some((p) => p.startsWith('DT_RATE_LIMIT_PER_MINUTE'))).toBe(true);
  });
});
