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

  it('when the sync lease and the Davis Assistant budget are set, then they apply; out of range, each is a problem', () => {
    const config = loadConfig({ SYNC_LEASE_MS: '5000', DAVIS_RATE_LIMIT_PER_MINUTE: '50' });
    expect(config.sync.leaseMs).toBe(5_000);
    expect(config.davisAssistant.rateLimitPerMinute).toBe(50);
    expect(loadConfig({}).sync.leaseMs).toBe(30_000);
    const problems = problemsOf({ SYNC_LEASE_MS: '1000', DAVIS_RATE_LIMIT_PER_MINUTE: '0' });
    expect(problems).toEqual([
      'DAVIS_RATE_LIMIT_PER_MINUTE must be a whole number from 1 to 1000000, got "0"',
      'SYNC_LEASE_MS must be a whole number from 3000 to 600000, got "1000"',
    ]);
  });

  it('when the sync worker’s poll interval is set, then it applies (default 250 ms); out of range, it is a problem', () => {
    expect(loadConfig({ SYNC_POLL_MS: '1000' }).sync.pollMs).toBe(1_000);
    expect(loadConfig({}).sync.pollMs).toBe(250);
    expect(problemsOf({ SYNC_POLL_MS: '5' })).toEqual(['SYNC_POLL_MS must be a whole number from 10 to 60000, got "5"']);
  });

  it('when DATABASE_URL is no URL (a port that is no number, a broken percent-encoding, another scheme), then it is a problem that does not repeat it', () => {
    const secret = 'pw-that-must-not-show';
    const cases: Array<[string, RegExp]> = [
      [`postgres://bridge:${secret}@db:port/scim`, /^DATABASE_URL is not a valid URL/],
      [`postgres://bridge:${secret}%G0@db:5432/scim`, /^DATABASE_URL holds a malformed percent-encoding/],
      [`mysql://bridge:${secret}@db/scim`, /^DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL/],
    ];
    for (const [url, problem] of cases) {
      const problems = problemsOf({ SCIM_TOKENS: 'a-long-enough-token-123', DATABASE_URL: url });
      expect(problems, url).toEqual([expect.stringMatching(problem)]);
      expect(problems.join('\n')).not.toContain(secret);
    }
    expect(problemsOf({ SCIM_TOKENS: 'a-long-enough-token-123', DATABASE_URL: `postgresql://bridge:p%40ss@db.internal:6432/scim?sslmode=require` })).toEqual([]);
  });

  it('when DATA_DIR cannot hold the SQLite file or a generated token, then it is a problem; with PostgreSQL and tokens given it is never written', () => {
    const file = path.join(import.meta.dirname, 'config.test.ts');
    expect(problemsOf({ SCIM_TOKENS: 'a-long-enough-token-123', DATA_DIR: file })).toEqual([`DATA_DIR "${file}" is not a directory`]);
    expect(problemsOf({ DATA_DIR: path.join(file, 'data'), DATABASE_URL: 'postgres://db/scim' })[0]).toMatch(/^DATA_DIR ".*" cannot be created: ".*config\.test\.ts" is not a directory$/);
    expect(problemsOf({ SCIM_TOKENS: 'a-long-enough-token-123', DATA_DIR: path.join(file, 'data'), DATABASE_URL: 'postgres://db/scim' })).toEqual([]);
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
    expect(loadConfig({}).davisAssistant).toEqual({ url: 'https://assistant.dynatrace.com', token: null, rateLimitPerMinute: 200 });
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

  it('when nothing about issue-6 operations is set, then JWTs are off, metrics are on the main port, and the documented limits apply', () => {
    const config = loadConfig({});
    expect(config.jwt).toBeNull();
    expect(config.metrics).toEqual({ enabled: true, port: null, token: null });
    expect(config.clientRateLimit).toEqual({ perMinute: 6000, burst: 300 });
    expect(config.trustProxy).toBe(false);
    expect(config.shutdownTimeoutMs).toBe(25_000);
  });

  it('when the JWT variables are set, then issuer, audiences, algorithms and JWKS caching are carried', () => {
    const config = loadConfig({
      JWT_JWKS_URL: 'https://idp.example.com/oauth2/v1/keys',
      JWT_ISSUER: 'https://idp.example.com',
      JWT_AUDIENCE: 'api://scim-bridge, scim-bridge',
      JWT_ALGORITHMS: 'RS256,PS256',
      JWT_REQUIRED_SCOPE: 'scim',
      JWT_JWKS_COOLDOWN_MS: '5000',
    });
    expect(config.jwt).toEqual({
      jwksUrl: 'https://idp.example.com/oauth2/v1/keys',
      issuer: 'https://idp.example.com',
      audiences: ['api://scim-bridge', 'scim-bridge'],
      algorithms: ['RS256', 'PS256'],
      requiredScope: 'scim',
      clockToleranceSeconds: 30,
      jwksCacheMaxAgeMs: 600_000,
      jwksCooldownMs: 5000,
      jwksTimeoutMs: 5000,
    });
    expect(loadConfig({ JWT_JWKS_URL: 'http://127.0.0.1:9000/keys', JWT_ISSUER: 'i', JWT_AUDIENCE: 'a' }).jwt?.algorithms).toEqual(['RS256', 'ES256']);
  });

  it('when JWT settings are partial, insecure or allow none/HMAC, then each is a problem', () => {
    expect(problemsOf({ JWT_ISSUER: 'https://idp.example.com' })).toEqual([
      'JWT authentication is incomplete: set JWT_JWKS_URL, JWT_AUDIENCE too (or none of them)',
    ]);
    const problems = problemsOf({ JWT_JWKS_URL: 'http://idp.example.com/keys', JWT_ISSUER: 'i', JWT_AUDIENCE: 'a', JWT_ALGORITHMS: 'none,HS256' });
    expect(problems).toHaveLength(2);
    expect(problems.some((p) => p.startsWith('JWT_JWKS_URL must be an https URL'))).toBe(true);
    expect(problems.some((p) => p.startsWith('JWT_ALGORITHMS must list some of'))).toBe(true);
  });

  it('when metrics, rate limit, proxy and shutdown variables are set, then they are carried or reported', () => {
    const config = loadConfig({
      METRICS_PORT: '9464',
      METRICS_TOKEN_FILE: '/run/secrets/metrics',
      RATE_LIMIT_PER_MINUTE: '0',
      TRUST_PROXY: 'loopback, 10.0.0.0/8, fd00::/8',
      SHUTDOWN_TIMEOUT_MS: '5000',
    }, () => 'mmmmmmmmmmmmmmmmmmmm\n');
    expect(config.metrics).toEqual({ enabled: true, port: 9464, token: 'mmmmmmmmmmmmmmmmmmmm' });
    expect(config.clientRateLimit).toBeNull();
    expect(config.trustProxy).toEqual(['loopback', '10.0.0.0/8', 'fd00::/8']);
    expect(config.shutdownTimeoutMs).toBe(5000);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    const problems = problemsOf({ TRUST_PROXY: '10.0.0.0/33,proxy.local', METRICS_TOKEN: 'tiny-secret', SHUTDOWN_TIMEOUT_MS: '10', METRICS_PORT: 'x' });
    expect(problems).toHaveLength(4);
    expect(problems.join('\n')).not.toContain('tiny-secret');
  });

  it('when READINESS_REQUIRES_DYNATRACE is unset, false or malformed, then readiness needs Dynatrace by default, not when false, and a bad value is a problem', () => {
    expect(loadConfig({}).readinessRequiresDynatrace).toBe(true);
    expect(loadConfig({ READINESS_REQUIRES_DYNATRACE: 'false' }).readinessRequiresDynatrace).toBe(false);
    expect(loadConfig({ READINESS_REQUIRES_DYNATRACE: 'true' }).readinessRequiresDynatrace).toBe(true);
    expect(problemsOf({ READINESS_REQUIRES_DYNATRACE: 'sometimes' })).toEqual(['READINESS_REQUIRES_DYNATRACE must be true or false, got "sometimes"']);
  });

  it('when the proxy variables are set, then lower-case names win, NO_PROXY is kept as given, and a bad URL is a problem that does not echo it', () => {
    expect(loadConfig({}).outboundProxy).toEqual({ httpProxy: null, httpsProxy: null, noProxy: '' });
    expect(
      loadConfig({ HTTPS_PROXY: 'http://upper.example:3128', https_proxy: 'http://lower.example:3128', HTTP_PROXY: 'http://plain.example:8080', NO_PROXY: ' .corp.example, 10.0.0.1 ' }).outboundProxy,
    ).toEqual({ httpProxy: 'http://plain.example:8080', httpsProxy: 'http://lower.example:3128', noProxy: '.corp.example, 10.0.0.1' });
    expect(loadConfig({ NO_PROXY: 'upper.example', no_proxy: 'lower.example' }).outboundProxy.noProxy).toBe('lower.example');
    const problems = problemsOf({ https_proxy: 'socks5://user:pr0xy-pa55@proxy.example:1080', HTTP_PROXY: 'proxy.example:3128' });
    expect(problems).toEqual([
      'HTTP_PROXY (or http_proxy) must be an http:// or https:// proxy URL such as http://proxy.example.com:3128 (the value is not shown: it may hold credentials)',
      'HTTPS_PROXY (or https_proxy) must be an http:// or https:// proxy URL such as http://proxy.example.com:3128 (the value is not shown: it may hold credentials)',
    ]);
  });

  it('when DATABASE_URL is set, then the pool, timeouts and the start wait carry their documented defaults or the values given, and bad ones are problems', () => {
    expect(loadConfig({}).database).toBeNull();
    const url = 'postgres://bridge:pw@db:5432/bridge';
    expect(loadConfig({ DATABASE_URL: url }).database).toEqual({ url, poolSize: 10, connectTimeoutMs: 5_000, statementTimeoutMs: 15_000, startTimeoutMs: 120_000 });
    expect(loadConfig({ DATABASE_URL: url, DATABASE_START_TIMEOUT_MS: '0' }).database?.startTimeoutMs).toBe(0);
    expect(loadConfig({ DATABASE_URL: url, DATABASE_START_TIMEOUT_MS: '300000' }).database?.startTimeoutMs).toBe(300_000);
    const problems = problemsOf({ DATABASE_URL: url, DATABASE_START_TIMEOUT_MS: '-1', DATABASE_POOL_SIZE: '0' });
    expect(problems).toHaveLength(2);
    expect(problems.join('\n')).toContain('DATABASE_START_TIMEOUT_MS');
    expect(problems.join('\n')).not.toContain('pw');
  });
});

