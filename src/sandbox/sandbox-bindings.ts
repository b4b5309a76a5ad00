// The sandbox's policy bindings (`/iam/v1/repo/{levelType}/{levelId}/bindings…`): each binding ties
// a policy to a group at a level, told apart by its parameters and metadata and limited by its
// boundaries. The whole-set group endpoint overwrites every binding of the group at the level; the
// per-policy endpoints touch only the bindings their `parameters[…]`/`metadata[…]` query selects.
import type { HandlerResult } from './sandbox-answers.js';
import { dtoError, stringArray, stringMap } from './sandbox-answers.js';
import type { SandboxBinding, SandboxState } from './sandbox-state.js';
import { isJsonObject } from '../ports/json.js';

interface Selector {
  readonly parameters: Record<string, string>;
  readonly metadata: Record<string, string>;
}

const SELECTOR_KEY = /^(parameters|metadata)\[(.+)\]$/;

/** `parameters[name]=value` and `metadata[name]=value` query pairs (the spec's `query-params`). */
function selectorOf(query: URLSearchParams): Selector {
  const parameters: Record<string, string> = {};
  const metadata: Record<string, string> = {};
  for (const [key, value] of query) {
    const m = SELECTOR_KEY.exec(key);
    if (m === null) continue;
    (m[1] === 'parameters' ? parameters : metadata)[m[2] ?? ''] = value;
  }
  return { parameters, metadata };
}

function selects(selector: Selector, b: SandboxBinding): boolean {
  return (
    Object.entries(selector.parameters).every(([k, v]) => b.parameters[k] === v) &&
    Object.entries(selector.metadata).every(([k, v]) => b.metadata[k] === v)
  );
}

