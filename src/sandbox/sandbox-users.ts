// The sandbox's user management and memberships (`/iam/v1/accounts/{a}/users…`): invitations,
// lookups, removal, and group membership edited from the user's side, with the ALL_USERS group
// every user keeps and the native-SCIM groups nobody may edit here.
import type { HandlerResult } from './sandbox-answers.js';
import { iamError, stringArray } from './sandbox-answers.js';
import type { SandboxGroup, SandboxState, SandboxUser } from './sandbox-state.js';
import { isJsonObject } from '../ports/json.js';

/** Invitations the account accepts (the documented example's REGULAR_USER limit). */
export const REGULAR_USER_LIMIT = 10_000;

export class SandboxUsers {
  constructor(private readonly state: SandboxState) {}

  private user(email: string): SandboxUser {
    const u = this.state.userRecords.get(email.toLowerCase());
    // Terraform treats the text `User <email> not found` as "already deleted".
    if (u === undefined) throw iamError(404, `User ${email} not found`);
    return u;
  }

  /**
   * UsersDto (with login metadata) or UserDto (without, as group member lists carry it), plus the
   * recorded undocumented `type` and login fields in the observed style.
   */
  dto(u: SandboxUser, withLoginMetadata = true): Record<string, unknown> {
    const observed = this.state.responseStyle === 'observed';
    const dto: Record<string, unknown> = { uid: u.uid, email: u.email };
    if (u.name !== null) dto['name'] = u.name;
    if (u.surname !== null) dto['surname'] = u.surname;
    if (observed) dto['type'] = u.type;
    if (withLoginMetadata && u.loginCount > 0 && u.lastLogin !== null) {
      dto['userLoginMetadata'] = {
        successfulLoginCounter: u.loginCount,
        failedLoginCounter: 0,
        lastSuccessfulLogin: u.lastLogin,
        // Recordings show null for a user who never failed; the spec requires a timestamp.
        lastFailedLogin: observed ? null : u.createdAt,
        ...(observed ? { resetPasswordTokenSentAt: null, lastSuccessfulBasicAuthentication: null } : {}),
        createdAt: u.createdAt,
        updatedAt: u.lastLogin,
      };
    }
    dto['userStatus'] = u.userStatus;
    dto['emergencyContact'] = false;
    return dto;
  }

  /** AccountGroupDto: a group as `GET /users/{email}` lists it (recorded with an extra `hidden`). */
  private accountGroupDto(g: SandboxGroup): Record<string, unknown> {
    return {
      groupName: g.name,
      uuid: g.uuid,
      owner: g.owner,
      accountUUID: this.state.accountUuid,
      accountName: this.state.accountName,
      description: g.description,
      ...(this.state.responseStyle === 'observed' ? { hidden: false } : {}),
      createdAt: g.createdAt,
      updatedAt: g.updatedAt,
    };
  }

  list(includeServiceUsers: boolean): HandlerResult {
    const items = [...this.state.userRecords.values()].filter((u) => includeServiceUsers || u.type === 'DEFAULT').map((u) => this.dto(u));
    return { status: 200, body: { count: items.length, items } };
  }

  get(email: string): HandlerResult {
    const u = this.user(email);
    const groups = [...u.groupUuids].map((id) => this.state.groupRecords.get(id)).filter((g): g is SandboxGroup => g !== undefined);
    // GroupUserDto has no login metadata (nor does the recording of this call).
    return { status: 200, body: { ...this.dto(u, false), groups: groups.map((g) => this.accountGroupDto(g)) } };
  }

  create(body: unknown): HandlerResult {
    if (!isJsonObject(body) || typeof body['email'] !== 'string' || !/^[^\s@]+@[^\s@]+$/.test(body['email'])) throw iamError(400, 'A valid email is required');
    const email = body['email'].toLowerCase();
    if (this.state.faults.refusedEmails.includes(email)) throw iamError(400, `User ${email} cannot be invited`);
    if (this.state.userRecords.has(email)) return this.duplicate(email);
    if (this.countRegular() >= REGULAR_USER_LIMIT) throw iamError(400, 'Limit REGULAR_USER exceeded');
    const user = this.state.addUser({ email, userStatus: 'PENDING' });
    // Observed: 200 {"userUuid"}; the spec says 201 without body.
    return this.state.responseStyle === 'spec' ? { status: 201 } : { status: 200, body: { userUuid: user.uid } };
  }

  /** Dynatrace documents no answer for inviting an existing user; the fault picks one of the plausible ones. */
  private duplicate(email: string): HandlerResult {
    const answer = this.state.faults.duplicateUserAnswer;
    if (answer === 201) return { status: 201 };
    throw iamError(answer, `User ${email} already exists`);
  }

  remove(email: string): HandlerResult {
    const u = this.user(email);
    this.state.userRecords.delete(u.email);
    return { status: 200 };
  }

  private existingGroups(uuids: readonly string[]): SandboxGroup[] {
    return uuids.map((id) => {
      const g = this.state.groupRecords.get(id);
      if (g === undefined) throw iamError(404, `Group ${id} not found`);
      return g;
    });
  }

  private refuseScimJoin(u: SandboxUser, groups: readonly SandboxGroup[]): void {
    for (const g of groups) {
      if (g.owner === 'SCIM' && !u.groupUuids.has(g.uuid)) throw iamError(400, `Group ${g.uuid} is managed by SCIM and cannot be modified`);
    }
  }

  addToGroups(email: string, body: unknown): HandlerResult {
    const u = this.user(email);
    const groups = this.existingGroups(stringArray(body, 'Group UUIDs'));
    this.refuseScimJoin(u, groups);
    for (const g of groups) u.groupUuids.add(g.uuid);
    return { status: 201 }; // spec; no recording of this call exists
  }

  replaceGroups(email: string, body: unknown): HandlerResult {
    const u = this.user(email);
    const groups = this.existingGroups(stringArray(body, 'Group UUIDs'));
    this.refuseScimJoin(u, groups);
    // ALL_USERS and SCIM memberships cannot be taken away here; they stay whatever the list says.
    const kept = [...u.groupUuids].filter((id) => {
      const owner = this.state.groupRecords.get(id)?.owner;
      return owner === 'ALL_USERS' || owner === 'SCIM';
    });
    u.groupUuids.clear();
    for (const id of [...kept, ...groups.map((g) => g.uuid)]) u.groupUuids.add(id);
    return { status: 200 };
  }

  removeFromGroups(email: string, groupUuids: readonly string[]): HandlerResult {
    const u = this.user(email);
    if (groupUuids.length === 0) throw iamError(400, 'group-uuid is required');
    for (const id of groupUuids) {
      const g = this.state.groupRecords.get(id);
      if (g?.owner === 'SCIM' && u.groupUuids.has(id)) throw iamError(400, `Group ${id} is managed by SCIM and cannot be modified`);
    }
    for (const id of groupUuids) {
      if (this.state.groupRecords.get(id)?.owner !== 'ALL_USERS') u.groupUuids.delete(id);
    }
    return { status: 200 };
  }

  countRegular(): number {
    let n = 0;
    for (const u of this.state.userRecords.values()) if (u.type === 'DEFAULT') n += 1;
    return n;
  }
}
