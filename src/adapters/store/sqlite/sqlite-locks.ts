// SQLite locks: one row per held name (migration 3), taken by one upsert whose WHERE lets it
// overwrite only an expired row or the owner's own; `changes` says whether it did.
import type Database from 'better-sqlite3';
import type { LockEngine } from '../lock-port.js';

/** The lock statements, prepared once; every method runs inside a transaction the caller opened. */
export function createSqliteLocks(db: Database.Database): LockEngine {
  const s = {
    acquire: db.prepare<[string, string, string, string]>(
      `INSERT INTO locks (name, owner, until) VALUES (?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until = excluded.until
       WHERE locks.owner = excluded.owner OR locks.until <= ?`,
    ),
    release: db.prepare<[string, string]>('DELETE FROM locks WHERE name = ? AND owner = ?'),
    releaseByPrefix: db.prepare<[string, string]>('DELETE FROM locks WHERE substr(name, 1, length(?)) = ?'),
  };
  return {
    acquire(name, owner, now, until) {
      return s.acquire.run(name, owner, until, now).changes === 1;
    },
    release(name, owner) {
      s.release.run(name, owner);
    },
    releaseByPrefix(prefix) {
      return s.releaseByPrefix.run(prefix, prefix).changes;
    },
  };
}
