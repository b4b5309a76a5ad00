// The sandbox's HTTP layer (node:http): routes for the OAuth token endpoint, the Account Management
// paths and the Davis Assistant paths; bearer/api-token checks with scopes; fault injection
// (latency, 429 with Retry-After, random 5xx) before any handler runs; a request log; and the
// unauthenticated inspection paths `/sandbox/state` and `/sandbox/requests`.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { SandboxFaults } from './sandbox-faults.js';
import { SlidingWindowLimiter } from './sandbox-faults.js';
import type { SandboxTokens } from './sandbox-oauth.js';
import type { HandlerResult } from './sandbox-answers.js';
import { SandboxHttpError, iamError } from './sandbox-answers.js';
import { requestsView, stateView } from './sandbox-inspection.js';
import type { SandboxRequestRecord, SandboxState } from './sandbox-state.js';

type Service = SandboxRequestRecord['service'];

interface RouteContext {
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** Parsed JSON body (undefined when empty). */
  readonly body: unknown;
  /** The body as received (the token endpoint reads a form). */
  readonly raw: string;
}

interface Route {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly pattern: readonly string[];
  readonly service: Exclude<Service, 'unknown'>;
  /** Any one of these token scopes admits the call (Account Management routes). */
  readonly scopes?: readonly string[];
  readonly handle: (ctx: RouteContext) => HandlerResult;
}

const BODY_LIMIT = 1024 * 1024;
const IDM_READ = ['account-idm-read'];
const IDM_WRITE = ['account-idm-write'];
const ENV_READ = ['account-env-read'];
const POLICIES_READ = ['iam-policies-management', 'iam:policies:read'];
const BINDINGS_READ = ['iam-policies-management', 'iam:bindings:read'];
const BINDINGS_WRITE = ['iam-policies-management', 'iam:bindings:write'];
const BOUNDARIES_READ = ['iam-policies-management', 'iam:boundaries:read'];

function p(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}

