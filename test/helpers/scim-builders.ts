// Builders for SCIM request bodies used across component tests.
export const USER_URN = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const ENTERPRISE_URN = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const GROUP_URN = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const PATCH_URN = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const LIST_URN = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const ERROR_URN = 'urn:ietf:params:scim:api:messages:2.0:Error';

export function userBody(userName: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const [given = 'Given', family = 'Family'] = userName.split('@')[0]?.split('.') ?? [];
  return {
    schemas: [USER_URN],
    userName,
    name: { givenName: given, familyName: family },
    emails: [{ value: userName, type: 'work', primary: true }],
    active: true,
    ...extra,
  };
}

export function groupBody(displayName: string, memberIds: readonly string[] = [], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { schemas: [GROUP_URN], displayName, members: memberIds.map((value) => ({ value })), ...extra };
}

export function patchBody(...operations: Array<Record<string, unknown>>): Record<string, unknown> {
  return { schemas: [PATCH_URN], Operations: operations };
}
