// PostgreSQL audit log: an append-only table whose identity seq orders the entries; a batch is one
// INSERT (seq in batch order), and a page is read with its total in one statement (one snapshot).
import type { AuditEntry, StoredAuditEntry } from '../../../ports/audit-log.js';
import type { AuditLogEngine } from '../audit-log-port.js';
import { auditFilterSql, auditPage } from '../audit-log-port.js';
import type { AsyncEngine } from '../engine-steps.js';
import type { Sql } from './postgres-database.js';

interface PageRow extends Omit<StoredAuditEntry, 'seq'> {
  readonly total: string;
  /** NULL on the one row a page past the end (or of limit 0) yields. */
  readonly seq: string | null;
}

/** A prepared statement's name for one combination of conditions: which columns it tests. */
function finderName(where: string): string {
  return where.replace(/[^a-z_]+/g, '_');
}

/** The audit statements over `schema` (quoted); each call is one statement on `db`. */
export function createPostgresAuditLog(db: Sql, schema: string): AsyncEngine<AuditLogEngine> {
  const table = `${schema}.audit_log`;
  const s = {
    append: {
      name: 'audit_append',
      text: `INSERT INTO ${table} (at, request_id, resource_type, resource_id, operation, target, outcome, detail)
        SELECT e.at, e.request_id, e.resource_type, e.resource_id, e.operation, e.target, e.outcome, e.detail
        FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
          WITH ORDINALITY AS e (at, request_id, resource_type, resource_id, operation, target, outcome, detail, ord)
        ORDER BY e.ord`,
    },
    page: {
      name: 'audit_page',
      text: `SELECT t.total, a.seq, a.at, a.request_id AS "requestId", a.resource_type AS "resourceType",
          a.resource_id AS "resourceId", a.operation, a.target, a.outcome, a.detail
        FROM (SELECT count(*) AS total FROM ${table}) t
        LEFT JOIN LATERAL (SELECT * FROM ${table} ORDER BY seq DESC LIMIT $1 OFFSET $2) a ON true`,
    },
  };

  function column<K extends keyof AuditEntry>(entries: readonly AuditEntry[], key: K): (string | null)[] {
    return entries.map((entry) => entry[key]);
  }

  return {
    async append(entries) {
      await db.run(s.append, [
        column(entries, 'at'), column(entries, 'requestId'), column(entries, 'resourceType'), column(entries, 'resourceId'),
        column(entries, 'operation'), column(entries, 'target'), column(entries, 'outcome'), column(entries, 'detail'),
      ]);
    },
    async find(filter, offset, limit) {
      const { where, params } = auditFilterSql(filter, (n) => `$${n}`);
      const text = `SELECT seq, at, request_id AS "requestId", resource_type AS "resourceType", resource_id AS "resourceId",
          operation, target, outcome, detail
        FROM ${table} WHERE ${where} ORDER BY seq DESC LIMIT $${params.length + 1} OFFSET $${params.length + 2}`;
      const rows = await db.rows<Omit<StoredAuditEntry, 'seq'> & { seq: string }>({ name: `audit_find_${finderName(where)}`, text }, [...params, limit + 1, offset]);
      return auditPage(rows.map((row) => ({ ...row, seq: Number(row.seq) })), limit);
    },
    async list(offset, limit) {
      const rows = await db.rows<PageRow>(s.page, [limit, offset]);
      const entries = rows.flatMap(({ total: _total, seq, ...entry }) => (seq === null ? [] : [{ seq: Number(seq), ...entry }]));
      return { total: Number(rows[0]?.total ?? 0), entries };
    },
  };
}
