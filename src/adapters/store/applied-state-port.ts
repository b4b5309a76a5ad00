// The AppliedStateStore port over an engine's synchronous tables: inputs checked (misuse throws
// TypeError) and normalised to exactly the port's fields, so every engine stores the same thing.
import type { AppliedBinding, AppliedGroup, AppliedStateStore, AppliedUser, Provenance } from '../../ports/applied-state.js';
import { isJsonObject, type JsonObject } from '../../ports/json.js';
import { assertNonEmptyString, assertString } from '../../ports/misuse.js';
import type { StoreRunner } from './sync-queue-port.js';
import { uniqueIds } from './store-input.js';

/**
 * Applied users keyed by userId and groups keyed by groupId; a put replaces the whole row and a
 * row keeps its place in the listing order (first put first) until it is deleted.
 */
export interface AppliedStateEngine {
  getUser(userId: string): AppliedUser | null;
  putUser(user: AppliedUser): void;
  deleteUser(userId: string): void;
  /** Rows for the distinct `groupIds`, in that order. */
  getGroups(groupIds: readonly string[]): Map<string, AppliedGroup>;
  putGroup(group: AppliedGroup): void;
  deleteGroup(groupId: string): void;
  listUsers(): AppliedUser[];
  listGroups(): AppliedGroup[];
  getAccount(): string | null;
  /** Records the account; with `forgetApplied`, every applied user and group row is deleted first (one transaction). */
  setAccount(account: string, forgetApplied: boolean): void;
}

const provenances: ReadonlySet<string> = new Set<Provenance>(['created', 'adopted']);



function assertProvenance(value: unknown): asserts value is Provenance {
  if (typeof value !== 'string' || !provenances.has(value)) {
    throw new TypeError(`provenance must be "created" or "adopted", got ${JSON.stringify(value)}`);
  }
}

function stringList(value: unknown, name: string): string[] {
  if (!Array.isArray(value) || !value.every((entry) => typeof entry === 'string')) {
    throw new TypeError(`${name} must be an array of strings`);
  }
  return [...(value as string[])];
}


/** The user with exactly the port's fields, arrays and objects copied. */
export function normaliseAppliedUser(user: AppliedUser): AppliedUser {
  if (!isJsonObject(user)) throw new TypeError('an applied user is required');
  assertNonEmptyString(user.userId, 'userId');
  assertString(user.email, 'email');
  if (user.uid !== null && typeof user.uid !== 'string') throw new TypeError('uid must be a string or null');
  assertProvenance(user.provenance);
  const groupUuids = stringList(user.groupUuids, 'groupUuids');
  if (user.davis !== null && !isJsonObject(user.davis)) throw new TypeError('davis must be a JSON object or null');
  const davis = user.davis === null ? null : (JSON.parse(JSON.stringify(user.davis)) as JsonObject);
  return { userId: user.userId, email: user.email, uid: user.uid, provenance: user.provenance, groupUuids, davis };
}

function normaliseBinding(value: unknown, name: string): AppliedBinding {
  if (!isJsonObject(value)) throw new TypeError(`${name} must be a binding object`);
  assertNonEmptyString(value['policyUuid'], `${name}.policyUuid`);
  const parameters = value['parameters'];
  if (!isJsonObject(parameters) || !Object.values(parameters).every((v) => typeof v === 'string')) throw new TypeError(`${name}.parameters must be an object of strings`);
  const unmarked = value['unmarked'];
  if (unmarked !== undefined && unmarked !== true) throw new TypeError(`${name}.unmarked must be true or absent`);
  return {
    policyUuid: value['policyUuid'],
    boundaries: stringList(value['boundaries'], `${name}.boundaries`),
    parameters: { ...(parameters as Record<string, string>) },
    ...(unmarked === true ? { unmarked } : {}),
  };
}

/** The group with exactly the port's fields, bindings copied. */
export function normaliseAppliedGroup(group: AppliedGroup): AppliedGroup {
  if (!isJsonObject(group)) throw new TypeError('an applied group is required');
  assertNonEmptyString(group.groupId, 'groupId');
  assertString(group.uuid, 'uuid');
  assertString(group.name, 'name');
  assertProvenance(group.provenance);
  if (!isJsonObject(group.bindings)) throw new TypeError('bindings must be an object of binding lists');
  const bindings: Record<string, AppliedBinding[]> = {};
  for (const [level, list] of Object.entries(group.bindings)) {
    if (!Array.isArray(list)) throw new TypeError(`bindings["${level}"] must be an array of bindings`);
    bindings[level] = list.map((b: unknown, i) => normaliseBinding(b, `bindings["${level}"][${i}]`));
  }
  return { groupId: group.groupId, uuid: group.uuid, name: group.name, provenance: group.provenance, bindings };
}

/** The AppliedStateStore port over `engine`, every call checked and then run through `run`. */
export function appliedStatePort(engine: AppliedStateEngine, run: StoreRunner): AppliedStateStore {
  return {
    async getAppliedUser(userId) {
      assertNonEmptyString(userId, 'userId');
      return run(() => engine.getUser(userId));
    },

    async putAppliedUser(user) {
      const row = normaliseAppliedUser(user);
      run(() => engine.putUser(row));
    },

    async deleteAppliedUser(userId) {
      assertNonEmptyString(userId, 'userId');
      run(() => engine.deleteUser(userId));
    },

    async getAppliedGroups(groupIds) {
      if (!Array.isArray(groupIds)) throw new TypeError('groupIds must be an array');
      const ids = uniqueIds(groupIds);
      for (const id of ids) assertNonEmptyString(id, 'groupId');
      if (ids.length === 0) return run(() => new Map<string, AppliedGroup>());
      return run(() => engine.getGroups(ids));
    },

    async putAppliedGroup(group) {
      const row = normaliseAppliedGroup(group);
      run(() => engine.putGroup(row));
    },

    async deleteAppliedGroup(groupId) {
      assertNonEmptyString(groupId, 'groupId');
      run(() => engine.deleteGroup(groupId));
    },

    async listAppliedUsers() {
      return run(() => engine.listUsers());
    },

    async listAppliedGroups() {
      return run(() => engine.listGroups());
    },

    async getAppliedAccount() {
      return run(() => engine.getAccount());
    },

    async setAppliedAccount(account, options) {
      assertNonEmptyString(account, 'account');
      if (!isJsonObject(options) || typeof options.forgetApplied !== 'boolean') throw new TypeError('options.forgetApplied must be a boolean');
      run(() => engine.setAccount(account, options.forgetApplied));
    },
  };
}
