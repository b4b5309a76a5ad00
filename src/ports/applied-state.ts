// Applied state: what the bridge has made true in Dynatrace, per SCIM resource, and which account
// that is. The worker compares it with the desired state (the SCIM resources and the mapping) and
// records it after each success. Rows outlive their SCIM resource until the Dynatrace side of its
// deletion is done.
import type { JsonObject } from './json.js';

/** How the bridge came to manage a Dynatrace object: it created it, or found it and took it over. */
export type Provenance = 'created' | 'adopted';

export interface AppliedUser {
  /** The SCIM User id. */
  readonly userId: string;
  /** The Dynatrace key: the email, lower-cased. */
  readonly email: string;
  /** Dynatrace `uid`, when known. */
  readonly uid: string | null;
  readonly provenance: Provenance;
  /** The bridge-managed Dynatrace groups (UUIDs) the user was last put in. */
  readonly groupUuids: readonly string[];
  /** Davis Assistant fields last applied, or null when there is no Davis Assistant user. */
  readonly davis: JsonObject | null;
}

/** A policy binding the bridge made for a group at one level, as it made it. */
export interface AppliedBinding {
  readonly policyUuid: string;
  /** Policy boundary UUIDs, sorted. */
  readonly boundaries: readonly string[];
  readonly parameters: Readonly<Record<string, string>>;
  /**
   * Made by an earlier release with the whole-set endpoint: Dynatrace holds it without the bridge's
   * metadata, so it is told apart only as the group's one binding of that policy.
   */
  readonly unmarked?: true;
}

export interface AppliedGroup {
  /** The SCIM Group id. */
  readonly groupId: string;
  /** The Dynatrace group's UUID and name as last applied. */
  readonly uuid: string;
  readonly name: string;
  readonly provenance: Provenance;
  /** The bindings the bridge made, per level key (`account` or `environment:<id>`). */
  readonly bindings: Readonly<Record<string, readonly AppliedBinding[]>>;
}

export interface AppliedStateStore {
  getAppliedUser(userId: string): Promise<AppliedUser | null>;
  putAppliedUser(user: AppliedUser): Promise<void>;
  deleteAppliedUser(userId: string): Promise<void>;
  /** Rows for these SCIM Group ids that exist (missing ids are absent from the map). */
  getAppliedGroups(groupIds: readonly string[]): Promise<Map<string, AppliedGroup>>;
  putAppliedGroup(group: AppliedGroup): Promise<void>;
  deleteAppliedGroup(groupId: string): Promise<void>;
  /** Every applied user and group, for reconcile (bounded by the account's size). */
  listAppliedUsers(): Promise<AppliedUser[]>;
  listAppliedGroups(): Promise<AppliedGroup[]>;
  /** The Dynatrace account the applied state describes (as recorded by setAppliedAccount); null when none is. */
  getAppliedAccount(): Promise<string | null>;
  /**
   * Records the account the applied state describes. With `forgetApplied`, every applied user and group
   * is deleted first, in the same transaction: they describe another account.
   */
  setAppliedAccount(account: string, options: { readonly forgetApplied: boolean }): Promise<void>;
}
