// The one reader of process.env: every setting is parsed and validated here, at boot, and all
// problems are reported at once. Secrets may also come from files (`*_FILE`, for Kubernetes).
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { DEFAULT_API_URL, DEFAULT_DAVIS_ASSISTANT_URL, DEFAULT_SCOPES, DEFAULT_TOKEN_URL } from './adapters/dynatrace/index.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly scimBasePath: string;
  /** Static bearer tokens; several at once allow rotation. Empty: one is generated under dataDir. */
  readonly scimTokens: readonly string[];
  readonly dataDir: string;
  readonly logLevel: LogLevel;
  /** Absolute URL prefix for `meta.location` and `Location`, e.g. https://scim.example.com; else from the request. */
  readonly publicBaseUrl: string | null;
  readonly defaultPageSize: number;
  readonly maxPageSize: number;
  readonly maxBodyBytes: number;
  /** Most resources a filter without an index may examine before answering 400 tooMany. */
  readonly filterScanLimit: number;
  readonly dynatrace: DynatraceConfig;
  readonly davisAssistant: DavisAssistantConfig;
  readonly sync: SyncConfig;
  /** PostgreSQL (DATABASE_URL) for several replicas; null = the SQLite file under dataDir. */
  readonly database: DatabaseConfig | null;
  /** OAuth 2.0 bearer JWTs accepted alongside the static tokens; null = static tokens only. */
  readonly jwt: JwtConfig | null;
  readonly metrics: MetricsConfig;
  /** Requests per client (per credential; per address before authentication); null = unlimited. */
  readonly clientRateLimit: ClientRateLimitConfig | null;
  /** Express `trust proxy`: false, a hop count, or the addresses/CIDRs/named ranges of trusted proxies. */
  readonly trustProxy: boolean | number | readonly string[];
  /** SIGTERM: longest wait for in-flight requests and the worker's current items before exiting. */
  readonly shutdownTimeoutMs: number;
  /**
   * Whether /readyz needs Dynatrace (a token obtainable, the mapping checked) besides the store. False:
   * those checks are still reported, but only the store decides readiness, so a Dynatrace outage does
   * not take the only pod out of the Service while changes could be accepted and queued.
   */
  readonly readinessRequiresDynatrace: boolean;
  /** The forward proxy every outbound call (Dynatrace, Davis Assistant, JWKS) goes through; both null = direct. */
  readonly outboundProxy: OutboundProxyConfig;
  /** Who may operate the bridge: the /admin endpoints and the console (docs/console.md). */
  readonly operators: OperatorAuthConfig;
}

/**
 * HTTP(S)_PROXY and NO_PROXY, lower-case names first (as curl and undici read them). The URLs may
 * carry proxy credentials (`http://user:password@proxy:3128`): never log them.
 */
export interface OutboundProxyConfig {
  /** Proxy for http:// calls. */
  readonly httpProxy: string | null;
  /** Proxy for https:// calls; null = `httpProxy`. */
  readonly httpsProxy: string | null;
  /** Hosts (and domain suffixes, optionally `:port`; `*` = all) reached directly, comma- or space-separated. */
  readonly noProxy: string;
}

/** Operator credentials, separate from the IdP's SCIM token: admin tokens, console sessions, OIDC sign-in. */
export interface OperatorAuthConfig {
  /** ADMIN_TOKENS: bearer tokens for /admin and the console's sign-in form. Empty: one is generated under dataDir. */
  readonly tokens: readonly string[];
  /** ADMIN_ACCEPTS_SCIM_TOKEN: whether the SCIM credentials (static tokens, JWTs) still open /admin. */
  readonly scimTokenOpensAdmin: boolean;
  /** CONSOLE_SESSION_SECRET: the key sealing console session cookies; null = generated under dataDir. */
  readonly sessionSecret: string | null;
  /** How long a console session lasts after sign-in. */
  readonly sessionTtlSeconds: number;
  /** OIDC sign-in to the console; null = token sign-in only. */
  readonly oidc: OidcConfig | null;
}