// The operators: ADMIN_TOKENS (and _FILE), whether the SCIM token still opens /admin, the console's
// session settings and OIDC sign-in.
const OIDC = { OIDC_ISSUER: 'https://example.okta.com', OIDC_CLIENT_ID: 'console', OIDC_ADMIN_VALUES: 'scim-operators, platform-team' };

describe('operator settings', () => {
  it('when nothing is set, then admin tokens are generated, the SCIM token does not open /admin, sessions last an hour and OIDC is off', () => {
    expect(loadConfig({}).operators).toEqual({ tokens: [], scimTokenOpensAdmin: false, sessionSecret: null, sessionTtlSeconds: 3600, oidc: null });
  });

  it('when ADMIN_TOKENS (or its file), ADMIN_ACCEPTS_SCIM_TOKEN and the session settings are given, then they are kept', () => {
    const secret = 's'.repeat(40);
    const config = loadConfig({ ADMIN_TOKENS: ' aaaaaaaaaaaaaaaa , bbbbbbbbbbbbbbbb', ADMIN_ACCEPTS_SCIM_TOKEN: 'true', CONSOLE_SESSION_SECRET: secret, CONSOLE_SESSION_MINUTES: '15' });
    expect(config.operators).toMatchObject({ tokens: ['aaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbb'], scimTokenOpensAdmin: true, sessionSecret: secret, sessionTtlSeconds: 900 });
    const fromFile = loadConfig({ ADMIN_TOKENS_FILE: '/run/secrets/admin' }, (file) => (file === '/run/secrets/admin' ? 'cccccccccccccccc\n' : ''));
    expect(fromFile.operators.tokens).toEqual(['cccccccccccccccc']);
  });

  it('when OIDC is configured, then issuer, client, claim, values and scopes are kept, with the documented defaults', () => {
    expect(loadConfig(OIDC).operators.oidc).toEqual({
      issuer: 'https://example.okta.com',
      clientId: 'console',
      clientSecret: null,
      scopes: 'openid email profile',
      claim: 'groups',
      allowedValues: ['scim-operators', 'platform-team'],
      redirectUrl: null,
    });
    expect(loadConfig({ ...OIDC, OIDC_ADMIN_CLAIM: 'roles', OIDC_CLIENT_SECRET: 'x'.repeat(20) }).operators.oidc).toMatchObject({ claim: 'roles', clientSecret: 'x'.repeat(20) });
  });

  it('when operator settings are wrong, then every problem is reported at once and no secret is echoed', () => {
    const problems = problemsOf({
      ADMIN_TOKENS: 'short-admin',
      CONSOLE_SESSION_SECRET: 'too-short-session-key',
      CONSOLE_SESSION_MINUTES: '0',
      ADMIN_ACCEPTS_SCIM_TOKEN: 'maybe',
      OIDC_ISSUER: 'http://idp.example.com',
      OIDC_CLIENT_SECRET: 'oidc-secret-value',
      OIDC_SCOPES: 'email profile',
      OIDC_REDIRECT_URL: 'not a url',
    });
    expect(problems).toEqual([
      'ADMIN_TOKENS: token #1 is shorter than 16 characters',
      'CONSOLE_SESSION_SECRET is shorter than 32 characters',
      'ADMIN_ACCEPTS_SCIM_TOKEN must be true or false, got "maybe"',
      'CONSOLE_SESSION_MINUTES must be a whole number from 1 to 1440, got "0"',
      'OIDC sign-in is incomplete: set OIDC_CLIENT_ID, OIDC_ADMIN_VALUES too (or none of the OIDC_ variables)',
      'OIDC_ISSUER must be an https URL (http only on loopback), got "http://idp.example.com"',
      'OIDC_REDIRECT_URL must be an absolute http(s) URL, got "not a url"',
      'OIDC_SCOPES must include openid, got "email profile"',
    ]);
    for (const secret of ['short-admin', 'too-short-session-key', 'oidc-secret-value']) expect(problems.join('\n')).not.toContain(secret);
  });

  it('when only the OIDC client secret is set, then OIDC is incomplete; with an http issuer on loopback, it is accepted', () => {
    expect(problemsOf({ OIDC_CLIENT_SECRET: 'oidc-secret-value' })).toEqual([
      'OIDC sign-in is incomplete: set OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_ADMIN_VALUES too (or none of the OIDC_ variables)',
    ]);
    expect(problemsOf({ ...OIDC, OIDC_ISSUER: 'http://127.0.0.1:9000' })).toEqual([]);
  });
});
