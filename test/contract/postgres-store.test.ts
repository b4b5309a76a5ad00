// Runs the shared Store contract against the PostgreSQL engine on the run's test server (see
// test/global-setup-postgres.ts): each test in a fresh schema, dropped afterwards, including
// close-and-reopen of the same schema.
import { createPostgresStore } from '../../src/adapters/store/index.js';
import type { Store } from '../../src/ports/store.js';
import { dropSchema, freshSchemaName, postgresUrl } from '../helpers/postgres-server.js';
import { describeStoreContract } from './store-contract.js';
import { describeStoreLockContract } from './store-lock-contract.js';
import { describeRateLedgerContract } from './store-rate-ledger-contract.js';

/** A store on a fresh schema, reopenable, dropped at cleanup. */
async function openOnFreshSchema(label: string) {
  const connectionString = postgresUrl();
  const schema = freshSchemaName(label);
  const opened: Store[] = [];
  const openStore = async (): Promise<Store> => {
    const store = await createPostgresStore({ connectionString, schema, poolSize: 4 });
    opened.push(store);
    return store;
  };
  return {
    store: await openStore(),
    reopen: openStore,
    cleanup: async () => {
      for (const store of opened) await store.close();
      await dropSchema(schema, connectionString);
    },
  };
}

describeStoreContract('postgres', () => openOnFreshSchema('contract'));

describeStoreLockContract('postgres', () => openOnFreshSchema('locks'));

describeRateLedgerContract('postgres', () => openOnFreshSchema('rates'));
