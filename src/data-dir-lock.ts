// One bridge process per SQLite data directory: an exclusive lock on DATA_DIR/bridge.lock, taken
// before anything else at start and held for the process's lifetime. It is SQLite's own file lock on
// a database of its own, so the operating system frees it when the process ends, however it ends.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export const DATA_DIR_LOCK_FILE = 'bridge.lock';

/** Another process holds the data directory (its message says what to do). */
export class DataDirBusyError extends Error {
  override readonly name = 'DataDirBusyError';
}

export interface DataDirLock {
  readonly file: string;
  /** Frees the lock (at the end of a clean shutdown; a process that dies frees it anyway). */
  release(): void;
}

/** Takes the lock of `dataDir` (created when missing) or throws DataDirBusyError at once, without waiting. */
export function lockDataDir(dataDir: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, DATA_DIR_LOCK_FILE);
  const db = new Database(file, { timeout: 0 });
  try {
    // In exclusive locking mode the lock of a transaction that wrote is kept after its commit, until the
    // connection closes. What it writes (who holds the directory, since when) is for a person to read later.
    db.pragma('locking_mode = EXCLUSIVE');
    db.transaction(() => {
      db.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL, since TEXT NOT NULL)');
      db.prepare('DELETE FROM holder').run();
      db.prepare('INSERT INTO holder (pid, since) VALUES (?, ?)').run(process.pid, new Date().toISOString());
    }).exclusive();
  } catch (error) {
    db.close();
    if ((error as { code?: unknown }).code === 'SQLITE_BUSY') {
      throw new DataDirBusyError(
        `DATA_DIR ${dataDir} is in use by another bridge process (it holds ${file}). One process owns a SQLite data directory: ` +
          'stop the other one first, or keep the state in PostgreSQL (DATABASE_URL) to run several replicas.',
      );
    }
    throw error;
  }
  return { file, release: () => db.close() };
}
