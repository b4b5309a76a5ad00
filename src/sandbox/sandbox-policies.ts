// The sandbox's IAM policies (`/iam/v1/repo/{levelType}/{levelId}/policies…`): the levels of this
// account (global → account → environment), each inheriting the policies of the levels above it.
import type { HandlerResult } from './sandbox-answers.js';
import { dtoError } from './sandbox-answers.js';
import type { LevelType, SandboxState } from './sandbox-state.js';

export interface Level {
  readonly levelType: LevelType;
  readonly levelId: string;
}

export class SandboxPolicies {
  constructor(private readonly state: SandboxState) {}

  /** Checks a level exists for this account; returns the levels whose policies it inherits, itself first. */
  levelChain(levelType: string, levelId: string): Level[] {
    const accountUuid = this.state.accountUuid;
    if (levelType === 'global' && levelId === 'global') return [{ levelType: 'global', levelId: 'global' }];
    if (levelType === 'account' && levelId === accountUuid) return [{ levelType: 'account', levelId }, { levelType: 'global', levelId: 'global' }];
    if (levelType === 'environment' && this.state.environmentRecords.has(levelId)) {
      return [{ levelType: 'environment', levelId }, { levelType: 'account', levelId: accountUuid }, { levelType: 'global', levelId: 'global' }];
    }
    if (levelType !== 'global' && levelType !== 'account' && levelType !== 'environment') throw dtoError(400, `Unknown level type ${levelType}`);
    throw dtoError(404, `Level ${levelType}/${levelId} not found`);
  }

  /** UUIDs of the policies usable at a level (its own and inherited ones). */
  usableAt(levelType: string, levelId: string): Set<string> {
    const chain = this.levelChain(levelType, levelId);
    return new Set(this.state.policyRecords.filter((p) => chain.some((l) => l.levelType === p.levelType && l.levelId === p.levelId)).map((p) => p.uuid));
  }

  list(levelType: string, levelId: string, query: URLSearchParams): HandlerResult {
    this.levelChain(levelType, levelId);
    const name = query.get('name');
    const policies = this.state.policyRecords
      .filter((p) => p.levelType === levelType && p.levelId === levelId && (name === null || p.name === name))
      .map((p) => ({ uuid: p.uuid, name: p.name, description: p.description }));
    return { status: 200, body: { policies } };
  }

  aggregate(levelType: string, levelId: string): HandlerResult {
    if (levelType !== 'account' && levelType !== 'environment') throw dtoError(400, 'Only following level types are allowed: [account, environment, cluster]');
    const chain = this.levelChain(levelType, levelId);
    const policyOverviewList = chain.flatMap((level) =>
      this.state.policyRecords
        .filter((p) => p.levelType === level.levelType && p.levelId === level.levelId)
        .map((p) => ({ uuid: p.uuid, name: p.name, description: p.description, levelId: p.levelId, levelType: p.levelType })),
    );
    return { status: 200, body: { policyOverviewList } };
  }
}
