// The sandbox's group management (`/iam/v1/accounts/{a}/groups…`): bulk create, edit, delete and
// member listing, with owners (`SCIM` and `ALL_USERS` groups refuse edits), federated attribute
// values turning LOCAL ↔ SAML, and the recorded answers next to the spec's.
import type { HandlerResult } from './sandbox-answers.js';
import { iamError, stringArray } from './sandbox-answers.js';
import type { GroupOwner, SandboxGroup, SandboxState } from './sandbox-state.js';
import { isJsonObject } from '../ports/json.js';

/** The documented example's MAX_GROUPS_PER_ACCOUNT limit. */
export const MAX_GROUPS_PER_ACCOUNT = 1_000;
const READ_ONLY_OWNERS: ReadonlySet<GroupOwner> = new Set(['SCIM', 'ALL_USERS']);

interface GroupInput {
  readonly name: string;
  readonly description: string | undefined;
  readonly fav: string[] | undefined;
}

export class SandboxGroups {
  constructor(private readonly state: SandboxState) {}

  /** The group, or 404 in the user/group endpoints' body shape. */
  group(uuid: string): SandboxGroup {
    const g = this.state.groupRecords.get(uuid);
    if (g === undefined) throw iamError(404, `Group ${uuid} not found`);
    return g;
  }

  /** GetGroupDto. */
  dto(g: SandboxGroup): Record<string, unknown> {
    const dto: Record<string, unknown> = { uuid: g.uuid, name: g.name, description: g.description };
    if (g.federatedAttributeValues !== null) dto['federatedAttributeValues'] = g.federatedAttributeValues;
    return { ...dto, owner: g.owner, createdAt: g.createdAt, updatedAt: g.updatedAt };
  }

  private readInput(value: unknown): GroupInput {
    if (!isJsonObject(value) || typeof value['name'] !== 'string' || value['name'].trim() === '') throw iamError(400, 'Group name is required');
    const description = value['description'];
    if (description !== undefined && description !== null && (typeof description !== 'string' || description.length > 255)) {
      throw iamError(400, 'description must be a string of at most 255 characters');
    }
    const fav = value['federatedAttributeValues'];
    return {
      name: value['name'],
      description: typeof description === 'string' ? description : undefined,
      fav: fav === undefined || fav === null ? undefined : stringArray(fav, 'federatedAttributeValues'),
    };
  }

  private refuseReadOnly(g: SandboxGroup): void {
    if (READ_ONLY_OWNERS.has(g.owner)) {
      throw iamError(400, g.owner === 'SCIM' ? `Group ${g.uuid} is managed by SCIM and cannot be modified` : `Group ${g.uuid} cannot be modified`);
    }
  }

  list(): HandlerResult {
    const items = [...this.state.groupRecords.values()].map((g) => this.dto(g));
    return { status: 200, body: { count: items.length, items } };
  }

  create(body: unknown): HandlerResult {
    if (!Array.isArray(body) || body.length === 0) throw iamError(400, 'An array of groups is required');
    const inputs = body.map((b) => this.readInput(b));
    const names = new Set<string>();
    for (const input of inputs) {
      const key = input.name.toLowerCase();
      const existing = [...this.state.groupRecords.values()].find((g) => g.name.toLowerCase() === key);
      // dtiam reports 409 with the existing UUID for a duplicate name (UNCONFIRMED elsewhere).
      if (existing !== undefined) throw iamError(409, `Group with name '${input.name}' already exists: ${existing.uuid}`);
      if (names.has(key)) throw iamError(400, `Duplicate group name '${input.name}' in request`);
      names.add(key);
    }
    if (this.state.groupRecords.size + inputs.length > MAX_GROUPS_PER_ACCOUNT) throw iamError(400, 'Limit MAX_GROUPS_PER_ACCOUNT exceeded');
    const created = inputs.map((i) =>
      this.state.addGroup({ name: i.name, ...(i.description === undefined ? {} : { description: i.description }), ...(i.fav === undefined ? {} : { federatedAttributeValues: i.fav }) }),
    );
    if (this.state.responseStyle === 'spec') return { status: 201, body: created.map((g) => this.dto(g)) };
    // Observed: 200, `hidden: false`, createdAt/updatedAt null.
    return { status: 200, body: created.map((g) => ({ ...this.dto(g), hidden: false, createdAt: null, updatedAt: null })) };
  }

  update(uuid: string, body: unknown): HandlerResult {
    const g = this.group(uuid);
    this.refuseReadOnly(g);
    const input = this.readInput(body);
    const clash = [...this.state.groupRecords.values()].find((x) => x.uuid !== g.uuid && x.name.toLowerCase() === input.name.toLowerCase());
    if (clash !== undefined) throw iamError(409, `Group with name '${input.name}' already exists: ${clash.uuid}`);
    g.name = input.name;
    g.description = input.description ?? '';
    // federatedAttributeValues on a LOCAL group makes it SAML; none on a SAML group makes it LOCAL [spec].
    g.federatedAttributeValues = input.fav ?? null;
    if (g.owner === 'LOCAL' && input.fav !== undefined && input.fav.length > 0) g.owner = 'SAML';
    else if (g.owner === 'SAML' && (input.fav === undefined || input.fav.length === 0)) g.owner = 'LOCAL';
    g.updatedAt = this.state.iso();
    return { status: 200 };
  }

  /** Deleting a group takes it out of every user and drops its bindings. */
  remove(uuid: string): HandlerResult {
    const g = this.group(uuid);
    this.refuseReadOnly(g);
    this.state.groupRecords.delete(uuid);
    for (const u of this.state.userRecords.values()) u.groupUuids.delete(uuid);
    this.state.bindings.dropGroup(uuid);
    return { status: 200 };
  }

  members(uuid: string): HandlerResult {
    this.group(uuid);
    const items = [...this.state.userRecords.values()].filter((u) => u.groupUuids.has(uuid)).map((u) => this.state.users.dto(u, this.state.responseStyle === 'observed'));
    return { status: 200, body: { count: items.length, items } };
  }
}
