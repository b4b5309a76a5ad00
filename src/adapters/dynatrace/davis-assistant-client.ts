// Davis Assistant user management client (DavisAssistantApi port; Dynatrace's page "Manage Davis
// Assistant users programmatically"): `{base}/api/v2/tenant/users[/{email}]` with `Authorization:
// api-token <token>`. Disabled when no token is configured (SaaS inherits users); 401/403 are an
// operator's problem: `misconfigured`. A delete or update whose effect does not show is checked
// against the user list, never taken on trust.
import type { DavisAssistantApi, DavisUser } from '../../ports/davis-assistant-api.js';
import { isUpstreamError, UpstreamError } from '../../ports/upstream-error.js';
import { normaliseEmail, requireOptions, requireString, resolveCallSeams, resolveClock, resolveUrl } from './client-options.js';
import type { RateBudget } from './rate-budget.js';
import { createRateBudget } from './rate-budget.js';
import type { UpstreamCaller, UpstreamResponse } from './upstream-call.js';
import { createUpstreamCaller, readJson } from './upstream-call.js';
import { isJsonObject } from '../../ports/json.js';
import type { TransportOptions } from './client-options.js';
import { DEFAULT_DAVIS_ASSISTANT_URL } from './dynatrace-defaults.js';


/** Timeout default 30 000 ms. */
export interface DavisAssistantClientOptions extends TransportOptions {
  /** The Davis Assistant API token ("Can manage users"). Absent or empty: the client is disabled. */
  readonly token?: string | undefined;
  /** Default https://assistant.dynatrace.com */
  readonly baseUrl?: string;
  /** Default: a budget of `requestsPerMinute` (200). */
  readonly rateBudget?: RateBudget;
  readonly requestsPerMinute?: number;
}

function validateUser(value: unknown, where: string): DavisUser {
  if (!isJsonObject(value)) throw new TypeError(`${where}: user must be an object`);
  const admin = value['admin'];
  if (typeof admin !== 'boolean') throw new TypeError(`${where}: user.admin must be a boolean`);
  const text = (key: string): string => {
    const v = value[key];
    if (typeof v !== 'string') throw new TypeError(`${where}: user.${key} must be a string`);
    return v;
  };
  return {
    email: normaliseEmail(value['email'], where),
    firstName: text('firstName'),
    lastName: text('lastName'),
    timezone: requireString(value['timezone'], where, 'user.timezone'),
    admin,
  };
}

const FIELDS = ['firstName', 'lastName', 'timezone', 'admin'] as const;

/** The fields in which `actual` is not `wanted` (all of them when there is no such user). */
function differingFields(actual: DavisUser | null | undefined, wanted: DavisUser): string[] {
  if (actual === null || actual === undefined) return [...FIELDS];
  return FIELDS.filter((field) => actual[field] !== wanted[field]);
}

/** The user an update answered with, or null when the answer is empty or not a user. */
function answeredUser(response: UpstreamResponse): DavisUser | null {
  try {
    return toDavisUser(readJson('davis-assistant', 'updateUser', response));
  } catch {
    return null;
  }
}

function toDavisUser(value: unknown): DavisUser | null {
  if (!isJsonObject(value) || typeof value['email'] !== 'string') return null;
  const str = (key: string): string => (typeof value[key] === 'string' ? (value[key] as string) : '');
  return { email: value['email'], firstName: str('firstName'), lastName: str('lastName'), timezone: str('timezone'), admin: value['admin'] === true };
}

