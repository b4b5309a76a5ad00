// OAuth 2.0 bearer JWTs on the SCIM and admin routes, against a real JWKS server on loopback (jose
// keys, fetches counted): valid tokens accepted beside the static ones, every kind of bad token refused
// with a 401 SCIM error that never echoes it, the key set cached and refetched at most once per
// cooldown, key rotation picked up, and an issuer outage answered 503 — never a 500, never a hang.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { CompactSign, exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { describe, expect, it } from 'vitest';
import { ERROR_URN, userBody } from '../helpers/scim-builders.js';
import { startTestBridge, TEST_ADMIN_TOKEN, TEST_TOKEN, type TestBridge } from '../helpers/test-bridge.js';
import { cleanupsAfterEach } from '../helpers/cleanups.js';

const ISSUER = 'https://idp.example.test/oauth2/default';
const AUDIENCE = 'api://dynatrace-scim-bridge';
const SCOPE = 'scim.provision';

interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  readonly jwk: JWK;
}

async function signingKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  return { kid, privateKey, publicKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

type JwksMode = 'up' | 'failing' | 'hanging';

/** A JWKS endpoint on loopback: serves `keys`, counts fetches; `failing` answers 503, `hanging` never answers. */
interface JwksServer {
  readonly url: string;
  keys: JWK[];
  mode: JwksMode;
  readonly fetches: number;
  close(): Promise<void>;
}

async function startJwksServer(keys: JWK[]): Promise<JwksServer> {
  let fetches = 0;
  const state = { keys, mode: 'up' as JwksMode };
  const server: Server = createServer((req, res) => {
    fetches += 1;
    if (state.mode === 'hanging') return;
    if (state.mode === 'failing') {
      res.writeHead(503).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: state.keys }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return {
    url: `http://127.0.0.1:${address.port}/keys`,
    get keys() {
      return state.keys;
    },
    set keys(next) {
      state.keys = next;
    },
    get mode() {
      return state.mode;
    },
    set mode(next) {
      state.mode = next;
    },
    get fetches() {
      return fetches;
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

function sign(key: SigningKey, claims: JWTPayload = {}, header: { kid?: string } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: ISSUER, aud: AUDIENCE, sub: 'okta-client', scope: `openid ${SCOPE}`, iat: now, exp: now + 300, ...claims })
    .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: header.kid ?? key.kid })
    .sign(key.privateKey);
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** JWTs configured, and (as an upgraded deployment may keep) the SCIM credentials opening /admin too. */
function jwtEnv(jwks: JwksServer, extra: Record<string, string> = {}): Record<string, string> {
  return { JWT_JWKS_URL: jwks.url, JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE, JWT_REQUIRED_SCOPE: SCOPE, ADMIN_ACCEPTS_SCIM_TOKEN: 'true', ...extra };
}

async function get(url: string, token: string | null): Promise<{ status: number; headers: Headers; body: any; text: string }> {
  const response = await fetch(url, { headers: token === null ? {} : { authorization: `Bearer ${token}` } });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === '' ? undefined : JSON.parse(text), text };
}

const cleanups = cleanupsAfterEach();

async function setUp(options: { env?: Record<string, string>; keys?: SigningKey[] } = {}) {
  const key = await signingKey('key-1');
  const jwks = await startJwksServer((options.keys ?? [key]).map((k) => k.jwk));
  cleanups.push(() => jwks.close());
  const bridge: TestBridge = await startTestBridge({ env: jwtEnv(jwks, options.env) });
  cleanups.push(() => bridge.close());
  return { key, jwks, bridge };
}

describe('accepted JWTs', () => {
  it('when a valid JWT is sent, then SCIM routes and /admin accept it, and the static token still works', async () => {
    const { key, bridge } = await setUp();
    const token = await sign(key);
    expect((await get(`${bridge.base}/Users`, token)).status).toBe(200);
    const created = await fetch(`${bridge.base}/Users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
      body: JSON.stringify(userBody('jwt.user@example.com')),
    });
    expect(created.status).toBe(201);
    expect((await get(`${bridge.url}/admin/status`, token)).status).toBe(200);
    expect((await get(`${bridge.base}/Users`, TEST_TOKEN)).status).toBe(200);
  });

  it('when ADMIN_ACCEPTS_SCIM_TOKEN is off (the default), then a valid JWT and the SCIM token open SCIM but not /admin, which takes the admin token', async () => {
    const { key, bridge } = await setUp({ env: { ADMIN_ACCEPTS_SCIM_TOKEN: '' } });
    const token = await sign(key);
    expect((await get(`${bridge.base}/Users`, token)).status).toBe(200);
    for (const credential of [token, TEST_TOKEN]) {
      const refused = await get(`${bridge.url}/admin/status`, credential);
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="SCIM", error="invalid_token"');
    }
    expect((await get(`${bridge.url}/admin/status`, TEST_ADMIN_TOKEN)).status).toBe(200);
  });

  it('when the scope comes as an Entra-style `scp` array or string, then it counts', async () => {
    const { key, bridge } = await setUp();
    for (const scp of [[SCOPE], `other ${SCOPE}`]) {
      const token = await sign(key, { scope: undefined, scp });
      expect((await get(`${bridge.base}/Users`, token)).status, JSON.stringify(scp)).toBe(200);
    }
  });

  it('when no static token is configured, then JWTs alone authenticate and the former static token is refused', async () => {
    const { key, bridge } = await setUp({ env: { SCIM_TOKENS: '' } });
    expect((await get(`${bridge.base}/Users`, await sign(key))).status).toBe(200);
    expect((await get(`${bridge.base}/Users`, TEST_TOKEN)).status).toBe(401);
  });
});

describe('refused JWTs', () => {
  it('when a token fails any check, then 401 with a SCIM error naming the check, an invalid_token challenge, and no trace of the token', async () => {
    const { key, bridge } = await setUp();
    const stranger = await signingKey('key-stranger');
    const now = Math.floor(Date.now() / 1000);
    const payload = { iss: ISSUER, aud: AUDIENCE, sub: 'x', scope: SCOPE, exp: now + 300 };
    // HS256 with the issuer's public key as the HMAC secret: the classic algorithm-confusion attack.
    const publicPem = new TextEncoder().encode(await exportSPKI(key.publicKey));
    const hmacWithPublicKey = await new SignJWT(payload).setProtectedHeader({ alg: 'HS256', kid: key.kid }).sign(publicPem);
    const [validHeader, validPayload] = (await sign(key)).split('.');
    const signedArray = await new CompactSign(new TextEncoder().encode('[1,2]')).setProtectedHeader({ alg: 'RS256', kid: key.kid }).sign(key.privateKey);
    const cases: Array<[string, string, RegExp]> = [
      ['expired', await sign(key, { exp: now - 600 }), /expired/],
      ['not yet valid', await sign(key, { nbf: now + 600 }), /not valid yet/],
      ['wrong issuer', await sign(key, { iss: 'https://evil.example.test' }), /issuer/],
      ['wrong audience', await sign(key, { aud: 'api://something-else' }), /audience/],
      ['no exp', await sign(key, { exp: undefined }), /"exp"/],
      ['alg none', `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(payload)}.`, /algorithm/],
      ['HS256 with the public key', hmacWithPublicKey, /algorithm/],
      ['unknown kid', await sign(stranger), /key the issuer does not publish/],
      ['bad signature (right kid, wrong key)', await sign(stranger, {}, { kid: key.kid }), /signature/],
      ['tampered payload', `${validHeader}.${base64url({ ...payload, sub: 'admin' })}.${(await sign(key)).split('.')[2]}`, /signature/],
      ['header not JSON', `${Buffer.from('{nope').toString('base64url')}.${validPayload}.abc`, /well-formed/],
      ['claims not an object (properly signed)', signedArray, /well-formed/],
      ['three junk segments', 'abc.def.ghi', /well-formed/],
    ];
    for (const [name, token, detail] of cases) {
      for (const url of [`${bridge.base}/Users`, `${bridge.url}/admin/status`]) {
        const response = await get(url, token);
        expect({ name, url, status: response.status }).toEqual({ name, url, status: 401 });
        expect(response.headers.get('www-authenticate'), name).toBe('Bearer realm="SCIM", error="invalid_token"');
        expect(response.body, name).toMatchObject({ schemas: [ERROR_URN], status: '401' });
        expect(response.body.detail, name).toMatch(detail);
        expect(response.text, name).not.toContain(token);
        for (const part of token.split('.').filter((p) => p.length > 8)) expect(response.text, name).not.toContain(part);
      }
    }
    // The operator's log says why (a line per refusal), and never carries a token.
    const refusals = bridge.logLines.map((line) => JSON.parse(line)).filter((line) => line.msg === 'bearer JWT refused');
    expect(refusals.length).toBe(cases.length * 2);
    const logs = bridge.logLines.join('\n');
    for (const [name, token] of cases) {
      for (const part of token.split('.').filter((p) => p.length > 8)) expect(logs, name).not.toContain(part);
    }
  });

  it('when a valid token lacks the required scope, then 403 insufficient_scope naming the scope; an Entra app role counts as the scope', async () => {
    const { key, bridge } = await setUp();
    const lacking = await sign(key, { scope: 'openid profile' });
    for (const url of [`${bridge.base}/Users`, `${bridge.url}/admin/status`]) {
      const response = await get(url, lacking);
      expect(response.status).toBe(403);
      expect(response.headers.get('www-authenticate')).toBe(`Bearer realm="SCIM", error="insufficient_scope", scope="${SCOPE}"`);
      expect(response.body).toMatchObject({ schemas: [ERROR_URN], status: '403' });
      expect(response.body.detail).toMatch(/does not grant the scope/);
      expect(response.text).not.toContain(lacking);
    }
    expect((await get(`${bridge.base}/Users`, await sign(key, { scope: undefined, roles: [SCOPE] }))).status).toBe(200);
    expect((await get(`${bridge.base}/Users`, await sign(key, { scope: undefined, roles: ['Other.Role'] }))).status).toBe(403);
  });

  it('when no token is sent, then the challenge is a plain Bearer one; a token that is no JWT and no static token is invalid_token', async () => {
    const { bridge } = await setUp();
    const none = await get(`${bridge.base}/Users`, null);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="SCIM"');
    const opaque = await get(`${bridge.base}/Users`, 'not-a-jwt-and-not-a-static-token');
    expect(opaque.status).toBe(401);
    expect(opaque.headers.get('www-authenticate')).toBe('Bearer realm="SCIM", error="invalid_token"');
  });
});

describe('the key set', () => {
  it('when many requests carry JWTs, then the key set is fetched once', async () => {
    const { key, jwks, bridge } = await setUp();
    for (let i = 0; i < 20; i += 1) {
      expect((await get(`${bridge.base}/Users`, await sign(key, { jti: `t${i}` }))).status).toBe(200);
    }
    expect(jwks.fetches).toBe(1);
  });

  it('when unknown kids arrive, then at most one refetch per cooldown; a rotated key is picked up once the cooldown has passed', async () => {
    const cooldownMs = 1_000;
    const { key, jwks, bridge } = await setUp({ env: { JWT_JWKS_COOLDOWN_MS: String(cooldownMs) } });
    // Keys made and tokens signed up front: an RSA key pair can take longer than the cooldown on a busy machine.
    const rotated = await signingKey('key-2');
    const stranger = await signingKey('key-stranger');
    const rotatedTokens = await Promise.all([0, 1, 2, 3, 4].map((i) => sign(rotated, { jti: `r${i}` })));
    const strangerToken = await sign(stranger);
    expect((await get(`${bridge.base}/Users`, await sign(key))).status).toBe(200);
    expect(jwks.fetches).toBe(1);
    // Within the cooldown of that fetch, unknown kids do not reach the issuer.
    for (let i = 0; i < 5; i += 1) expect((await get(`${bridge.base}/Users`, rotatedTokens[0]!)).status).toBe(401);
    expect(jwks.fetches).toBe(1);
    // The issuer rotates: the next unknown kid after the cooldown refetches once and finds it.
    jwks.keys = [key.jwk, rotated.jwk];
    await new Promise((resolve) => setTimeout(resolve, cooldownMs + 100));
    for (const token of rotatedTokens) expect((await get(`${bridge.base}/Users`, token)).status).toBe(200);
    expect(jwks.fetches).toBe(2);
    // A kid still unknown after that refetch costs no further fetch within the new cooldown.
    for (let i = 0; i < 5; i += 1) expect((await get(`${bridge.base}/Users`, strangerToken)).status).toBe(401);
    expect(jwks.fetches).toBe(2);
  });

  it('when the JWKS endpoint fails, then 503 with Retry-After (no 500), one fetch per cooldown, static tokens unaffected, and recovery after it', async () => {
    const cooldownMs = 1_000;
    const { key, jwks, bridge } = await setUp({ env: { JWT_JWKS_COOLDOWN_MS: String(cooldownMs) } });
    jwks.mode = 'failing';
    const token = await sign(key);
    for (let i = 0; i < 5; i += 1) {
      const response = await get(`${bridge.base}/Users`, token);
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
      expect(response.body).toMatchObject({ schemas: [ERROR_URN], status: '503' });
      expect(response.text).not.toContain(token);
    }
    expect(jwks.fetches).toBe(1);
    expect((await get(`${bridge.base}/Users`, TEST_TOKEN)).status).toBe(200);
    jwks.mode = 'up';
    await new Promise((resolve) => setTimeout(resolve, cooldownMs + 100));
    expect((await get(`${bridge.base}/Users`, token)).status).toBe(200);
    expect(jwks.fetches).toBe(2);
  });

  it('when the JWKS endpoint hangs or refuses connections, then the answer is a prompt 503, not a hang', async () => {
    const { key, jwks, bridge } = await setUp({ env: { JWT_JWKS_TIMEOUT_MS: '300' } });
    jwks.mode = 'hanging';
    const token = await sign(key);
    const started = Date.now();
    expect((await get(`${bridge.base}/Users`, token)).status).toBe(503);
    expect(Date.now() - started).toBeLessThan(3_000);

    const refused = await startJwksServer([key.jwk]);
    const refusedUrl = refused.url;
    await refused.close();
    const other = await startTestBridge({ env: { ...jwtEnv(jwks), JWT_JWKS_URL: refusedUrl } });
    cleanups.push(() => other.close());
    const response = await get(`${other.base}/Users`, token);
    expect(response.status).toBe(503);
    expect(response.body).toMatchObject({ schemas: [ERROR_URN], status: '503' });
  });
});

describe('principals', () => {
  it('when JWTs of two clients are rate limited, then each client has its own bucket, shared by all of its tokens', async () => {
    const { key, bridge } = await setUp({ env: { RATE_LIMIT_PER_MINUTE: '1', RATE_LIMIT_BURST: '2' } });
    const okta = (jti: string) => sign(key, { client_id: 'okta-client', jti });
    const entra = (jti: string) => sign(key, { sub: 'entra-sp', azp: 'entra-app', jti });
    expect((await get(`${bridge.base}/Users`, await okta('a'))).status).toBe(200);
    expect((await get(`${bridge.base}/Users`, await okta('b'))).status).toBe(200);
    const limited = await get(`${bridge.base}/Users`, await okta('c'));
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ schemas: [ERROR_URN], status: '429' });
    expect((await get(`${bridge.base}/Users`, await entra('a'))).status).toBe(200);
    expect((await get(`${bridge.base}/Users`, TEST_TOKEN)).status).toBe(200);
  });
});
