// The account's users by email, listed once (one `GET /users` for the whole account, not one lookup
// per user) and kept current by the bridge's own creates and deletes: before inviting a user the
// bridge looks it up here, and adopts one that exists (made by SAML just-in-time login, an invitation
// by hand, another tool). A user made since the listing is caught by the duplicate answer to the
// invitation; a listed user deleted since is forgotten when Dynatrace says it is not found.
import type { AccountApi } from '../../ports/account-api.js';

export interface UserDirectory {
  /** The user's `uid` (null when Dynatrace did not say) if the account has the user, else undefined. */
  find(email: string): Promise<{ readonly uid: string | null } | undefined>;
  remember(email: string, uid: string | null): void;
  forget(email: string): void;
  /** Replaces the listing with one just read (reconcile lists every user anyway). */
  load(users: ReadonlyArray<{ readonly email: string; readonly uid: string }>): void;
}

export function createUserDirectory(options: { accountApi: AccountApi }): UserDirectory {
  let listing: Promise<Map<string, { uid: string | null }>> | null = null;
  const index = (users: ReadonlyArray<{ readonly email: string; readonly uid: string }>) => new Map(users.map((u) => [u.email.toLowerCase(), { uid: u.uid }]));
  const load = () => {
    if (listing === null) {
      const pending = options.accountApi.listUsers().then(index);
      listing = pending;
      pending.catch(() => {
        if (listing === pending) listing = null;
      });
    }
    return listing;
  };
  return {
    async find(email) {
      return (await load()).get(email.toLowerCase());
    },
    remember(email, uid) {
      void listing?.then((users) => users.set(email.toLowerCase(), { uid }), () => undefined);
    },
    forget(email) {
      void listing?.then((users) => users.delete(email.toLowerCase()), () => undefined);
    },
    load(users) {
      listing = Promise.resolve(index(users));
    },
  };
}
