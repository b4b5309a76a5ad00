// Which Dynatrace account the applied state describes. Started against another account (another
// API URL or account UUID, or another sandbox), the bridge forgets the applied state — it says what
// is true of the old account — and queues every SCIM user and group, so the new account is
// provisioned whole rather than believed provisioned.
import type { AppliedStateStore } from '../../ports/applied-state.js';
import type { ResourceStore } from '../../ports/store.js';
import type { SyncQueue } from '../../ports/sync-queue.js';
import type { SyncTarget } from '../../ports/sync-queue.js';

export interface AccountClaim {
  /** The account the applied state described before; null when none was recorded. */
  readonly previous: string | null;
  /** True when the applied state of another account was forgotten and every resource queued. */
  readonly switched: boolean;
  /** SCIM users and groups queued for provisioning. */
  readonly queued: number;
}

const PAGE = 1_000;

/** `account <uuid> at <API URL>`: how the store names a real account. */
export function accountIdentity(apiUrl: string, accountUuid: string): string {
  return `account ${accountUuid} at ${apiUrl}`;
}

/**
 * Makes `account` the one the applied state describes. A store that recorded none (new, or written
 * by a release that did not record it) is taken to describe this account and keeps its state.
 */
export async function claimAppliedAccount(store: ResourceStore & SyncQueue & AppliedStateStore, account: string, now: () => Date): Promise<AccountClaim> {
  const previous = await store.getAppliedAccount();
  if (previous === account) return { previous, switched: false, queued: 0 };
  if (previous === null) {
    await store.setAppliedAccount(account, { forgetApplied: false });
    return { previous, switched: false, queued: 0 };
  }
  // Queued before the switch is recorded: a process stopped in between does both again at its next start.
  const queued = await enqueueEveryResource(store, now().toISOString());
  await store.setAppliedAccount(account, { forgetApplied: true });
  return { previous, switched: true, queued };
}

async function enqueueEveryResource(store: ResourceStore & SyncQueue, at: string): Promise<number> {
  const context = { at, requestId: 'account-switch', dueAt: at };
  let queued = 0;
  const pages = [
    { resourceType: 'User' as const, total: () => store.countUsers(null), page: (offset: number) => store.findUsers({ where: null, offset, limit: PAGE }) },
    { resourceType: 'Group' as const, total: () => store.countGroups(null), page: (offset: number) => store.findGroups({ where: null, offset, limit: PAGE }) },
  ];
  for (const { resourceType, total, page } of pages) {
    const count = await total();
    for (let offset = 0; offset < count; offset += PAGE) {
      const targets: SyncTarget[] = (await page(offset)).map((r) => ({ resourceType, resourceId: r.id }));
      if (targets.length === 0) break;
      await store.enqueueSync(targets, context);
      queued += targets.length;
    }
  }
  return queued;
}
