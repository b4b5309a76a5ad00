// Public entry of the Dynatrace sandbox: startSandbox() runs one HTTP server with the OAuth token
// endpoint, the Account Management paths and the Davis Assistant paths over in-memory state, so
// that pointing the bridge's base URLs at it is all it takes, and `/sandbox/state` and
// `/sandbox/requests` to look into it (docs/dynatrace.md).
import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { SandboxFaults } from './sandbox-faults.js';
import { defaultSandboxFaults, validateFaults } from './sandbox-faults.js';
import { SandboxTokens } from './sandbox-oauth.js';
import type { SandboxSeed } from './sandbox-seed.js';
import { defaultSandboxSeed } from './sandbox-seed.js';
import { createSandboxServer } from './sandbox-server.js';
import type { SandboxResponseStyle } from './sandbox-state.js';
import { SandboxState } from './sandbox-state.js';

export { defaultSandboxFaults } from './sandbox-faults.js';
export type { SandboxFaults } from './sandbox-faults.js';
export { SANDBOX_SCOPES } from './sandbox-oauth.js';
export { defaultSandboxSeed } from './sandbox-seed.js';
export type { SandboxBoundarySeed, SandboxEnvironmentSeed, SandboxGroupSeed, SandboxPolicySeed, SandboxSeed, SandboxServiceUserSeed, SandboxUserSeed } from './sandbox-seed.js';
export { PERMISSIONS_DEPRECATION_HEADERS } from './sandbox-permissions.js';
export { ALL_USERS_GROUP_NAME, SandboxState } from './sandbox-state.js';
export type { SandboxRequestRecord, SandboxResponseStyle } from './sandbox-state.js';
export { parseSandboxEnv } from './sandbox-config.js';
export type { SandboxEnvResult } from './sandbox-config.js';

export interface SandboxOptions {
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0 (a free port). */
  readonly port?: number;
  /** Default: a random UUID. */
  readonly accountUuid?: string;
  readonly accountName?: string;
  /** OAuth client credentials; generated (`dt0s02.…`) when absent. */
  readonly clientId?: string;
  readonly clientSecret?: string;
  /** Davis Assistant API token with "Can manage users"; generated when absent. */
  readonly davisToken?: string;
  /** A Davis Assistant token that may only read (writes → 403); generated when absent. */
  readonly davisViewerToken?: string;
  /** Lifetime of issued access tokens. Default 300 s (the documented example). */
  readonly tokenTtlSeconds?: number;
  /** Default `defaultSandboxSeed`; `{}` starts empty (the ALL_USERS group always exists). */
  readonly seed?: SandboxSeed;
  readonly faults?: Partial<SandboxFaults>;
  /** Create answers as observed on the real API (default) or as the OpenAPI spec says. */
  readonly responseStyle?: SandboxResponseStyle;
  /** Time for token expiry, rate-limit windows and timestamps (latency is wall-clock). */
  readonly clock?: { now(): number };
  /** For the random 5xx rate. */
  readonly random?: () => number;
}

export interface SandboxHandle {
  /** e.g. http://127.0.0.1:8090 — use as DT_API_URL and DAVIS_ASSISTANT_URL. */
  readonly url: string;
  /** `${url}/sso/oauth2/token` — use as DT_TOKEN_URL. */
  readonly tokenUrl: string;
  readonly accountUuid: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly davisToken: string;
  readonly davisViewerToken: string;
  /** The in-memory account, its request log and its faults (setFaults). */
  readonly state: SandboxState;
  stop(): Promise<void>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

function randomAlnum(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += ALNUM[b % ALNUM.length];
  return out;
}

function optionalString(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '' || /\s/.test(value)) throw new TypeError(`startSandbox: ${name} must be a non-empty string without spaces`);
  return value;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<SandboxHandle> {
  if (typeof options !== 'object' || options === null) throw new TypeError('startSandbox: options must be an object');
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new TypeError('startSandbox: port must be an integer from 0 to 65535');
  const accountUuid = (options.accountUuid ?? randomUUID()).toLowerCase();
  if (!UUID.test(accountUuid)) throw new TypeError('startSandbox: accountUuid must be a UUID');
  const clientId = optionalString(options.clientId, 'clientId') ?? `dt0s02.${randomAlnum(24)}`;
  const clientSecret = optionalString(options.clientSecret, 'clientSecret') ?? `${clientId}.${randomAlnum(64)}`;
  const davisToken = optionalString(options.davisToken, 'davisToken') ?? randomAlnum(40).toLowerCase();
  const davisViewerToken = optionalString(options.davisViewerToken, 'davisViewerToken') ?? randomAlnum(40).toLowerCase();
  if (davisToken === davisViewerToken) throw new TypeError('startSandbox: davisToken and davisViewerToken must differ');
  const tokenTtlSeconds = options.tokenTtlSeconds ?? 300;
  if (typeof tokenTtlSeconds !== 'number' || !Number.isFinite(tokenTtlSeconds) || tokenTtlSeconds <= 0) throw new TypeError('startSandbox: tokenTtlSeconds must be positive');
  const faults = validateFaults({ ...defaultSandboxFaults, ...(options.faults ?? {}) }, 'startSandbox');
  const responseStyle = options.responseStyle ?? 'observed';
  if (responseStyle !== 'observed' && responseStyle !== 'spec') throw new TypeError('startSandbox: responseStyle must be observed or spec');
  const clock = options.clock ?? { now: () => Date.now() };
  if (typeof clock.now !== 'function') throw new TypeError('startSandbox: clock must have now()');
  const random = options.random ?? Math.random;
  if (typeof random !== 'function') throw new TypeError('startSandbox: random must be a function');

  const state = new SandboxState({
    accountUuid,
    accountName: options.accountName ?? 'Sandbox account',
    clock,
    faults,
    responseStyle,
    seed: options.seed ?? defaultSandboxSeed,
  });
  const tokens = new SandboxTokens({ clientId, clientSecret, tokenTtlSeconds, clock, state });
  const server = createSandboxServer({ state, tokens, clock, random, davisToken, davisViewerToken });

  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${hostPart}:${address.port}`;
  let stopping: Promise<void> | null = null;

  return {
    url,
    tokenUrl: `${url}/sso/oauth2/token`,
    accountUuid,
    clientId,
    clientSecret,
    davisToken,
    davisViewerToken,
    state,
    stop(): Promise<void> {
      stopping ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return stopping;
    },
  };
}