function sameMap(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

/** Binding (spec): optional maps left out when empty. */
function bindingDto(b: SandboxBinding, groups: readonly string[]): Record<string, unknown> {
  return {
    policyUuid: b.policyUuid,
    groups: [...groups],
    boundaries: [...b.boundaries],
    ...(Object.keys(b.parameters).length > 0 ? { parameters: { ...b.parameters } } : {}),
    ...(Object.keys(b.metadata).length > 0 ? { metadata: { ...b.metadata } } : {}),
  };
}

export class SandboxBindings {
  constructor(private readonly state: SandboxState) {}

  private at(levelType: string, levelId: string): SandboxBinding[] {
    return this.state.bindingRecords.filter((b) => b.levelType === levelType && b.levelId === levelId);
  }

  /** A level whose bindings may change: not global, an active environment, an existing group. */
  private writable(levelType: string, levelId: string, groupUuid: string): void {
    if (levelType === 'global') throw dtoError(400, 'Bindings cannot be modified at the global level');
    this.state.policies.levelChain(levelType, levelId);
    // Inactive environments cannot be updated (Monaco skips them; binding calls answer 403).
    if (levelType === 'environment' && this.state.environmentRecords.get(levelId)?.active === false) throw dtoError(403, `Environment ${levelId} is not active`);
    if (!this.state.groupRecords.has(groupUuid)) throw dtoError(404, `Group ${groupUuid} not found`);
  }

  private usablePolicy(levelType: string, levelId: string, policyUuid: string): void {
    if (!this.state.policies.usableAt(levelType, levelId).has(policyUuid)) throw dtoError(404, `Policy ${policyUuid} not found at ${levelType}/${levelId}`);
  }

  private readBinding(body: unknown): Pick<SandboxBinding, 'parameters' | 'metadata' | 'boundaries'> {
    if (!isJsonObject(body)) throw dtoError(400, 'A JSON object is required');
    const refuse = (m: string) => dtoError(400, m, { boundaries: m });
    const boundaries = body['boundaries'] === undefined ? [] : stringArray(body['boundaries'], 'boundaries', refuse);
    const unknown = boundaries.filter((uuid) => !this.state.boundaryRecords.has(uuid));
    if (unknown.length > 0) throw refuse(`Unknown policy boundaries: ${unknown.join(', ')}`);
    return { parameters: stringMap(body['parameters'], 'parameters'), metadata: stringMap(body['metadata'], 'metadata'), boundaries: [...new Set(boundaries)] };
  }

  /** `GET …/bindings/groups/{g}`: the policy UUIDs; with `details=true` also each binding (the shape Dynatrace's Terraform provider reads). */
  groupPolicies(levelType: string, levelId: string, groupUuid: string, query: URLSearchParams): HandlerResult {
    this.state.policies.levelChain(levelType, levelId);
    if (!this.state.groupRecords.has(groupUuid)) throw dtoError(404, `Group ${groupUuid} not found`);
    const mine = this.at(levelType, levelId).filter((b) => b.groupUuid === groupUuid);
    const body: Record<string, unknown> = { policyUuids: [...new Set(mine.map((b) => b.policyUuid))] };
    if (query.get('details') === 'true') {
      body['bindingsDetails'] = mine.map((b) => ({ ...bindingDto(b, [groupUuid]), parameters: { ...b.parameters }, metadata: { ...b.metadata }, levelType, levelId }));
    }
    return { status: 200, body };
  }

  /** `PUT …/bindings/groups/{g}` `{policyUuids}`: every binding of the group at the level is replaced by plain ones. */
  replaceGroupPolicies(levelType: string, levelId: string, groupUuid: string, body: unknown): HandlerResult {
    this.writable(levelType, levelId, groupUuid);
    if (!isJsonObject(body) || !Array.isArray(body['policyUuids']) || body['policyUuids'].some((v) => typeof v !== 'string')) {
      throw dtoError(400, 'policyUuids must be an array of strings', { policyUuids: 'must be an array of strings' });
    }
    const uuids = [...new Set(body['policyUuids'] as string[])];
    const usable = this.state.policies.usableAt(levelType, levelId);
    const unknown = uuids.filter((id) => !usable.has(id));
    if (unknown.length > 0) throw dtoError(400, `Policies not available at this level: ${unknown.join(', ')}`, { policyUuids: 'unknown policy' });
    this.removeWhere((b) => b.levelType === levelType && b.levelId === levelId && b.groupUuid === groupUuid);
    for (const policyUuid of uuids) {
      this.state.bindingRecords.push({ levelType: levelType as SandboxBinding['levelType'], levelId, policyUuid, groupUuid, parameters: {}, metadata: {}, boundaries: [] });
    }
    return { status: 204 };
  }

  /** `GET …/bindings[/{p}[/{g}]]`: LevelPolicyBindingDto, bindings alike but for their group listed once with every group. */
  list(levelType: string, levelId: string, filter: { policyUuid?: string; groupUuid?: string } = {}): HandlerResult {
    this.state.policies.levelChain(levelType, levelId);
    if (filter.policyUuid !== undefined) {
      if (levelType === 'global') throw dtoError(400, 'This endpoint is unavailable within global level');
      this.usablePolicy(levelType, levelId, filter.policyUuid);
    }
    if (filter.groupUuid !== undefined && !this.state.groupRecords.has(filter.groupUuid)) throw dtoError(404, `Group ${filter.groupUuid} not found`);
    const entries: Array<{ binding: SandboxBinding; groups: string[] }> = [];
    for (const b of this.at(levelType, levelId)) {
      if ((filter.policyUuid !== undefined && b.policyUuid !== filter.policyUuid) || (filter.groupUuid !== undefined && b.groupUuid !== filter.groupUuid)) continue;
      const alike = entries.find(
        (e) =>
          e.binding.policyUuid === b.policyUuid &&
          sameMap(e.binding.parameters, b.parameters) &&
          sameMap(e.binding.metadata, b.metadata) &&
          e.binding.boundaries.join() === b.boundaries.join(),
      );
      if (alike === undefined) entries.push({ binding: b, groups: [b.groupUuid] });
      else alike.groups.push(b.groupUuid);
    }
    return { status: 200, body: { levelType, levelId, policyBindings: entries.map((e) => bindingDto(e.binding, e.groups)) } };
  }

  /** `POST …/bindings/{p}/{g}`: adds a binding; one with the same parameters and metadata is refused (assumed 400). */
  append(levelType: string, levelId: string, policyUuid: string, groupUuid: string, body: unknown): HandlerResult {
    this.writable(levelType, levelId, groupUuid);
    this.usablePolicy(levelType, levelId, policyUuid);
    const input = this.readBinding(body);
    const same = this.at(levelType, levelId).some(
      (b) => b.policyUuid === policyUuid && b.groupUuid === groupUuid && sameMap(b.parameters, input.parameters) && sameMap(b.metadata, input.metadata),
    );
    if (same) throw dtoError(400, `Policy ${policyUuid} is already bound to group ${groupUuid} with these parameters and metadata`);
    this.state.bindingRecords.push({ levelType: levelType as SandboxBinding['levelType'], levelId, policyUuid, groupUuid, ...input });
    return { status: 204 };
  }

  /**
   * `PUT …/bindings/{p}/{g}?parameters[…]=…&metadata[…]=…`: the binding the query selects takes the
   * body's parameters, metadata and boundaries; none selected → created; several → 400 (assumed).
   */
  upsert(levelType: string, levelId: string, policyUuid: string, groupUuid: string, query: URLSearchParams, body: unknown): HandlerResult {
    this.writable(levelType, levelId, groupUuid);
    this.usablePolicy(levelType, levelId, policyUuid);
    const input = this.readBinding(body);
    const selector = selectorOf(query);
    const selected = this.at(levelType, levelId).filter((b) => b.policyUuid === policyUuid && b.groupUuid === groupUuid && selects(selector, b));
    if (selected.length > 1) throw dtoError(400, `The query selects ${selected.length} bindings of policy ${policyUuid} for group ${groupUuid}`);
    const [binding] = selected;
    if (binding === undefined) {
      this.state.bindingRecords.push({ levelType: levelType as SandboxBinding['levelType'], levelId, policyUuid, groupUuid, ...input });
    } else {
      binding.parameters = input.parameters;
      binding.metadata = input.metadata;
      binding.boundaries = input.boundaries;
    }
    return { status: 204 };
  }

  /** `DELETE …/bindings/{p}/{g}?forceMultiple=…`: removes the selected bindings; several need `forceMultiple=true`. */
  remove(levelType: string, levelId: string, policyUuid: string, groupUuid: string, query: URLSearchParams): HandlerResult {
    this.writable(levelType, levelId, groupUuid);
    const force = query.get('forceMultiple');
    if (force !== 'true' && force !== 'false') throw dtoError(400, 'forceMultiple is required (true or false)', { forceMultiple: 'is required' });
    const selector = selectorOf(query);
    const selected = this.at(levelType, levelId).filter((b) => b.policyUuid === policyUuid && b.groupUuid === groupUuid && selects(selector, b));
    if (selected.length === 0) throw dtoError(404, `No binding of policy ${policyUuid} for group ${groupUuid} matches`);
    if (selected.length > 1 && force !== 'true') throw dtoError(400, `The query selects ${selected.length} bindings; set forceMultiple=true to delete them all`);
    this.removeWhere((b) => selected.includes(b));
    return { status: 204 };
  }

  /** A deleted group's bindings go with it. */
  dropGroup(groupUuid: string): void {
    this.removeWhere((b) => b.groupUuid === groupUuid);
  }

  private removeWhere(predicate: (b: SandboxBinding) => boolean): void {
    const records = this.state.bindingRecords;
    for (let i = records.length - 1; i >= 0; i -= 1) {
      const b = records[i];
      if (b !== undefined && predicate(b)) records.splice(i, 1);
    }
  }
}
