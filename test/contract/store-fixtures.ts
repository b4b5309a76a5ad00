// Builders and assertions shared by the Store contract files: SCIM writes, change contexts, queue
// probes and the StoreError check. Times are canonical ISO strings (what toISOString writes).
import { expect } from 'vitest';
import type { JsonObject, JsonValue } from '../../src/ports/json.js';
import type { ChangeContext, GroupWrite, Store, StoreErrorCode, UserWrite } from '../../src/ports/store.js';
import { StoreError } from '../../src/ports/store.js';
import type { SyncItem } from '../../src/ports/sync-queue.js';

/** What an engine's test file hands the suite: a fresh, empty store per test. */
export interface OpenedStore {
  readonly store: Store;
  /** Closes nothing itself: the suite closes `store` first, then reopens the same data. */
  readonly reopen?: () => Promise<Store>;
  /** Closes whatever is still open and removes the engine's files. */
  readonly cleanup: () => Promise<void>;
}

/** The store of the running test, shared by the contract files (a test that reopens replaces `store`). */
export interface StoreUnderTest {
  store: Store;
  readonly opened: OpenedStore;
}

const userSchema = 'urn:ietf:params:scim:schemas:core:2.0:User';
const groupSchema = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const t0 = '2025-01-01T00:00:00.000Z';
export const t1 = '2025-01-02T00:00:00.000Z';
export const t2 = '2025-01-03T00:00:00.000Z';
export const t3 = '2025-01-04T00:00:00.000Z';
export const t4 = '2025-01-05T00:00:00.000Z';
/** Later than every time the tests use: leasing at `far` takes everything that is not failed. */
export const far = '2100-01-01T00:00:00.000Z';

export interface UserOptions {
  readonly externalId?: string | null;
  readonly active?: boolean;
  readonly emails?: readonly string[];
  readonly displayName?: JsonValue;
  readonly title?: string;
}

export function userWrite(id: string, userName: string, options: UserOptions = {}): UserWrite {
  const emails = options.emails ?? [];
  const active = options.active ?? true;
  const externalId = options.externalId ?? null;
  const attributes: JsonObject = { schemas: [userSchema], userName, active, emails: emails.map((value) => ({ value })) };
  if (externalId !== null) attributes['externalId'] = externalId;
  if (options.displayName !== undefined) attributes['displayName'] = options.displayName;
  if (options.title !== undefined) attributes['title'] = options.title;
  return { id, attributes, keys: { userName, externalId, active, emails } };
}

export function groupWrite(id: string, displayName: string, externalId: string | null = null): GroupWrite {
  const attributes: JsonObject = { schemas: [groupSchema], displayName };
  if (externalId !== null) attributes['externalId'] = externalId;
  return { id, attributes, keys: { displayName, externalId } };
}

/** A ChangeContext at `at`; its sync work is due at `syncDueAt` (default: `at`) and carries `requestId` (default: null). */
export function change(at: string, options: { readonly requestId?: string | null; readonly syncDueAt?: string } = {}): ChangeContext {
  return { at, requestId: options.requestId ?? null, syncDueAt: options.syncDueAt ?? at };
}

/** `User:u1`, `Group:g1`: an item's target in one string, for compact assertions. */
export function targetOf(item: { readonly resourceType: string; readonly resourceId: string }): string {
  return `${item.resourceType}:${item.resourceId}`;
}

/**
 * Every pending item (due or not) in lease order, leased and released again by a probe owner.
 * Only for tests without leases of their own: it would take over and release expired ones.
 */
export async function peekQueue(store: Store): Promise<SyncItem[]> {
  const items = await store.leaseSyncWork({ now: far, limit: 1_000_000, leaseUntil: far, owner: 'peek' });
  await store.releaseSyncLeases('peek');
  return items;
}

/** The targets of every pending item, in lease order. */
export async function queuedTargets(store: Store): Promise<string[]> {
  return (await peekQueue(store)).map(targetOf);
}

/** Completes every pending item, so a test can start from an empty queue. */
export async function drainQueue(store: Store): Promise<void> {
  const items = await store.leaseSyncWork({ now: far, limit: 1_000_000, leaseUntil: far, owner: 'drain' });
  for (const item of items) await store.completeSyncWork(item, 'drain');
}

/** Awaits a rejection and checks it is a StoreError with this code (and attribute / ids when given). */
export async function expectStoreError(
  call: Promise<unknown>,
  code: StoreErrorCode,
  details: { readonly attribute?: string; readonly ids?: readonly string[] } = {},
): Promise<void> {
  const error: unknown = await call.then(
    () => new Error(`expected StoreError '${code}', but the call succeeded`),
    (rejection: unknown) => rejection,
  );
  expect(error).toBeInstanceOf(StoreError);
  const storeError = error as StoreError;
  expect(storeError.code).toBe(code);
  if (details.attribute !== undefined) expect(storeError.attribute).toBe(details.attribute);
  if (details.ids !== undefined) expect(storeError.ids).toEqual(details.ids);
}
