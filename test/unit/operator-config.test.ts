// loadConfig for the operators: ADMIN_TOKENS (and _FILE), whether the SCIM token still opens /admin,
// the console's session settings and OIDC sign-in — defaults, every problem at once, no secret echoed.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

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
