// Request bodies as Okta and Entra ID send them (the captured shapes in test/fixtures/idp/), generated from an index so
// that every userName is unique and can be derived again (for filters) without keeping a list.
const GIVEN = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Margaret', 'Niklaus', 'Radia', 'Tony', 'Leslie', 'Shafi', 'John', 'Sophie'];
const FAMILY = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson', 'Hamilton', 'Wirth', 'Perlman', 'Hoare', 'Lamport', 'Goldwasser', 'Backus', 'Wilson'];
const DEPARTMENTS = ['Engineering', 'Sales', 'Support', 'Finance', 'Operations', 'Marketing'];

const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE_USER = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

function person(index: number): { given: string; family: string } {
  return { given: GIVEN[index % GIVEN.length] as string, family: FAMILY[Math.floor(index / GIVEN.length) % FAMILY.length] as string };
}

/** Even indexes are Okta users (lower-case email userNames), odd ones Entra users (mixed-case UPNs). */
export function userNameOf(index: number): string {
  const { given, family } = person(index);
  return index % 2 === 0 ? `${given}.${family}.${index}@example.com`.toLowerCase() : `${given}.${family}.${index}@contoso.onmicrosoft.com`;
}

/** The index a userName was generated from; -1 for any other userName. */
export function indexOfUserName(userName: string): number {
  const match = /\.(\d+)@/.exec(userName);
  return match ? Number(match[1]) : -1;
}

export function userBody(index: number): string {
  const { given, family } = person(index);
  const userName = userNameOf(index);
  if (index % 2 === 0) {
    // Okta: POST /Users with password, empty groups and the Okta user id as externalId.
    return JSON.stringify({
      schemas: [CORE_USER],
      userName,
      name: { givenName: given, familyName: family },
      emails: [{ primary: true, value: userName, type: 'work' }],
      displayName: `${given} ${family}`,
      locale: 'en-US',
      externalId: `00u${index.toString(36).padStart(8, '0')}bench5d7`,
      groups: [],
      password: 'Bench-1mz050nq',
      active: true,
    });
  }
  // Entra ID: enterprise extension, meta.resourceType, mailNickname as externalId.
  return JSON.stringify({
    schemas: [CORE_USER, ENTERPRISE_USER],
    externalId: `${given}${family}${index}`,
    userName,
    active: true,
    displayName: `${given} ${family}`,
    title: 'Engineer',
    emails: [{ primary: true, type: 'work', value: `${given}.${family}.${index}@contoso.com` }],
    meta: { resourceType: 'User' },
    name: { formatted: `${given} ${family}`, familyName: family, givenName: given },
    [ENTERPRISE_USER]: { employeeNumber: String(index), department: DEPARTMENTS[index % DEPARTMENTS.length], costCenter: `CC-${index % 97}` },
  });
}

export function groupBody(index: number, memberIds: readonly string[]): string {
  return JSON.stringify({
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
    displayName: `Bench Group ${index}`,
    externalId: `bench-group-${index}`,
    members: memberIds.map((value) => ({ value })),
  });
}

/** Entra adds members as a value list: `{"op":"Add","path":"members","value":[{"value":"…"}]}`. */
export function addMembersBody(memberIds: readonly string[]): string {
  return JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: 'Add', path: 'members', value: memberIds.map((value) => ({ value })) }] });
}

/** Okta removes a member by filter: `{"op":"remove","path":"members[value eq \"…\"]"}`. */
export function removeMemberBody(memberId: string): string {
  return JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: 'remove', path: `members[value eq "${memberId}"]` }] });
}

export function userNameFilterPath(basePath: string, index: number): string {
  return `${basePath}/Users?filter=${encodeURIComponent(`userName eq "${userNameOf(index)}"`)}`;
}