/** OpenID Connect sign-in (authorization code with PKCE); access by a value of a group or role claim. */
export interface OidcConfig {
  readonly issuer: string;
  readonly clientId: string;
  /** Null: a public client (PKCE alone). */
  readonly clientSecret: string | null;
  readonly scopes: string;
  /** The claim holding groups or roles (`groups`, `roles`); a string or a list of strings. */
  readonly claim: string;
  /** Any one of these values in the claim grants access. */
  readonly allowedValues: readonly string[];
  /** The callback URL registered at the IdP; null = PUBLIC_BASE_URL (or the request's origin) + /console/oidc/callback. */
  readonly redirectUrl: string | null;
}

/** Verification of OAuth 2.0 access tokens that are JWTs (RFC 9068), keys from the issuer's JWKS. */
export interface JwtConfig {
  readonly jwksUrl: string;
  readonly issuer: string;
  /** Any one of them must be in `aud`. */
  readonly audiences: readonly string[];
  readonly algorithms: readonly string[];
  /** When set, `scope` (space-separated) or `scp` (array or string) must include it. */
  readonly requiredScope: string | null;
  readonly clockToleranceSeconds: number;
  /** How long fetched keys are used before they are fetched again. */
  readonly jwksCacheMaxAgeMs: number;
  /** Least time between two fetches (an unknown `kid` triggers one). */
  readonly jwksCooldownMs: number;
  readonly jwksTimeoutMs: number;
}

export interface MetricsConfig {
  readonly enabled: boolean;
  /** A separate listener (on HOST) for /metrics; null = /metrics on the main port. */
  readonly port: number | null;
  /** Bearer token /metrics requires; null = none (keep the port off the public ingress). */
  readonly token: string | null;
}

export interface ClientRateLimitConfig {
  /** Sustained requests per minute per client. */
  readonly perMinute: number;
  /** Requests a client may send at once above the sustained rate. */
  readonly burst: number;
}

export interface DatabaseConfig {
  readonly url: string;
  readonly poolSize: number;
  readonly connectTimeoutMs: number;
  readonly statementTimeoutMs: number;
  /** How long the start waits for an unreachable server before giving up (0: one attempt). */
  readonly startTimeoutMs: number;
}

/** How SCIM changes are pushed to Dynatrace. */
export interface SyncConfig {
  /** The mapping file (YAML); null = the documented default mapping. */
  readonly mappingFile: string | null;
  /** Compute and record everything, write nothing upstream. */
  readonly dryRun: boolean;
  /** How long a change waits for further changes to the same resource before it is applied. */
  readonly coalesceMs: number;
  /** Resources synchronised at once (the rate budget still bounds the calls). */
  readonly concurrency: number;
  /**
   * How long a worker's lease on an item lasts, renewed every third of it while the item is worked:
   * a replica that dies mid-item holds its items this long at most.
   */
  readonly leaseMs: number;
  /** How often an idle worker looks for due items. */
  readonly pollMs: number;
  /** Periodic reconcile; 0 = only on demand. */
  readonly reconcileIntervalMs: number;
  /** Davis Assistant `timezone` when the SCIM user has none. */
  readonly defaultTimezone: string;
}

/**
 * The Dynatrace account to provision, or `sandbox` when no credentials are configured: then an
 * in-process Dynatrace simulator stands in (docs/dynatrace.md).
 */
export type DynatraceConfig =
  | { readonly mode: 'sandbox'; readonly rateLimitPerMinute: number }
  | {
      readonly mode: 'account';
      readonly accountUuid: string;
      readonly clientId: string;
      readonly clientSecret: string;
      readonly apiUrl: string;
      readonly tokenUrl: string;
      readonly scopes: string;
      readonly rateLimitPerMinute: number;
    };

/** Davis Assistant user management (Dynatrace Managed only); disabled without a token. */
export interface DavisAssistantConfig {
  readonly url: string;
  readonly token: string | null;
  /** Client-side request budget per minute for Davis Assistant. */
  readonly rateLimitPerMinute: number;
}