function routesFor(state: SandboxState, tokens: SandboxTokens): Route[] {
  const acct = 'iam/v1/accounts/:account';
  const repo = 'iam/v1/repo/:levelType/:levelId';
  const am = 'account-management' as const;
  const r = (ctx: RouteContext, key: string): string => ctx.params[key] ?? '';
  const level = (c: RouteContext): [string, string] => [r(c, 'levelType'), r(c, 'levelId')];
  return [
    { method: 'POST', pattern: p('sso/oauth2/token'), service: 'oauth', handle: (c) => tokens.issue(new URLSearchParams(c.raw)) },
    { method: 'GET', pattern: p(`${acct}/users`), service: am, scopes: IDM_READ, handle: (c) => state.users.list(c.query.get('service-users') === 'true') },
    { method: 'POST', pattern: p(`${acct}/users`), service: am, scopes: IDM_WRITE, handle: (c) => state.users.create(c.body) },
    { method: 'GET', pattern: p(`${acct}/users/:email`), service: am, scopes: IDM_READ, handle: (c) => state.users.get(r(c, 'email')) },
    { method: 'POST', pattern: p(`${acct}/users/:email`), service: am, scopes: IDM_WRITE, handle: (c) => state.users.addToGroups(r(c, 'email'), c.body) },
    { method: 'DELETE', pattern: p(`${acct}/users/:email`), service: am, scopes: IDM_WRITE, handle: (c) => state.users.remove(r(c, 'email')) },
    { method: 'PUT', pattern: p(`${acct}/users/:email/groups`), service: am, scopes: IDM_WRITE, handle: (c) => state.users.replaceGroups(r(c, 'email'), c.body) },
    { method: 'DELETE', pattern: p(`${acct}/users/:email/groups`), service: am, scopes: IDM_WRITE, handle: (c) => state.users.removeFromGroups(r(c, 'email'), c.query.getAll('group-uuid')) },
    { method: 'GET', pattern: p(`${acct}/groups`), service: am, scopes: IDM_READ, handle: () => state.groups.list() },
    { method: 'POST', pattern: p(`${acct}/groups`), service: am, scopes: IDM_WRITE, handle: (c) => state.groups.create(c.body) },
    { method: 'PUT', pattern: p(`${acct}/groups/:group`), service: am, scopes: IDM_WRITE, handle: (c) => state.groups.update(r(c, 'group'), c.body) },
    { method: 'DELETE', pattern: p(`${acct}/groups/:group`), service: am, scopes: IDM_WRITE, handle: (c) => state.groups.remove(r(c, 'group')) },
    { method: 'GET', pattern: p(`${acct}/groups/:group/users`), service: am, scopes: IDM_READ, handle: (c) => state.groups.members(r(c, 'group')) },
    { method: 'GET', pattern: p(`${acct}/groups/:group/permissions`), service: am, scopes: IDM_READ, handle: (c) => state.permissions.get(r(c, 'group')) },
    { method: 'POST', pattern: p(`${acct}/groups/:group/permissions`), service: am, scopes: IDM_WRITE, handle: (c) => state.permissions.add(r(c, 'group'), c.body) },
    { method: 'PUT', pattern: p(`${acct}/groups/:group/permissions`), service: am, scopes: IDM_WRITE, handle: (c) => state.permissions.replace(r(c, 'group'), c.body) },
    { method: 'DELETE', pattern: p(`${acct}/groups/:group/permissions`), service: am, scopes: IDM_WRITE, handle: (c) => state.permissions.remove(r(c, 'group'), c.query) },
    { method: 'GET', pattern: p(`${acct}/service-users`), service: am, scopes: IDM_READ, handle: (c) => state.serviceUsers.list(c.query) },
    { method: 'GET', pattern: p(`${acct}/limits`), service: am, scopes: IDM_READ, handle: () => state.limits.list() },
    { method: 'GET', pattern: p('env/v3/accounts/:account/environments'), service: am, scopes: ENV_READ, handle: (c) => state.environments.v3(c.query) },
    { method: 'GET', pattern: p('env/v2/accounts/:account/environments'), service: am, scopes: ENV_READ, handle: () => state.environments.v2() },
    { method: 'GET', pattern: p('env/v1/accounts/:account/environments'), service: am, scopes: ENV_READ, handle: () => state.environments.v1() },
    { method: 'GET', pattern: p(`${repo}/policies`), service: am, scopes: POLICIES_READ, handle: (c) => state.policies.list(...level(c), c.query) },
    { method: 'GET', pattern: p(`${repo}/policies/aggregate`), service: am, scopes: POLICIES_READ, handle: (c) => state.policies.aggregate(...level(c)) },
    { method: 'GET', pattern: p('iam/v1/repo/account/:account/boundaries'), service: am, scopes: BOUNDARIES_READ, handle: (c) => state.boundaries.list(c.query) },
    { method: 'GET', pattern: p(`${repo}/bindings`), service: am, scopes: BINDINGS_READ, handle: (c) => state.bindings.list(...level(c)) },
    { method: 'GET', pattern: p(`${repo}/bindings/groups/:group`), service: am, scopes: BINDINGS_READ, handle: (c) => state.bindings.groupPolicies(...level(c), r(c, 'group'), c.query) },
    { method: 'PUT', pattern: p(`${repo}/bindings/groups/:group`), service: am, scopes: BINDINGS_WRITE, handle: (c) => state.bindings.replaceGroupPolicies(...level(c), r(c, 'group'), c.body) },
    { method: 'GET', pattern: p(`${repo}/bindings/:policy`), service: am, scopes: BINDINGS_READ, handle: (c) => state.bindings.list(...level(c), { policyUuid: r(c, 'policy') }) },
    { method: 'GET', pattern: p(`${repo}/bindings/:policy/:group`), service: am, scopes: BINDINGS_READ, handle: (c) => state.bindings.list(...level(c), { policyUuid: r(c, 'policy'), groupUuid: r(c, 'group') }) },
    { method: 'POST', pattern: p(`${repo}/bindings/:policy/:group`), service: am, scopes: BINDINGS_WRITE, handle: (c) => state.bindings.append(...level(c), r(c, 'policy'), r(c, 'group'), c.body) },
    { method: 'PUT', pattern: p(`${repo}/bindings/:policy/:group`), service: am, scopes: BINDINGS_WRITE, handle: (c) => state.bindings.upsert(...level(c), r(c, 'policy'), r(c, 'group'), c.query, c.body) },
    { method: 'DELETE', pattern: p(`${repo}/bindings/:policy/:group`), service: am, scopes: BINDINGS_WRITE, handle: (c) => state.bindings.remove(...level(c), r(c, 'policy'), r(c, 'group'), c.query) },
    { method: 'GET', pattern: p('api/v2/tenant/users'), service: 'davis-assistant', handle: () => state.davis.list() },
    { method: 'POST', pattern: p('api/v2/tenant/users/:email'), service: 'davis-assistant', handle: (c) => state.davis.create(r(c, 'email'), c.body) },
    { method: 'PUT', pattern: p('api/v2/tenant/users/:email'), service: 'davis-assistant', handle: (c) => state.davis.update(r(c, 'email'), c.body) },
    { method: 'DELETE', pattern: p('api/v2/tenant/users/:email'), service: 'davis-assistant', handle: (c) => state.davis.remove(r(c, 'email')) },
  ];
}

