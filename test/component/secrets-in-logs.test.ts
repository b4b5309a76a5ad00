// Issue 6 §4: the real bridge process runs a full scenario with every secret configured — two SCIM
// tokens, the Dynatrace OAuth client secret, the Davis Assistant token, the metrics token, JWTs from
// a loopback JWKS issuer, the credentials of the forward proxy every outbound call goes through, and
// (on PostgreSQL) the database password — once from the environment on SQLite, once from *_FILE files
// on PostgreSQL. All of stdout and stderr (LOG_LEVEL=trace) and a
// /metrics scrape are then searched for each secret, each JWT and every base64url part of one.
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type SandboxHandle } from '../../src/sandbox/index.js';
import { makeDataDir, removeDataDir, seededRandom } from '../helpers/bridge-process.js';
import { freshDatabase } from '../helpers/postgres-server.js';
import { groupBody, patchBody, userBody } from '../helpers/scim-builders.js';
import { parseJson, scimRequest } from '../helpers/scim-client.js';
import { buildBridge, spawnBridge, type BuiltBridge } from '../helpers/spawned-bridge.js';
import { consoleSignIn } from '../../tools/console-sign-in.js';
import { cleanupsAfterEach } from '../helpers/cleanups.js';
import { listenOnLoopback } from '../helpers/loopback-server.js';
import { startForwardProxy } from '../helpers/forward-proxy.js';

const ISSUER = 'https://idp.example.test/oauth2/default';
const AUDIENCE = 'api://dynatrace-scim-bridge';
const SCOPE = 'scim.provision';
const REFUSED_EMAIL = 'refused.person@example.com';
/** A mapping whose one rule names a policy the account does not have: mapping problems and a permanent sync failure get logged. */
const MAPPING = `groups:
  - scim: "Broken Policy Team"
    policies:
      - level: account
        names: ["No Such Policy"]
unmatchedGroups: mirror
`;

let built: BuiltBridge;
beforeAll(() => {
  built = buildBridge();
});
afterAll(() => built.remove());

const cleanups = cleanupsAfterEach();

function randomSecret(label: string): string {
  return `${label}-${randomBytes(18).toString('base64url')}`;
}

/** A JWKS endpoint on loopback and JWTs signed with its one key: a valid one, a tampered one and an expired one. */
async function startIssuer(): Promise<{ readonly jwksUrl: string; readonly valid: string; readonly tampered: string; readonly expired: string }> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'secrets-test', alg: 'RS256', use: 'sig' };
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
  });
  const port = await listenOnLoopback(server, cleanups);
  const now = Math.floor(Date.now() / 1000);
  const sign = (iat: number, exp: number) =>
    new SignJWT({ iss: ISSUER, aud: AUDIENCE, sub: 'okta-client', scope: `openid ${SCOPE}`, iat, exp })
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: 'secrets-test' })
      .sign(privateKey);
  const valid = await sign(now, now + 600);
  const [header, payload, signature = ''] = valid.split('.');
  const flipped = `${signature.slice(0, -4)}${signature.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
  return { jwksUrl: `http://127.0.0.1:${port}/keys`, valid, tampered: `${header}.${payload}.${flipped}`, expired: await sign(now - 7200, now - 3600) };
}

type Variant = 'environment and SQLite' | '*_FILE files and PostgreSQL';

