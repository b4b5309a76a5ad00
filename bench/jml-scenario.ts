// The joiner-mover-leaver flow of the sync-efficiency bench (scenario 4): an IdP's three cycles, sent as
// Entra ID and Okta send them — (1) joiners into groups; (2) moves between groups, two group renames (one
// of a group bound to a policy), name changes, email changes, deactivations, deletes and a group delete;
// (3) reactivations and late joiners — with a model of what Dynatrace must then hold, and the fewest
// Account Management calls each cycle needs (`minimumCalls`, the rules in its comment).
import { groupTarget, type Mapping } from '../src/core/mapping/mapping.js';
import type { BridgeClient } from './sync-idp.js';

export const JML_MAPPING = `groups:
  - scimPattern: "^Ops (.+)$"
    dynatraceGroup: "Ops $1"
    policies:
      - level: environment
        id: abc12345
        names: ["Standard User"]
  - scim: "Platform"
    dynatraceGroup: "Platform Operators"
    policies:
      - level: environment
        id: abc12345
        names: ["Pro User", "Production Read Only"]
      - level: account
        names: ["Account Auditors"]
unmatchedGroups: mirror
deactivation: remove-groups
emailChange: migrate
`;

const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const CORE_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
/** Group 0 is renamed and bound to a policy, group 3 renamed, group 7 deleted. */
const GROUP_NAMES = ['Ops East', 'Ops West', 'Platform', 'Dev A', 'Dev B', 'Dev C', 'Dev D', 'Dev E'];
const RENAMES: ReadonlyArray<readonly [number, string]> = [[0, 'Ops Europe'], [3, 'Dev Alpha']];
const DELETED_GROUP = 7;

type Dialect = 'entra' | 'okta';

interface ModelUser {
  readonly index: number;
  readonly dialect: Dialect;
  id: string | null;
  userName: string;
  given: string;
  family: string;
  active: boolean;
  deleted: boolean;
}

interface ModelGroup {
  readonly index: number;
  id: string | null;
  displayName: string;
  readonly members: Set<number>;
  deleted: boolean;
}

/** What Dynatrace must hold: users by email with their managed groups (by SCIM group index), groups by index. */
export interface DtModel {
  readonly users: ReadonlyMap<number, { readonly email: string; readonly groups: ReadonlySet<number> }>;
  readonly groups: ReadonlyMap<number, { readonly name: string; readonly bindings: ReadonlySet<string> }>;
}

/** One IdP action: its requests, sent in order on one connection. */
export interface Step {
  readonly kind: string;
  send(client: BridgeClient): Promise<void>;
}

/** A cycle's phases are sent one after the other; the steps of a phase at once, over the IdP's connections. */
export interface Cycle {
  readonly name: string;
  readonly phases: ReadonlyArray<readonly Step[]>;
}

export interface JmlScenario {
  readonly users: number;
  readonly cycles: readonly Cycle[];
  /** The model after the cycles sent so far (call between cycles). */
  model(): DtModel;
  /** Counts of what the flow does, for the report. */
  readonly counts: Readonly<Record<string, number>>;
}

function email(prefix: string, index: number): string {
  return `${prefix}.${index}@jml.example.com`;
}

async function ok(client: BridgeClient, method: string, route: string, body: unknown, what: string): Promise<{ body: any }> {
  const answer = await client.scim(method, route, body);
  if (answer.status < 200 || answer.status > 299) throw new Error(`${what}: ${method} ${route} answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 300)}`);
  return answer;
}

function userBody(user: ModelUser): Record<string, unknown> {
  const base = {
    schemas: [CORE_USER],
    userName: user.userName,
    active: user.active,
    displayName: `${user.given} ${user.family}`,
    name: { givenName: user.given, familyName: user.family },
    emails: [{ primary: true, type: 'work', value: user.userName }],
  };
  // Okta sends its own id as externalId, groups: [] and a password; Entra a mixed-case UPN-like externalId.
  return user.dialect === 'okta'
    ? { ...base, externalId: `00u${String(user.index).padStart(17, '0')}`, groups: [], password: 'Jml-bench-1' }
    : { ...base, externalId: `JmlUser${user.index}`, meta: { resourceType: 'User' } };
}

