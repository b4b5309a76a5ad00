// The audit log: one entry per upstream write the bridge made (or, in dry-run, would have made),
// with time, SCIM resource, operation, outcome and the SCIM request that caused it.

export type AuditOutcome = 'applied' | 'dry-run' | 'failed' | 'skipped';

export interface AuditEntry {
  readonly at: string;
  readonly requestId: string | null;
  readonly resourceType: 'User' | 'Group';
  readonly resourceId: string;
  /** The upstream operation, e.g. `createUser`, `addUserToGroups`, `putPolicyBinding`. */
  readonly operation: string;
  /** What it acted on: an email, a group name or UUID. */
  readonly target: string;
  readonly outcome: AuditOutcome;
  /** Why (for failed and skipped), or what (e.g. the group UUIDs added). */
  readonly detail: string | null;
}

export interface StoredAuditEntry extends AuditEntry {
  /** Increasing with every append. */
  readonly seq: number;
}

export interface AuditLog {
  appendAudit(entries: readonly AuditEntry[]): Promise<void>;
  /** Newest first; `offset` 0-based. */
  listAudit(page: { readonly offset: number; readonly limit: number }): Promise<{ total: number; entries: StoredAuditEntry[] }>;
}
