// Desired Dynatrace state derived from the SCIM resources and the mapping: whether a user's
// account should exist, under which email, in which groups, and with which Davis Assistant fields.
import type { DavisUser } from '../../ports/davis-assistant-api.js';
import { isJsonObject, type JsonObject } from '../../ports/json.js';
import type { StoredResource } from '../../ports/store.js';
import { groupTarget, type GroupTarget, type Mapping } from '../mapping/mapping.js';

export interface DesiredGroupMembership {
  readonly groupId: string;
  readonly target: GroupTarget;
}

export interface DesiredUser {
  /** Should the Dynatrace account exist? */
  readonly present: boolean;
  /** The Dynatrace key (lower-cased), or null when the user has no usable email. */
  readonly email: string | null;
  readonly groups: readonly DesiredGroupMembership[];
  /** Davis Assistant user, or null for none. */
  readonly davis: DavisUser | null;
}

export interface DesiredUserOptions {
  readonly mapping: Mapping;
  readonly davisEnabled: boolean;
  readonly defaultTimezone: string;
}

const EMAIL = /^[^\s@]+@[^\s@]+$/;

/** `userName` when it is an email (as Dynatrace's own SCIM requires), else the primary, work or first email. */
export function dynatraceEmail(attributes: JsonObject): string | null {
  const userName = attributes.userName;
  if (typeof userName === 'string' && EMAIL.test(userName.trim())) return userName.trim().toLowerCase();
  const emails = Array.isArray(attributes.emails) ? attributes.emails.filter(isJsonObject) : [];
  const pick =
    emails.find((e) => e.primary === true) ?? emails.find((e) => typeof e.type === 'string' && e.type.toLowerCase() === 'work') ?? emails[0];
  const value = pick?.value;
  return typeof value === 'string' && EMAIL.test(value.trim()) ? value.trim().toLowerCase() : null;
}

export function desiredUser(
  user: StoredResource | null,
  groups: ReadonlyArray<{ readonly id: string; readonly displayName: string }>,
  options: DesiredUserOptions,
): DesiredUser {
  if (user === null) return { present: false, email: null, groups: [], davis: null };
  const email = dynatraceEmail(user.attributes);
  const active = user.attributes.active !== false;
  if (!active) {
    return { present: options.mapping.deactivation === 'remove-groups', email, groups: [], davis: null };
  }
  const memberships = groups.flatMap((group) => {
    const target = groupTarget(options.mapping, group.displayName);
    return target === null ? [] : [{ groupId: group.id, target }];
  });
  return { present: true, email, groups: memberships, davis: options.davisEnabled && email !== null ? davisUser(user.attributes, email, memberships, options) : null };
}

function davisUser(attributes: JsonObject, email: string, groups: readonly DesiredGroupMembership[], options: DesiredUserOptions): DavisUser {
  const name = isJsonObject(attributes.name) ? attributes.name : {};
  return {
    email,
    firstName: typeof name.givenName === 'string' ? name.givenName : '',
    lastName: typeof name.familyName === 'string' ? name.familyName : '',
    timezone: typeof attributes.timezone === 'string' && attributes.timezone !== '' ? attributes.timezone : options.defaultTimezone,
    admin: groups.some((g) => g.target.davisAdmin),
  };
}

