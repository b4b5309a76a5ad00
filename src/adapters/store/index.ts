// Public entry of the Store engines: SQLite (single-node deployments, and the tests' store on a
// temporary file) and PostgreSQL (several replicas sharing one database); and the in-memory rate ledger
// a rate budget uses when no store shares its window.
export { createMemoryRateLedger } from './memory-rate-ledger.js';
export { createSqliteStore } from './sqlite/sqlite-store.js';
export type { SqliteStoreOptions } from './sqlite/sqlite-store.js';
export { createPostgresStore } from './postgres/postgres-store.js';
export type { PostgresStoreOptions } from './postgres/postgres-store.js';
