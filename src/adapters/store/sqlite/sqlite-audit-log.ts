// SQLite audit log: an append-only table whose AUTOINCREMENT seq orders the entries; listed newest
// first by walking the primary key backwards.
import type Database from 'better-sqlite3';
import type { StoredAuditEntry } from '../../../ports/audit-log.js';
import type { AuditLogEngine } from '../audit-log-port.js';

/** The audit statements, prepared once; every method runs inside a transaction the caller opened. */
export function createSqliteAuditLog(db: Database.Database): AuditLogEngine {
  const s = {
    append: db.prepare<[string, string | null, string, string, string, string, string, string | null]>(
      `INSERT INTO audit_log (at, request_id, resource_type, resource_id, operation, target, outcome, detail)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    count: db.prepare<[], number>('SELECT COUNT(*) FROM audit_log').pluck(),
    page: db.prepare<[number, number], StoredAuditEntry>(
      `SELECT seq, at, request_id AS requestId, resource_type AS resourceType, resource_id AS resourceId, operation,
         target, outcome, detail
       FROM audit_log ORDER BY seq DESC LIMIT ? OFFSET ?`,
    ),
  };

  return {
    append(entries) {
      for (const entry of entries) {
        s.append.run(
          entry.at, entry.requestId, entry.resourceType, entry.resourceId, entry.operation, entry.target, entry.outcome,
          entry.detail,
        );
      }
    },
    list(offset, limit) {
      return { total: s.count.get() ?? 0, entries: limit === 0 ? [] : s.page.all(limit, offset) };
    },
  };
}
