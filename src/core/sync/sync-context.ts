// What the sync steps share: the store, the Dynatrace ports, the current mapping, and the
// process-wide helpers (group locks, the account's group and user directories, binding resolution).
import type { AccountApi, DtGroup } from '../../ports/account-api.js';
import type { DavisAssistantApi } from '../../ports/davis-assistant-api.js';
import type { AppliedStateStore } from '../../ports/applied-state.js';
import type { AuditLog } from '../../ports/audit-log.js';
import type { LockStore, ResourceStore } from '../../ports/store.js';
import type { SyncQueue } from '../../ports/sync-queue.js';
import type { Mapping } from '../mapping/mapping.js';
import type { KeyedLock } from './keyed-lock.js';
import type { BindingResolver } from './binding-resolver.js';
import type { UserDirectory } from './user-directory.js';

export interface SyncContext {
  /** The roles the sync uses: resources (read), the queue, applied state, the audit of its writes, group locks. */
  readonly store: ResourceStore & SyncQueue & AppliedStateStore & AuditLog & LockStore;
  readonly accountApi: AccountApi;
  readonly davisApi: DavisAssistantApi;
  /** The mapping in force (it may be reloaded between items). */
  readonly mapping: () => Mapping;
  readonly bindings: BindingResolver;
  readonly groupLocks: KeyedLock;
  readonly groupDirectory: GroupDirectory;
  readonly userDirectory: UserDirectory;
  readonly dryRun: boolean;
  readonly defaultTimezone: string;
  readonly now: () => Date;
  /** Aborted at shutdown: a Dynatrace call it cuts short fails with its reason, having changed nothing to audit. */
  readonly stopSignal?: AbortSignal;
}

/** The account's groups by name, listed once and kept current by the bridge's own creates. */
export interface GroupDirectory {
  /** The group of this name (lists the account's groups when this process has no listing yet). */
  find(name: string): Promise<DtGroup | null>;
  /** As `find`, but from a listing this process already has: undefined when it has none (nothing is read). */
  listed(name: string): Promise<DtGroup | null | undefined>;
  /** Keeps a listing current with the bridge's own create or rename (none is read for it). */
  remember(group: DtGroup): void;
  forget(uuid: string): void;
  /** Drop the listing (reconcile): the next find lists again. */
  refresh(): void;
}

export function createGroupDirectory(options: { accountApi: AccountApi }): GroupDirectory {
  let listing: Promise<Map<string, DtGroup>> | null = null;
  const load = () => {
    listing ??= options.accountApi.listGroups().then((groups) => new Map(groups.map((g) => [g.name.toLowerCase(), g])));
    listing.catch(() => {
      listing = null;
    });
    return listing;
  };
  const edit = (change: (groups: Map<string, DtGroup>) => void) => void listing?.then(change, () => undefined);
  return {
    async find(name) {
      return (await load()).get(name.toLowerCase()) ?? null;
    },
    async listed(name) {
      if (listing === null) return undefined;
      return listing.then((groups) => groups.get(name.toLowerCase()) ?? null, () => undefined);
    },
    remember(group) {
      edit((groups) => groups.set(group.name.toLowerCase(), group));
    },
    forget(uuid) {
      edit((groups) => {
        for (const [name, group] of groups) if (group.uuid === uuid) groups.delete(name);
      });
    },
    refresh() {
      listing = null;
    },
  };
}
