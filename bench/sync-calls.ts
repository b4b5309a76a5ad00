// Reading the sandbox's request log for the sync-efficiency bench: each Account Management request
// named by the client operation that makes it, counted per operation, per status and per user.
import type { SandboxRequestRecord } from '../src/sandbox/index.js';

/** One logged request with the operation it belongs to. */
export interface Call {
  readonly at: number;
  readonly method: string;
  readonly operation: string;
  readonly status: number;
  /** The user (decoded, lower-cased) for per-user operations, else null. */
  readonly email: string | null;
}

const ACCOUNT = '/iam/v1/accounts/[^/]+';
const REPO = '/iam/v1/repo/[^/]+/[^/]+';

const ROUTES: ReadonlyArray<readonly [method: string, path: RegExp, operation: string]> = [
  ['GET', new RegExp(`^${ACCOUNT}/users$`), 'listUsers'],
  ['POST', new RegExp(`^${ACCOUNT}/users$`), 'createUser'],
  ['GET', new RegExp(`^${ACCOUNT}/users/([^/]+)$`), 'getUser'],
  ['POST', new RegExp(`^${ACCOUNT}/users/([^/]+)$`), 'addUserToGroups'],
  ['DELETE', new RegExp(`^${ACCOUNT}/users/([^/]+)$`), 'deleteUser'],
  ['PUT', new RegExp(`^${ACCOUNT}/users/([^/]+)/groups$`), 'replaceUserGroups'],
  ['DELETE', new RegExp(`^${ACCOUNT}/users/([^/]+)/groups$`), 'removeUserFromGroups'],
  ['GET', new RegExp(`^${ACCOUNT}/groups$`), 'listGroups'],
  ['POST', new RegExp(`^${ACCOUNT}/groups$`), 'createGroups'],
  ['PUT', new RegExp(`^${ACCOUNT}/groups/[^/]+$`), 'updateGroup'],
  ['DELETE', new RegExp(`^${ACCOUNT}/groups/[^/]+$`), 'deleteGroup'],
  ['GET', new RegExp(`^${ACCOUNT}/groups/[^/]+/users$`), 'listGroupMembers'],
  ['GET', new RegExp(`^${REPO}/policies/aggregate$`), 'listAvailablePolicies'],
  ['GET', new RegExp(`^${REPO}/policies$`), 'listPolicies'],
  ['GET', new RegExp(`^${REPO}/bindings/groups/[^/]+$`), 'getGroupBindings'],
  ['PUT', new RegExp(`^${REPO}/bindings/[^/]+/[^/]+$`), 'putPolicyBinding'],
  ['DELETE', new RegExp(`^${REPO}/bindings/[^/]+/[^/]+$`), 'deletePolicyBinding'],
  ['GET', /^\/iam\/v1\/repo\/account\/[^/]+\/boundaries$/, 'listBoundaries'],
  ['GET', /^\/env\/v[23]\/accounts\/[^/]+\/environments$/, 'listEnvironments'],
];

function operationOf(method: string, url: string): { operation: string; email: string | null } {
  const pathOnly = url.split('?')[0] ?? url;
  for (const [m, pattern, operation] of ROUTES) {
    if (m !== method) continue;
    const match = pattern.exec(pathOnly);
    if (match === null) continue;
    const raw = match[1];
    let email: string | null = null;
    if (raw !== undefined) {
      try {
        email = decodeURIComponent(raw).toLowerCase();
      } catch {
        email = raw.toLowerCase();
      }
    }
    return { operation, email };
  }
  return { operation: `other ${method} ${pathOnly.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/gi, '{uuid}')}`, email: null };
}

/** The Account Management requests of the log (OAuth token and Davis Assistant requests left out). */
export function accountCalls(log: readonly SandboxRequestRecord[]): Call[] {
  return log
    .filter((r) => r.service === 'account-management')
    .map((r) => ({ at: r.at, method: r.method, status: r.status, ...operationOf(r.method, r.url) }));
}

export function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

export interface CallSummary {
  readonly total: number;
  readonly byOperation: Record<string, number>;
  readonly byStatus: Record<string, number>;
  readonly throttled: number;
  /** Requests answered neither 2xx nor 429. */
  readonly otherFailures: number;
  readonly firstAt: number | null;
  readonly lastAt: number | null;
}

export function summarise(calls: readonly Call[]): CallSummary {
  const times = calls.map((c) => c.at);
  return {
    total: calls.length,
    byOperation: countBy(calls, (c) => c.operation),
    byStatus: countBy(calls, (c) => String(c.status)),
    throttled: calls.filter((c) => c.status === 429).length,
    otherFailures: calls.filter((c) => c.status !== 429 && (c.status < 200 || c.status >= 300)).length,
    firstAt: times.length === 0 ? null : Math.min(...times),
    lastAt: times.length === 0 ? null : Math.max(...times),
  };
}

/** How many users got n requests of `operation`: {"1": 990, "2": 10}. */
export function perUserHistogram(calls: readonly Call[], operation: string): Record<string, number> {
  const perUser = new Map<string, number>();
  for (const c of calls) if (c.operation === operation && c.email !== null) perUser.set(c.email, (perUser.get(c.email) ?? 0) + 1);
  return countBy([...perUser.values()], (n) => String(n));
}

/** The users with more than one request of `operation`, with the times of those requests. */
export function repeatedPerUser(calls: readonly Call[], operation: string): Map<string, number[]> {
  const perUser = new Map<string, number[]>();
  for (const c of calls) {
    if (c.operation !== operation || c.email === null) continue;
    const list = perUser.get(c.email) ?? [];
    list.push(c.at);
    perUser.set(c.email, list);
  }
  return new Map([...perUser].filter(([, times]) => times.length > 1));
}
