// The sandbox's account limits (`/iam/v1/accounts/{a}/limits`): the documented example's limits
// with the account's current usage.
import type { HandlerResult } from './sandbox-answers.js';
import { MAX_GROUPS_PER_ACCOUNT } from './sandbox-groups.js';
import { MAX_PERMISSIONS_PER_GROUP } from './sandbox-permissions.js';
import type { SandboxState } from './sandbox-state.js';
import { REGULAR_USER_LIMIT } from './sandbox-users.js';

export class SandboxLimits {
  constructor(private readonly state: SandboxState) {}

  list(): HandlerResult {
    const maxPermissions = Math.max(0, ...[...this.state.groupRecords.values()].map((g) => g.permissions.length));
    const results = [
      { limitType: 'REGULAR_USER', limitValue: REGULAR_USER_LIMIT, currentValue: this.state.users.countRegular() },
      { limitType: 'MAX_GROUPS_PER_ACCOUNT', limitValue: MAX_GROUPS_PER_ACCOUNT, currentValue: this.state.groupRecords.size },
      { limitType: 'MAX_PERMISSIONS_PER_GROUP', limitValue: MAX_PERMISSIONS_PER_GROUP, currentValue: maxPermissions },
      { limitType: 'MAX_PLATFORM_TOKENS_PER_USER', limitValue: 10, currentValue: 0 },
    ];
    return { status: 200, body: { pageSize: results.length, pageNumber: 1, total: results.length, results } };
  }
}
