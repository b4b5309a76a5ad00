// Starts a bench server (bridge-server or baseline-server) as a child process and talks to it over
// IPC: wait for its port, ask for its stats, profile it, stop it. Every wait has a deadline.
import { fork, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import type { ProbeCommand, ProbeMessage, ProcessStats } from './process-probe.js';

export interface BenchChild {
  readonly name: string;
  readonly pid: number;
  readonly port: number;
  stats(options?: { mark?: boolean }): Promise<ProcessStats>;
  startProfile(): Promise<void>;
  stopProfile(file: string): Promise<void>;
  /** Stops the child: its final stats, then a graceful shutdown, killed if it outlasts the deadline. */
  stop(): Promise<StopReport | null>;
}

export interface StopReport {
  /** Taken as the stop began (null if the child did not answer). */
  readonly stats: ProcessStats | null;
  /** How long the graceful shutdown took, until exit or kill. */
  readonly stopMs: number;
  /** True when the child outlasted the deadline and was killed. */
  readonly killed: boolean;
}

export interface SpawnOptions {
  readonly name: string;
  /** Absolute path of the compiled server script. */
  readonly script: string;
  readonly env: Record<string, string>;
  /** The child's stdout (its log lines) goes here. */
  readonly logFile: string;
  readonly startTimeoutMs?: number;
}

const REPLY_TIMEOUT_MS = 60_000;
/** A graceful stop waits for in-flight sync items; past this the child is killed. */
const STOP_TIMEOUT_MS = 60_000;

export async function spawnBenchChild(options: SpawnOptions): Promise<BenchChild> {
  const log = openSync(options.logFile, 'a');
  const child: ChildProcess = fork(options.script, [], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', log, 'inherit', 'ipc'],
  });
  closeSync(log);
  const waiters: Array<{ type: ProbeMessage['type']; resolve: (m: ProbeMessage) => void; reject: (e: Error) => void }> = [];
  let exited = false;
  const exitPromise = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.on('message', (message: ProbeMessage) => {
    if (message.type === 'failed') {
      for (const waiter of waiters.splice(0)) waiter.reject(new Error(`${options.name}: ${message.message}`));
      return;
    }
    const index = waiters.findIndex((w) => w.type === message.type);
    if (index >= 0) waiters.splice(index, 1)[0]?.resolve(message);
  });
  child.on('exit', (code, signal) => {
    exited = true;
    for (const waiter of waiters.splice(0)) waiter.reject(new Error(`${options.name} exited (code ${code}, signal ${signal})`));
  });

  function next<T extends ProbeMessage['type']>(type: T, timeoutMs: number): Promise<Extract<ProbeMessage, { type: T }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${options.name}: no '${type}' within ${timeoutMs} ms`)), timeoutMs);
      waiters.push({
        type,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m as Extract<ProbeMessage, { type: T }>);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  function send(command: ProbeCommand): void {
    if (exited || !child.connected) throw new Error(`${options.name} is not running`);
    child.send(command);
  }

  const listening = await next('listening', options.startTimeoutMs ?? 30_000).catch((error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });
  if (child.pid === undefined) throw new Error(`${options.name} has no pid`);

  return {
    name: options.name,
    pid: child.pid,
    port: listening.port,
    async stats({ mark = false } = {}) {
      const reply = next('stats', REPLY_TIMEOUT_MS);
      send({ type: mark ? 'mark' : 'stats' });
      return (await reply).stats;
    },
    async startProfile() {
      const reply = next('profiled', REPLY_TIMEOUT_MS);
      send({ type: 'profile-start' });
      await reply;
    },
    async stopProfile(file) {
      const reply = next('profiled', REPLY_TIMEOUT_MS);
      send({ type: 'profile-stop', file });
      await reply;
    },
    async stop() {
      if (exited) return null;
      const started = performance.now();
      const reply = next('stopping', STOP_TIMEOUT_MS);
      send({ type: 'stop' });
      const stats = await reply.then((m) => m.stats).catch(() => null);
      let killed = false;
      const timer = setTimeout(() => {
        killed = true;
        child.kill('SIGKILL');
      }, STOP_TIMEOUT_MS);
      await exitPromise;
      clearTimeout(timer);
      return { stats, stopMs: performance.now() - started, killed };
    },
  };
}
