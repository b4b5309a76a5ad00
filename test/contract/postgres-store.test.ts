// Runs the shared Store contract against the PostgreSQL engine on the run's test server (see
// test/global-setup-postgres.ts): each test in a fresh schema, dropped afterwards, including
// close-and-reopen of the same schema.
import { createPostgresStore } from '../../src/adapters/store/index.js';
import type { Store } from '../../src/ports/store.js';
import { dropSchema, freshSchemaName, postgresUrl } from '../helpers/postgres-server.js';
import { describeStoreContract } from './store-contract.js';
import { describeStoreLockContract } from './store-lock-contract.js';

describeStoreContract('postgres', async () => {
  const connectionString = postgresUrl();
  const schema = freshSchemaName('contract');
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
});

describeStoreLockContract('postgres', async () => {
  const connectionString = postgresUrl();
  const schema = freshSchemaName('locks');
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
});
