// A SQLite store on a file in a fresh temporary directory, for tests that need a real store without a
// bridge around it: closed, and its directory removed, when the test's cleanups run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createSqliteStore } from '../../src/adapters/store/index.js';
import type { Store } from '../../src/ports/store.js';
import type { Cleanup } from './cleanups.js';

/** A fresh, empty store; its cleanups are pushed onto `cleanups`. */
export function tempSqliteStore(cleanups: { push(...cleanups: Cleanup[]): void }): Store {
  const dir = mkdtempSync(path.join(tmpdir(), 'scim-store-'));
  const store = createSqliteStore({ file: path.join(dir, 'store.db') });
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }), () => store.close());
  return store;
}