async function runScenario(variant: Variant): Promise<{ output: string; scrape: string; secrets: string[] }> {
  const sandbox: SandboxHandle = await startSandbox({
    host: '127.0.0.1',
    port: 0,
    random: seededRandom(6),
    faults: { rateLimitPerMinute: null, errorRate: 0.2, refusedEmails: [REFUSED_EMAIL] },
  });
  cleanups.push(() => sandbox.stop());
  const dataDir = makeDataDir();
  cleanups.push(() => removeDataDir(dataDir));
  const issuer = await startIssuer();
  const scimTokens = [randomSecret('scim-one'), randomSecret('scim-two')];
  const metricsToken = randomSecret('metrics');
  const adminTokens = [randomSecret('admin-one'), randomSecret('admin-two')];
  const sessionSecret = randomSecret('console-session-key-of-32-characters');
  const oidcSecret = randomSecret('oidc-client');
  const mappingFile = path.join(dataDir, 'mapping.yaml');
  writeFileSync(mappingFile, MAPPING);

  const secrets: string[] = [...scimTokens, metricsToken, sandbox.clientSecret, sandbox.davisToken, ...adminTokens, sessionSecret, oidcSecret];
  // The generated client secret is `<client id>.<random>`: its random part alone is a secret too.
  secrets.push(sandbox.clientSecret.slice(sandbox.clientId.length + 1));
  for (const jwt of [issuer.valid, issuer.tampered, issuer.expired]) secrets.push(jwt, ...jwt.split('.').filter((part) => part.length > 8));
  const proxyCredentials = { user: 'bridge-proxy-user', password: randomSecret('proxy') };
  const proxy = await startForwardProxy(cleanups, { credentials: proxyCredentials });
  secrets.push(proxy.url, proxyCredentials.password, Buffer.from(`${proxyCredentials.user}:${proxyCredentials.password}`).toString('base64'));

  const env: Record<string, string> = {
    DATA_DIR: dataDir,
    LOG_LEVEL: 'trace',
    SYNC_COALESCE_MS: '0',
    RATE_LIMIT_PER_MINUTE: '0',
    RECONCILE_INTERVAL_MS: '0',
    MAPPING_FILE: mappingFile,
    DT_ACCOUNT_UUID: sandbox.accountUuid,
    DT_CLIENT_ID: sandbox.clientId,
    DT_API_URL: sandbox.url,
    DT_TOKEN_URL: sandbox.tokenUrl,
    DAVIS_ASSISTANT_URL: sandbox.url,
    JWT_JWKS_URL: issuer.jwksUrl,
    JWT_ISSUER: ISSUER,
    JWT_AUDIENCE: AUDIENCE,
    JWT_REQUIRED_SCOPE: SCOPE,
    HTTP_PROXY: proxy.url,
    // An upgraded deployment's scripts keep calling /admin with the SCIM credentials.
    ADMIN_ACCEPTS_SCIM_TOKEN: 'true',
    OIDC_ISSUER: 'http://127.0.0.1:9/never-asked',
    OIDC_CLIENT_ID: 'console',
    OIDC_ADMIN_VALUES: 'operators',
  };
  const direct: Record<string, string> = {
    SCIM_TOKENS: scimTokens.join(','),
    DT_CLIENT_SECRET: sandbox.clientSecret,
    DAVIS_ASSISTANT_TOKEN: sandbox.davisToken,
    METRICS_TOKEN: metricsToken,
    ADMIN_TOKENS: adminTokens.join(','),
    CONSOLE_SESSION_SECRET: sessionSecret,
    OIDC_CLIENT_SECRET: oidcSecret,
  };
  if (variant === 'environment and SQLite') {
    Object.assign(env, direct);
  } else {
    const databaseUrl = await freshDatabase(cleanups, 'secrets');
    secrets.push(databaseUrl, decodeURIComponent(new URL(databaseUrl).password));
    direct['DATABASE_URL'] = databaseUrl;
    for (const [name, value] of Object.entries(direct)) {
      const file = path.join(dataDir, `${name.toLowerCase()}.secret`);
      writeFileSync(file, `${value}\n`);
      env[`${name}_FILE`] = file;
    }
    env['METRICS_PORT'] = '0';
  }

  const bridge = await spawnBridge(built.entry, env);
  cleanups.push(() => bridge.kill());
  const base = `${bridge.url}/scim/v2`;
  const [one = '', two = ''] = scimTokens;
  const scim = async (token: string, method: string, route: string, body?: unknown) => {
    const response = await scimRequest(base, token, method, route, body);
    if (response.status >= 300) throw new Error(`${method} ${route}: ${response.status} ${response.text}`);
    return response.body as { id: string };
  };

  // Users and groups, with each kind of credential.
  const alice = await scim(one, 'POST', '/Users', userBody('alice.secret@example.com'));
  const bob = await scim(two, 'POST', '/Users', userBody('bob.secret@example.com'));
  const carol = await scim(issuer.valid, 'POST', '/Users', userBody('carol.secret@example.com'));
  await scim(one, 'POST', '/Users', userBody(REFUSED_EMAIL));
  await scim(issuer.valid, 'PATCH', `/Users/${bob.id}`, patchBody({ op: 'replace', path: 'displayName', value: 'Robert' }));
  const broken = await scim(two, 'POST', '/Groups', groupBody('Broken Policy Team', [alice.id]));
  const team = await scim(one, 'POST', '/Groups', groupBody('Scenario Team', [bob.id]));
  await scim(issuer.valid, 'PATCH', `/Groups/${team.id}`, patchBody({ op: 'add', path: 'members', value: [{ value: alice.id }] }));
  const shortLived = await scim(two, 'POST', '/Groups', groupBody('Short Lived', [carol.id]));
  await scim(one, 'DELETE', `/Groups/${shortLived.id}`);
  await scim(two, 'DELETE', `/Users/${carol.id}`);
  await scim(one, 'GET', `/Groups/${broken.id}`);

  // Refused credentials, among them configured secrets presented where they do not belong.
  const refusals: Array<[string, string | null, string]> = [
    [`${base}/Users`, `Bearer ${randomSecret('wrong')}`, 'wrong SCIM token'],
    [`${base}/Users`, `Bearer ${issuer.tampered}`, 'tampered JWT'],
    [`${base}/Users`, `Bearer ${issuer.expired}`, 'expired JWT'],
    [`${base}/Users`, `Basic ${one}`, 'SCIM token in the wrong scheme'],
    [`${base}/Users`, `Bearer ${metricsToken}`, 'metrics token as SCIM token'],
    [`${base}/Users`, `Bearer ${sandbox.clientSecret}`, 'client secret as SCIM token'],
    [`${bridge.url}/admin/status`, `Bearer ${sandbox.davisToken}`, 'Davis token on /admin'],
  ];
  const metricsBase = bridge.metricsUrl ?? bridge.url;
  refusals.push([`${metricsBase}/metrics`, `Bearer ${one}`, 'SCIM token on /metrics'], [`${metricsBase}/metrics`, null, 'no metrics token']);
  for (const [url, authorization, what] of refusals) {
    const response = await fetch(url, { headers: authorization === null ? {} : { authorization } });
    await response.text();
    expect(response.status, what).toBe(401);
  }

  // The operator's side.
  const admin = async (method: string, route: string, token: string) => {
    const response = await fetch(`${bridge.url}/admin${route}`, { method, headers: { authorization: `Bearer ${token}` } });
    expect(response.status, `${method} /admin${route}`).toBe(200);
    return parseJson(await response.text()) as any;
  };
  await admin('POST', '/mapping/reload', one);
  const deadline = Date.now() + 30_000;
  while ((await admin('GET', '/status', two)).queue.depth > 0) {
    if (Date.now() > deadline) throw new Error('the sync queue did not settle');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // The start-up check of the mapping (retried through the injected 5xx) logs its problems.
  while (!bridge.printed('mapping problem')) {
    if (Date.now() > deadline) throw new Error('the start-up mapping check did not finish');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await admin('POST', '/reconcile', issuer.valid);
  await admin('POST', '/sync/retry-failed', one);
  await admin('GET', '/audit?limit=1000', two);
  await admin('GET', '/status', adminTokens[1] as string);
  // The console: a refused sign-in, then a session and its pages.
  await expect(consoleSignIn(bridge.url, randomSecret('not-an-admin-token'))).rejects.toThrow('401');
  const session = await consoleSignIn(bridge.url, adminTokens[0] as string);
  for (const page of ['/console/people?q=ann', '/console/audit?outcome=failed', '/console/mapping']) {
    expect((await fetch(`${bridge.url}${page}`, { headers: { cookie: session.cookie } })).status, page).toBe(200);
  }
  expect((await fetch(`${bridge.url}/readyz`)).status).toBeGreaterThan(0);
  const scraped = await fetch(`${metricsBase}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } });
  expect(scraped.status).toBe(200);
  const scrape = await scraped.text();

  // Every outbound call went through the proxy (the sandbox, the JWKS), none was refused by it.
  const origins = new Set(proxy.seen);
  expect(origins).toEqual(new Set([`CONNECT ${new URL(sandbox.url).host}`, `CONNECT ${new URL(issuer.jwksUrl).host}`]));
  expect(proxy.refused).toBe(0);

  bridge.signal('SIGTERM');
  const { code } = await bridge.exited;
  expect(code, bridge.output().slice(-3000)).toBe(0);
  return { output: bridge.output(), scrape, secrets };
}

describe('secrets in logs', () => {
  it.each<Variant>(['environment and SQLite', '*_FILE files and PostgreSQL'])(
    'when a full scenario runs with every secret configured (%s), then no secret, JWT or JWT part appears in the output or the /metrics scrape',
    async (variant) => {
      const { output, scrape, secrets } = await runScenario(variant);
      // The scenario reached the paths that log the most: refusals, sync failures, mapping problems, shutdown.
      for (const message of ['bearer JWT refused', 'sync failed permanently; kept for an operator', 'mapping problem', '"msg":"stopped"']) {
        expect(output, message).toContain(message);
      }
      expect(scrape).toContain('scim_bridge_');
      for (const secret of secrets) {
        expect(output.includes(secret), `a secret of ${secret.length} characters is in the output`).toBe(false);
        expect(scrape.includes(secret), `a secret of ${secret.length} characters is in the /metrics scrape`).toBe(false);
      }
    },
    90_000,
  );
});
