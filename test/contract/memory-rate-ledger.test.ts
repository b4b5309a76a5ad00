// Runs the rate-ledger part of the Store contract against the in-memory ledger, the one a rate budget
// uses when no store shares its window (one process alone: nothing to reopen).
import { createMemoryRateLedger } from '../../src/adapters/store/index.js';
import { describeRateLedgerContract } from './store-rate-ledger-contract.js';

describeRateLedgerContract('memory', async () => ({
  store: { ...createMemoryRateLedger(), close: async () => undefined },
  cleanup: async () => undefined,
}));