/** DT_SCOPES when unset: the scopes the bridge needs, space-separated. */
export const DEFAULT_DT_SCOPES = DEFAULT_SCOPES.join(' ');
/** Asymmetric JWS algorithms only: `none` and the HMAC family are never accepted. */
export const JWT_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;
const DEFAULT_JWT_ALGORITHMS = ['RS256', 'ES256'];

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n- ${problems.join('\n- ')}`);
    this.problems = problems;
  }
}

type Env = Readonly<Record<string, string | undefined>>;

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const MIN_TOKEN_LENGTH = 16;
const MIN_SESSION_SECRET_LENGTH = 32;

/** Parses the environment; throws ConfigError listing every problem. */
export function loadConfig(env: Env, readFile: (file: string) => string = (f) => readFileSync(f, 'utf8')): Config {
  const problems: string[] = [];
  const reader = createReader(env, problems, readFile);

  const scimBasePath = reader.string('SCIM_BASE_PATH', '/scim/v2');
  if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(scimBasePath)) {
    problems.push(`SCIM_BASE_PATH must look like /scim/v2 (a leading slash, no trailing slash), got "${scimBasePath}"`);
  }

  const scimTokens = readTokenList(reader.secret('SCIM_TOKENS'), 'SCIM_TOKENS', problems);

  const logLevel = reader.string('LOG_LEVEL', 'info');
  if (!LOG_LEVELS.includes(logLevel as LogLevel)) {
    problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }

  const publicBaseUrl = env.PUBLIC_BASE_URL?.trim() || null;
  if (publicBaseUrl !== null && !isHttpUrl(publicBaseUrl)) {
    problems.push(`PUBLIC_BASE_URL must be an absolute http(s) URL without a trailing slash, got "${publicBaseUrl}"`);
  }

  const defaultPageSize = reader.integer('SCIM_DEFAULT_PAGE_SIZE', 100, 1, 10_000);
  const maxPageSize = reader.integer('SCIM_MAX_PAGE_SIZE', 1000, 1, 10_000);
  if (defaultPageSize > maxPageSize) problems.push('SCIM_DEFAULT_PAGE_SIZE must not exceed SCIM_MAX_PAGE_SIZE');

  const config: Config = {
    port: reader.integer('PORT', 8080, 0, 65_535),
    host: reader.string('HOST', '0.0.0.0'),
    scimBasePath,
    scimTokens,
    dataDir: path.resolve(reader.string('DATA_DIR', './data')),
    logLevel: logLevel as LogLevel,
    publicBaseUrl,
    defaultPageSize,
    maxPageSize,
    maxBodyBytes: reader.integer('SCIM_MAX_BODY_BYTES', 1_048_576, 1024, 104_857_600),
    filterScanLimit: reader.integer('SCIM_FILTER_SCAN_LIMIT', 10_000, 1, 10_000_000),
    dynatrace: readDynatrace(env, reader, problems),
    davisAssistant: {
      url: reader.url('DAVIS_ASSISTANT_URL', DEFAULT_DAVIS_ASSISTANT_URL),
      token: reader.secret('DAVIS_ASSISTANT_TOKEN'),
      rateLimitPerMinute: reader.integer('DAVIS_RATE_LIMIT_PER_MINUTE', 200, 1, 1_000_000),
    },
    database: readDatabase(reader, problems),
    jwt: readJwt(env, reader, problems),
    metrics: {
      enabled: reader.boolean('METRICS_ENABLED', true),
      port: env.METRICS_PORT?.trim() ? reader.integer('METRICS_PORT', 9464, 0, 65_535) : null,
      token: readMetricsToken(reader, problems),
    },
    clientRateLimit: readClientRateLimit(reader),
    trustProxy: readTrustProxy(env, problems),
    shutdownTimeoutMs: reader.integer('SHUTDOWN_TIMEOUT_MS', 25_000, 1_000, 3_600_000),
    readinessRequiresDynatrace: reader.boolean('READINESS_REQUIRES_DYNATRACE', true),
    outboundProxy: readOutboundProxy(env, problems),
    operators: readOperators(env, reader, problems),
    sync: {
      mappingFile: env.MAPPING_FILE?.trim() || null,
      dryRun: reader.boolean('DRY_RUN', false),
      coalesceMs: reader.integer('SYNC_COALESCE_MS', 2_000, 0, 600_000),
      concurrency: reader.integer('SYNC_CONCURRENCY', 4, 1, 64),
      leaseMs: reader.integer('SYNC_LEASE_MS', 30_000, 3_000, 600_000),
      pollMs: reader.integer('SYNC_POLL_MS', 250, 10, 60_000),
      reconcileIntervalMs: reader.integer('RECONCILE_INTERVAL_MS', 3_600_000, 0, 604_800_000),
      defaultTimezone: reader.string('DAVIS_DEFAULT_TIMEZONE', 'UTC'),
    },
  };
  // The SQLite file and a generated token live under DATA_DIR: one that cannot be written is a configuration problem.
  const writesDataDir = config.database === null || (scimTokens.length === 0 && config.jwt === null);
  const dataDirProblem = writesDataDir ? directoryProblem(config.dataDir) : null;
  if (dataDirProblem !== null) problems.push(`DATA_DIR ${dataDirProblem}`);
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** Why `dir` (or, when it does not exist yet, the directory it would be created in) cannot be written to, or null. */
function directoryProblem(dir: string): string | null {
  let existing = dir;
  while (!existsSync(existing) && path.dirname(existing) !== existing) existing = path.dirname(existing);
  const what = existing === dir ? `"${dir}"` : `"${dir}" cannot be created: "${existing}"`;
  if (!statSync(existing).isDirectory()) return `${what} is not a directory`;
  try {
    accessSync(existing, constants.W_OK);
    return null;
  } catch (error) {
    return `${what} is not writable (${(error as NodeJS.ErrnoException).code ?? 'unknown'})`;
  }
}

function readOperators(env: Env, reader: Reader, problems: string[]): OperatorAuthConfig {
  const tokens = readTokenList(reader.secret('ADMIN_TOKENS'), 'ADMIN_TOKENS', problems);
  const sessionSecret = reader.secret('CONSOLE_SESSION_SECRET');
  if (sessionSecret !== null && sessionSecret.length < MIN_SESSION_SECRET_LENGTH) {
    problems.push(`CONSOLE_SESSION_SECRET is shorter than ${MIN_SESSION_SECRET_LENGTH} characters`);
  }
  return {
    tokens,
    scimTokenOpensAdmin: reader.boolean('ADMIN_ACCEPTS_SCIM_TOKEN', false),
    sessionSecret,
    sessionTtlSeconds: reader.integer('CONSOLE_SESSION_MINUTES', 60, 1, 1440) * 60,
    oidc: readOidc(env, reader, problems),
  };
}

function readOidc(env: Env, reader: Reader, problems: string[]): OidcConfig | null {
  const issuer = env.OIDC_ISSUER?.trim() ?? '';
  const clientId = env.OIDC_CLIENT_ID?.trim() ?? '';
  const allowedValues = (env.OIDC_ADMIN_VALUES ?? '').split(',').map((v) => v.trim()).filter((v) => v !== '');
  const clientSecret = reader.secret('OIDC_CLIENT_SECRET');
  const claim = reader.string('OIDC_ADMIN_CLAIM', 'groups');
  const scopes = reader.string('OIDC_SCOPES', 'openid email profile');
  const redirectUrl = env.OIDC_REDIRECT_URL?.trim() || null;
  const given = { OIDC_ISSUER: issuer, OIDC_CLIENT_ID: clientId, OIDC_ADMIN_VALUES: allowedValues.join(',') };
  const missing = Object.entries(given).filter(([, value]) => value === '').map(([name]) => name);
  if (missing.length === 3 && clientSecret === null) return null;
  if (missing.length > 0) problems.push(`OIDC sign-in is incomplete: set ${missing.join(', ')} too (or none of the OIDC_ variables)`);
  if (issuer !== '' && !isLoopbackOrHttps(issuer)) problems.push(`OIDC_ISSUER must be an https URL (http only on loopback), got "${issuer}"`);
  if (redirectUrl !== null && !isHttpUrl(redirectUrl)) problems.push(`OIDC_REDIRECT_URL must be an absolute http(s) URL, got "${redirectUrl}"`);
  if (!scopes.split(' ').includes('openid')) problems.push(`OIDC_SCOPES must include openid, got "${scopes}"`);
  return { issuer, clientId, clientSecret, scopes, claim, allowedValues, redirectUrl };
}

/** A comma-separated list of bearer tokens (the secret NAME or NAME_FILE), each at least MIN_TOKEN_LENGTH long. */
function readTokenList(text: string | null, name: string, problems: string[]): string[] {
  const tokens = text === null ? [] : text.split(',').map((t) => t.trim()).filter((t) => t !== '');
  if (text !== null && tokens.length === 0) problems.push(`${name} is set but holds no token`);
  tokens.forEach((token, index) => {
    if (token.length < MIN_TOKEN_LENGTH) problems.push(`${name}: token #${index + 1} is shorter than ${MIN_TOKEN_LENGTH} characters`);
  });
  return tokens;
}