export function createDavisAssistantClient(options: DavisAssistantClientOptions): DavisAssistantApi {
  const where = 'createDavisAssistantClient';
  const o = requireOptions(options, where);
  const rawToken = o['token'];
  if (rawToken !== undefined && typeof rawToken !== 'string') throw new TypeError(`${where}: token must be a string`);
  const token = typeof rawToken === 'string' && rawToken.trim() !== '' ? rawToken.trim() : null;
  const baseUrl = resolveUrl(o['baseUrl'], DEFAULT_DAVIS_ASSISTANT_URL, where, 'baseUrl');
  const clock = resolveClock(o['clock'], where);
  let rateBudget = o['rateBudget'] as RateBudget | undefined;
  if (rateBudget === undefined) {
    rateBudget = createRateBudget({ requestsPerMinute: (o['requestsPerMinute'] as number | undefined) ?? 200, clock });
  } else if (typeof rateBudget.acquire !== 'function') {
    throw new TypeError(`${where}: rateBudget must come from createRateBudget()`);
  }
  const call: UpstreamCaller | null =
    token === null
      ? null
      : createUpstreamCaller({
          service: 'davis-assistant',
          ...resolveCallSeams(o, where, 30_000),
          clock,
          rateBudget,
          authorizer: { refreshable: false, header: () => Promise.resolve(`api-token ${token}`), rejected: () => undefined },
        });
  const usersUrl = `${baseUrl}/api/v2/tenant/users`;

  function caller(operation: string): UpstreamCaller {
    if (call === null) {
      throw new UpstreamError({ service: 'davis-assistant', operation, code: 'misconfigured', status: null, cause: new Error('no Davis Assistant token is configured') });
    }
    return call;
  }

  const client: DavisAssistantApi = Object.freeze({
    enabled: token !== null,

    async listUsers(): Promise<DavisUser[]> {
      const response = await caller('listUsers')({ operation: 'listUsers', method: 'GET', url: usersUrl });
      const body = readJson('davis-assistant', 'listUsers', response);
      if (!Array.isArray(body)) {
        throw new UpstreamError({ service: 'davis-assistant', operation: 'listUsers', code: 'invalid_response', status: response.status, attempts: response.attempts });
      }
      return body.map(toDavisUser).filter((u): u is DavisUser => u !== null);
    },

    async createUser(user: DavisUser): Promise<void> {
      const u = validateUser(user, 'createUser');
      await caller('createUser')({ operation: 'createUser', method: 'POST', url: `${usersUrl}/${encodeURIComponent(u.email)}`, json: u, idempotent: false });
    },

    async updateUser(user: DavisUser): Promise<void> {
      const u = validateUser(user, 'updateUser');
      const response = await caller('updateUser')({ operation: 'updateUser', method: 'PUT', url: `${usersUrl}/${encodeURIComponent(u.email)}`, json: u });
      if (differingFields(answeredUser(response), u).length === 0) return;
      // The answer does not show the change: only the list tells whether it took effect.
      const listed = (await client.listUsers()).find((x) => x.email.toLowerCase() === u.email);
      const unchanged = differingFields(listed, u);
      if (unchanged.length > 0) {
        throw new UpstreamError({
          service: 'davis-assistant',
          operation: 'updateUser',
          code: 'rejected',
          status: response.status,
          attempts: response.attempts,
          upstreamMessage: listed === undefined ? `answered ${response.status}, but the user is not listed` : `answered ${response.status}, but ${unchanged.join(', ')} did not change`,
        });
      }
    },

    async deleteUser(email: string): Promise<void> {
      const key = normaliseEmail(email, 'deleteUser');
      try {
        await caller('deleteUser')({ operation: 'deleteUser', method: 'DELETE', url: `${usersUrl}/${encodeURIComponent(key)}` });
      } catch (error) {
        // 404 may mean "already gone" or a path the API does not know; 405 a method it does not take here.
        if (!isUpstreamError(error) || (error.status !== 404 && error.status !== 405)) throw error;
        const still = (await client.listUsers()).some((x) => x.email.toLowerCase() === key);
        if (still) {
          const said = error.upstreamMessage === null ? '' : ` (${error.upstreamMessage})`;
          throw new UpstreamError({
            service: 'davis-assistant',
            operation: 'deleteUser',
            code: 'rejected',
            status: error.status,
            attempts: error.attempts,
            upstreamMessage: `DELETE answered ${error.status}${said}, and the user is still listed`,
            cause: error,
          });
        }
      }
    },
  });
  return client;
}
