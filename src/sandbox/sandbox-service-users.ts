// The sandbox's service users (`/iam/v1/accounts/{a}/service-users`), paged with `page-size` and
// `page-key` → `nextPageKey`, `totalCount`; they are users too, with `<uid>@service.sso.dynatrace.com`.
import type { HandlerResult } from './sandbox-answers.js';
import { pageWindow } from './sandbox-paging.js';
import type { SandboxState } from './sandbox-state.js';

export class SandboxServiceUsers {
  constructor(private readonly state: SandboxState) {}

  list(query: URLSearchParams): HandlerResult {
    const all = [...this.state.userRecords.values()].filter((u) => u.type === 'SERVICE_EXTERNAL');
    const window = pageWindow(query, { cursorKey: 'page-key', sizeKey: 'page-size', defaultSize: 100, maxSize: 1000, total: all.length });
    return {
      status: 200,
      body: {
        results: all
          .slice(window.offset, window.offset + window.size)
          .map((u) => ({ uid: u.uid, email: u.email, name: u.name ?? '', surname: u.surname ?? '', description: u.description ?? '', createdAt: u.createdAt })),
        ...(window.nextKey === null && this.state.responseStyle === 'spec' ? {} : { nextPageKey: window.nextKey }),
        totalCount: all.length,
      },
    };
  }
}