/** `METHOD /path/{param}`: how request counts name a route. */
function operationName(route: Route): string {
  return `${route.method} /${route.pattern.map((part) => (part.startsWith(':') ? `{${part.slice(1)}}` : part)).join('/')}`;
}

function match(routes: readonly Route[], method: string, segments: readonly string[]): { route: Route; params: Record<string, string> } | 'method' | null {
  let pathMatched = false;
  for (const route of routes) {
    if (route.pattern.length !== segments.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < segments.length && ok; i += 1) {
      const part = route.pattern[i] ?? '';
      const seg = segments[i] ?? '';
      if (part.startsWith(':')) params[part.slice(1)] = seg;
      else ok = part === seg;
    }
    if (!ok) continue;
    if (route.method === method) return { route, params };
    pathMatched = true;
  }
  return pathMatched ? 'method' : null;
}

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > BODY_LIMIT) {
        reject(new BodyTooLarge());
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface SandboxServerOptions {
  readonly state: SandboxState;
  readonly tokens: SandboxTokens;
  readonly clock: { now(): number };
  readonly random: () => number;
  readonly davisToken: string;
  /** A Davis Assistant token without "Can manage users": reads work, writes answer 403. */
  readonly davisViewerToken: string;
}

export function createSandboxServer(options: SandboxServerOptions): Server {
  const { state, tokens, clock, random } = options;
  const routes = routesFor(state, tokens);
  const limiter = new SlidingWindowLimiter();

  function send(res: ServerResponse, result: HandlerResult): void {
    if (res.destroyed || res.writableEnded) return;
    const headers: Record<string, string> = { ...(result.headers ?? {}) };
    if (result.body === undefined) {
      res.writeHead(result.status, { ...headers, 'content-length': '0' });
      res.end();
      return;
    }
    const text = JSON.stringify(result.body);
    res.writeHead(result.status, { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
    res.end(text);
  }

  function faultFor(service: Service, faults: SandboxFaults): HandlerResult | null {
    if (service === 'unknown') return null;
    if (service !== 'oauth' && faults.rateLimitPerMinute !== null) {
      const now = clock.now();
      const verdict = limiter.admit(service === 'davis-assistant' ? 'davis' : `account:${state.accountUuid}`, faults.rateLimitPerMinute, now);
      if (!verdict.admitted) {
        const retryAfter =
          faults.retryAfter === 'http-date'
            ? new Date(Math.ceil((now + verdict.retryAfterMs) / 1000) * 1000).toUTCString()
            : String(Math.ceil(verdict.retryAfterMs / 1000));
        return { status: 429, headers: { 'retry-after': retryAfter }, body: { error: { code: 429, message: 'Too Many Requests' } } };
      }
    }
    if (faults.errorRate > 0 && random() < faults.errorRate) {
      const statuses = faults.errorStatuses;
      const status = statuses[Math.min(statuses.length - 1, Math.floor(random() * statuses.length))] ?? 503;
      return { status, body: { error: { code: status, message: 'Injected upstream failure' } } };
    }
    return null;
  }

  function authorize(route: Route, params: Readonly<Record<string, string>>, authorization: string | undefined): HandlerResult | null {
    if (route.service === 'oauth') return null;
    if (route.service === 'davis-assistant') {
      const m = /^api-token\s+(\S+)$/i.exec((authorization ?? '').trim());
      const token = m?.[1];
      if (token === options.davisToken) return null;
      if (token === options.davisViewerToken) return route.method === 'GET' ? null : { status: 403, body: { message: 'Forbidden: the token cannot manage users' } };
      return { status: 401, body: { message: 'Unauthorized' } };
    }
    const check = tokens.verify(authorization);
    if (!check.ok) {
      return { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' }, body: { error: { code: 401, message: 'Unauthorized' } } };
    }
    // A token issued without `resource` is accepted by the token endpoint but useless (dtiam, UNCONFIRMED).
    if (check.resource === null) return { status: 403, body: { message: 'Forbidden', statusCode: 403 } };
    const account = params['account'];
    if (account !== undefined && `urn:dtaccount:${account}` !== check.resource) {
      return { status: 401, body: { error: { code: 401, message: 'Token is not valid for this account' } } };
    }
    if (route.scopes !== undefined && !route.scopes.some((s) => check.scopes.has(s))) {
      return { status: 403, body: { message: 'Forbidden', statusCode: 403 } };
    }
    return null;
  }

  /** `GET /sandbox/state` and `GET /sandbox/requests`: no token, not logged, no faults. */
  function inspect(method: string, url: URL): HandlerResult {
    if (method !== 'GET') return { status: 405, body: { message: 'Method Not Allowed' } };
    if (url.pathname === '/sandbox/state') return stateView(state);
    if (url.pathname === '/sandbox/requests') return requestsView(state, url.searchParams);
    return { status: 404, body: { message: 'Not Found: /sandbox/state and /sandbox/requests are served' } };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
    if (url.pathname === '/sandbox' || url.pathname.startsWith('/sandbox/')) {
      req.resume();
      try {
        send(res, inspect(method, url));
      } catch (error) {
        send(res, error instanceof SandboxHttpError ? { status: error.status, body: error.body } : { status: 500, body: { message: 'Sandbox internal error' } });
      }
      return;
    }
    let service: Service = 'unknown';
    let operation: string | null = null;
    let result: HandlerResult;
    try {
      let segments: string[];
      try {
        segments = url.pathname.split('/').filter((s) => s !== '').map((s) => decodeURIComponent(s));
      } catch {
        throw iamError(400, 'Malformed path');
      }
      const found = match(routes, method, segments);
      if (found !== null && found !== 'method') {
        service = found.route.service;
        operation = operationName(found.route);
      }
      else if (segments[0] === 'sso') service = 'oauth';
      else if (segments[0] === 'api') service = 'davis-assistant';
      else if (segments[0] === 'iam' || segments[0] === 'env') service = 'account-management';
      let raw: string;
      try {
        raw = await readBody(req);
      } catch (error) {
        throw error instanceof BodyTooLarge ? iamError(413, 'Request body too large') : error;
      }
      const faults = state.faults;
      if (faults.latencyMs > 0) await delay(faults.latencyMs);
      const fault = found === null || found === 'method' ? null : faultFor(service, faults);
      if (fault !== null) {
        result = fault;
      } else if (found === null) {
        result = { status: 404, body: { error: { code: 404, message: 'Not Found' } } };
      } else if (found === 'method') {
        result = { status: 405, body: { error: { code: 405, message: 'Method Not Allowed' } } };
      } else {
        const denied = authorize(found.route, found.params, req.headers.authorization);
        if (denied !== null) {
          result = denied;
        } else {
          let body: unknown;
          if (found.route.service !== 'oauth' && raw.trim() !== '') {
            try {
              body = JSON.parse(raw) as unknown;
            } catch {
              throw iamError(400, 'Malformed JSON body');
            }
          }
          result = found.route.handle({ params: found.params, query: url.searchParams, body, raw });
        }
      }
    } catch (error) {
      result = error instanceof SandboxHttpError ? { status: error.status, body: error.body, headers: error.headers } : { status: 500, body: { error: { code: 500, message: 'Sandbox internal error' } } };
    }
    state.log({ at: clock.now(), method, url: `${url.pathname}${url.search}`, service, operation, status: result.status });
    send(res, result);
  }

  return createServer((req, res) => {
    res.on('error', () => undefined);
    void handle(req, res);
  });
}
