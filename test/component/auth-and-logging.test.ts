// Bearer-token authentication, request ids and log hygiene: tokens never reach a log line.
import { afterEach, describe, expect, it } from 'vitest';
import { startTestBridge, TEST_TOKEN, type TestBridge } from '../helpers/test-bridge.js';
import { userBody } from '../helpers/scim-builders.js';

let bridge: TestBridge;
afterEach(async () => {
  await bridge.close();
});

describe('authentication', () => {
  it('when the token is missing or wrong, then 401 with a SCIM error and WWW-Authenticate: Bearer', async () => {
    bridge = await startTestBridge();
    for (const authorization of [undefined, 'Bearer wrong-token-value-123456', 'non-token', `Basic ${TEST_TOKEN}`]) {
      const response = await fetch(`${bridge.base}/Users`, { headers: authorization ? { authorization } : {} });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      const body = (await response.json()) as any;
      expect(body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '401' });
      expect(typeof body.detail).toBe('string');
    }
  });

  it('when several tokens are configured (rotation), then each of them is accepted', async () => {
    const second = 'second-token-abcdefghijklmnop';
    bridge = await startTestBridge({ env: { SCIM_TOKENS: `${TEST_TOKEN}, ${second}` } });
    for (const token of [TEST_TOKEN, second]) {
      const response = await fetch(`${bridge.base}/Users`, { headers: { authorization: `Bearer ${token}` } });
      expect(response.status).toBe(200);
    }
  });

  it('when /healthz and /readyz are called without a token, then they answer; every other route needs one', async () => {
    bridge = await startTestBridge();
    expect((await fetch(`${bridge.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${bridge.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready' });
    for (const route of ['/ServiceProviderConfig', '/Schemas', '/ResourceTypes', '/Groups', '/Users/x']) {
      expect((await fetch(`${bridge.base}${route}`)).status).toBe(401);
    }
  });

  it('when an unauthenticated request carries a body, then it is refused before the body is parsed', async () => {
    bridge = await startTestBridge();
    const response = await fetch(`${bridge.base}/Users`, { method: 'POST', headers: { 'content-type': 'application/scim+json' }, body: '{not json' });
    expect(response.status).toBe(401);
  });
});

describe('request ids and logs', () => {
  it('when a valid X-Request-Id is sent, then it is echoed and logged; an invalid one is replaced', async () => {
    bridge = await startTestBridge();
    const valid = await bridge.scim('GET', '/Users', undefined, { 'x-request-id': 'okta-req-42' });
    expect(valid.headers.get('x-request-id')).toBe('okta-req-42');
    expect(bridge.logLines.some((line) => JSON.parse(line).requestId === 'okta-req-42')).toBe(true);
    const invalid = await bridge.scim('GET', '/Users', undefined, { 'x-request-id': 'bad id with spaces <script>' });
    expect(invalid.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('when a full scenario runs, then no log line contains the token or an Authorization header', async () => {
    bridge = await startTestBridge({ env: { LOG_LEVEL: 'trace' } });
    const created = await bridge.scim('POST', '/Users', userBody('log.check@example.com', { password: 'p4ssw0rd-never-logged' }));
    await bridge.scim('GET', `/Users/${created.body.id}`);
    await bridge.scim('GET', '/Users?filter=bad filter');
    await fetch(`${bridge.base}/Users`, { headers: { authorization: 'Bearer wrong-token-that-must-not-be-logged' } });
    expect(bridge.logLines.length).toBeGreaterThan(3);
    const all = bridge.logLines.join('\n');
    expect(all).not.toContain(TEST_TOKEN);
    expect(all).not.toContain('wrong-token-that-must-not-be-logged');
    expect(all).not.toContain('p4ssw0rd-never-logged');
    expect(all.toLowerCase()).not.toContain('authorization');
  });
});