function patch(operations: readonly unknown[]): Record<string, unknown> {
  return { schemas: [PATCH_OP], Operations: operations };
}

/** The flow for `users` users (at least 60): every set of users below is disjoint. */
export function jmlScenario(users: number, mapping: Mapping): JmlScenario {
  if (!Number.isInteger(users) || users < 60) throw new TypeError('jmlScenario: users must be an integer of at least 60');
  const model: ModelUser[] = Array.from({ length: users }, (_, index) => ({
    index,
    dialect: index % 2 === 0 ? 'entra' : 'okta',
    id: null,
    userName: email('joiner', index),
    given: 'Jml',
    family: `Joiner${index}`,
    active: true,
    deleted: false,
  }));
  const groups: ModelGroup[] = GROUP_NAMES.map((displayName, index) => ({ index, id: null, displayName, members: new Set(), deleted: false }));
  // Every user in one group, every second one in a second.
  for (const user of model) {
    groups[user.index % groups.length]?.members.add(user.index);
    if (user.index % 2 === 0) groups[(user.index + 3) % groups.length]?.members.add(user.index);
  }
  const range = (from: number, count: number) => model.slice(from, from + count);
  // Nobody moves out of the group deleted in the same cycle (its delete goes first: a move out of it would find no group).
  const movers = range(0, 14).filter((user) => user.index % groups.length !== DELETED_GROUP);
  const renamedPeople = range(12, 10);
  const emailChanges = range(22, 5);
  const deactivated = range(27, 10);
  const deleted = range(37, 5);
  const lateJoiners = 5;
  const id = (thing: { id: string | null }) => {
    if (thing.id === null) throw new Error('not created yet');
    return thing.id;
  };
  const group = (index: number) => groups[index] as ModelGroup;
  /** A deactivation or reactivation: Entra's string boolean by path, Okta's path-less replace. */
  const activation = (user: ModelUser, active: boolean): Step => ({
    kind: active ? 'reactivate' : 'deactivate',
    async send(client) {
      user.active = active;
      const op = user.dialect === 'entra' ? { op: 'Replace', path: 'active', value: active ? 'True' : 'False' } : { op: 'replace', value: { active } };
      await ok(client, 'PATCH', `/Users/${id(user)}`, patch([op]), active ? 'reactivate' : 'deactivate');
    },
  });

  const joiners: Step[] = model.map((user) => ({
    kind: 'join',
    async send(client) {
      user.id = (await ok(client, 'POST', '/Users', userBody(user), 'joiner')).body.id as string;
    },
  }));
  // Groups are pushed once every user exists (Entra's order): the cycle's second phase.
  const groupPushes: Step[] = groups.map((g) => ({
    kind: 'group',
    async send(client) {
      const members = [...g.members].map((index) => ({ value: id(model[index] as ModelUser) }));
      g.id = (await ok(client, 'POST', '/Groups', { schemas: [CORE_GROUP], displayName: g.displayName, externalId: `jml-${g.index}`, members }, 'group push')).body.id as string;
    },
  }));

  const groupDelete: Step = {
    kind: 'group delete',
    async send(client) {
      const g = group(DELETED_GROUP);
      await ok(client, 'DELETE', `/Groups/${id(g)}`, undefined, 'group delete');
      g.deleted = true;
    },
  };
  const cycle2: Step[] = [
    ...movers.map((user): Step => ({
      kind: 'move',
      async send(client) {
        const from = group(user.index % groups.length);
        const to = group((user.index % groups.length + 2) % 7);
        const userId = id(user);
        // Entra removes with a value filter and adds with a value list; Okta the same in lower case, with `display`.
        const remove = user.dialect === 'entra' ? { op: 'Remove', path: `members[value eq "${userId}"]` } : { op: 'remove', path: `members[value eq "${userId}"]` };
        const add = user.dialect === 'entra' ? { op: 'Add', path: 'members', value: [{ value: userId }] } : { op: 'add', path: 'members', value: [{ value: userId, display: user.userName }] };
        await ok(client, 'PATCH', `/Groups/${id(from)}`, patch([remove]), 'move out');
        await ok(client, 'PATCH', `/Groups/${id(to)}`, patch([add]), 'move in');
        from.members.delete(user.index);
        to.members.add(user.index);
      },
    })),
    ...RENAMES.map(([index, name]): Step => ({
      kind: 'rename',
      async send(client) {
        const g = group(index);
        // Entra replaces displayName by path; Okta sends a path-less replace with id and displayName.
        const op = index % 2 === 0 ? { op: 'Replace', path: 'displayName', value: name } : { op: 'replace', value: { id: id(g), displayName: name } };
        await ok(client, 'PATCH', `/Groups/${id(g)}`, patch([op]), 'rename');
        g.displayName = name;
      },
    })),
    ...renamedPeople.map((user): Step => ({
      kind: 'name',
      async send(client) {
        user.family = `Renamed${user.index}`;
        if (user.dialect === 'entra') await ok(client, 'PATCH', `/Users/${id(user)}`, patch([{ op: 'Replace', path: 'name.familyName', value: user.family }]), 'name');
        else await ok(client, 'PUT', `/Users/${id(user)}`, { ...userBody(user), id: id(user) }, 'name');
      },
    })),
    ...emailChanges.map((user): Step => ({
      kind: 'email',
      async send(client) {
        user.userName = email('changed', user.index);
        if (user.dialect === 'entra') {
          await ok(client, 'PATCH', `/Users/${id(user)}`, patch([{ op: 'Replace', path: 'userName', value: user.userName }, { op: 'Replace', path: 'emails[type eq "work"].value', value: user.userName }]), 'email');
        } else {
          await ok(client, 'PUT', `/Users/${id(user)}`, { ...userBody(user), id: id(user) }, 'email');
        }
      },
    })),
    ...deactivated.map((user) => activation(user, false)),
    ...deleted.map((user): Step => ({
      kind: 'delete',
      async send(client) {
        await ok(client, 'DELETE', `/Users/${id(user)}`, undefined, 'delete');
        user.deleted = true;
        for (const g of groups) g.members.delete(user.index);
      },
    })),
  ];

  const late = Array.from({ length: lateJoiners }, (_, i): ModelUser => ({
    index: users + i, dialect: i % 2 === 0 ? 'okta' : 'entra', id: null, userName: email('late', users + i), given: 'Jml', family: `Late${i}`, active: true, deleted: false,
  }));
  const cycle3: Step[] = [
    ...deactivated.map((user) => activation(user, true)),
    ...late.map((user): Step => ({
      kind: 'late join',
      async send(client) {
        model.push(user);
        user.id = (await ok(client, 'POST', '/Users', userBody(user), 'late joiner')).body.id as string;
        const g = group(1);
        const add = user.dialect === 'entra' ? { op: 'Add', path: 'members', value: [{ value: user.id }] } : { op: 'add', path: 'members', value: [{ value: user.id, display: user.userName }] };
        await ok(client, 'PATCH', `/Groups/${id(g)}`, patch([add]), 'late joiner into a group');
        g.members.add(user.index);
      },
    })),
  ];

  return {
    users,
    cycles: [
      { name: 'joiners', phases: [joiners, groupPushes] },
      { name: 'movers and leavers', phases: [[groupDelete], cycle2] },
      { name: 'returners and late joiners', phases: [cycle3] },
    ],
    counts: {
      users, groups: groups.length, movers: movers.length, groupRenames: RENAMES.length, nameChanges: renamedPeople.length, emailChanges: emailChanges.length,
      deactivations: deactivated.length, deletes: deleted.length, groupDeletes: 1, reactivations: deactivated.length, lateJoiners,
    },
    model() {
      const dtGroups = new Map<number, { name: string; bindings: Set<string> }>();
      for (const g of groups) {
        if (g.deleted) continue;
        const target = groupTarget(mapping, g.displayName);
        if (target === null) continue;
        const bindings = new Set<string>();
        for (const rule of target.policies) for (const name of [...rule.names, ...rule.uuids]) bindings.add(`${rule.level === 'account' ? 'account' : `environment:${rule.environmentId ?? ''}`} ${name}`);
        dtGroups.set(g.index, { name: target.dynatraceGroup, bindings });
      }
      const dtUsers = new Map<number, { email: string; groups: Set<number> }>();
      for (const user of model) {
        if (user.deleted || user.id === null) continue;
        const memberOf = new Set(user.active ? groups.filter((g) => g.members.has(user.index) && dtGroups.has(g.index)).map((g) => g.index) : []);
        dtUsers.set(user.index, { email: user.userName.toLowerCase(), groups: memberOf });
      }
      return { users: dtUsers, groups: dtGroups };
    },
  };
}

