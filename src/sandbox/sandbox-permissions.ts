// The sandbox's legacy role-based permissions (`/groups/{uuid}/permissions`), deprecated upstream:
// every answer carries the recorded Deprecation and Sunset headers.
import type { HandlerResult } from './sandbox-answers.js';
import { iamError } from './sandbox-answers.js';
import type { SandboxPermission, SandboxState } from './sandbox-state.js';
import { isJsonObject } from '../ports/json.js';

/** Permission names of the legacy API [spec PermissionsDto enum]. */
export const PERMISSION_NAMES: ReadonlySet<string> = new Set([
  'account-company-info',
  'account-user-management',
  'account-viewer',
  'account-saml-flexible-federation',
  'tenant-viewer',
  'tenant-manage-settings',
  'tenant-agent-install',
  'tenant-logviewer',
  'tenant-view-sensitive-request-data',
  'tenant-configure-request-capture-data',
  'tenant-replay-sessions-with-masking',
  'tenant-replay-sessions-without-masking',
  'tenant-manage-security-problems',
  'tenant-view-security-problems',
  'tenant-manage-support-tickets',
]);

/** Headers observed on the permissions endpoint (NangoHQ get-group-permissions.test.json). */
export const PERMISSIONS_DEPRECATION_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  deprecation: 'Mon, 15 Jun 2026 00:00:00 GMT',
  sunset: 'Mon, 11 Jan 2027 00:00:00 GMT',
});

/** The documented example's MAX_PERMISSIONS_PER_GROUP limit. */
export const MAX_PERMISSIONS_PER_GROUP = 7_000;

type PermissionInput = Omit<SandboxPermission, 'createdAt' | 'updatedAt'>;

export class SandboxPermissions {
  constructor(private readonly state: SandboxState) {}

  private read(body: unknown): PermissionInput[] {
    if (!Array.isArray(body)) throw iamError(400, 'An array of permissions is required');
    return body.map((p) => {
      if (!isJsonObject(p)) throw iamError(400, 'A permission must be an object');
      const { permissionName, scope, scopeType } = p;
      if (typeof permissionName !== 'string' || !PERMISSION_NAMES.has(permissionName)) throw iamError(400, `Unknown permissionName ${String(permissionName)}`);
      if (scopeType !== 'account' && scopeType !== 'tenant' && scopeType !== 'management-zone') throw iamError(400, `Unknown scopeType ${String(scopeType)}`);
      if (typeof scope !== 'string') throw iamError(400, 'scope is required');
      const env = scopeType === 'account' ? null : scopeType === 'tenant' ? scope : scope.split(':')[0];
      if (scopeType === 'account' && scope !== this.state.accountUuid) throw iamError(400, `Scope ${scope} is not this account`);
      if (env !== null && (env === undefined || !this.state.environmentRecords.has(env) || (scopeType === 'management-zone' && !/^[^:]+:[^:]+$/.test(scope)))) {
        throw iamError(400, `Scope ${scope} is not an environment of this account`);
      }
      return { permissionName, scope, scopeType };
    });
  }

  get(uuid: string): HandlerResult {
    const g = this.state.groups.group(uuid);
    const hidden = this.state.responseStyle === 'observed' ? { hidden: false } : {};
    return {
      status: 200,
      headers: PERMISSIONS_DEPRECATION_HEADERS,
      body: { ...this.state.groups.dto(g), ...hidden, permissions: g.permissions.map((p) => ({ ...p })) },
    };
  }

  add(uuid: string, body: unknown): HandlerResult {
    const g = this.state.groups.group(uuid);
    const incoming = this.read(body);
    const now = this.state.iso();
    for (const p of incoming) {
      if (!g.permissions.some((x) => x.permissionName === p.permissionName && x.scope === p.scope && x.scopeType === p.scopeType)) {
        g.permissions.push({ ...p, createdAt: now, updatedAt: now });
      }
    }
    if (g.permissions.length > MAX_PERMISSIONS_PER_GROUP) throw iamError(400, 'Limit MAX_PERMISSIONS_PER_GROUP exceeded');
    return { status: 201, headers: PERMISSIONS_DEPRECATION_HEADERS };
  }

  replace(uuid: string, body: unknown): HandlerResult {
    const g = this.state.groups.group(uuid);
    const incoming = this.read(body);
    const now = this.state.iso();
    g.permissions = incoming.map((p) => ({ ...p, createdAt: now, updatedAt: now }));
    return { status: 200, headers: PERMISSIONS_DEPRECATION_HEADERS };
  }

  remove(uuid: string, query: URLSearchParams): HandlerResult {
    const g = this.state.groups.group(uuid);
    const scope = query.get('scope');
    const name = query.get('permission-name');
    const scopeType = query.get('scope-type');
    if (scope === null || name === null || scopeType === null) throw iamError(400, 'scope, permission-name and scope-type are required');
    const index = g.permissions.findIndex((p) => p.permissionName === name && p.scope === scope && p.scopeType === scopeType);
    // Terraform matches the text `Permission … not found`.
    if (index < 0) throw iamError(404, `Permission ${name} for scope ${scope} not found`);
    g.permissions.splice(index, 1);
    return { status: 200, headers: PERMISSIONS_DEPRECATION_HEADERS };
  }
}
