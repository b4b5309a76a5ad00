// Public entry of the Store engines: in-memory (tests) and SQLite (single-node deployments).
export { createMemoryStore } from './memory-store.js';
export { createSqliteStore } from './sqlite/sqlite-store.js';
export type { SqliteStoreOptions } from './sqlite/sqlite-store.js';
