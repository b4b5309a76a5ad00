// OAuth client credentials against the sandbox's token endpoint: form body, caching until shortly
// before expiry, one refresh in flight, one retry after a 401, misconfiguration, no secret leaks.
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FetchFn, OAuthTokenProvider } from '../../src/adapters/dynatrace/index.js';
import { DEFAULT_SCOPES } from '../../src/adapters/dynatrace/index.js';
import { UpstreamError } from '../../src/ports/upstream-error.js';
import type { TestSandbox } from '../helpers/sandbox-harness.js';
import { startTestSandbox } from '../helpers/sandbox-harness.js';

async function upstreamFailure(promise: Promise<unknown>): Promise<UpstreamError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof UpstreamError) return error;
    throw error;
  }
  throw new Error('expected an UpstreamError');
}

describe('OAuth token provider and bearer handling', () => {
  let t: TestSandbox;

  beforeEach(async () => {
    t = await startTestSandbox({ seed: {}, tokenTtlSeconds: 300 });
  });
  afterEach(async () => {
    await t.stop();
  });

  it('when a token is requested, then the form carries grant_type, client_id, client_secret, scope and resource', async () => {
    const bodies: string[] = [];
    const capture: FetchFn = (input, init) => {
      bodies.push(String(init.body));
      return t.fetch(input, init);
    };
    await t.tokenProvider({ fetch: capture }).getToken();
    const form = new URLSearchParams(bodies[0]);
    expect(Object.fromEntries(form)).toEqual({
      grant_type: 'client_credentials',
      client_id: t.sandbox.clientId,
      client_secret: t.sandbox.clientSecret,
      scope: DEFAULT_SCOPES.join(' '),
      resource: `urn:dtaccount:${t.sandbox.accountUuid}`,
    });
    expect(DEFAULT_SCOPES.join(' ')).toBe('account-idm-read account-idm-write account-env-read iam-policies-management');
  });

  it('when ten calls are made in turn, then one token serves them all', async () => {
    const api = t.accountClient();
    for (let i = 0; i < 10; i += 1) await api.listGroups();
    expect(t.sandbox.state.tokensIssued).toBe(1);
  });

  it('when twenty calls start together without a token, then exactly one token request is made', async () => {
    const api = t.accountClient();
    await Promise.all(Array.from({ length: 20 }, () => api.listGroups()));
    expect(t.sandbox.state.tokensIssued).toBe(1);
    expect(t.requests('oauth')).toHaveLength(1);
  });

  it('when the token nears the end of expires_in, then a fresh one is fetched before it expires', async () => {
    const provider = t.tokenProvider({ refreshMarginMs: 30_000 });
    const first = await provider.getToken();
    t.clock.advance(269_000);
    expect(await provider.getToken()).toBe(first);
    t.clock.advance(2_000); // 271 s: inside the 30 s margin
    const second = await provider.getToken();
    expect(second).not.toBe(first);
    expect(t.sandbox.state.tokensIssued).toBe(2);
  });

  it('when a cached token is rejected with 401, then one fresh token is fetched and the call succeeds', async () => {
    const api = t.accountClient();
    await api.listGroups();
    t.sandbox.state.revokeTokens();
    await expect(api.listGroups()).resolves.toHaveLength(1);
    expect(t.sandbox.state.tokensIssued).toBe(2);
    expect(t.requests('account-management').map((r) => r.status)).toEqual([200, 401, 200]);
  });

  it('when many calls meet a revoked token together, then they share a single refresh', async () => {
    const api = t.accountClient();
    await api.listGroups();
    t.sandbox.state.revokeTokens();
    await Promise.all(Array.from({ length: 8 }, () => api.listGroups()));
    expect(t.sandbox.state.tokensIssued).toBe(2);
  });

  it('when every token is refused, then the call fails misconfigured after exactly one retry', async () => {
    let invalidated = 0;
    const bogus: OAuthTokenProvider = { getToken: () => Promise.resolve('not.a.token'), invalidate: () => void (invalidated += 1) };
    const error = await upstreamFailure(t.accountClient({ tokenProvider: bogus }).listUsers());
    expect(error).toMatchObject({ service: 'account-management', code: 'misconfigured', status: 401, attempts: 2 });
    expect(invalidated).toBe(1);
    expect(t.requests('account-management')).toHaveLength(2);
  });

  it('when the client secret is wrong, then misconfigured from the oauth service, without the secret anywhere in the error', async () => {
    const wrongSecret = 'dt0s02.WRONG.secret-that-must-not-leak';
    const api = t.accountClient({ tokenProvider: t.tokenProvider({ clientSecret: wrongSecret }) });
    const error = await upstreamFailure(api.listUsers());
    expect(error).toMatchObject({ service: 'oauth', operation: 'token', code: 'misconfigured', status: 400, attempts: 1 });
    expect(error.upstreamMessage).toContain('invalid_client');
    expect(inspect(error, { depth: 10 })).not.toContain(wrongSecret);
    expect(t.requests('account-management')).toHaveLength(0);
  });

  it('when a scope is not granted or the resource is another account, then misconfigured', async () => {
    const scope = await upstreamFailure(t.tokenProvider({ scopes: ['account-idm-read', 'account-god-mode'] }).getToken());
    expect(scope).toMatchObject({ service: 'oauth', code: 'misconfigured', status: 400 });
    expect(scope.upstreamMessage).toContain('invalid_scope');
    const other = await upstreamFailure(t.tokenProvider({ accountUuid: '99999999-9999-4999-8999-999999999999' }).getToken());
    expect(other).toMatchObject({ service: 'oauth', code: 'misconfigured', status: 400 });
  });

  it('when the token lacks a scope an endpoint needs, then misconfigured 403', async () => {
    const readOnly = t.accountClient({ tokenProvider: t.tokenProvider({ scopes: 'account-idm-read' }) });
    await expect(readOnly.listUsers()).resolves.toEqual([]);
    expect(await upstreamFailure(readOnly.createUser('x@example.com'))).toMatchObject({ code: 'misconfigured', status: 403 });
    expect(await upstreamFailure(readOnly.listEnvironments())).toMatchObject({ code: 'misconfigured', status: 403 });
  });

  it('when the token endpoint is down, then it is retried and finally unavailable', async () => {
    t.sandbox.state.setFaults({ errorRate: 1, errorStatuses: [503] });
    const error = await upstreamFailure(t.tokenProvider().getToken());
    expect(error).toMatchObject({ service: 'oauth', code: 'unavailable', status: 503, attempts: 4 });
    t.sandbox.state.setFaults({ errorRate: 0 });
    await expect(t.tokenProvider().getToken()).resolves.toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  it('when an error body echoes the bearer token, then the kept message has it redacted', async () => {
    let token = '';
    const echo: FetchFn = async (input, init) => {
      if (String(input).includes('/sso/')) return t.fetch(input, init);
      const auth = new Headers(init.headers).get('authorization') ?? '';
      token = auth.replace(/^Bearer /, '');
      return new Response(JSON.stringify({ error: { code: 400, message: `bad request with ${auth}` } }), { status: 400 });
    };
    const error = await upstreamFailure(t.accountClient({ fetch: echo }).listGroups());
    expect(token.length).toBeGreaterThan(20);
    expect(error.code).toBe('rejected');
    expect(error.upstreamMessage).toContain('[REDACTED]');
    expect(inspect(error, { depth: 10 })).not.toContain(token);
  });

  it('when a token response is not what OAuth promises, then invalid_response', async () => {
    const odd: FetchFn = async () => new Response(JSON.stringify({ token_type: 'mac', access_token: 'abc' }), { status: 200 });
    expect(await upstreamFailure(t.tokenProvider({ fetch: odd }).getToken())).toMatchObject({ service: 'oauth', code: 'invalid_response' });
    const noJson: FetchFn = async () => new Response('access_token=leaky-token-value', { status: 200 });
    const error = await upstreamFailure(t.tokenProvider({ fetch: noJson }).getToken());
    expect(error.code).toBe('invalid_response');
    expect(inspect(error, { depth: 10 })).not.toContain('leaky-token-value');
  });
});
