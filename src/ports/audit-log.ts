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

/** Which entries an operator asks for; every given condition must hold. Times are ISO 8601 (toISOString form). */
export interface AuditFilter {
  /** The SCIM resource (a User's or Group's id). */
  readonly resourceId?: string;
  readonly operation?: string;
  readonly outcome?: AuditOutcome;
  /** `at` ≥ from. */
  readonly from?: string;
  /** `at` < to. */
  readonly to?: string;
}

export interface AuditLog {
  appendAudit(entries: readonly AuditEntry[]): Promise<void>;
  /** Newest first; `offset` 0-based. */
  listAudit(page: { readonly offset: number; readonly limit: number }): Promise<{ total: number; entries: StoredAuditEntry[] }>;
  /**
   * Entries matching `filter`, newest first, answered from indexes; `more` tells whether entries follow
   * the page (no total: counting a large log is what an operator's page must not wait for).
   */
  findAudit(filter: AuditFilter, page: { readonly offset: number; readonly limit: number }): Promise<{ entries: StoredAuditEntry[]; more: boolean }>;
}
