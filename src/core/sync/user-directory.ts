// The account's users by email, from one `GET /users` for the whole account (Dynatrace lists every
// user in one answer), kept current by the bridge's own creates and deletes. Before inviting a user
// the bridge looks it up, and adopts one that exists (made by SAML just-in-time login, an invitation
// by hand, another tool). A listing answers for SCIM changes that arrived before it was read, or at
// most a minute after; for a later change someone may have signed in since: lookups that arrive
// together are answered by one new listing (a push costs a listing a minute at most, not a call per
// user), a lone one by name.
import type { AccountApi } from '../../ports/account-api.js';

export type DirectoryAnswer = { readonly uid: string | null } | 'absent' | 'unknown';

export interface UserDirectory {
  /**
   * For a change that arrived at `asOf` (ISO time): the user's `uid` (null when Dynatrace did not say)
   * if the account has the user, 'absent' if it has not, or 'unknown' when only a lookup of this one
   * user by name can tell (`GET /users/{email}`: one call, where a new listing would cost one too).
   */
  find(email: string, asOf: string): Promise<DirectoryAnswer>;
  remember(email: string, uid: string | null): void;
  forget(email: string): void;
  /** Replaces the listing with one whose read began at `readAt` (reconcile lists every user anyway). */
  load(users: ReadonlyArray<{ readonly email: string; readonly uid: string }>, readAt: string): void;
}

export interface UserDirectoryOptions {
  readonly accountApi: AccountApi;
  readonly now: () => Date;
  /** How long after its read a listing still answers for a change (default a minute). */
  readonly trustMs?: number;
  /** How long a lookup the listing cannot answer waits for others to share a new listing with. */
  readonly gatherMs?: number;
}

type Users = Map<string, { uid: string | null }>;

interface Listing {
  /** ISO time the read began: the listing holds every user made before it. */
  readonly readAt: string;
  readonly users: Promise<Users>;
}

interface Waiting {
  readonly email: string;
  readonly resolve: (answer: DirectoryAnswer) => void;
  readonly reject: (error: unknown) => void;
}

export function createUserDirectory(options: UserDirectoryOptions): UserDirectory {
  const gatherMs = options.gatherMs ?? 25;
  const trustMs = options.trustMs ?? 60_000;
  /** Whether a listing read at `readAt` answers for a change that arrived at `asOf`. */
  const answersFor = (readAt: string, asOf: string): boolean => Date.parse(asOf) <= Date.parse(readAt) + trustMs;
  let listing: Listing | null = null;
  let waiting: Waiting[] = [];
  const index = (users: ReadonlyArray<{ readonly email: string; readonly uid: string }>): Users =>
    new Map(users.map((u) => [u.email.toLowerCase(), { uid: u.uid }]));

  /** A new listing (concurrent readers share it; a failed read is forgotten, so the next lookup tries again). */
  const read = (): Listing => {
    const pending: Listing = { readAt: options.now().toISOString(), users: options.accountApi.listUsers().then(index) };
    listing = pending;
    pending.users.catch(() => {
      if (listing === pending) listing = null;
    });
    return pending;
  };

  const answer = (users: Users, email: string, known: boolean): DirectoryAnswer => users.get(email.toLowerCase()) ?? (known ? 'absent' : 'unknown');

  /** The lookups gathered: one alone is left to a lookup by name; several share one new listing. */
  const gathered = (): void => {
    const batch = waiting;
    waiting = [];
    if (batch.length === 1) {
      batch[0]?.resolve('unknown');
      return;
    }
    read().users.then(
      (users) => batch.forEach((w) => w.resolve(answer(users, w.email, true))),
      (error: unknown) => batch.forEach((w) => w.reject(error)),
    );
  };

  const edit = (change: (users: Users) => void) => void listing?.users.then(change, () => undefined);
  return {
    async find(email, asOf) {
      const { readAt, users } = listing ?? read();
      const found = answer(await users, email, answersFor(readAt, asOf));
      if (found !== 'unknown') return found;
      return new Promise<DirectoryAnswer>((resolve, reject) => {
        waiting.push({ email, resolve, reject });
        if (waiting.length === 1) setTimeout(gathered, gatherMs);
      });
    },
    remember(email, uid) {
      edit((users) => users.set(email.toLowerCase(), { uid }));
    },
    forget(email) {
      edit((users) => users.delete(email.toLowerCase()));
    },
    load(users, readAt) {
      listing = { readAt, users: Promise.resolve(index(users)) };
    },
  };
}
