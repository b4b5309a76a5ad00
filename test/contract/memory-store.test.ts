// Runs the shared Store contract against the in-memory engine.
import { createMemoryStore } from '../../src/adapters/store/index.js';
import { describeStoreContract } from './store-contract.js';

describeStoreContract('memory', async () => {
  const store = createMemoryStore();
  return { store, cleanup: () => store.close() };
});
