// OIDC sign-in to the console against a real OpenID provider (the oidc-provider package) on loopback, in
// Chromium: authorization code with PKCE, the operators' group claim (here only in UserInfo) grants
// access, a person without it is refused, and the provider's login and consent pages are really used.
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import Provider from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROWSER_AVAILABLE, launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { startTestBridge, type TestBridge } from '../helpers/test-bridge.js';

const CLIENT_ID = 'scim-bridge-console';
const CLIENT_SECRET = 'console-client-secret-0123456789abcdef';
const OPERATORS = 'scim-bridge-operators';

/** The people of this IdP and their groups. */
const GROUPS: Readonly<Record<string, readonly string[]>> = { 'ops@example.com': [OPERATORS, 'everyone'], 'dev@example.com': ['everyone'] };

describe.skipIf(!BROWSER_AVAILABLE)('OIDC sign-in to the console', () => {
  let idp: Server;
  let issuer: string;
  let bridge: TestBridge;
  let browser: TestBrowser;
  const authorizations: string[] = [];

  beforeAll(async () => {
    // The provider needs the bridge's callback URL and the bridge the provider's issuer: listen first, then build both.
    let provider: Provider | null = null;
    idp = createServer((req, res) => {
      if (req.url?.startsWith('/auth?')) authorizations.push(req.url);
      if (provider === null) res.writeHead(503).end();
      else provider.callback()(req, res);
    }).listen(0, '127.0.0.1');
    await once(idp, 'listening');
    const address = idp.address();
    if (address === null || typeof address === 'string') throw new Error('no address');
    issuer = `http://127.0.0.1:${address.port}`;
    bridge = await startTestBridge({
      env: { OIDC_ISSUER: issuer, OIDC_CLIENT_ID: CLIENT_ID, OIDC_CLIENT_SECRET: CLIENT_SECRET, OIDC_ADMIN_VALUES: OPERATORS, OIDC_SCOPES: 'openid profile groups' },
    });
    provider = new Provider(issuer, {
      clients: [
        {
          client_id: CLIENT_ID,
          client_secret: CLIENT_SECRET,
          redirect_uris: [`${bridge.url}/console/oidc/callback`],
          token_endpoint_auth_method: 'client_secret_post',
        },
      ],
      scopes: ['openid', 'profile', 'groups'],
      claims: { openid: ['sub'], profile: ['preferred_username'], groups: ['groups'] },
      pkce: { required: () => true },
      cookies: { keys: ['oidc-provider-test-cookie-key-0123456789'] },
      features: { devInteractions: { enabled: true } },
      ttl: { Interaction: 600, Session: 600, Grant: 600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
      async findAccount(_ctx, sub) {
        return { accountId: sub, claims: async () => ({ sub, preferred_username: sub, groups: [...(GROUPS[sub] ?? [])] }) };
      },
    });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await bridge?.close();
    idp?.closeAllConnections();
    idp?.close();
  });

  /** Through the provider's own login and consent pages, as `login`. */
  async function signInAt(login: string): Promise<void> {
    const { page } = browser;
    await page.goto(`${bridge.url}/console/sign-in`);
    await page.getByRole('link', { name: 'Sign in with your company account' }).click();
    await page.waitForURL((url) => url.origin === issuer);
    await page.locator('input[name="login"]').fill(login);
    await page.locator('input[name="password"]').fill('any password');
    await page.locator('button[type="submit"]').click();
    await page.locator('button[type="submit"]', { hasText: /continue/i }).click();
    await page.waitForURL((url) => url.origin === bridge.url);
  }

  it('when a member of the operators group signs in at the IdP, then the console opens in their name, the code exchanged with PKCE', async () => {
    await signInAt('ops@example.com');
    const { page } = browser;
    await page.waitForURL(`${bridge.url}/console`);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Overview');
    expect(await page.locator('.who').textContent()).toBe('ops@example.com');
    const authorization = new URL(authorizations.at(-1) ?? '', issuer).searchParams;
    expect(authorization.get('code_challenge_method')).toBe('S256');
    expect(authorization.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorization.get('state')).not.toBeNull();
    expect(authorization.get('nonce')).not.toBeNull();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${bridge.url}/console/sign-in`);
  });

  it('when someone outside the operators group signs in at the IdP, then the console refuses them and keeps no session', async () => {
    await browser.context.clearCookies();
    await signInAt('dev@example.com');
    const { page } = browser;
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('holds none of the values');
    await page.goto(`${bridge.url}/console`);
    expect(new URL(page.url()).pathname).toBe('/console/sign-in');
  });

  it('when the callback is called without a sign-in in progress, then it is refused with a page, not an error', async () => {
    const response = await fetch(`${bridge.url}/console/oidc/callback?code=forged&state=forged`);
    expect(response.status).toBe(403);
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(await response.text()).toContain('start it again');
  });
});
