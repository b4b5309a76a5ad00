// The AuditLog port over an engine's synchronous log: entries checked (misuse throws TypeError)
// and normalised to exactly the port's fields; a batch is appended in one transaction.
import type { AuditEntry, AuditLog, AuditOutcome, StoredAuditEntry } from '../../ports/audit-log.js';
import { assertCount, assertNullableString, assertString } from '../../ports/misuse.js';
import type { StoreRunner } from './sync-queue-port.js';

/** Entries get `seq` 1, 2, … in append order and are never rewritten; listing is newest (highest seq) first. */
export interface AuditLogEngine {
  append(entries: readonly AuditEntry[]): void;
  list(offset: number, limit: number): { total: number; entries: StoredAuditEntry[] };
}

const outcomes: ReadonlySet<string> = new Set<AuditOutcome>(['applied', 'dry-run', 'failed', 'skipped']);
const resourceTypes: ReadonlySet<string> = new Set(['User', 'Group']);




/** The entry with exactly the port's fields. */
export function normaliseAuditEntry(entry: AuditEntry): AuditEntry {
  if (typeof entry !== 'object' || entry === null) throw new TypeError('an audit entry is required');
  assertString(entry.at, 'at');
  assertNullableString(entry.requestId, 'requestId');
  if (typeof entry.resourceType !== 'string' || !resourceTypes.has(entry.resourceType)) {
    throw new TypeError(`resourceType must be "User" or "Group", got ${JSON.stringify(entry.resourceType)}`);
  }
  assertString(entry.resourceId, 'resourceId');
  assertString(entry.operation, 'operation');
  assertString(entry.target, 'target');
  if (typeof entry.outcome !== 'string' || !outcomes.has(entry.outcome)) {
    throw new TypeError(`outcome must be one of ${[...outcomes].join(', ')}, got ${JSON.stringify(entry.outcome)}`);
  }
  assertNullableString(entry.detail, 'detail');
  return {
    at: entry.at,
    requestId: entry.requestId,
    resourceType: entry.resourceType,
    resourceId: entry.resourceId,
    operation: entry.operation,
    target: entry.target,
    outcome: entry.outcome,
    detail: entry.detail,
  };
}

/** The AuditLog port over `engine`, every call checked and then run through `run`. */
export function auditLogPort(engine: AuditLogEngine, run: StoreRunner): AuditLog {
  return {
    async appendAudit(entries) {
      if (!Array.isArray(entries)) throw new TypeError('entries must be an array');
      const rows = entries.map(normaliseAuditEntry);
      run(() => {
        if (rows.length > 0) engine.append(rows);
      });
    },

    async listAudit(page) {
      assertCount(page.offset, 'offset');
      assertCount(page.limit, 'limit');
      return run(() => engine.list(page.offset, page.limit));
    },
  };
}
