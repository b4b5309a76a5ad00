// Discovery endpoints (RFC 7644 §4): what they advertise must be what the bridge really does —
// authenticationSchemes included: static tokens, JWTs (against a JWKS server on loopback), or both.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scimRequest } from '../helpers/scim-client.js';
import { startTestBridge, TEST_TOKEN, type TestBridge } from '../helpers/test-bridge.js';
import { ENTERPRISE_URN, GROUP_URN, LIST_URN, USER_URN } from '../helpers/scim-builders.js';

const STATIC_SCHEME = {
  type: 'oauthbearertoken',
  name: 'Static Bearer Token',
  description: 'A static bearer token in the Authorization header (Authorization: Bearer <token>)',
  specUri: 'https://www.rfc-editor.org/info/rfc6750',
  primary: true,
};
const JWT_SCHEME = {
  type: 'oauthbearertoken',
  name: 'OAuth 2.0 Bearer Token (JWT)',
  description: 'An OAuth 2.0 access token that is a JWT (RFC 9068) from the configured issuer, in the Authorization header (Authorization: Bearer <token>)',
  specUri: 'https://www.rfc-editor.org/info/rfc6750',
  primary: true,
};
const ISSUER = 'https://idp.example.test/oauth2/default';
const AUDIENCE = 'api://dynatrace-scim-bridge';

let bridge: TestBridge;
beforeAll(async () => {
  bridge = await startTestBridge({ env: { SCIM_MAX_PAGE_SIZE: '500' } });
});
afterAll(async () => {
  await bridge.close();
});

