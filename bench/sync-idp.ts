// What the sync-efficiency bench sends as an IdP would: Entra ID style Users and Groups,
// the deterministic group assignment of the initial push, and a small fetch client for the bridge's
// SCIM and admin routes (127.0.0.1 only, every request with a deadline).
const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE_USER = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const CORE_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

const GIVEN = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Margaret', 'Niklaus', 'Radia', 'Tony'];
const FAMILY = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson', 'Hamilton', 'Wirth', 'Perlman', 'Hoare'];

/** An Entra ID user as its provisioning service POSTs it (UPN userName, enterprise extension, meta.resourceType). */
export function entraUserBody(prefix: string, index: number): Record<string, unknown> {
  const given = GIVEN[index % GIVEN.length] as string;
  const family = FAMILY[Math.floor(index / GIVEN.length) % FAMILY.length] as string;
  return {
    schemas: [CORE_USER, ENTERPRISE_USER],
    externalId: `${prefix}${given}${family}${index}`,
    userName: entraUserName(prefix, index),
    active: true,
    displayName: `${given} ${family}`,
    title: 'Engineer',
    emails: [{ primary: true, type: 'work', value: `${given}.${family}.${prefix}${index}@contoso.com` }],
    meta: { resourceType: 'User' },
    name: { formatted: `${given} ${family}`, familyName: family, givenName: given },
    [ENTERPRISE_USER]: { employeeNumber: String(index), department: 'Engineering', costCenter: `CC-${index % 97}` },
  };
}

/** Mixed-case UPN; Dynatrace keys the user by it lower-cased. */
export function entraUserName(prefix: string, index: number): string {
  const given = GIVEN[index % GIVEN.length] as string;
  const family = FAMILY[Math.floor(index / GIVEN.length) % FAMILY.length] as string;
  return `${given}.${family}.${prefix}${index}@Contoso.onmicrosoft.com`;
}

export function groupBody(displayName: string, memberIds: readonly string[]): Record<string, unknown> {
  return {
    schemas: [CORE_GROUP],
    displayName,
    externalId: displayName.toLowerCase().replace(/[^a-z0-9]+/g, '-'),
    members: memberIds.map((value) => ({ value })),
  };
}

/** Entra adds members as a value list: `{"op":"Add","path":"members","value":[{"value":"…"}]}`. */
export function addMembersBody(memberIds: readonly string[]): Record<string, unknown> {
  return { schemas: [PATCH_OP], Operations: [{ op: 'Add', path: 'members', value: memberIds.map((value) => ({ value })) }] };
}

/**
 * The groups (indexes in [0, groupCount)) of user `index` in the initial push: 1, 2 or 3 of them
 * (`index % 3 + 1`), spread by a stride of 7 so that they are distinct whenever groupCount ≥ 15.
 */
export function groupsOfPushUser(index: number, groupCount: number): number[] {
  const count = (index % 3) + 1;
  const groups = new Set<number>();
  for (let j = 0; j < count; j++) groups.add((index + 7 * j) % groupCount);
  return [...groups];
}

export interface ScimAnswer {
  readonly status: number;
  readonly body: any;
  /** Date.now() when the request was sent and when its answer was read. */
  readonly sentAt: number;
  readonly doneAt: number;
}

export interface BridgeClient {
  scim(method: string, route: string, body?: unknown): Promise<ScimAnswer>;
  admin(method: string, route: string): Promise<ScimAnswer>;
}

export function createBridgeClient(origin: string, scimBasePath: string, token: string, timeoutMs = 60_000): BridgeClient {
  if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(origin)) throw new TypeError(`the bench talks to 127.0.0.1 only, got ${origin}`);
  async function call(url: string, method: string, body: unknown): Promise<ScimAnswer> {
    const sentAt = Date.now();
    const response = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/scim+json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = text;
    }
    return { status: response.status, body: parsed, sentAt, doneAt: Date.now() };
  }
  return {
    scim: (method, route, body) => call(`${origin}${scimBasePath}${route}`, method, body),
    admin: (method, route) => call(`${origin}/admin${route}`, method, undefined),
  };
}

/** Runs `task(i)` for i in [0, count) with at most `concurrency` in flight (an IdP's connections). */
export async function inPool(count: number, concurrency: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
}
