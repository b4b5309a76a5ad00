// Group use cases (RFC 7644 §3.3–§3.6): membership changes are applied as deltas — only the
// memberships a request names are touched, whatever the size of the group.
import type { AttributeCatalogue } from './filter/attribute-catalogue.js';
import { filterReadsAttribute } from './filter/named-attributes.js';
import { changeContext, type ChangeOrigin } from './change-context.js';
import { expectedVersion, type IfMatch } from './precondition.js';
import { ProvisioningError } from './provisioning-error.js';
import { readModifyWrite } from './read-modify-write.js';
import { filterableResource, queryResources, type ListPage, type ListQuery } from './resource-query.js';
import { sameJson } from './json-equality.js';
import { groupKeys } from './resource-keys.js';
import { translateStoreError } from './store-failure.js';
import type { JsonObject } from '../ports/json.js';
import type {
  GroupIndexedAttribute,
  MemberRef,
  MembershipChange,
  ResourceMeta,
  ResourceStore,
  StoredResource,
} from '../ports/store.js';

export interface GroupView {
  readonly record: StoredResource;
  /** Members; null when not loaded (e.g. `excludedAttributes=members`). */
  readonly members: readonly MemberRef[] | null;
}

export interface GroupServiceOptions {
  readonly store: ResourceStore;
  readonly catalogue: AttributeCatalogue;
  readonly coreSchema: string;
  readonly filterScanLimit: number;
  readonly now: () => Date;
  readonly newId: () => string;
  /** How long sync work waits for further changes to the same resource (coalescing window). */
  readonly syncDelayMs: number;
}

export interface GroupPatch {
  /** Read-modify-write of the group's own attributes (never its members); absent when unchanged. */
  readonly attributes?: (current: GroupView) => Promise<JsonObject>;
  /** Net membership change; absent when members are untouched. */
  readonly members?: MembershipChange;
}

const GROUP_INDEXES: ReadonlyMap<string, GroupIndexedAttribute> = new Map<string, GroupIndexedAttribute>([
  ['id', 'id'],
  ['displayname', 'displayName'],
  ['externalid', 'externalId'],
  ['members.value', 'members.value'],
  ['members', 'members.value'],
]);

export interface GroupService {
  create(attributes: JsonObject, members: readonly string[], origin: ChangeOrigin): Promise<GroupView>;
  get(id: string, options: { withMembers: boolean }): Promise<GroupView>;
  /** A page of groups without their members (`countMembers`, then `withMembers`, load them as wanted). */
  list(query: ListQuery): Promise<ListPage<GroupView>>;
  /** How many members each group has, without loading them; groups with none are absent. */
  countMembers(ids: readonly string[]): Promise<Map<string, number>>;
  /** The same groups with their members, read at one moment. */
  withMembers(views: readonly GroupView[]): Promise<GroupView[]>;
  /** PUT: attributes and the whole member list. */
  replace(id: string, attributes: JsonObject, members: readonly string[], ifMatch: IfMatch, origin: ChangeOrigin): Promise<GroupView>;
  /** Returns the group's new meta; members-only patches need no read of the group first. */
  patch(id: string, patch: GroupPatch, ifMatch: IfMatch, origin: ChangeOrigin): Promise<ResourceMeta>;
  delete(id: string, ifMatch: IfMatch, origin: ChangeOrigin): Promise<void>;
}