function readDatabase(reader: Reader, problems: string[]): DatabaseConfig | null {
  const url = reader.secret('DATABASE_URL');
  const poolSize = reader.integer('DATABASE_POOL_SIZE', 10, 1, 1000);
  const connectTimeoutMs = reader.integer('DATABASE_CONNECT_TIMEOUT_MS', 5_000, 100, 600_000);
  const statementTimeoutMs = reader.integer('DATABASE_STATEMENT_TIMEOUT_MS', 15_000, 100, 3_600_000);
  const startTimeoutMs = reader.integer('DATABASE_START_TIMEOUT_MS', 120_000, 0, 3_600_000);
  if (url === null) return null;
  const problem = databaseUrlProblem(url);
  if (problem !== null) {
    problems.push(`DATABASE_URL ${problem}`);
    return null;
  }
  return { url, poolSize, connectTimeoutMs, statementTimeoutMs, startTimeoutMs };
}

/**
 * Why the URL cannot name a PostgreSQL server, or null: a malformed one would otherwise be taken for a
 * server not reachable yet and retried. The message never repeats the URL (it holds the password).
 */
function databaseUrlProblem(url: string): string | null {
  if (!/^postgres(ql)?:\/\//i.test(url)) return 'must be a postgres:// or postgresql:// URL';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a valid URL (check the port, and that characters such as @ : / ? # in the user name or password are percent-encoded)';
  }
  try {
    decodeURIComponent(parsed.username);
    decodeURIComponent(parsed.password);
    decodeURIComponent(parsed.pathname);
  } catch {
    return 'holds a malformed percent-encoding (a "%" must be followed by two hex digits; write "%25" for "%")';
  }
  return null;
}

