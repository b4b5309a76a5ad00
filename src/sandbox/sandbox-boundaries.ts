// The sandbox's policy boundaries (`/iam/v1/repo/account/{accountId}/boundaries`): account-level
// limits a binding may carry, listed in pages (`page` from 1, `size` default 100) as the spec says.
import type { HandlerResult } from './sandbox-answers.js';
import { dtoError } from './sandbox-answers.js';
import type { SandboxBoundary, SandboxState } from './sandbox-state.js';

const DEFAULT_PAGE_SIZE = 100;
const CONDITION = /^\s*([\w:.-]+)\s+(IN|NOT IN|=|!=|startsWith)\s+\(?([^;)]*)\)?\s*;?\s*$/;

/** `name IN ("a", "b");` statements as the spec's `boundaryConditions`; others are not broken down. */
function conditionsOf(query: string): Array<{ name: string; operator: string; values: string[] }> {
  return query
    .split('\n')
    .filter((line) => line.trim() !== '')
    .flatMap((line) => {
      const m = CONDITION.exec(line);
      if (m === null) return [];
      const values = (m[3] ?? '').split(',').map((v) => v.trim().replace(/^"|"$/g, '')).filter((v) => v !== '');
      return [{ name: m[1] ?? '', operator: m[2] ?? '', values }];
    });
}

function positiveInteger(query: URLSearchParams, key: string, fallback: number): number {
  const raw = query.get(key);
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1) throw dtoError(400, `${key} must be a positive integer`, { [key]: 'must be a positive integer' });
  return n;
}

export class SandboxBoundaries {
  constructor(private readonly state: SandboxState) {}

  /** PolicyBoundaryOverview. */
  private overview(b: SandboxBoundary): Record<string, unknown> {
    return {
      uuid: b.uuid,
      levelType: 'account',
      levelId: this.state.accountUuid,
      name: b.name,
      boundaryQuery: b.boundaryQuery,
      boundaryConditions: conditionsOf(b.boundaryQuery),
      metadata: {},
    };
  }

  list(query: URLSearchParams): HandlerResult {
    const page = positiveInteger(query, 'page', 1);
    const size = positiveInteger(query, 'size', DEFAULT_PAGE_SIZE);
    const all = [...this.state.boundaryRecords.values()];
    const content = all.slice((page - 1) * size, page * size).map((b) => this.overview(b));
    return { status: 200, body: { pageSize: size, pageNumber: page, totalCount: all.length, content } };
  }
}
