// Headers a fuzzer found answered below the bridge's own error handling: an Expect the server cannot
// meet (Node's bare 417) and an If-Match version beyond any the store can hold (a PostgreSQL integer
// overflow reported as an outage). Each is answered like any other client error, on every engine.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_URN, groupBody, patchBody, userBody } from '../helpers/scim-builders.js';
import { startTestBridge, STORE_ENGINES, TEST_TOKEN, type TestBridge } from '../helpers/test-bridge.js';

/** One request through node:http (fetch refuses to send an Expect header). */
function send(url: string, method: string, headers: Record<string, string>, body?: string): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method, headers: { authorization: `Bearer ${TEST_TOKEN}`, ...headers } }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, text }));
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

describe('an Expect the server cannot meet', () => {
  let bridge: TestBridge;
  beforeAll(async () => {
    bridge = await startTestBridge();
  });
  afterAll(async () => {
    await bridge.close();
  });

  it('when a request carries an Expect other than 100-continue, then 417 with a SCIM body, the security headers, a request id and an access line; 100-continue still works', async () => {
    for (const [method, route, body] of [['GET', '/Users', undefined], ['POST', '/Users', JSON.stringify(userBody('expect@example.com'))]] as const) {
      const answer = await send(`${bridge.base}${route}`, method, { expect: 'something-else', 'content-type': 'application/scim+json' }, body);
      expect(answer.status, route).toBe(417);
      expect(answer.headers['content-type']).toBe('application/scim+json');
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
      const requestId = answer.headers['x-request-id'];
      expect(requestId).toEqual(expect.any(String));
      expect(JSON.parse(answer.text)).toEqual({ schemas: [ERROR_URN], status: '417', detail: expect.stringContaining('100-continue') });
      expect(bridge.logLines.some((line) => line.includes(String(requestId)) && line.includes('"status":417'))).toBe(true);
    }
    expect((await bridge.scim('GET', '/Users?filter=userName%20eq%20%22expect@example.com%22')).body.totalResults).toBe(0);
    const continued = await send(`${bridge.base}/Users`, 'POST', { expect: '100-continue', 'content-type': 'application/scim+json' }, JSON.stringify(userBody('continue@example.com')));
    expect(continued.status).toBe(201);
  });
});

for (const engine of STORE_ENGINES) {
  describe(`If-Match beyond any version [${engine}]`, () => {
    let bridge: TestBridge;
    beforeAll(async () => {
      bridge = await startTestBridge({ engine });
    });
    afterAll(async () => {
      await bridge.close();
    });

    it('when If-Match names a version no resource can reach, then every write route answers 412 and nothing changes', async () => {
      const user = (await bridge.scim('POST', '/Users', userBody(`ifmatch.${engine}@example.com`))).body;
      const group = (await bridge.scim('POST', '/Groups', groupBody(`ifmatch ${engine}`))).body;
      const writes: Array<[string, string, unknown]> = [
        ['PUT', `/Users/${user.id}`, userBody(user.userName)],
        ['PATCH', `/Users/${user.id}`, patchBody({ op: 'replace', path: 'displayName', value: 'x' })],
        ['DELETE', `/Users/${user.id}`, undefined],
        ['PUT', `/Groups/${group.id}`, groupBody('renamed')],
        ['PATCH', `/Groups/${group.id}`, patchBody({ op: 'replace', path: 'displayName', value: 'renamed' })],
        ['DELETE', `/Groups/${group.id}`, undefined],
      ];
      for (const version of ['2147483648', '99999999999', '999999999999999']) {
        for (const [method, route, body] of writes) {
          const answer = await bridge.scim(method, route, body, { 'if-match': `W/"${version}"` });
          expect(answer.status, `${method} ${route} W/"${version}"`).toBe(412);
          expect(answer.body.schemas).toEqual([ERROR_URN]);
        }
      }
      expect((await bridge.scim('GET', `/Users/${user.id}`)).body.meta.version).toBe('W/"1"');
      expect((await bridge.scim('GET', `/Groups/${group.id}`)).body.displayName).toBe(`ifmatch ${engine}`);
    });
  });
}
