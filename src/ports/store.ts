// The Store port: durable SCIM state the core reads and writes. Every mutation is one atomic
// transaction that also enqueues the Dynatrace sync work it implies; a rejected call leaves the
// store exactly as it was. Engines: sqlite, postgres.
import type { AppliedStateStore } from './applied-state.js';
import type { AuditLog } from './audit-log.js';
import type { JsonObject } from './json.js';
import type { RateLedger } from './rate-ledger.js';
import type { SyncQueue } from './sync-queue.js';

/**
 * When and why a SCIM change happens. Every mutation enqueues sync work (sync-queue.ts) for the
 * resources whose Dynatrace state it changes, due at `syncDueAt`, carrying `requestId` to the audit log.
 */
export interface ChangeContext {
  /** ISO 8601 time of the change (meta.lastModified). */
  readonly at: string;
  /** The SCIM request's id, or null (e.g. a reconcile). */
  readonly requestId: string | null;
  /** ISO 8601 time from which the enqueued work may be applied (the coalescing window). */
  readonly syncDueAt: string;
}

/** The largest version a resource can reach: every engine keeps it as a signed 32-bit integer. */
export const MAX_RESOURCE_VERSION = 2_147_483_647;

/** Server-maintained part of a resource (RFC 7643 §3.1 `id`, `meta.version`, `meta.created`, `meta.lastModified`). */
export interface ResourceMeta {
  /** The bridge's own stable id (a UUID), never an IdP or Dynatrace key. */
  readonly id: string;
  /** Starts at 1, incremented by the store on every change of the resource, its members included; at most MAX_RESOURCE_VERSION. */
  readonly version: number;
  /** ISO 8601 timestamps. */
  readonly created: string;
  readonly lastModified: string;
}

/**
 * Indexed columns of a User, derived by the core from its attributes. `userName` and `emails`
 * are stored as given and matched case-insensitively (RFC 7643 §4.1.1 caseExact=false);
 * `externalId` is matched exactly (caseExact=true).
 */
export interface UserKeys {
  readonly userName: string;
  readonly externalId: string | null;
  readonly active: boolean;
  readonly emails: readonly string[];
}

/** Indexed columns of a Group. `displayName` is unique case-insensitively (Entra requires it). */
export interface GroupKeys {
  readonly displayName: string;
  readonly externalId: string | null;
}

/** A stored resource: meta plus the SCIM attributes as accepted (no `id`, `meta`, `groups` or `members`). */
export interface StoredResource extends ResourceMeta {
  readonly attributes: JsonObject;
  /**
   * `JSON.stringify(attributes)` exactly as the store holds it, when the engine read it as text: a
   * renderer may splice it into an answer instead of parsing and serialising again. Engines keep it
   * non-enumerable, so that a copy (`{ ...record, attributes }`) never carries stale text.
   */
  readonly attributesJson?: string;
}

export interface UserWrite {
  readonly id: string;
  readonly attributes: JsonObject;
  readonly keys: UserKeys;
}

export interface GroupWrite {
  readonly id: string;
  readonly attributes: JsonObject;
  readonly keys: GroupKeys;
}

/** A User that is a member of a Group (only Users can be members). */
export interface MemberRef {
  /** The member User's id. */
  readonly value: string;
  /** The member User's displayName, else its userName. */
  readonly display: string;
}

/** A Group a User belongs to (RFC 7643 §4.1.2 `groups`, read-only, direct membership only). */
export interface GroupRef {
  readonly value: string;
  readonly display: string;
}

/**
 * The net effect of one request on a group's member list, already folded by the core.
 * Either `replaceAll` (the list becomes exactly these ids), or `add`/`remove` (disjoint sets of ids).
 * Adding a present member and removing an absent one are no-ops.
 */
/** A User and the groups it is a direct member of (empty when none), in group creation order. */
export interface UserWithGroups {
  readonly record: StoredResource;
  readonly groups: readonly GroupRef[];
}