function readJwt(env: Env, reader: Reader, problems: string[]): JwtConfig | null {
  const jwksUrl = env.JWT_JWKS_URL?.trim() ?? '';
  const issuer = env.JWT_ISSUER?.trim() ?? '';
  const audiences = (env.JWT_AUDIENCE ?? '').split(',').map((a) => a.trim()).filter((a) => a !== '');
  const algorithms = reader.string('JWT_ALGORITHMS', DEFAULT_JWT_ALGORITHMS.join(',')).split(',').map((a) => a.trim()).filter((a) => a !== '');
  const requiredScope = env.JWT_REQUIRED_SCOPE?.trim() || null;
  const clockToleranceSeconds = reader.integer('JWT_CLOCK_TOLERANCE_SECONDS', 30, 0, 600);
  const jwksCacheMaxAgeMs = reader.integer('JWT_JWKS_CACHE_MAX_AGE_MS', 600_000, 1_000, 86_400_000);
  const jwksCooldownMs = reader.integer('JWT_JWKS_COOLDOWN_MS', 30_000, 0, 3_600_000);
  const jwksTimeoutMs = reader.integer('JWT_JWKS_TIMEOUT_MS', 5_000, 100, 60_000);
  const given = { JWT_JWKS_URL: jwksUrl, JWT_ISSUER: issuer, JWT_AUDIENCE: audiences.join(',') };
  const missing = Object.entries(given).filter(([, value]) => value === '').map(([name]) => name);
  if (missing.length === 3) return null;
  if (missing.length > 0) problems.push(`JWT authentication is incomplete: set ${missing.join(', ')} too (or none of them)`);
  if (jwksUrl !== '' && !isLoopbackOrHttps(jwksUrl)) problems.push(`JWT_JWKS_URL must be an https URL (http only on loopback), got "${jwksUrl}"`);
  const unknown = algorithms.filter((a) => !(JWT_ALGORITHMS as readonly string[]).includes(a));
  if (unknown.length > 0 || algorithms.length === 0) {
    problems.push(`JWT_ALGORITHMS must list some of ${JWT_ALGORITHMS.join(', ')}, got "${algorithms.join(',')}"`);
  }
  return { jwksUrl, issuer, audiences, algorithms, requiredScope, clockToleranceSeconds, jwksCacheMaxAgeMs, jwksCooldownMs, jwksTimeoutMs };
}