describe('discovery', () => {
  it('when ServiceProviderConfig is read, then it advertises patch, filter and etag, and no bulk, sort or password change', async () => {
    const response = await bridge.scim('GET', '/ServiceProviderConfig');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/scim+json');
    expect(response.body).toMatchObject({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
      patch: { supported: true },
      bulk: { supported: false },
      filter: { supported: true, maxResults: 500 },
      changePassword: { supported: false },
      sort: { supported: false },
      etag: { supported: true },
    });
    expect(response.body.authenticationSchemes).toEqual([STATIC_SCHEME]);
  });

  it('when Schemas is listed, then User, EnterpriseUser and Group are there, and password is not', async () => {
    const response = await bridge.scim('GET', '/Schemas');
    expect(response.body.schemas).toEqual([LIST_URN]);
    expect(response.body.Resources.map((s: any) => s.id)).toEqual([USER_URN, ENTERPRISE_URN, GROUP_URN]);
    const user = response.body.Resources[0];
    const names = user.attributes.map((a: any) => a.name);
    expect(names).toContain('userName');
    expect(names).not.toContain('password');
    expect(JSON.stringify(response.body)).not.toContain('null');
    expect(user.meta.location).toBe(`${bridge.base}/Schemas/${USER_URN}`);
    const one = await bridge.scim('GET', `/Schemas/${ENTERPRISE_URN}`);
    expect(one.body.attributes.map((a: any) => a.name)).toContain('manager');
  });

  it('when Schemas describes the type of a multi-valued User attribute, then it is free text whose canonical values are suggestions, as the bridge treats it', async () => {
    const { body: user } = await bridge.scim('GET', `/Schemas/${USER_URN}`);
    const typeOf = (attribute: string) => user.attributes.find((a: any) => a.name === attribute).subAttributes.find((s: any) => s.name === 'type');
    // RFC 7643 §4.1.2's suggestions, as suggestions (§7: "A collection of suggested canonical values").
    expect(typeOf('emails').canonicalValues).toEqual(['work', 'home', 'other']);
    expect(typeOf('phoneNumbers').canonicalValues).toEqual(['work', 'home', 'mobile', 'fax', 'pager', 'other']);
    for (const attribute of ['emails', 'phoneNumbers', 'ims', 'photos', 'addresses', 'entitlements', 'roles', 'x509Certificates']) {
      const type = typeOf(attribute);
      expect(type.description, attribute).toContain('any other string is accepted and stored as sent');
      expect(type.caseExact, attribute).toBe(false);
      // A collection with no value would say that no value is allowed.
      if (type.canonicalValues !== undefined) expect(type.canonicalValues.length, attribute).toBeGreaterThan(0);
    }
    const created = await bridge.scim('POST', '/Users', {
      schemas: [USER_URN],
      userName: `types.${Date.now()}@example.com`,
      emails: [{ value: 'x@example.com', type: 'not-a-canonical-value' }],
      roles: [{ value: 'Admin', type: 'WindowsAzureActiveDirectoryRole' }],
    });
    expect(created.status).toBe(201);
    expect(created.body.emails[0].type).toBe('not-a-canonical-value');
  });

  it('when ResourceTypes is read, then User (with the enterprise extension) and Group are described', async () => {
    const response = await bridge.scim('GET', '/ResourceTypes');
    expect(response.body.totalResults).toBe(2);
    expect(response.body.Resources[0]).toMatchObject({ id: 'User', endpoint: '/Users', schema: USER_URN, schemaExtensions: [{ schema: ENTERPRISE_URN, required: false }] });
    expect((await bridge.scim('GET', '/ResourceTypes/Group')).body.schema).toBe(GROUP_URN);
    expect((await bridge.scim('GET', '/ResourceTypes/Nope')).status).toBe(404);
  });

  it('when an unknown SCIM path or route outside SCIM is requested, then a SCIM 404 JSON error, never HTML', async () => {
    const unknown = await bridge.scim('GET', '/Bulk');
    expect(unknown.status).toBe(404);
    expect(unknown.body.schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:Error']);
    const outside = await fetch(`${bridge.url}/nowhere`);
    expect(outside.status).toBe(404);
    expect(outside.headers.get('content-type')).toContain('application/scim+json');
  });
});

describe('discovery: authenticationSchemes', () => {
  it('when JWTs are accepted beside static tokens, then both are advertised as oauthbearertoken, the JWT one primary', async () => {
    // The static token authenticates this read, so the JWKS URL is never fetched.
    const both = await startTestBridge({ env: { JWT_JWKS_URL: 'http://127.0.0.1:9/keys', JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE } });
    try {
      const response = await both.scim('GET', '/ServiceProviderConfig');
      expect(response.status).toBe(200);
      expect(response.body.authenticationSchemes).toEqual([JWT_SCHEME, { ...STATIC_SCHEME, primary: false }]);
    } finally {
      await both.close();
    }
  });

  it('when only JWTs are accepted (no static token), then only the JWT scheme is advertised, read with a JWT', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    const jwks: Server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
    });
    jwks.listen(0, '127.0.0.1');
    await once(jwks, 'listening');
    const address = jwks.address();
    if (address === null || typeof address === 'string') throw new Error('no address');
    const jwtOnly = await startTestBridge({
      env: { SCIM_TOKENS: '', JWT_JWKS_URL: `http://127.0.0.1:${address.port}/keys`, JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE },
    });
    try {
      const now = Math.floor(Date.now() / 1000);
      const token = await new SignJWT({ iss: ISSUER, aud: AUDIENCE, sub: 'okta-client', iat: now, exp: now + 300 })
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'k1' })
        .sign(privateKey);
      const response = await scimRequest(jwtOnly.base, token, 'GET', '/ServiceProviderConfig');
      expect(response.status).toBe(200);
      expect(response.body.authenticationSchemes).toEqual([JWT_SCHEME]);
      expect((await scimRequest(jwtOnly.base, TEST_TOKEN, 'GET', '/ServiceProviderConfig')).status).toBe(401);
    } finally {
      await jwtOnly.close();
      jwks.closeAllConnections();
      jwks.close();
      await once(jwks, 'close');
    }
  });
});