export function createGroupService(options: GroupServiceOptions): GroupService {
  const { store, now, newId } = options;
  if (typeof newId !== 'function' || typeof now !== 'function') throw new TypeError('createGroupService: now and newId are required');

  async function load(id: string, withMembers: boolean): Promise<GroupView> {
    const record = await store.getGroup(id).catch((e: unknown) => translateStoreError(e, 'Group', id));
    if (record === null) throw new ProvisioningError('not_found', `Group ${id} not found`);
    return withMembers ? ((await attachMembers([record]))[0] as GroupView) : { record, members: null };
  }

  async function attachMembers(records: readonly StoredResource[]): Promise<GroupView[]> {
    const members = await store.membersOfGroups(records.map((r) => r.id)).catch((e: unknown) => translateStoreError(e, 'Group'));
    return records.map((record) => ({ record, members: members.get(record.id) ?? [] }));
  }

  async function update(
    origin: ChangeOrigin,
    id: string,
    attributes: JsonObject | undefined,
    members: MembershipChange | undefined,
    precondition: { expectedVersion?: number },
  ): Promise<ResourceMeta> {
    const group = attributes === undefined ? undefined : { id, attributes, keys: groupKeys(attributes) };
    return store.updateGroup({ id, ...(group ? { group } : {}), ...(members ? { members } : {}) }, changeContext(now(), origin, options.syncDelayMs), precondition);
  }

  return {
    async create(attributes, members, origin) {
      const id = newId();
      const meta = await store
        .insertGroup({ id, attributes, keys: groupKeys(attributes) }, members, changeContext(now(), origin, options.syncDelayMs))
        .catch((e: unknown) => translateStoreError(e, 'Group', id));
      return (await attachMembers([{ ...meta, attributes }]))[0] as GroupView;
    },

    get: (id, { withMembers }) => load(id, withMembers),

    async list(query) {
      const page = await queryResources(
        {
          coreSchema: options.coreSchema,
          indexed: GROUP_INDEXES,
          catalogue: options.catalogue,
          scanLimit: options.filterScanLimit,
          find: (q) => store.findGroups(q),
          count: (where) => store.countGroups(where),
          // Members are loaded only for a filter that reads them: candidates may be thousands of groups.
          filterable: async (records, filter) =>
            (filterReadsAttribute(filter, 'members') ? await attachMembers(records) : records.map((record) => ({ record, members: [] }))).map((view) =>
              filterableResource('Group', view.record, {
                name: 'members',
                values: (view.members ?? []).map((m) => ({ value: m.value, display: m.display, type: 'User' })),
              }),
            ),
        },
        query,
      ).catch((e: unknown) => translateStoreError(e, 'Group'));
      return { totalResults: page.totalResults, items: page.items.map((record) => ({ record, members: null })) };
    },

    countMembers: (ids) => store.countMembersOfGroups(ids).catch((e: unknown) => translateStoreError(e, 'Group')),

    withMembers: (views) => attachMembers(views.map((view) => view.record)),

    async replace(id, attributes, members, ifMatch, origin) {
      const meta = await update(origin, id, attributes, { kind: 'replace', members }, expectedVersion(ifMatch)).catch((e: unknown) =>
        translateStoreError(e, 'Group', id),
      );
      return (await attachMembers([{ ...meta, attributes }]))[0] as GroupView;
    },

    async patch(id, patch, ifMatch, origin) {
      const { members } = patch;
      // Member deltas commute: without attribute changes no version check is needed unless the client asked for one.
      const updateMembers = async (): Promise<ResourceMeta> => {
        if (members === undefined) return (await load(id, false)).record;
        return update(origin, id, undefined, members, expectedVersion(ifMatch)).catch((e: unknown) => translateStoreError(e, 'Group', id));
      };
      const change = patch.attributes;
      if (change === undefined) return updateMembers();
      return readModifyWrite(
        { resourceType: 'Group', id, ifMatch },
        () => load(id, false),
        async (current) => {
          const changed = await change(current);
          if (sameJson(changed, current.record.attributes)) return members === undefined ? current.record : updateMembers();
          return update(origin, id, changed, members, { expectedVersion: current.record.version });
        },
      );
    },

    async delete(id, ifMatch, origin) {
      await store.deleteGroup(id, changeContext(now(), origin, options.syncDelayMs), expectedVersion(ifMatch)).catch((e: unknown) => translateStoreError(e, 'Group', id));
    },
  };
}