/** An https URL, or http on loopback (a test's or a sidecar's server). */
function isLoopbackOrHttps(text: string): boolean {
  try {
    const url = new URL(text);
    if (url.protocol === 'https:') return true;
    return url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  } catch {
    return false;
  }
}

function readMetricsToken(reader: Reader, problems: string[]): string | null {
  const token = reader.secret('METRICS_TOKEN');
  if (token !== null && token.length < MIN_TOKEN_LENGTH) problems.push(`METRICS_TOKEN is shorter than ${MIN_TOKEN_LENGTH} characters`);
  return token;
}

function readClientRateLimit(reader: Reader): ClientRateLimitConfig | null {
  const perMinute = reader.integer('RATE_LIMIT_PER_MINUTE', 6_000, 0, 6_000_000);
  const burst = reader.integer('RATE_LIMIT_BURST', 300, 1, 1_000_000);
  return perMinute === 0 ? null : { perMinute, burst };
}

function readOutboundProxy(env: Env, problems: string[]): OutboundProxyConfig {
  const proxyUrl = (name: string, lower: string | undefined, upper: string | undefined): string | null => {
    const text = lower?.trim() || upper?.trim() || '';
    if (text === '') return null;
    if (!isProxyUrl(text)) {
      // Not echoed: the value may carry the proxy's credentials.
      problems.push(`${name} (or ${name.toLowerCase()}) must be an http:// or https:// proxy URL such as http://proxy.example.com:3128 (the value is not shown: it may hold credentials)`);
      return null;
    }
    return text;
  };
  return {
    httpProxy: proxyUrl('HTTP_PROXY', env.http_proxy, env.HTTP_PROXY),
    httpsProxy: proxyUrl('HTTPS_PROXY', env.https_proxy, env.HTTPS_PROXY),
    noProxy: (env.no_proxy ?? env.NO_PROXY ?? '').trim(),
  };
}

function isProxyUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '' && url.search === '' && url.hash === '';
  } catch {
    return false;
  }
}

const NAMED_PROXY_RANGES = ['loopback', 'linklocal', 'uniquelocal'];

function readTrustProxy(env: Env, problems: string[]): boolean | number | readonly string[] {
  const text = env.TRUST_PROXY?.trim() ?? '';
  if (text === '' || /^(false|no|0)$/i.test(text)) return false;
  if (/^(true|yes)$/i.test(text)) return true;
  if (/^\d+$/.test(text)) return Number(text);
  const entries = text.split(',').map((e) => e.trim()).filter((e) => e !== '');
  const bad = entries.filter((e) => !NAMED_PROXY_RANGES.includes(e) && !isAddressOrCidr(e));
  if (bad.length > 0) {
    problems.push(`TRUST_PROXY must be true, false, a hop count, or addresses/CIDRs/${NAMED_PROXY_RANGES.join('/')}; cannot read "${bad.join(', ')}"`);
  }
  return entries;
}

