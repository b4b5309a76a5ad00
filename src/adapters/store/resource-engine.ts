// The users, groups and memberships as an engine stores them: storage only, no rules. Every call runs
// inside the transaction of one mutation (resource-rules.ts decides which calls, in which order, and
// what they mean); `K` is the engine's row key, which the rules only hand back and compare.
import type { SyncTarget } from '../../ports/sync-queue.js';
import type { EnqueueContext } from './sync-queue-port.js';

/** What a mutation learns about the row it changes or checks. */
export interface ResourceHead<K> {
  readonly seq: K;
  readonly version: number;
  readonly created: string;
}

/** A user as a membership row names it. */
export interface MemberKey<K> {
  readonly id: string;
  readonly seq: K;
}

/** A users row's columns, keys already folded; `attributes` is JSON text. */
export interface UserColumns {
  readonly userName: string;
  readonly userNameKey: string;
  readonly displayName: string | null;
  /** displayName folded (foldCase): the people search's key. */
  readonly displayNameKey: string | null;
  readonly externalId: string | null;
  readonly active: boolean;
  readonly attributes: string;
}

/** A groups row's columns, keys already folded; `attributes` is JSON text. */
export interface GroupColumns {
  readonly displayName: string;
  readonly displayNameKey: string;
  readonly externalId: string | null;
  readonly attributes: string;
}

/**
 * A taken key (id, userName, displayName) fails with StoreError 'conflict', as the engine's unique
 * index reports it; a new row has version 1 and `created` = `lastModified` = `at`.
 */
export interface ResourceEngine<K> {
  /** The user's head, null when there is none; PostgreSQL locks the row (FOR UPDATE) until the transaction ends. */
  userHead(id: string): ResourceHead<K> | null;
  /** The row and its email keys (distinct, folded). */
  insertUser(id: string, columns: UserColumns, emailKeys: readonly string[], at: string): K;
  /** Writes the columns, version + 1, lastModified = `at`; the email keys become exactly `emailKeys`. */
  updateUser(seq: K, columns: UserColumns, emailKeys: readonly string[], at: string): void;
  /** The user row and its membership rows. */
  deleteUser(seq: K): void;
  /** version + 1, lastModified = `at` for every group the user is a member of. */
  bumpGroupsOfUser(seq: K, at: string): void;
  /** Those of these (distinct, non-empty) ids that are users, in any order; PostgreSQL locks them FOR KEY SHARE. */
  userKeys(ids: readonly string[]): MemberKey<K>[];

  /** The group's head, null when there is none; PostgreSQL locks the row (FOR UPDATE) until the transaction ends. */
  groupHead(id: string): ResourceHead<K> | null;
  insertGroup(id: string, columns: GroupColumns, at: string): K;
  /** Writes the columns; the version is left to `bumpGroup`. */
  updateGroupAttributes(seq: K, columns: GroupColumns): void;
  /** version + 1, lastModified = `at`. */
  bumpGroup(seq: K, at: string): void;
  /** The group row and its membership rows. */
  deleteGroup(seq: K): void;
  /** The group's members in list order. */
  membersOf(groupSeq: K): MemberKey<K>[];
  /**
   * Appends these (distinct, non-empty) users after the group's last position, in the order given;
   * present members stay where they are. The keys of the users that were not members before, in any order.
   */
  appendMembers(groupSeq: K, users: readonly K[]): K[];
  /** Removes the members with these (distinct, non-empty) user ids; the ids that were members, in any order. */
  removeMembers(groupSeq: K, userIds: readonly string[]): string[];
  /** Removes every member. */
  clearMembers(groupSeq: K): void;
  /** The sync queue's enqueue (sync-queue-port.ts), in this transaction; distinct targets, in order. */
  enqueue(targets: readonly SyncTarget[], context: EnqueueContext): void;
}