export type MembershipChange =
  | { readonly kind: 'replace'; readonly members: readonly string[] }
  | { readonly kind: 'delta'; readonly add: readonly string[]; readonly remove: readonly string[] };

export type UserIndexedAttribute = 'id' | 'userName' | 'externalId' | 'active' | 'emails.value';
export type GroupIndexedAttribute = 'id' | 'displayName' | 'externalId' | 'members.value';

/**
 * A condition an engine answers from its indexes. `eq` on userName, emails.value and displayName
 * compares case-insensitively (the core passes the value as the client sent it); on id,
 * externalId and members.value exactly; `active` takes a boolean.
 */
export type IndexPredicate<A extends string> =
  | { readonly kind: 'eq'; readonly attribute: A; readonly value: string | boolean }
  | { readonly kind: 'and'; readonly operands: readonly IndexPredicate<A>[] }
  | { readonly kind: 'or'; readonly operands: readonly IndexPredicate<A>[] };

/** Which resources, in the store's stable order (creation order), from `offset` (0-based), at most `limit`. */
export interface FindQuery<A extends string> {
  readonly where: IndexPredicate<A> | null;
  readonly offset: number;
  readonly limit: number;
}

/** A people search: the text, and the page of matches from `offset` (0-based), at most `limit`. */
export interface UserSearch {
  readonly text: string;
  readonly offset: number;
  readonly limit: number;
}

/** Optimistic concurrency: the change applies only if the resource is still at this version (RFC 7644 §3.14). */
export interface Precondition {
  readonly expectedVersion?: number;
}

/**
 * Users, groups and their memberships: what SCIM writes and reads. Sync work each mutation enqueues,
 * in the same transaction:
 * - insertUser, replaceUser, deleteUser: the User;
 * - insertGroup: the Group and each member User;
 * - updateGroup: the Group when its attributes are given; each User added or removed (for `replace`,
 *   every User in the old or the new list whose membership changed);
 * - deleteGroup: the Group and each User that was a member.
 * deleteUser enqueues no Group: a Group's own Dynatrace state does not depend on its members.
 */
export interface ResourceStore {
  /**
   * The operator console's people search: users whose userName, an email or displayName starts with
   * `text` (case-folded as every key is, ports/case-fold.ts), listed by userName. Each field
   * is read from its index and contributes at most offset + limit + 1 matches, so a broad text costs a
   * page, not a scan. TypeError for an empty text.
   */
  searchUsers(search: UserSearch): Promise<{ users: StoredResource[]; more: boolean }>;

  /** Throws StoreError 'conflict' (attribute 'userName') when the userName is taken, case-insensitively. */
  insertUser(user: UserWrite, change: ChangeContext): Promise<ResourceMeta>;
  getUser(id: string): Promise<StoredResource | null>;
  findUsers(query: FindQuery<UserIndexedAttribute>): Promise<StoredResource[]>;
  countUsers(where: IndexPredicate<UserIndexedAttribute> | null): Promise<number>;
  /** Replaces attributes and keys. Throws 'not_found', 'version_mismatch' or 'conflict'. */
  replaceUser(user: UserWrite, change: ChangeContext, precondition?: Precondition): Promise<ResourceMeta>;
  /** Deletes the user and its memberships (bumping those groups' versions). Throws 'not_found', 'version_mismatch'. */
  deleteUser(id: string, change: ChangeContext, precondition?: Precondition): Promise<void>;
  /** The groups each of these users is a direct member of; users with none are absent from the map. */
  groupsOfUsers(userIds: readonly string[]): Promise<Map<string, GroupRef[]>>;
  /**
   * findUsers with each user's direct groups, read at one snapshot: a list answer that shows `groups`.
   * A `userName eq` or `id eq` lookup (every IdP's existence check) is one statement.
   */
  findUsersWithGroups(query: FindQuery<UserIndexedAttribute>): Promise<UserWithGroups[]>;

