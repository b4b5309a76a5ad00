// PostgreSQL locks: one row per held name (migration 3), taken by one upsert. Of replicas racing for
// a free name one inserts; the others conflict, wait for its row lock, and then see a row that is
// neither theirs nor expired, so their WHERE changes nothing and they get no row back.
import type { LockEngine } from '../lock-port.js';
import type { AsyncEngine } from '../engine-steps.js';
import type { Sql } from './postgres-database.js';

/** The lock statements over `schema` (quoted); each call is one statement on `db`. */
export function createPostgresLocks(db: Sql, schema: string): AsyncEngine<LockEngine> {
  const table = `${schema}.locks`;
  const s = {
    acquire: {
      name: 'lock_acquire',
      text: `INSERT INTO ${table} AS l (name, owner, until) VALUES ($1, $2, $4)
        ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until = excluded.until
        WHERE l.owner = excluded.owner OR l.until <= $3::text
        RETURNING l.name`,
    },
    release: { name: 'lock_release', text: `DELETE FROM ${table} WHERE name = $1 AND owner = $2` },
    releaseByPrefix: { name: 'lock_release_prefix', text: `DELETE FROM ${table} WHERE left(name, length($1)) = $1` },
  };
  return {
    async acquire(name, owner, now, until) {
      return (await db.rows<{ name: string }>(s.acquire, [name, owner, now, until])).length === 1;
    },
    async release(name, owner) {
      await db.run(s.release, [name, owner]);
    },
    releaseByPrefix: (prefix) => db.run(s.releaseByPrefix, [prefix]),
  };
}
