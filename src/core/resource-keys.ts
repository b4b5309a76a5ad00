// Derives the indexed columns the store keeps beside each raw SCIM resource (RFC 7643 §4.1, §4.2).
import type { JsonObject } from '../ports/json.js';
import type { GroupKeys, UserKeys } from '../ports/store.js';

export function userKeys(attributes: JsonObject): UserKeys {
  const emails = Array.isArray(attributes.emails) ? attributes.emails : [];
  return {
    userName: typeof attributes.userName === 'string' ? attributes.userName : '',
    externalId: typeof attributes.externalId === 'string' ? attributes.externalId : null,
    active: attributes.active !== false,
    emails: emails.flatMap((email) =>
      email !== null && typeof email === 'object' && !Array.isArray(email) && typeof email.value === 'string' ? [email.value] : [],
    ),
  };
}

export function groupKeys(attributes: JsonObject): GroupKeys {
  return {
    displayName: typeof attributes.displayName === 'string' ? attributes.displayName : '',
    externalId: typeof attributes.externalId === 'string' ? attributes.externalId : null,
  };
}