  /** Throws 'conflict' (attribute 'displayName') or 'unknown_members' (ids that are no User). */
  insertGroup(group: GroupWrite, members: readonly string[], change: ChangeContext): Promise<ResourceMeta>;
  getGroup(id: string): Promise<StoredResource | null>;
  findGroups(query: FindQuery<GroupIndexedAttribute>): Promise<StoredResource[]>;
  countGroups(where: IndexPredicate<GroupIndexedAttribute> | null): Promise<number>;
  /**
   * Changes a group's attributes (when `group.attributes` is given) and/or members, in one
   * transaction, bumping its version once. Member changes touch only the named memberships.
   * Throws 'not_found', 'version_mismatch', 'conflict' or 'unknown_members'.
   */
  updateGroup(
    update: { readonly id: string; readonly group?: GroupWrite; readonly members?: MembershipChange },
    change: ChangeContext,
    precondition?: Precondition,
  ): Promise<ResourceMeta>;
  /** Throws 'not_found', 'version_mismatch'. */
  deleteGroup(id: string, change: ChangeContext, precondition?: Precondition): Promise<void>;
  /** Members of each group, in the order they were added; groups with none are absent from the map. */
  membersOfGroups(groupIds: readonly string[]): Promise<Map<string, MemberRef[]>>;
  /** How many members each group has, without loading them; groups with none are absent from the map. */
  countMembersOfGroups(groupIds: readonly string[]): Promise<Map<string, number>>;
}

/**
 * The whole store an engine provides, by role: resources (ResourceStore), the sync queue, applied state,
 * the audit log, locks and the rate ledger. Each consumer names only the roles it uses.
 */
export interface Store extends ResourceStore, SyncQueue, AppliedStateStore, AuditLog, LockStore, RateLedger {
  /** Resolves when the store answers; rejects with StoreError('unavailable') otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Named locks with an expiry, shared by every replica on the same database: work that must not run on
 * two replicas at once and is not a queue item (a reconcile; creating one Dynatrace group). A lock is
 * held by one `owner` until it is released or its `until` passes, so a replica that dies while holding
 * one loses it then. Times are ISO 8601 UTC as toISOString() writes them and compare as text, like the
 * queue's; the caller passes `now` (its clock), never the engine's.
 */
export interface LockStore {
  /**
   * Takes the lock `name` for `owner` until `lease.until` and resolves true when it is free, expired
   * (its until ≤ `lease.now`) or already `owner`'s (then extended or shortened to `lease.until`);
   * otherwise changes nothing and resolves false. Atomic: of owners racing for a free lock, one wins.
   * TypeError for an empty name or owner, times not in toISOString() form, or `until` ≤ `now`.
   */
  tryAcquireLock(name: string, owner: string, lease: { readonly now: string; readonly until: string }): Promise<boolean>;
  /** Frees `name` when `owner` holds it (expired or not); otherwise does nothing. */
  releaseLock(name: string, owner: string): Promise<void>;
  /**
   * Frees every lock whose name starts with `prefix`, whoever holds it; returns how many. Like
   * releaseAllSyncLeases, only for the one process that owns a SQLite data directory, at its start.
   */
  releaseLocksByPrefix(prefix: string): Promise<number>;
}

export type StoreErrorCode = 'conflict' | 'not_found' | 'version_mismatch' | 'unknown_members' | 'unavailable';

/** The one error type engines throw; raw driver errors travel as `cause`. */
export class StoreError extends Error {
  override readonly name = 'StoreError';
  readonly code: StoreErrorCode;
  /** For 'conflict': the unique attribute; for 'unknown_members': the ids. */
  readonly attribute: string | undefined;
  readonly ids: readonly string[];

  constructor(
    code: StoreErrorCode,
    message: string,
    options: { attribute?: string; ids?: readonly string[]; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.attribute = options.attribute;
    this.ids = options.ids ?? [];
  }
}
