// Runs the shared Store contract against the in-memory engine.
import { createMemoryStore } from '../../src/adapters/store/index.js';
import { describeStoreContract } from './store-contract.js';
import { describeStoreLockContract } from './store-lock-contract.js';
import { describeRateLedgerContract } from './store-rate-ledger-contract.js';

describeStoreContract('memory', async () => {
  const store = createMemoryStore();
  return { store, cleanup: () => store.close() };
});

describeStoreLockContract('memory', async () => {
  const store = createMemoryStore();
  return { store, cleanup: () => store.close() };
});

describeRateLedgerContract('memory', async () => {
  const store = createMemoryStore();
  return { store, cleanup: () => store.close() };
});