function isAddressOrCidr(text: string): boolean {
  const [address = '', bits, extra] = text.split('/');
  if (extra !== undefined) return false;
  const version = isIP(address);
  if (version === 0) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (version === 4 ? 32 : 128);
}

const ACCOUNT_UUID = /^(?:urn:dtaccount:)?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

function readDynatrace(env: Env, reader: Reader, problems: string[]): DynatraceConfig {
  const rateLimitPerMinute = reader.integer('DT_RATE_LIMIT_PER_MINUTE', 200, 1, 1_000_000);
  const accountText = env.DT_ACCOUNT_UUID?.trim() ?? '';
  const clientId = env.DT_CLIENT_ID?.trim() ?? '';
  const clientSecret = reader.secret('DT_CLIENT_SECRET') ?? '';
  const given = { DT_ACCOUNT_UUID: accountText, DT_CLIENT_ID: clientId, 'DT_CLIENT_SECRET (or DT_CLIENT_SECRET_FILE)': clientSecret };
  const missing = Object.entries(given).filter(([, value]) => value === '').map(([name]) => name);
  const apiUrl = reader.url('DT_API_URL', DEFAULT_API_URL);
  const tokenUrl = reader.url('DT_TOKEN_URL', DEFAULT_TOKEN_URL);
  const scopes = reader.string('DT_SCOPES', DEFAULT_DT_SCOPES);
  if (missing.length === 3) return { mode: 'sandbox', rateLimitPerMinute };
  if (missing.length > 0) problems.push(`Dynatrace credentials are incomplete: set ${missing.join(', ')} too (or none of them, for the sandbox)`);
  const account = ACCOUNT_UUID.exec(accountText);
  if (accountText !== '' && !account) problems.push(`DT_ACCOUNT_UUID must be an account UUID (or urn:dtaccount:<uuid>), got "${accountText}"`);
  const accountUuid = (account?.[1] ?? '').toLowerCase();
  return { mode: 'account', accountUuid, clientId, clientSecret, apiUrl, tokenUrl, scopes, rateLimitPerMinute };
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && !text.endsWith('/');
  } catch {
    return false;
  }
}

type Reader = ReturnType<typeof createReader>;

function createReader(env: Env, problems: string[], readFile: (file: string) => string) {
  return {
    url(name: string, fallback: string): string {
      const value = env[name]?.trim();
      if (value === undefined || value === '') return fallback;
      if (!isHttpUrl(value)) problems.push(`${name} must be an absolute http(s) URL without a trailing slash, got "${value}"`);
      return value;
    },
    string(name: string, fallback: string): string {
      const value = env[name]?.trim();
      return value === undefined || value === '' ? fallback : value;
    },
    boolean(name: string, fallback: boolean): boolean {
      const text = env[name]?.trim().toLowerCase();
      if (text === undefined || text === '') return fallback;
      if (text === 'true' || text === '1' || text === 'yes') return true;
      if (text === 'false' || text === '0' || text === 'no') return false;
      problems.push(`${name} must be true or false, got "${env[name]}"`);
      return fallback;
    },
    integer(name: string, fallback: number, min: number, max: number): number {
      const text = env[name]?.trim();
      if (text === undefined || text === '') return fallback;
      const value = Number(text);
      if (!/^-?\d+$/.test(text) || value < min || value > max) {
        problems.push(`${name} must be a whole number from ${min} to ${max}, got "${text}"`);
        return fallback;
      }
      return value;
    },
    /** `NAME`, or the contents of the file named by `NAME_FILE`; never both. The value is never echoed. */
    secret(name: string): string | null {
      const direct = env[name];
      const file = env[`${name}_FILE`]?.trim();
      if (direct !== undefined && direct !== '' && file) {
        problems.push(`set ${name} or ${name}_FILE, not both`);
        return null;
      }
      if (file) {
        try {
          return readFile(file).trim();
        } catch {
          problems.push(`${name}_FILE: cannot read "${file}"`);
          return null;
        }
      }
      return direct === undefined || direct === '' ? null : direct;
    },
  };
}
