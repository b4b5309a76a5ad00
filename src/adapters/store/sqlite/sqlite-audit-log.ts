// SQLite audit log: an append-only table whose AUTOINCREMENT seq orders the entries; listed newest
// first by walking the primary key backwards.
import type Database from 'better-sqlite3';
import type { StoredAuditEntry } from '../../../ports/audit-log.js';
import type { AuditLogEngine } from '../audit-log-port.js';
import { auditFilterSql, auditPage } from '../audit-log-port.js';

const entryColumns = `seq, at, request_id AS requestId, resource_type AS resourceType, resource_id AS resourceId, operation,
  target, outcome, detail`;

/** The audit statements, prepared once; every method runs inside a transaction the caller opened. */
export function createSqliteAuditLog(db: Database.Database): AuditLogEngine {
  const s = {
    append: db.prepare<[string, string | null, string, string, string, string, string, string | null]>(
      `INSERT INTO audit_log (at, request_id, resource_type, resource_id, operation, target, outcome, detail)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    count: db.prepare<[], number>('SELECT COUNT(*) FROM audit_log').pluck(),
    page: db.prepare<[number, number], StoredAuditEntry>(`SELECT ${entryColumns} FROM audit_log ORDER BY seq DESC LIMIT ? OFFSET ?`),
  };

  /** One prepared statement per combination of conditions (at most 32), made on first use. */
  const finders = new Map<string, Database.Statement<unknown[], StoredAuditEntry>>();

  return {
    find(filter, offset, limit) {
      const { where, params } = auditFilterSql(filter, () => '?');
      let statement = finders.get(where);
      if (statement === undefined) {
        statement = db.prepare<unknown[], StoredAuditEntry>(`SELECT ${entryColumns} FROM audit_log WHERE ${where.replace('TRUE', '1')} ORDER BY seq DESC LIMIT ? OFFSET ?`);
        finders.set(where, statement);
      }
      return auditPage(statement.all(...params, limit + 1, offset), limit);
    },
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