/**
 * The fewest Account Management calls that take Dynatrace from `before` to `after`, by operation:
 * - a new user: one invitation (`createUser`) and, when it has groups, one `addUserToGroups` with all of
 *   them; a removed user: one `deleteUser`; an email change: both (Dynatrace keys users by email and
 *   cannot change one);
 * - a user whose groups change: one `addUserToGroups` for all groups gained and one
 *   `removeUserFromGroups` for all lost — never a call for a group deleted in the same cycle, and never
 *   `PUT …/groups` (it would drop the user's groups the bridge does not manage, or need a read first);
 * - before inviting, the account's users are looked up once per cycle that invites (`listUsers`: one
 *   listing answers for every invitation of the cycle), so a user who already exists is adopted;
 * - a new group: `createGroups` and one `putPolicyBinding` per (level, policy) the mapping binds, and,
 *   the first time, one `listGroups` to adopt a group of that name; a renamed group: one `updateGroup`
 *   (bindings stay); a deleted group: one `deleteGroup` (its bindings and memberships go with it);
 * - name changes cost nothing: Dynatrace holds no name the bridge could set (Davis Assistant is off).
 */
export function minimumCalls(before: DtModel, after: DtModel): Record<string, number> {
  const calls: Record<string, number> = {};
  const add = (operation: string, n = 1) => {
    if (n > 0) calls[operation] = (calls[operation] ?? 0) + n;
  };
  let invitations = 0;
  for (const [index, next] of after.users) {
    const previous = before.users.get(index);
    if (previous === undefined || previous.email !== next.email) {
      if (previous !== undefined) add('deleteUser');
      add('createUser');
      invitations += 1;
      if (next.groups.size > 0) add('addUserToGroups');
      continue;
    }
    if ([...next.groups].some((g) => !previous.groups.has(g))) add('addUserToGroups');
    if ([...previous.groups].some((g) => !next.groups.has(g) && after.groups.has(g))) add('removeUserFromGroups');
  }
  for (const index of before.users.keys()) if (!after.users.has(index)) add('deleteUser');
  if (invitations > 0) add('listUsers');
  let created = 0;
  for (const [index, group] of after.groups) {
    const previous = before.groups.get(index);
    if (previous === undefined) {
      created += 1;
      add('createGroups');
      add('putPolicyBinding', group.bindings.size);
    } else if (previous.name !== group.name) {
      add('updateGroup');
    }
  }
  if (created > 0 && before.groups.size === 0) add('listGroups');
  for (const index of before.groups.keys()) if (!after.groups.has(index)) add('deleteGroup');
  return calls;
}

export function total(calls: Readonly<Record<string, number>>): number {
  return Object.values(calls).reduce((sum, n) => sum + n, 0);
}
