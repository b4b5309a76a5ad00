// The sandbox's environments: v1 (environments and management zones), v2 (one list, deprecated)
// and the paged v3 that replaces it (`page` cursor, `page-size` ≤ 500, `records`, `nextPageKey`,
// `hasNextPage`); the `environmentsV3` fault makes v3 answer 404, as an API without it would.
import type { HandlerResult } from './sandbox-answers.js';
import { iamError } from './sandbox-answers.js';
import { pageWindow } from './sandbox-paging.js';
import type { SandboxEnvironment, SandboxState } from './sandbox-state.js';

/** Documented maximum of `page-size` for v3. */
export const ENVIRONMENTS_V3_MAX_PAGE_SIZE = 500;

function environmentDto(e: SandboxEnvironment): Record<string, unknown> {
  return { id: e.id, name: e.name, active: e.active, url: e.url };
}

export class SandboxEnvironments {
  constructor(private readonly state: SandboxState) {}

  v1(): HandlerResult {
    const all = [...this.state.environmentRecords.values()];
    return { status: 200, body: { tenantResources: all.map((e) => ({ name: e.name, id: e.id })), managementZoneResources: [] } };
  }

  v2(): HandlerResult {
    return { status: 200, body: { data: [...this.state.environmentRecords.values()].map(environmentDto) } };
  }

  v3(query: URLSearchParams): HandlerResult {
    if (!this.state.faults.environmentsV3) throw iamError(404, 'Not Found');
    const all = [...this.state.environmentRecords.values()];
    const window = pageWindow(query, { cursorKey: 'page', sizeKey: 'page-size', defaultSize: 100, maxSize: ENVIRONMENTS_V3_MAX_PAGE_SIZE, total: all.length });
    return {
      status: 200,
      body: {
        records: all.slice(window.offset, window.offset + window.size).map(environmentDto),
        totalRecordCount: all.length,
        hasNextPage: window.nextKey !== null,
        ...(window.nextKey === null ? {} : { nextPageKey: window.nextKey }),
      },
    };
  }
}
