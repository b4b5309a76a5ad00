// Runs the shared Store contract against the SQLite engine, on real files in a fresh temporary
// directory per test, including close-and-reopen of the same file.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSqliteStore } from '../../src/adapters/store/index.js';
import type { Store } from '../../src/ports/store.js';
import { describeStoreContract } from './store-contract.js';
import { describeStoreLockContract } from './store-lock-contract.js';
import { describeRateLedgerContract } from './store-rate-ledger-contract.js';

/** A fresh SQLite file (its directory created by the store when missing); every store opened on it is closed at cleanup. */
async function freshSqliteFile(prefix: string, relativeFile: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const file = path.join(dir, relativeFile);
  const opened: Store[] = [];
  const openStore = (): Store => {
    const store = createSqliteStore({ file });
    opened.push(store);
    return store;
  };
  return {
    store: openStore(),
    reopen: async () => openStore(),
    cleanup: async () => {
      for (const store of opened) await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

describeStoreContract('sqlite', () => freshSqliteFile('scim-store-', path.join('data', 'store.db')));

describeStoreLockContract('sqlite', () => freshSqliteFile('scim-store-lock-', 'store.db'));

describeRateLedgerContract('sqlite', () => freshSqliteFile('scim-store-rate-', 'store.db'));
