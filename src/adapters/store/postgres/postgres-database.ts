// The engine's connection pool (node-postgres): statements prepared per connection by name, every
// string value through the text codec, one transaction per `transaction` call (run again on a
// deadlock or serialization failure), connections that failed mid-flight discarded, and every failure
// leaving as a StoreError ('unavailable' for anything that is not a SCIM key conflict).
import pg from 'pg';
import { StoreError } from '../../../ports/store.js';
import { decodeText, encodeText } from './pg-text.js';
import { isRetryable, isServerError, toStoreError } from './postgres-errors.js';

/** A value bound to a `$n` placeholder; arrays become PostgreSQL arrays (`= ANY($1::text[])`, `unnest`). */
export type SqlValue = string | number | boolean | null | readonly string[] | readonly number[] | readonly (string | null)[];

/** SQL text, optionally named: a named statement is parsed and planned once per connection. */
export interface Statement {
  readonly name?: string;
  readonly text: string;
}

/** Runs statements on one connection (inside a transaction) or on any pooled connection. */
export interface Sql {
  /** The rows of one statement, every string column decoded. */
  rows<R>(statement: Statement, values?: readonly SqlValue[]): Promise<R[]>;
  /** How many rows one statement changed. */
  run(statement: Statement, values?: readonly SqlValue[]): Promise<number>;
}

export interface Database extends Sql {
  /** Runs `work` in one transaction (READ COMMITTED): committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (sql: Sql) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  readonly connectionString: string;
  readonly poolSize: number;
  readonly connectionTimeoutMs: number;
  readonly statementTimeoutMs: number;
  readonly idleTimeoutMs: number;
}

/** A transaction hit by a deadlock or serialization failure runs again, at most this often in all. */
const maxAttempts = 4;
/** How much longer than the server's statement timeout the client waits for an answer before giving the connection up. */
const answerGraceMs = 2000;

/** Creates the pool; no connection is made until the first statement. */
export function createDatabase(options: DatabaseOptions): Database {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolSize,
    connectionTimeoutMillis: options.connectionTimeoutMs,
    idleTimeoutMillis: options.idleTimeoutMs,
    statement_timeout: options.statementTimeoutMs,
    query_timeout: options.statementTimeoutMs + answerGraceMs,
    keepAlive: true,
    application_name: 'dynatrace-scim-bridge',
  });
  // An idle connection that breaks (server restart, network) is dropped by the pool; the next
  // statement opens a fresh one. Without a listener the error would crash the process.
  pool.on('error', () => undefined);
  let closed = false;

  function open(): void {
    if (closed) throw new StoreError('unavailable', 'the PostgreSQL store is closed');
  }

  async function rows<R>(statement: Statement, values: readonly SqlValue[] = []): Promise<R[]> {
    open();
    try {
      return decodeRows<R>((await pool.query(queryOf(statement, values))).rows);
    } catch (error) {
      throw toStoreError(error);
    }
  }

  async function run(statement: Statement, values: readonly SqlValue[] = []): Promise<number> {
    open();
    try {
      return (await pool.query(queryOf(statement, values))).rowCount ?? 0;
    } catch (error) {
      throw toStoreError(error);
    }
  }

  async function attempt<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    /** Set when the connection can no longer be trusted: it is then destroyed instead of reused. */
    let broken: Error | undefined;
    const onError = (error: Error): void => {
      broken ??= error;
    };
    client.on('error', onError);
    async function query(statement: Statement, values: readonly SqlValue[]): Promise<pg.QueryResult> {
      try {
        return await client.query(queryOf(statement, values));
      } catch (error) {
        if (!isServerError(error)) broken ??= error instanceof Error ? error : new Error(String(error));
        throw error;
      }
    }
    const sql: Sql = {
      rows: async <R>(statement: Statement, values: readonly SqlValue[] = []) => decodeRows<R>((await query(statement, values)).rows),
      run: async (statement, values = []) => (await query(statement, values)).rowCount ?? 0,
    };
    try {
      await query(begin, []);
      const result = await work(sql);
      await query(commit, []);
      return result;
    } catch (error) {
      if (broken === undefined) {
        try {
          await client.query(rollback.text);
        } catch (rollbackError) {
          broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
        }
      }
      throw error;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }

  return {
    rows,
    run,

    async transaction(work) {
      open();
      for (let attempts = 1; ; attempts += 1) {
        try {
          return await attempt(work);
        } catch (error) {
          if (attempts < maxAttempts && isRetryable(error)) {
            await pause(attempts);
            continue;
          }
          throw toStoreError(error);
        }
      }
    },

    async close() {
      if (closed) return;
      closed = true;
      try {
        await pool.end();
      } catch (error) {
        throw toStoreError(error);
      }
    },
  };
}

const begin: Statement = { text: 'BEGIN' };
const commit: Statement = { text: 'COMMIT' };
const rollback: Statement = { text: 'ROLLBACK' };

function queryOf(statement: Statement, values: readonly SqlValue[]): pg.QueryConfig {
  const encoded = values.map(encodeValue);
  return statement.name === undefined ? { text: statement.text, values: encoded } : { name: statement.name, text: statement.text, values: encoded };
}

function encodeValue(value: SqlValue): unknown {
  if (typeof value === 'string') return encodeText(value);
  if (Array.isArray(value)) return value.map((entry: unknown) => (typeof entry === 'string' ? encodeText(entry) : entry));
  return value;
}

/** Decodes every string column in place (rows are fresh objects from the driver). */
function decodeRows<R>(rows: Record<string, unknown>[]): R[] {
  for (const row of rows) {
    for (const key in row) {
      const value = row[key];
      if (typeof value === 'string' && value.includes('\u0001')) row[key] = decodeText(value);
    }
  }
  return rows as R[];
}

/** A short, jittered wait before running a transaction again, so two deadlocked writers do not collide twice. */
function pause(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, attempt * (5 + Math.random() * 20)));
}
