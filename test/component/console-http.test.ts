// The console over plain HTTP: its cookies (HttpOnly, SameSite=Strict, scoped to /console, Secure behind
// TLS), sessions that expire, bad input answered with the console's own pages (never Express's HTML or a
// stack trace), and its static files served by the bridge under the strict CSP.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { consoleSignIn } from '../../tools/console-sign-in.js';
import { cleanupsAfterEach } from '../helpers/cleanups.js';
import { startTestBridge, TEST_ADMIN_TOKEN, type TestBridge } from '../helpers/test-bridge.js';

const cleanups = cleanupsAfterEach();

async function start(env: Record<string, string> = {}): Promise<TestBridge> {
  const bridge = await startTestBridge({ env });
  cleanups.push(() => bridge.close());
  return bridge;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('console cookies and sessions', () => {
  it('when a session is opened, then its cookies are HttpOnly, SameSite=Strict and scoped to /console; Secure when a trusted proxy says TLS', async () => {
    const bridge = await start({ TRUST_PROXY: 'loopback' });
    const plain = (await fetch(`${bridge.url}/console/sign-in`)).headers.getSetCookie();
    expect(plain).toHaveLength(2);
    for (const cookie of plain) {
      expect(cookie).toMatch(/; HttpOnly/i);
      expect(cookie).toMatch(/; SameSite=Strict/i);
      expect(cookie).toMatch(/; Path=\/console/i);
      expect(cookie).not.toMatch(/; Secure/i);
    }
    const overTls = (await fetch(`${bridge.url}/console/sign-in`, { headers: { 'x-forwarded-proto': 'https' } })).headers.getSetCookie();
    for (const cookie of overTls) expect(cookie).toMatch(/; Secure/i);
  });

  it('when CONSOLE_SESSION_MINUTES have passed since sign-in, then the session no longer opens a page', async () => {
    const bridge = await start({ CONSOLE_SESSION_MINUTES: '5' });
    const session = await consoleSignIn(bridge.url, TEST_ADMIN_TOKEN);
    const people = () => fetch(`${bridge.url}/console/people`, { headers: { cookie: session.cookie }, redirect: 'manual' });
    expect((await people()).status).toBe(200);
    vi.useFakeTimers({ now: Date.now() + 5 * 60_000 + 1_000, toFake: ['Date'] });
    const expired = await people();
    expect(expired.status).toBe(303);
    expect(expired.headers.get('location')).toBe('/console/sign-in');
  });

  it('when the admin token is wrong, then the sign-in answers 401 with the form again and echoes nothing it was sent', async () => {
    const bridge = await start();
    await expect(consoleSignIn(bridge.url, 'not-the-admin-token-0123456789')).rejects.toThrow('401');
    const form = await fetch(`${bridge.url}/console/sign-in`);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
    const cookie = form.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const refused = await fetch(`${bridge.url}/console/sign-in`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf, token: 'secret-guess-0123456789abcdef' }).toString(),
    });
    expect(refused.status).toBe(401);
    expect(await refused.text()).not.toContain('secret-guess-0123456789abcdef');
  });
});

describe('console answers', () => {
  it('when a page is asked for with bad input or an unknown id, then the console answers with its own page and a 4xx', async () => {
    const bridge = await start();
    const session = await consoleSignIn(bridge.url, TEST_ADMIN_TOKEN);
    const cases: ReadonlyArray<readonly [string, number, string]> = [
      ['/console/people?page=0', 400, 'page must be a whole number from 1.'],
      ['/console/people?q=a&q=b', 400, 'q must be given once.'],
      ['/console/people/no-such-id', 404, 'No such person'],
      ['/console/groups/no-such-id', 404, 'No such group'],
      ['/console/audit?outcome=maybe', 400, 'Outcome must be one of applied, dry-run, failed, skipped.'],
      ['/console/audit?from=yesterday', 400, 'from must be a date such as 2026-12-07'],
      ['/console/audit?person=nobody%40example.com', 404, 'No person &quot;nobody@example.com&quot;'],
      ['/console/no/such/page', 404, 'Nothing at /no/such/page.'],
    ];
    for (const [route, status, text] of cases) {
      const response = await fetch(`${bridge.url}${route}`, { headers: { cookie: session.cookie } });
      expect(response.status, route).toBe(status);
      expect(response.headers.get('content-type'), route).toBe('text/html; charset=utf-8');
      const body = await response.text();
      expect(body, route).toContain(text);
      expect(body, route).not.toMatch(/ at .*\.(js|ts):\d+/);
    }
    const huge = await fetch(`${bridge.url}/console/mapping/preview`, {
      method: 'POST',
      headers: { cookie: session.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: session.csrf, mapping: 'x'.repeat(300_000) }).toString(),
    });
    expect(huge.status).toBe(413);
    expect(await huge.text()).toContain('That form is too large.');
  });

  it('when the static files are fetched, then the bridge serves them itself under the console CSP, without a session', async () => {
    const bridge = await start();
    for (const [file, type] of [['console.css', 'text/css'], ['console.js', 'text/javascript'], ['favicon.svg', 'image/svg+xml']] as const) {
      const response = await fetch(`${bridge.url}/console/static/${file}`);
      expect(response.status, file).toBe(200);
      expect(response.headers.get('content-type'), file).toContain(type);
      expect(response.headers.get('content-security-policy'), file).toContain("default-src 'none'; script-src 'self'");
    }
    expect((await fetch(`${bridge.url}/console/static/missing.js`)).status).toBe(404);
  });

  it('when a mapping that does not load is previewed, then every problem is listed and nothing changes', async () => {
    const bridge = await start();
    const session = await consoleSignIn(bridge.url, TEST_ADMIN_TOKEN);
    const preview = await fetch(`${bridge.url}/console/mapping/preview`, {
      method: 'POST',
      headers: { cookie: session.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: session.csrf, mapping: 'groups:\n  - scim: A\n    policies:\n      - level: galaxy\n' }).toString(),
    });
    expect(preview.status).toBe(200);
    const text = await preview.text();
    expect(text).toContain('This mapping would not load:');
    expect(text).toContain('groups[0].policies[0].level (line 4): must be account or environment; got &quot;galaxy&quot;');
  });
});

describe('console sign-in limits', () => {
  it('when an address keeps sending wrong admin tokens, then it is refused with 429 for a while, like a failing bearer token', async () => {
    const bridge = await start({ RATE_LIMIT_PER_MINUTE: '60', RATE_LIMIT_BURST: '2' });
    const attempt = async (token: string) => {
      const form = await fetch(`${bridge.url}/console/sign-in`);
      const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
      const cookie = form.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
      return fetch(`${bridge.url}/console/sign-in`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: csrf, token }).toString(),
      });
    };
    expect((await attempt('wrong-token-0123456789abcdef')).status).toBe(401);
    expect((await attempt('wrong-token-0123456789abcdef')).status).toBe(401);
    const limited = await attempt(TEST_ADMIN_TOKEN);
    expect(limited.status).toBe(429);
    expect(await limited.text()).toContain('Too many refused sign-ins from this address');
  });

  it('when the OpenID provider cannot be reached, then the sign-in page says so (502) and offers the token form', async () => {
    const bridge = await start({ OIDC_ISSUER: 'http://127.0.0.1:9', OIDC_CLIENT_ID: 'console', OIDC_ADMIN_VALUES: 'operators' });
    const response = await fetch(`${bridge.url}/console/oidc/start`, { redirect: 'manual' });
    expect(response.status).toBe(502);
    const text = await response.text();
    expect(text).toContain('The identity provider could not be reached');
    expect(text).toContain('name="token"');
  });
});
