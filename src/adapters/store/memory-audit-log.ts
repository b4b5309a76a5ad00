// In-memory audit log: an append-only array whose index is `seq - 1`, listed from its end.
import type { StoredAuditEntry } from '../../ports/audit-log.js';
import type { AuditLogEngine } from './audit-log-port.js';
import { auditEntryMatches, auditPage } from './audit-log-port.js';

export function createMemoryAuditLog(): AuditLogEngine {
  const entries: StoredAuditEntry[] = [];

  return {
    append(batch) {
      for (const entry of batch) entries.push(Object.freeze({ seq: entries.length + 1, ...entry }));
    },
    list(offset, limit) {
      const end = Math.max(0, entries.length - offset);
      const start = Math.max(0, end - limit);
      return { total: entries.length, entries: entries.slice(start, end).reverse().map((entry) => ({ ...entry })) };
    },
    find(filter, offset, limit) {
      const found: StoredAuditEntry[] = [];
      let skipped = 0;
      for (let index = entries.length - 1; index >= 0 && found.length <= limit; index -= 1) {
        const entry = entries[index] as StoredAuditEntry;
        if (!auditEntryMatches(entry, filter)) continue;
        if (skipped < offset) skipped += 1;
        else found.push({ ...entry });
      }
      return auditPage(found, limit);
    },
  };
}
