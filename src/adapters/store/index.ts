// Public entry of the Store engines: in-memory (tests), SQLite (single-node deployments) and
// PostgreSQL (several replicas sharing one database).
export { createMemoryStore } from './memory-store.js';
export { createMemoryRateLedger } from './memory-rate-ledger.js';
export { createSqliteStore } from './sqlite/sqlite-store.js';
export type { SqliteStoreOptions } from './sqlite/sqlite-store.js';
export { createPostgresStore } from './postgres/postgres-store.js';
export type { PostgresStoreOptions } from './postgres/postgres-store.js';
