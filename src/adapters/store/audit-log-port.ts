// The AuditLog port over an engine's synchronous log: entries checked (misuse throws TypeError)
// and normalised to exactly the port's fields; a batch is appended in one transaction.
import type { AuditEntry, AuditFilter, AuditLog, AuditOutcome, StoredAuditEntry } from '../../ports/audit-log.js';
import { assertCount, assertNullableString, assertString } from '../../ports/misuse.js';
import { assertInstant } from './sync-queue-port.js';
import type { StoreRunner } from './sync-queue-port.js';

/** Entries get `seq` 1, 2, … in append order and are never rewritten; listing is newest (highest seq) first. */
export interface AuditLogEngine {
  append(entries: readonly AuditEntry[]): void;
  list(offset: number, limit: number): { total: number; entries: StoredAuditEntry[] };
  /** A page of the entries matching every condition of `filter` (checked, only the conditions given), newest first. */
  find(filter: AuditFilter, offset: number, limit: number): { entries: StoredAuditEntry[]; more: boolean };
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

/** The filter with only the conditions given, each checked. */
export function normaliseAuditFilter(filter: AuditFilter): AuditFilter {
  if (typeof filter !== 'object' || filter === null) throw new TypeError('an audit filter is required');
  const checked: { -readonly [K in keyof AuditFilter]: AuditFilter[K] } = {};
  for (const key of ['resourceId', 'operation'] as const) {
    const value = filter[key];
    if (value === undefined) continue;
    assertString(value, key);
    checked[key] = value;
  }
  if (filter.outcome !== undefined) {
    if (!outcomes.has(filter.outcome)) throw new TypeError(`outcome must be one of ${[...outcomes].join(', ')}`);
    checked.outcome = filter.outcome;
  }
  for (const key of ['from', 'to'] as const) {
    const value = filter[key];
    if (value === undefined) continue;
    assertInstant(value, key);
    checked[key] = value;
  }
  return checked;
}

/** The conditions of a checked filter as SQL over audit_log's columns, with `param(n)` spelling the n-th placeholder. */
export function auditFilterSql(filter: AuditFilter, param: (n: number) => string): { where: string; params: string[] } {
  const conditions: string[] = [];
  const params: string[] = [];
  const add = (sql: string, value: string | undefined) => {
    if (value === undefined) return;
    params.push(value);
    conditions.push(sql.replace('?', param(params.length)));
  };
  add('resource_id = ?', filter.resourceId);
  add('operation = ?', filter.operation);
  add('outcome = ?', filter.outcome);
  add('at >= ?', filter.from);
  add('at < ?', filter.to);
  return { where: conditions.length === 0 ? 'TRUE' : conditions.join(' AND '), params };
}

/** A page from the rows an engine read with one row more than `limit` (which tells whether more follow). */
export function auditPage(rows: StoredAuditEntry[], limit: number): { entries: StoredAuditEntry[]; more: boolean } {
  return { entries: rows.slice(0, limit), more: rows.length > limit };
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

    async findAudit(filter, page) {
      assertCount(page.offset, 'offset');
      assertCount(page.limit, 'limit');
      const checked = normaliseAuditFilter(filter);
      return run(() => engine.find(checked, page.offset, page.limit));
    },
  };
}
