// User use cases: create, read, list, replace, patch and delete SCIM Users (RFC 7644 §3.3–§3.6)
// over the Store; the edge has already validated and normalised the attributes.
import type { AttributeCatalogue } from './filter/attribute-catalogue.js';
import { changeContext, type ChangeOrigin } from './change-context.js';
import { expectedVersion, type IfMatch } from './precondition.js';
import { ProvisioningError } from './provisioning-error.js';
import { readModifyWrite } from './read-modify-write.js';
import { filterableResource, queryResources, type ListPage, type ListQuery } from './resource-query.js';
import { sameJson } from './json-equality.js';
import { dynatraceEmail } from './sync/desired-state.js';
import { userKeys } from './resource-keys.js';
import { translateStoreError } from './store-failure.js';
import type { JsonObject } from '../ports/json.js';
import type { FindQuery, GroupRef, IndexPredicate, ResourceStore, StoredResource, UserIndexedAttribute } from '../ports/store.js';

export interface UserView {
  readonly record: StoredResource;
  /** Direct group memberships; null when not loaded. */
  readonly groups: readonly GroupRef[] | null;
}

export interface UserServiceOptions {
  readonly store: ResourceStore;
  readonly catalogue: AttributeCatalogue;
  readonly coreSchema: string;
  readonly filterScanLimit: number;
  readonly now: () => Date;
  readonly newId: () => string;
  /** How long sync work waits for further changes to the same resource (coalescing window). */
  readonly syncDelayMs: number;
  /** The mapping's `emailChange`: with `reject`, a change of the Dynatrace email is refused (400). */
  readonly emailChange: () => 'migrate' | 'reject';
}

const USER_INDEXES: ReadonlyMap<string, UserIndexedAttribute> = new Map<string, UserIndexedAttribute>([
  ['id', 'id'],
  ['username', 'userName'],
  ['externalid', 'externalId'],
  ['active', 'active'],
  ['emails.value', 'emails.value'],
]);

export interface UserService {
  create(attributes: JsonObject, origin: ChangeOrigin): Promise<UserView>;
  get(id: string, options: { withGroups: boolean }): Promise<UserView>;
  list(query: ListQuery, options: { withGroups: boolean }): Promise<ListPage<UserView>>;
  replace(id: string, attributes: JsonObject, ifMatch: IfMatch, origin: ChangeOrigin): Promise<UserView>;
  /** Read-modify-write: `change` gets the current user and returns its new attributes. */
  patch(id: string, change: (current: UserView) => Promise<JsonObject>, ifMatch: IfMatch, origin: ChangeOrigin): Promise<UserView>;
  delete(id: string, ifMatch: IfMatch, origin: ChangeOrigin): Promise<void>;
  /** Of these ids, the Users that exist, each with its displayName or null: what a `manager` reference shows (RFC 7643 §4.3). */
  displayNames(ids: readonly string[]): Promise<ReadonlyMap<string, string | null>>;
}

export function createUserService(options: UserServiceOptions): UserService {
  const { store, now, newId } = options;
  if (typeof newId !== 'function' || typeof now !== 'function') throw new TypeError('createUserService: now and newId are required');

  async function load(id: string, withGroups: boolean): Promise<UserView> {
    const record = await store.getUser(id).catch((e: unknown) => translateStoreError(e, 'User', id));
    if (record === null) throw new ProvisioningError('not_found', `User ${id} not found`);
    return withGroups ? (await attachGroups([record]))[0] as UserView : { record, groups: null };
  }

  async function attachGroups(records: readonly StoredResource[]): Promise<UserView[]> {
    const groups = await store.groupsOfUsers(records.map((r) => r.id)).catch((e: unknown) => translateStoreError(e, 'User'));
    return records.map((record) => ({ record, groups: groups.get(record.id) ?? [] }));
  }

  /** Read-modify-write of one user; an unchanged result writes nothing. */
  function write(id: string, change: (current: UserView) => Promise<JsonObject>, ifMatch: IfMatch, origin: ChangeOrigin): Promise<UserView> {
    return readModifyWrite(
      { resourceType: 'User', id, ifMatch },
      () => load(id, true),
      async (current) => {
        const attributes = await change(current);
        if (sameJson(attributes, current.record.attributes)) return current;
        guardEmailChange(current.record.attributes, attributes);
        const meta = await store.replaceUser({ id, attributes, keys: userKeys(attributes) }, changeContext(now(), origin, options.syncDelayMs), {
          expectedVersion: current.record.version,
        });
        return { record: { ...meta, attributes }, groups: current.groups };
      },
    );
  }

  function guardEmailChange(before: JsonObject, after: JsonObject): void {
    if (options.emailChange() !== 'reject') return;
    const from = dynatraceEmail(before);
    const to = dynatraceEmail(after);
    if (from !== null && from !== to) {
      throw new ProvisioningError(
        'mutability',
        `the Dynatrace login ${from} cannot change: Dynatrace cannot rename a user and this bridge is configured with emailChange: reject`,
      );
    }
  }

  return {
    async create(attributes, origin) {
      const id = newId();
      const meta = await store
        .insertUser({ id, attributes, keys: userKeys(attributes) }, changeContext(now(), origin, options.syncDelayMs))
        .catch((e: unknown) => translateStoreError(e, 'User', id));
      return { record: { ...meta, attributes }, groups: [] };
    },

    get: (id, { withGroups }) => load(id, withGroups),

    async list(query, { withGroups }) {
      // With groups shown, each user comes with its groups from the same read (one statement for `userName eq`).
      const find = withGroups
        ? (q: FindQuery<UserIndexedAttribute>): Promise<UserView[]> => store.findUsersWithGroups(q)
        : async (q: FindQuery<UserIndexedAttribute>): Promise<UserView[]> => (await store.findUsers(q)).map((record) => ({ record, groups: null }));
      return queryResources(
        {
          coreSchema: options.coreSchema,
          indexed: USER_INDEXES,
          catalogue: options.catalogue,
          scanLimit: options.filterScanLimit,
          find,
          count: (where) => store.countUsers(where),
          filterable: async (found) => {
            const views = found.some((view) => view.groups === null) ? await attachGroups(found.map((view) => view.record)) : found;
            return views.map((view) =>
              filterableResource('User', view.record, {
                name: 'groups',
                values: (view.groups ?? []).map((g) => ({ value: g.value, display: g.display, type: 'direct' })),
              }),
            );
          },
        },
        query,
      ).catch((e: unknown) => translateStoreError(e, 'User'));
    },

    replace: (id, attributes, ifMatch, origin) => write(id, async () => attributes, ifMatch, origin),

    patch: (id, change, ifMatch, origin) => write(id, change, ifMatch, origin),

    async displayNames(ids) {
      const unique = [...new Set(ids)];
      if (unique.length === 0) return new Map();
      const where: IndexPredicate<UserIndexedAttribute> = { kind: 'or', operands: unique.map((value) => ({ kind: 'eq', attribute: 'id', value })) };
      const found = await store.findUsers({ where, offset: 0, limit: unique.length }).catch((e: unknown) => translateStoreError(e, 'User'));
      return new Map(found.map((record) => {
        const displayName = record.attributes.displayName;
        return [record.id, typeof displayName === 'string' && displayName !== '' ? displayName : null];
      }));
    },

    async delete(id, ifMatch, origin) {
      await store.deleteUser(id, changeContext(now(), origin, options.syncDelayMs), expectedVersion(ifMatch)).catch((e: unknown) => translateStoreError(e, 'User', id));
    },
  };
}
